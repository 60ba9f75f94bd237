//! Where in the actual value a mismatch sits, as an RFC 9535 normalized path.
//!
//! Normalized paths (`$['Item']['status']['S']`, `$['Items'][3]`) are the one
//! JSONPath spelling that is unambiguous for every key, including keys with
//! quotes, dots, `$` or control characters, so a user can paste them into any
//! RFC 9535 tool. The only extension is the step into a JSON document held in
//! a string (`serializedJson`), written ` (parsed JSON) ` followed by the
//! normalized path inside that document.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Marker that separates the path to a string from the path inside the JSON
/// document that the string holds.
pub const PARSED_JSON_MARKER: &str = " (parsed JSON) ";

/// One step of a [`ValuePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A member of an object.
    Key(String),
    /// An element of an array.
    Index(usize),
    /// Into the JSON document held by the string at this point.
    ParsedJson,
}

/// A location inside a JSON value (or inside JSON held in its strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ValuePath(Vec<Segment>);

impl ValuePath {
    /// The root, `$`.
    pub fn root() -> Self {
        Self::default()
    }

    /// Builds a path from its segments.
    pub fn from_segments(segments: Vec<Segment>) -> Self {
        Self(segments)
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// This path extended by one member.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Segment::Key(key.into()));
        self
    }

    /// This path extended by one array index.
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }

    /// Appends a segment in place.
    pub fn push(&mut self, segment: Segment) {
        self.0.push(segment);
    }
}

/// Writes a member name as RFC 9535 §2.7 prescribes for normalized paths.
fn write_name(out: &mut impl fmt::Write, name: &str) -> fmt::Result {
    out.write_str("['")?;
    for c in name.chars() {
        match c {
            '\'' => out.write_str("\\'")?,
            '\\' => out.write_str("\\\\")?,
            '\u{8}' => out.write_str("\\b")?,
            '\u{c}' => out.write_str("\\f")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_str("']")
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('$')?;
        for s in &self.0 {
            match s {
                Segment::Key(k) => write_name(f, k)?,
                Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::ParsedJson => {
                    f.write_str(PARSED_JSON_MARKER)?;
                    f.write_char('$')?;
                }
            }
        }
        Ok(())
    }
}

/// A string that is not a normalized path as [`ValuePath`] prints it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a normalized JSON path: {problem} at byte {at}")]
pub struct PathParseError {
    text: String,
    problem: &'static str,
    at: usize,
}

impl FromStr for ValuePath {
    type Err = PathParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |problem, at| PathParseError {
            text: text.to_owned(),
            problem,
            at,
        };
        let bytes = text.as_bytes();
        if bytes.first() != Some(&b'$') {
            return Err(err("expected `$`", 0));
        }
        let mut segments = Vec::new();
        let mut i = 1;
        while i < bytes.len() {
            if text[i..].starts_with(PARSED_JSON_MARKER) {
                i += PARSED_JSON_MARKER.len();
                if bytes.get(i) != Some(&b'$') {
                    return Err(err("expected `$` after the parsed-JSON marker", i));
                }
                i += 1;
                segments.push(Segment::ParsedJson);
                continue;
            }
            if bytes[i] != b'[' {
                return Err(err("expected `[`", i));
            }
            i += 1;
            if bytes.get(i) == Some(&b'\'') {
                i += 1;
                let mut name = String::new();
                let mut chars = text[i..].char_indices();
                loop {
                    let Some((off, c)) = chars.next() else {
                        return Err(err("unterminated name", text.len()));
                    };
                    match c {
                        '\'' => {
                            i += off + 1;
                            break;
                        }
                        '\\' => {
                            let Some((off2, e)) = chars.next() else {
                                return Err(err("unterminated escape", text.len()));
                            };
                            match e {
                                '\'' => name.push('\''),
                                '\\' => name.push('\\'),
                                'b' => name.push('\u{8}'),
                                'f' => name.push('\u{c}'),
                                'n' => name.push('\n'),
                                'r' => name.push('\r'),
                                't' => name.push('\t'),
                                'u' => {
                                    let start = i + off2 + 1;
                                    let hex = text
                                        .get(start..start + 4)
                                        .ok_or_else(|| err("short \\u escape", start))?;
                                    let code = u32::from_str_radix(hex, 16)
                                        .map_err(|_| err("bad \\u escape", start))?;
                                    name.push(
                                        char::from_u32(code)
                                            .ok_or_else(|| err("bad \\u escape", start))?,
                                    );
                                    for _ in 0..4 {
                                        chars.next();
                                    }
                                }
                                _ => return Err(err("unknown escape", i + off2)),
                            }
                        }
                        c => name.push(c),
                    }
                }
                if bytes.get(i) != Some(&b']') {
                    return Err(err("expected `]`", i));
                }
                i += 1;
                segments.push(Segment::Key(name));
            } else {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let index = text[start..i]
                    .parse()
                    .map_err(|_| err("expected an index or a quoted name", start))?;
                if bytes.get(i) != Some(&b']') {
                    return Err(err("expected `]`", i));
                }
                i += 1;
                segments.push(Segment::Index(index));
            }
        }
        Ok(Self(segments))
    }
}

impl Serialize for ValuePath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ValuePath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for ValuePath {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ValuePath".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "An RFC 9535 normalized path such as $['Item']['status']['S']; ' (parsed JSON) $' steps into JSON held in a string."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_normalized_paths() {
        let p = ValuePath::root().key("Item").key("status").key("S");
        assert_eq!(p.to_string(), "$['Item']['status']['S']");
        let p = ValuePath::root().key("Items").index(3).key("it's\\\n\u{1}");
        assert_eq!(p.to_string(), r"$['Items'][3]['it\'s\\\n\u0001']");
        assert_eq!(ValuePath::root().to_string(), "$");
    }

    #[test]
    fn parsed_json_marker() {
        let mut p = ValuePath::root().key("body");
        p.push(Segment::ParsedJson);
        let p = p.key("status");
        assert_eq!(p.to_string(), "$['body'] (parsed JSON) $['status']");
        assert_eq!(p.to_string().parse::<ValuePath>().unwrap(), p);
    }

    #[test]
    fn parses_what_it_prints() {
        for text in [
            "$",
            "$[0]",
            "$['a']['b'][12]",
            r"$['\'\\\b\f\n\r\t\u001f']",
            "$['ünï €']['.$'][0]",
        ] {
            let p: ValuePath = text.parse().unwrap();
            assert_eq!(p.to_string(), text);
        }
    }

    #[test]
    fn rejects_what_is_not_a_normalized_path() {
        for bad in ["", "a", "$.a", "$['a'", "$[x]", "$['a\\q']", "$[1"] {
            assert!(bad.parse::<ValuePath>().is_err(), "{bad}");
        }
    }
}
