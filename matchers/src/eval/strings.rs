//! `stringLikeRegexp`, `stringContains`, `serializedJson`.

use serde_json::Value;

use super::{Evaluator, Failure, Seg};
use crate::matcher::Matcher;
use crate::regex_pattern::RegexPattern;
use crate::render::{EXPECTED_MAX_CHARS, describe};
use crate::report::{Actual, MismatchKind};

pub(super) fn regex(ev: &mut Evaluator<'_>, m: &Matcher, re: &RegexPattern, v: &Value) -> bool {
    let Value::String(s) = v else {
        return ev.wrong_type(m, "a string", v);
    };
    re.is_match(s)
        || ev.fail(|| {
            Failure::new(
                MismatchKind::RegexNoMatch,
                describe(m, EXPECTED_MAX_CHARS),
                Actual::of(v),
                if re.has_templates() {
                    format!(
                        "/{}/ names templates that were not filled in (no run values here)",
                        re.as_str()
                    )
                } else {
                    format!("/{}/ finds no match in the string", re.as_str())
                },
            )
        })
}

pub(super) fn contains(ev: &mut Evaluator<'_>, m: &Matcher, needle: &str, v: &Value) -> bool {
    let Value::String(s) = v else {
        return ev.wrong_type(m, "a string", v);
    };
    s.contains(needle)
        || ev.fail(|| {
            Failure::new(
                MismatchKind::SubstringMissing,
                describe(m, EXPECTED_MAX_CHARS),
                Actual::of(v),
                format!(
                    "the string does not contain {}",
                    Value::String(needle.to_owned())
                ),
            )
        })
}

/// Parses the string and hands the parsed document to the inner matcher;
/// paths inside it continue after a ` (parsed JSON) $` marker.
pub(super) fn serialized_json<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    inner: &'a Matcher,
    v: &Value,
) -> bool {
    let Value::String(s) = v else {
        return ev.wrong_type(m, "a string holding JSON", v);
    };
    match serde_json::from_str::<Value>(s) {
        Ok(parsed) => ev.at(Seg::Parsed, |ev| ev.eval(inner, Some(&parsed))),
        Err(e) => ev.fail(|| {
            Failure::new(
                MismatchKind::InvalidJson,
                describe(m, EXPECTED_MAX_CHARS),
                Actual::of(v),
                format!("the string is not valid JSON: {e}"),
            )
        }),
    }
}
