//! `select` and `capture` paths: RFC 9535 JSONPath queries.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json_path::JsonPath;

/// A parsed JSONPath query that keeps its source text.
///
/// What a query yields depends only on how it is written, never on the data:
/// a *singular* query (only names and indexes, e.g. `$.Item.status.S`,
/// `$['Items'][0]`) yields the one node or nothing; any other query
/// (wildcards, slices, filters, descendants, unions) yields an array of every
/// node it reaches, possibly empty. So `$.Items[*].id` is an array even when
/// there is a single item.
#[derive(Clone)]
pub struct Selector {
    source: String,
    path: JsonPath,
    singular: bool,
}

/// A string that is not an RFC 9535 JSONPath query.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{source_text}` is not an RFC 9535 JSONPath query: {message}")]
pub struct SelectorError {
    /// The query as written.
    pub source_text: String,
    /// The parser's explanation.
    pub message: String,
}

impl Selector {
    /// Parses a query.
    pub fn parse(source: &str) -> Result<Self, SelectorError> {
        let path = JsonPath::parse(source).map_err(|e| SelectorError {
            source_text: source.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Self {
            singular: is_singular(source),
            source: source.to_owned(),
            path,
        })
    }

    /// The query as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the query can reach at most one node.
    pub fn is_singular(&self) -> bool {
        self.singular
    }

    /// Applies the query: the node (or `None`) for a singular query, an
    /// array of all nodes otherwise. A singular query borrows its node: a
    /// copy of a large answer's selected part would double the provider's
    /// peak memory for nothing.
    pub fn select<'v>(&self, value: &'v Value) -> Option<Cow<'v, Value>> {
        let nodes = self.path.query(value);
        if self.singular {
            nodes.at_most_one().ok().flatten().map(Cow::Borrowed)
        } else {
            Some(Cow::Owned(Value::Array(
                nodes.all().into_iter().cloned().collect(),
            )))
        }
    }
}

/// RFC 9535 §2.3.5.1: a singular query uses only name and index selectors.
/// Scans the source outside quoted names for anything else.
fn is_singular(source: &str) -> bool {
    let mut chars = source.chars().peekable();
    let mut quote: Option<char> = None;
    let mut prev = '\0';
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == '\\' {
                chars.next();
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '*' | ':' | '?' | ',' => return false,
            '.' if prev == '.' => return false,
            _ => {}
        }
        prev = c;
    }
    true
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Selector({:?})", self.source)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Serialize for Selector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Selector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Selector::parse(&source).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Selector {
    fn schema_name() -> Cow<'static, str> {
        "Selector".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^\\$",
            "description": "An RFC 9535 JSONPath query, e.g. $.Item.status.S or $.Items[*].task_id.S"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn singular_queries_yield_the_node_or_nothing() {
        let v = json!({"Item": {"status": {"S": "DONE"}}, "Items": [{"id": 1}]});
        let s = Selector::parse("$.Item.status.S").unwrap();
        assert!(s.is_singular());
        assert_eq!(s.select(&v).as_deref(), Some(&json!("DONE")));
        assert_eq!(
            Selector::parse("$.Item.nope")
                .unwrap()
                .select(&v)
                .as_deref(),
            None
        );
        assert_eq!(
            Selector::parse("$['Items'][0]['id']")
                .unwrap()
                .select(&v)
                .as_deref(),
            Some(&json!(1))
        );
        assert_eq!(
            Selector::parse("$").unwrap().select(&v).as_deref(),
            Some(&v)
        );
    }

    #[test]
    fn other_queries_always_yield_an_array() {
        let v = json!({"Items": [{"id": 1}], "a.b": {"*": 2}});
        for (q, want) in [
            ("$.Items[*].id", json!([1])),
            ("$..id", json!([1])),
            ("$.Items[0:1].id", json!([1])),
            ("$.Items[?@.id > 5]", json!([])),
        ] {
            let s = Selector::parse(q).unwrap();
            assert!(!s.is_singular(), "{q}");
            assert_eq!(s.select(&v).as_deref(), Some(&want), "{q}");
        }
        // Wildcard-looking characters inside quoted names do not count.
        let s = Selector::parse("$['a.b']['*']").unwrap();
        assert!(s.is_singular());
        assert_eq!(s.select(&v).as_deref(), Some(&json!(2)));
    }

    #[test]
    fn invalid_queries_are_explained() {
        let e = Selector::parse("$.Items[").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`$.Items[` is not an RFC 9535 JSONPath query"),
            "{e}"
        );
        assert!(serde_json::from_str::<Selector>("\"Item.status\"").is_err());
    }
}
