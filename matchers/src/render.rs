//! How a matcher reads in a report: the anchor's `Match.*` names with their
//! arguments, e.g. `objectLike({"status": "DONE", "id": stringLikeRegexp(/^t-/)})`.
//!
//! Long patterns are cut with `…` so that the expected side of a mismatch
//! stays one readable line; the path already says where to look.

use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::matcher::Matcher;

/// Longest rendering of a matcher in a report.
pub const EXPECTED_MAX_CHARS: usize = 200;

/// A matcher rendered for a report, cut after `max_chars` characters.
pub fn describe(m: &Matcher, max_chars: usize) -> String {
    let mut s = String::new();
    let _ = write_matcher(&mut s, m);
    cut(s, max_chars)
}

/// A JSON value rendered for a report, cut after `max_chars` characters.
pub fn describe_value(v: &Value, max_chars: usize) -> String {
    cut(v.to_string(), max_chars)
}

fn cut(mut s: String, max_chars: usize) -> String {
    if let Some((idx, _)) = s.char_indices().nth(max_chars) {
        s.truncate(idx);
        s.push('…');
    }
    s
}

fn write_list(out: &mut String, name: &str, items: &[Matcher]) -> fmt::Result {
    write!(out, "{name}([")?;
    for (i, m) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_matcher(out, m)?;
    }
    out.push_str("])");
    Ok(())
}

fn write_map(
    out: &mut String,
    name: &str,
    map: &std::collections::BTreeMap<String, Matcher>,
) -> fmt::Result {
    write!(out, "{name}({{")?;
    for (i, (k, m)) in map.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write!(out, "{}: ", Value::String(k.clone()))?;
        write_matcher(out, m)?;
    }
    out.push_str("})");
    Ok(())
}

fn write_matcher(out: &mut String, m: &Matcher) -> fmt::Result {
    // Stop descending once the text is long enough to be cut anyway.
    if out.len() > 4 * EXPECTED_MAX_CHARS {
        out.push('…');
        return Ok(());
    }
    match m {
        Matcher::Exact(v) => write!(out, "{v}"),
        Matcher::ObjectLike(map) => write_map(out, "objectLike", map),
        Matcher::ObjectEquals(map) => write_map(out, "objectEquals", map),
        Matcher::ArrayWith(l) => write_list(out, "arrayWith", l),
        Matcher::ArrayEquals(l) => write_list(out, "arrayEquals", l),
        Matcher::ArrayContaining(l) => write_list(out, "arrayContaining", l),
        Matcher::AllOf(l) => write_list(out, "allOf", l),
        Matcher::AnyOf(l) => write_list(out, "anyOf", l),
        Matcher::Every(i) | Matcher::Length(i) | Matcher::Not(i) | Matcher::SerializedJson(i) => {
            write!(out, "{}(", m.name())?;
            write_matcher(out, i)?;
            out.push(')');
            Ok(())
        }
        Matcher::StringLikeRegexp(r) => write!(out, "stringLikeRegexp(/{}/)", r.as_str()),
        Matcher::StringContains(s) => write!(out, "stringContains({})", Value::String(s.clone())),
        Matcher::Present => out.write_str("present()"),
        Matcher::Absent => out.write_str("absent()"),
        Matcher::Numeric(r) => write!(out, "numeric({r})"),
        Matcher::IsType(t) => write!(out, "isType({t})"),
        Matcher::Timestamp(spec) => write!(out, "timestamp({spec})"),
        Matcher::EqualsCapture(c) => write!(out, "equalsCapture({c})"),
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self, EXPECTED_MAX_CHARS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::NumericRange;
    use serde_json::json;

    #[test]
    fn reads_like_the_anchor_api() {
        let m = Matcher::object_like([
            ("status", Matcher::exact("DONE")),
            ("id", Matcher::regex("^t-").unwrap()),
            ("n", Matcher::numeric(NumericRange::between(1, 5).unwrap())),
            ("gone", Matcher::absent()),
        ]);
        assert_eq!(
            m.to_string(),
            r#"objectLike({"gone": absent(), "id": stringLikeRegexp(/^t-/), "n": numeric(>= 1 and <= 5), "status": "DONE"})"#
        );
    }

    #[test]
    fn long_patterns_are_cut() {
        let m = Matcher::literal(&json!({"k": "x".repeat(500)}));
        let s = m.to_string();
        assert_eq!(s.chars().count(), EXPECTED_MAX_CHARS + 1);
        assert!(s.ends_with('…'));
    }
}
