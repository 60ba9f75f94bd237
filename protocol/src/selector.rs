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

/// The deepest one filter may sit inside another (`$[?@.a[?@.b]]` nests
/// two). serde_json_path's parser backtracks once per nesting level, so its
/// time doubles with every level: 25 levels (a fuzzer's input) took minutes,
/// and the provider would time out on such a step instead of reporting it.
/// Real selectors nest one or two.
pub(crate) const MAX_FILTER_NESTING: usize = 4;

/// A string that vigil does not take as a selector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// Not an RFC 9535 JSONPath query.
    #[error("`{source_text}` is not an RFC 9535 JSONPath query: {message}")]
    Invalid {
        /// The query as written.
        source_text: String,
        /// The parser's explanation.
        message: String,
    },
    /// Filters nested deeper than [`MAX_FILTER_NESTING`].
    #[error(
        "`{source_text}` nests filters {depth} deep; vigil takes at most {MAX_FILTER_NESTING} \
         (parsing time doubles with each level)"
    )]
    TooDeep {
        /// The query as written.
        source_text: String,
        /// How deep its filters nest.
        depth: usize,
    },
}

impl Selector {
    /// Parses a query.
    pub fn parse(source: &str) -> Result<Self, SelectorError> {
        let depth = filter_nesting(source);
        if depth > MAX_FILTER_NESTING {
            return Err(SelectorError::TooDeep {
                source_text: source.to_owned(),
                depth,
            });
        }
        let path = JsonPath::parse(source).map_err(|e| SelectorError::Invalid {
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

/// How deep filter selectors nest, counting unclosed brackets too (the
/// parser backtracks through those just the same). Outside quoted names a
/// `?` can only start a filter selector; each `[...]` holding one is a
/// level.
fn filter_nesting(source: &str) -> usize {
    let mut chars = source.chars();
    let mut quote: Option<char> = None;
    // One entry per open bracket: whether it holds a filter.
    let mut open: Vec<bool> = Vec::new();
    let (mut depth, mut deepest) = (0usize, 0usize);
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
            '[' => open.push(false),
            ']' => depth -= usize::from(open.pop() == Some(true)),
            '?' => {
                if let Some(filter @ false) = open.last_mut() {
                    *filter = true;
                    depth += 1;
                    deepest = deepest.max(depth);
                }
            }
            _ => {}
        }
    }
    deepest
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

    fn nested(levels: usize) -> String {
        format!(
            "$.Items{}.id",
            "[?@.Items".repeat(levels) + &"]".repeat(levels)
        )
    }

    /// Found by the `provider_request` fuzz target (a timeout): a `select`
    /// whose filters nested ~25 deep, unclosed, kept the JSONPath parser
    /// busy for minutes; its time doubles with each level.
    #[test]
    fn filters_nested_deeper_than_the_limit_are_refused() {
        let ok = Selector::parse(&nested(MAX_FILTER_NESTING)).unwrap();
        assert!(!ok.is_singular());
        let deep = nested(MAX_FILTER_NESTING + 1);
        assert_eq!(
            Selector::parse(&deep).unwrap_err(),
            SelectorError::TooDeep {
                source_text: deep.clone(),
                depth: MAX_FILTER_NESTING + 1
            }
        );
        // The fuzzer's shape: many unclosed filters. Refused at once.
        let unclosed = format!("$.UserAttributes{}", "[?@.Name_".repeat(30));
        let started = std::time::Instant::now();
        let e = Selector::parse(&unclosed).unwrap_err();
        assert!(matches!(e, SelectorError::TooDeep { depth: 30, .. }), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            e.to_string().ends_with("nests filters 30 deep; vigil takes at most 4 (parsing time doubles with each level)"),
            "{e}"
        );
    }

    #[test]
    fn only_filter_brackets_outside_quotes_count() {
        assert_eq!(filter_nesting("$.a[0]['b'][*]"), 0);
        assert_eq!(filter_nesting("$[?@.a, ?@.b]"), 1);
        assert_eq!(filter_nesting("$[?@.a[?@.b]][?@.c]"), 2);
        assert_eq!(filter_nesting("$[?@['[?x'] == '[?[?']"), 1);
        assert_eq!(filter_nesting("$[?match(@.a, 'a?b\\'[?')]"), 1);
    }
}
