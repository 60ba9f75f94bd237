//! The canonical wire format: decode and encode with located errors.
//!
//! This is the form the compiler embeds (as a string) in the state machine
//! and the provider decodes from its Lambda event. It is plain serde on
//! [`Matcher`]; these helpers add what serde alone does not: the path of a
//! bad node in the error, and the semantic checks of [`Matcher::validate`].

use serde_json::Value;

use crate::matcher::Matcher;
use crate::pattern_error::PatternError;

/// Why a canonical matcher could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The text is not JSON, or a node does not have the canonical shape.
    #[error("matcher does not decode at `{path}`: {message}")]
    Shape {
        /// Where, in serde's dotted notation (`objectLike.Item.exact`).
        path: String,
        /// serde's message, e.g. "unknown variant `objectLik`, expected one of ...".
        message: String,
    },
    /// The matcher decodes but can never be meant.
    #[error(transparent)]
    Invalid(#[from] PatternError),
}

/// Decodes a canonical matcher from JSON text.
pub fn decode(text: &str) -> Result<Matcher, WireError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let m: Matcher = serde_path_to_error::deserialize(de).map_err(shape)?;
    m.validate()?;
    Ok(m)
}

/// Decodes a canonical matcher from a JSON value.
pub fn decode_value(value: &Value) -> Result<Matcher, WireError> {
    let m: Matcher = serde_path_to_error::deserialize(value).map_err(shape)?;
    m.validate()?;
    Ok(m)
}

fn shape<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> WireError {
    WireError::Shape {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    }
}

/// Encodes a matcher in the canonical form (deterministic: object members
/// sorted by key, no whitespace).
pub fn encode(m: &Matcher) -> String {
    // Serializing a Matcher cannot fail: every map key is a string and every
    // number is finite.
    serde_json::to_string(m).unwrap_or_default()
}

/// The canonical form as a JSON value.
pub fn encode_value(m: &Matcher) -> Value {
    serde_json::to_value(m).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_is_fully_tagged() {
        let m = Matcher::object_like([
            ("$regex", Matcher::exact(json!({"a": null}))),
            ("n", Matcher::absent()),
        ]);
        assert_eq!(
            encode(&m),
            r#"{"objectLike":{"$regex":{"exact":{"a":null}},"n":"absent"}}"#
        );
        assert_eq!(decode(&encode(&m)).unwrap(), m);
    }

    #[test]
    fn errors_carry_the_path() {
        let e = decode(r#"{"objectLike": {"Item": {"objectLik": {}}}}"#).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("matcher does not decode at `objectLike.Item`"),
            "{text}"
        );
        assert!(text.contains("unknown variant `objectLik`"), "{text}");
        let e = decode(r#"{"stringLikeRegexp": "("}"#).unwrap_err();
        assert!(e.to_string().contains("unclosed group"), "{e}");
        let e = decode(r#"{"every": "absent"}"#).unwrap_err();
        assert!(matches!(e, WireError::Invalid(_)), "{e}");
    }
}
