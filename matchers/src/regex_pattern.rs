//! A regular expression that travels as its source text.

use std::borrow::Cow;
use std::fmt;

use regex::{Regex, RegexBuilder};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::template::Piece;

/// A compiled regular expression that compares, prints and serializes as the
/// source text the user wrote.
///
/// Matching is a search (the pattern may match anywhere; anchor it with `^`
/// and `$` to match the whole string) and `^`/`$` also match at line breaks,
/// as the anchor's `new RegExp(pattern, 'gm')` did. The syntax is the `regex`
/// crate's: no look-around and no back-references, which keeps every match
/// linear in the length of the string.
///
/// A pattern may name parameters and captures (`^${create.id}-`): such a
/// pattern is checked for syntax with each template standing for plain
/// text, and is compiled only once its templates are filled in
/// ([`crate::template::render_matcher`] inserts their values as literal
/// text). Until then it matches nothing.
#[derive(Clone)]
pub struct RegexPattern {
    source: String,
    /// `None` while the source has templates to fill in.
    regex: Option<Regex>,
}

fn compile(source: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source).multi_line(true).build()
}

impl RegexPattern {
    /// Compiles `source`; the error says what is wrong with it.
    pub fn new(source: impl Into<String>) -> Result<Self, regex::Error> {
        let source = source.into();
        match crate::template::parse(&source) {
            Ok(pieces) if pieces.iter().any(|p| !matches!(p, Piece::Text(_))) => {
                // The syntax around the templates, each standing for text.
                let probe: String = pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Text(t) => t.as_str(),
                        _ => "x",
                    })
                    .collect();
                compile(&probe)?;
                Ok(Self {
                    source,
                    regex: None,
                })
            }
            Ok(pieces) => {
                // `$${` is a literal `${`: compile the text with the escape
                // undone.
                let text: String = pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Text(t) => t.as_str(),
                        _ => "",
                    })
                    .collect();
                let regex = compile(&text)?;
                Ok(Self {
                    source,
                    regex: Some(regex),
                })
            }
            // Not template syntax (e.g. an unclosed `${`): a plain pattern.
            Err(_) => {
                let regex = compile(&source)?;
                Ok(Self {
                    source,
                    regex: Some(regex),
                })
            }
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern still has templates to fill in.
    pub fn has_templates(&self) -> bool {
        self.regex.is_none()
    }

    /// Whether the pattern matches anywhere in `haystack` (never while it
    /// has templates to fill in).
    pub fn is_match(&self, haystack: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(haystack))
    }
}

impl PartialEq for RegexPattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for RegexPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegexPattern({:?})", self.source)
    }
}

impl Serialize for RegexPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for RegexPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        RegexPattern::new(source).map_err(|e| serde::de::Error::custom(one_line(&e)))
    }
}

/// The regex crate's errors span several lines with a caret diagram; a
/// mismatch report and a Step Functions cause read better on one line.
pub(crate) fn one_line(e: &regex::Error) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.chars().all(|c| c == '^' || c == ' '))
        .collect();
    lines.join(" ")
}

impl JsonSchema for RegexPattern {
    fn schema_name() -> Cow<'static, str> {
        "RegexPattern".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "regex",
            "description": "A regular expression (Rust `regex` syntax), searched anywhere in the string, `^`/`$` matching at line breaks."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_and_is_multiline_like_the_anchor() {
        let p = RegexPattern::new(r"^\d{4}-").unwrap();
        assert!(p.is_match("2026-11-23"));
        assert!(p.is_match("first line\n2026-11-23"));
        assert!(!p.is_match("x2026-"));
        assert!(RegexPattern::new("abc").unwrap().is_match("xxabcxx"));
    }

    #[test]
    fn invalid_patterns_are_errors_on_one_line() {
        let err = serde_json::from_str::<RegexPattern>(r#""(?=x)""#).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("look-around"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
}
