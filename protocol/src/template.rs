//! `${param}` and `${step.capture}` templates inside the strings of a call.
//!
//! A string that is exactly one template (`"${create.task_id}"`) becomes the
//! referenced value with its JSON type (a number stays a number); templates
//! inside longer text are spliced in as text. `$${` writes a literal `${`.

use serde_json::Value;
use vigil_matchers::CaptureRef;

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
}
