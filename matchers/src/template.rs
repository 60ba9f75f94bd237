//! `${param}` and `${step.capture}` templates inside the strings of a
//! step: its call and its expectation.
//!
//! A string that is exactly one template (`"${create.task_id}"`) becomes the
//! referenced value with its JSON type (a number stays a number); templates
//! inside longer text are spliced in as text. `$${` writes a literal `${`.
//! In an expectation ([`render_matcher`]) every string is a template the
//! same way — exact values, `$contains`, `$regex` (where a value is
//! inserted as literal text, not as regex syntax) — and object keys are
//! not.

use serde_json::Value;

use crate::{CaptureRef, Matcher, RegexPattern};

/// One piece of a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// `${name}`: a run parameter.
    Param(String),
    /// `${step.capture}`: a value captured by an earlier step.
    Capture(CaptureRef),
}

/// A template reference that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `${` without `}`.
    #[error("`{text}`: `${{` at byte {at} is never closed by `}}`")]
    Unclosed {
        /// The whole string.
        text: String,
        /// Byte offset of the `${`.
        at: usize,
    },
    /// A reference that is neither a parameter name nor `step.capture`.
    #[error(
        "`{text}`: `${{{reference}}}` is not a parameter name or `<step>.<capture>`: {problem}"
    )]
    BadReference {
        /// The whole string.
        text: String,
        /// What stood between the braces.
        reference: String,
        /// Why it is not valid.
        problem: String,
    },
    /// A reference to something that has no value in this run.
    #[error("{0}")]
    Unresolved(String),
}

fn valid_param(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Splits a string into literal text and references.
pub fn parse(text: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(i) = rest.find("${") {
        if rest[..i].ends_with('$') {
            // `$${` is an escaped `${`.
            literal.push_str(&rest[..i - 1]);
            literal.push_str("${");
            rest = &rest[i + 2..];
            offset += i + 2;
            continue;
        }
        literal.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return Err(TemplateError::Unclosed {
                text: text.to_owned(),
                at: offset + i,
            });
        };
        let reference = after[..end].trim();
        let piece = if reference.contains('.') {
            reference
                .parse::<CaptureRef>()
                .map(Piece::Capture)
                .map_err(|e| TemplateError::BadReference {
                    text: text.to_owned(),
                    reference: reference.to_owned(),
                    problem: e.to_string(),
                })?
        } else if valid_param(reference) {
            Piece::Param(reference.to_owned())
        } else {
            return Err(TemplateError::BadReference {
                text: text.to_owned(),
                reference: reference.to_owned(),
                problem: "names use ASCII letters, digits, `_` and `-`".to_owned(),
            });
        };
        if !literal.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut literal)));
        }
        pieces.push(piece);
        rest = &after[end + 1..];
        offset += i + 2 + end + 1;
    }
    literal.push_str(rest);
    if !literal.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

/// Every reference in every string of a JSON value (object keys included),
/// for validation before a run.
pub fn references(value: &Value) -> Result<Vec<Piece>, TemplateError> {
    let mut out = Vec::new();
    collect(value, &mut out)?;
    Ok(out)
}

fn collect(value: &Value, out: &mut Vec<Piece>) -> Result<(), TemplateError> {
    match value {
        Value::String(s) => out.extend(
            parse(s)?
                .into_iter()
                .filter(|p| !matches!(p, Piece::Text(_))),
        ),
        Value::Array(items) => {
            for item in items {
                collect(item, out)?;
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                out.extend(
                    parse(k)?
                        .into_iter()
                        .filter(|p| !matches!(p, Piece::Text(_))),
                );
                collect(v, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Where template values come from during a run.
pub trait TemplateValues {
    /// A run parameter.
    fn param(&self, name: &str) -> Option<Value>;
    /// A capture (unsealed if it was secret).
    fn capture(&self, capture: &CaptureRef) -> Option<Value>;
}

fn lookup(piece: &Piece, values: &dyn TemplateValues) -> Result<Value, TemplateError> {
    match piece {
        Piece::Text(t) => Ok(Value::String(t.clone())),
        Piece::Param(p) => values.param(p).ok_or_else(|| {
            TemplateError::Unresolved(format!("parameter `{p}` has no value in this run"))
        }),
        Piece::Capture(c) => values
            .capture(c)
            .ok_or_else(|| TemplateError::Unresolved(format!("no earlier step captured `{c}`"))),
    }
}

/// Resolves one string.
pub fn render_str(text: &str, values: &dyn TemplateValues) -> Result<Value, TemplateError> {
    let pieces = parse(text)?;
    if let [single @ (Piece::Param(_) | Piece::Capture(_))] = pieces.as_slice() {
        return lookup(single, values);
    }
    let mut out = String::new();
    for p in &pieces {
        match lookup(p, values)? {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
    }
    Ok(Value::String(out))
}

/// Resolves every string of a JSON value (object keys become text).
pub fn render(value: &Value, values: &dyn TemplateValues) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(s) => render_str(s, values)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render(v, values))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = match render_str(k, values)? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, render(v, values)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Every reference in the strings of an expectation (not its keys).
pub fn matcher_references(m: &Matcher) -> Result<Vec<Piece>, TemplateError> {
    let mut out = Vec::new();
    let mut problem = None;
    m.walk(&mut |node| {
        let found = match node {
            Matcher::Exact(v) => references_in_values(v),
            Matcher::StringContains(s) => parse(s).map(only_references),
            Matcher::StringLikeRegexp(r) => parse(r.as_str())
                .map(only_references)
                .or_else(|_| Ok(Vec::new())),
            _ => Ok(Vec::new()),
        };
        match found {
            Ok(refs) => out.extend(refs),
            Err(e) => {
                problem.get_or_insert(e);
            }
        }
    });
    problem.map_or(Ok(out), Err)
}

fn only_references(pieces: Vec<Piece>) -> Vec<Piece> {
    pieces
        .into_iter()
        .filter(|p| !matches!(p, Piece::Text(_)))
        .collect()
}

/// References in the string values of a JSON value (not its keys).
fn references_in_values(v: &Value) -> Result<Vec<Piece>, TemplateError> {
    match v {
        Value::String(s) => parse(s).map(only_references),
        Value::Array(items) => items.iter().try_fold(Vec::new(), |mut acc, i| {
            acc.extend(references_in_values(i)?);
            Ok(acc)
        }),
        Value::Object(map) => map.values().try_fold(Vec::new(), |mut acc, i| {
            acc.extend(references_in_values(i)?);
            Ok(acc)
        }),
        _ => Ok(Vec::new()),
    }
}

/// The values of a JSON value's strings filled in (not its keys).
fn render_values(v: &Value, values: &dyn TemplateValues) -> Result<Value, TemplateError> {
    Ok(match v {
        Value::String(s) => render_str(s, values)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| render_values(i, values))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, i)| Ok((k.clone(), render_values(i, values)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

/// Text of a template's value: strings as they are, anything else as JSON.
fn as_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// The expectation with its templates filled in: every string of an
/// `exact` value (a whole-string template keeps its value's type),
/// `$contains`, and `$regex` (each value inserted as literal text).
pub fn render_matcher(m: &Matcher, values: &dyn TemplateValues) -> Result<Matcher, TemplateError> {
    let each = |ms: &[Matcher]| -> Result<Vec<Matcher>, TemplateError> {
        ms.iter().map(|m| render_matcher(m, values)).collect()
    };
    let boxed = |m: &Matcher| -> Result<Box<Matcher>, TemplateError> {
        Ok(Box::new(render_matcher(m, values)?))
    };
    let members = |map: &std::collections::BTreeMap<String, Matcher>| {
        map.iter()
            .map(|(k, m)| Ok((k.clone(), render_matcher(m, values)?)))
            .collect::<Result<_, TemplateError>>()
    };
    Ok(match m {
        Matcher::Exact(v) => Matcher::Exact(render_values(v, values)?),
        Matcher::StringContains(s) => Matcher::StringContains(as_text(render_str(s, values)?)),
        Matcher::StringLikeRegexp(r) if r.has_templates() => {
            let mut source = String::new();
            for piece in parse(r.as_str())? {
                match piece {
                    Piece::Text(t) => source.push_str(&t),
                    reference => {
                        source.push_str(&regex::escape(&as_text(lookup(&reference, values)?)))
                    }
                }
            }
            Matcher::StringLikeRegexp(RegexPattern::new(source).map_err(|e| {
                TemplateError::Unresolved(format!(
                    "`{}` with its templates filled in is not a regular expression: {e}",
                    r.as_str()
                ))
            })?)
        }
        Matcher::ObjectLike(map) => Matcher::ObjectLike(members(map)?),
        Matcher::ObjectEquals(map) => Matcher::ObjectEquals(members(map)?),
        Matcher::ArrayWith(ms) => Matcher::ArrayWith(each(ms)?),
        Matcher::ArrayEquals(ms) => Matcher::ArrayEquals(each(ms)?),
        Matcher::ArrayContaining(ms) => Matcher::ArrayContaining(each(ms)?),
        Matcher::AllOf(ms) => Matcher::AllOf(each(ms)?),
        Matcher::AnyOf(ms) => Matcher::AnyOf(each(ms)?),
        Matcher::Every(m) => Matcher::Every(boxed(m)?),
        Matcher::Length(m) => Matcher::Length(boxed(m)?),
        Matcher::Not(m) => Matcher::Not(boxed(m)?),
        Matcher::SerializedJson(m) => Matcher::SerializedJson(boxed(m)?),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Vals;
    impl TemplateValues for Vals {
        fn param(&self, name: &str) -> Option<Value> {
            (name == "TaskTableName").then(|| json!("TaskTable-abc"))
        }
        fn capture(&self, c: &CaptureRef) -> Option<Value> {
            match c.to_string().as_str() {
                "create.task_id" => Some(json!("t-1")),
                "create.turns" => Some(json!(7)),
                _ => None,
            }
        }
    }

    #[test]
    fn whole_string_templates_keep_their_type() {
        assert_eq!(render_str("${create.turns}", &Vals).unwrap(), json!(7));
        assert_eq!(
            render_str("turns=${create.turns}", &Vals).unwrap(),
            json!("turns=7")
        );
        assert_eq!(
            render(&json!({"TableName": "${TaskTableName}", "Key": {"task_id": {"S": "${create.task_id}"}}}), &Vals).unwrap(),
            json!({"TableName": "TaskTable-abc", "Key": {"task_id": {"S": "t-1"}}})
        );
    }

    #[test]
    fn escapes_and_plain_text() {
        assert_eq!(
            render_str("$${literal} and $.a.b and States.Format('{}')", &Vals).unwrap(),
            json!("${literal} and $.a.b and States.Format('{}')")
        );
        assert_eq!(parse("").unwrap(), [Piece::Text(String::new())]);
    }

    #[test]
    fn errors_name_the_reference() {
        assert!(matches!(
            parse("a ${b"),
            Err(TemplateError::Unclosed { at: 2, .. })
        ));
        assert!(
            parse("${a b}")
                .unwrap_err()
                .to_string()
                .contains("`${a b}`")
        );
        assert!(parse("${x.}").is_err());
        assert_eq!(
            render_str("${login.token}", &Vals).unwrap_err().to_string(),
            "no earlier step captured `login.token`"
        );
        let refs = references(&json!({"k${p}": ["${s.c}", 1]})).unwrap();
        assert_eq!(refs.len(), 2);
    }

    fn authored(v: Value) -> Matcher {
        crate::authoring::parse(&v).unwrap()
    }

    #[test]
    fn expectations_fill_in_their_strings() {
        let m = authored(json!({
            "id": "${create.task_id}",
            "turns": "${create.turns}",
            "label": "task ${create.task_id} of ${TaskTableName}",
            "note": {"$contains": "${create.task_id}"},
            "arn": {"$regex": "^${TaskTableName}/${create.task_id}$"},
            "literal": "$${create.task_id}",
            "list": ["${create.turns}"]
        }));
        let refs = matcher_references(&m).unwrap();
        assert_eq!(refs.len(), 8, "{refs:?}");
        let r = render_matcher(&m, &Vals).unwrap();
        let ctx = crate::EvalContext::new(crate::parse_rfc3339("2026-12-02T00:00:00Z").unwrap());
        let actual = json!({
            "id": "t-1",
            "turns": 7,
            "label": "task t-1 of TaskTable-abc",
            "note": "made t-1 today",
            "arn": "TaskTable-abc/t-1",
            "literal": "${create.task_id}",
            "list": [7]
        });
        let report = r.evaluate(&actual, &ctx);
        assert!(report.is_match(), "{report:?}");
        // A whole-string template keeps its type: 7, not "7".
        assert!(!r.evaluate(&json!({"turns": "7"}), &ctx).is_match());
    }

    #[test]
    fn a_value_in_a_regex_is_literal_text() {
        struct Dotted;
        impl TemplateValues for Dotted {
            fn param(&self, _: &str) -> Option<Value> {
                None
            }
            fn capture(&self, _: &CaptureRef) -> Option<Value> {
                Some(json!("a.b+c"))
            }
        }
        let m = authored(json!({"$regex": "^${s.v}$"}));
        let Matcher::StringLikeRegexp(p) = &m else {
            panic!()
        };
        assert!(
            p.has_templates() && !p.is_match("a.b+c"),
            "unfilled matches nothing"
        );
        let r = render_matcher(&m, &Dotted).unwrap();
        let ctx = crate::EvalContext::new(crate::parse_rfc3339("2026-12-02T00:00:00Z").unwrap());
        assert!(r.evaluate(&json!("a.b+c"), &ctx).is_match());
        assert!(!r.evaluate(&json!("axbbc"), &ctx).is_match());
        // The syntax around a template is still checked when read.
        assert!(crate::authoring::parse(&json!({"$regex": "(${s.v}"})).is_err());
    }

    #[test]
    fn missing_values_and_captures_in_string_matchers_say_what_to_write() {
        let m = authored(json!({"$contains": "${login.token}"}));
        assert_eq!(
            render_matcher(&m, &Vals).unwrap_err().to_string(),
            "no earlier step captured `login.token`"
        );
        let e = crate::authoring::parse(&json!({"$contains": {"$capture": "create.order_id"}}))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("to use a capture in it, write the template \"${create.order_id}\""),
            "{e}"
        );
    }
}
