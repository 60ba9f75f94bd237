//! The `Matcher` type: what an actual value is expected to look like.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::CaptureRef;
use crate::json_type::JsonType;
use crate::numeric::NumericRange;
use crate::path::ValuePath;
use crate::pattern_error::PatternError;
use crate::regex_pattern::RegexPattern;
use crate::timestamp::TimestampSpec;

/// A typed, arbitrarily nestable expectation about a JSON value.
///
/// The serde representation of this type **is** vigil's canonical wire
/// format: every node is tagged (`{"objectLike": {...}}`), literals appear
/// only inside `exact`, and so no user value can ever be mistaken for a
/// matcher. Suite files use the shorter [authoring form](crate::authoring),
/// which decodes to the same values.
///
/// ```
/// use vigil_matchers::{Matcher, EvalContext};
/// use serde_json::json;
///
/// let pattern = Matcher::object_like([
///     ("status", Matcher::exact("COMPLETED")),
///     ("task_id", Matcher::regex("^[0-9a-f-]{36}$").unwrap()),
///     ("error_message", Matcher::absent()),
/// ]);
/// let actual = json!({"status": "RUNNING", "task_id": "nope", "extra": 1});
/// let report = pattern.evaluate(&actual, &EvalContext::at_system_time());
/// assert_eq!(report.mismatches().len(), 2);
/// assert_eq!(report.mismatches()[0].path.to_string(), "$['status']");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    description = "A vigil matcher in the canonical wire format: every node is tagged, literals appear only inside `exact`."
)]
pub enum Matcher {
    /// Deep equality. Numbers compare by value (`1` equals `1.0`), objects
    /// must have exactly the same keys, arrays the same elements in order.
    Exact(Value),
    /// An object holding at least these keys, each matching its matcher;
    /// other keys are ignored. A key whose matcher is `absent` must be missing.
    ObjectLike(BTreeMap<String, Matcher>),
    /// An object holding exactly these keys (keys matched by `absent` may be
    /// missing), each matching its matcher.
    ObjectEquals(BTreeMap<String, Matcher>),
    /// An array containing elements that match these matchers in this order,
    /// not necessarily next to each other (an ordered subsequence).
    ArrayWith(Vec<Matcher>),
    /// An array of exactly this many elements, matched position by position.
    ArrayEquals(Vec<Matcher>),
    /// An array in which each of these matchers matches a different element,
    /// in any order.
    ArrayContaining(Vec<Matcher>),
    /// An array whose every element matches (an empty array matches).
    Every(Box<Matcher>),
    /// An array, string or object whose length (elements, Unicode scalar
    /// values, members) matches the inner matcher, e.g. `exact(3)`.
    Length(Box<Matcher>),
    /// A string in which the regular expression finds a match.
    StringLikeRegexp(RegexPattern),
    /// A string that contains this substring.
    StringContains(String),
    /// Any value, `null` included; fails only when the key is missing.
    Present,
    /// The key must be missing.
    Absent,
    /// Fails when the inner matcher matches.
    Not(Box<Matcher>),
    /// Every inner matcher matches.
    AllOf(Vec<Matcher>),
    /// At least one inner matcher matches.
    AnyOf(Vec<Matcher>),
    /// A number (or a string holding one, like DynamoDB's `N`) inside a range.
    Numeric(NumericRange),
    /// A value of this JSON type.
    IsType(JsonType),
    /// A string holding JSON whose parsed value matches the inner matcher
    /// (partially, when the inner matcher is partial).
    SerializedJson(Box<Matcher>),
    /// A timestamp (RFC 3339, a date, or epoch seconds or milliseconds)
    /// that satisfies the constraints.
    Timestamp(TimestampSpec),
    /// Equal (as `exact`) to a value captured by an earlier step.
    EqualsCapture(CaptureRef),
}

impl Matcher {
    /// Deep equality with a JSON value.
    pub fn exact(value: impl Into<Value>) -> Self {
        Matcher::Exact(value.into())
    }

    /// The meaning of a plain JSON literal inside a pattern: an object is
    /// `objectLike` of its members, an array `arrayEquals` of its elements, a
    /// scalar `exact`; nothing inside is read as a matcher tag.
    pub fn literal(value: &Value) -> Self {
        match value {
            Value::Object(map) => Matcher::ObjectLike(
                map.iter()
                    .map(|(k, v)| (k.clone(), Matcher::literal(v)))
                    .collect(),
            ),
            Value::Array(items) => {
                Matcher::ArrayEquals(items.iter().map(Matcher::literal).collect())
            }
            scalar => Matcher::Exact(scalar.clone()),
        }
    }

    /// `objectLike` from (key, matcher) pairs.
    pub fn object_like<K: Into<String>>(members: impl IntoIterator<Item = (K, Matcher)>) -> Self {
        Matcher::ObjectLike(members.into_iter().map(|(k, m)| (k.into(), m)).collect())
    }

    /// `objectEquals` from (key, matcher) pairs.
    pub fn object_equals<K: Into<String>>(members: impl IntoIterator<Item = (K, Matcher)>) -> Self {
        Matcher::ObjectEquals(members.into_iter().map(|(k, m)| (k.into(), m)).collect())
    }

    /// `arrayWith`: an ordered subsequence.
    pub fn array_with(elements: impl IntoIterator<Item = Matcher>) -> Self {
        Matcher::ArrayWith(elements.into_iter().collect())
    }

    /// `arrayEquals`: exactly these elements in this order.
    pub fn array_equals(elements: impl IntoIterator<Item = Matcher>) -> Self {
        Matcher::ArrayEquals(elements.into_iter().collect())
    }

    /// `arrayContaining`: each matches a distinct element, in any order.
    pub fn array_containing(elements: impl IntoIterator<Item = Matcher>) -> Self {
        Matcher::ArrayContaining(elements.into_iter().collect())
    }

    /// `every`: all elements match.
    pub fn every(element: Matcher) -> Self {
        Matcher::Every(Box::new(element))
    }

    /// `length`: the length matches.
    pub fn length(length: Matcher) -> Self {
        Matcher::Length(Box::new(length))
    }

    /// `stringLikeRegexp`; fails when the expression does not compile.
    pub fn regex(pattern: &str) -> Result<Self, regex::Error> {
        Ok(Matcher::StringLikeRegexp(RegexPattern::new(pattern)?))
    }

    /// `stringContains`.
    pub fn contains(needle: impl Into<String>) -> Self {
        Matcher::StringContains(needle.into())
    }

    /// `present`: any value.
    pub fn present() -> Self {
        Matcher::Present
    }

    /// `absent`: the key is missing.
    pub fn absent() -> Self {
        Matcher::Absent
    }

    /// `not`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(inner: Matcher) -> Self {
        Matcher::Not(Box::new(inner))
    }

    /// `allOf`.
    pub fn all_of(matchers: impl IntoIterator<Item = Matcher>) -> Self {
        Matcher::AllOf(matchers.into_iter().collect())
    }

    /// `anyOf`.
    pub fn any_of(matchers: impl IntoIterator<Item = Matcher>) -> Self {
        Matcher::AnyOf(matchers.into_iter().collect())
    }

    /// `numeric`.
    pub fn numeric(range: NumericRange) -> Self {
        Matcher::Numeric(range)
    }

    /// `isType`.
    pub fn is_type(t: JsonType) -> Self {
        Matcher::IsType(t)
    }

    /// `serializedJson`.
    pub fn serialized_json(inner: Matcher) -> Self {
        Matcher::SerializedJson(Box::new(inner))
    }

    /// `timestamp`.
    pub fn timestamp(spec: TimestampSpec) -> Self {
        Matcher::Timestamp(spec)
    }

    /// `equalsCapture`.
    pub fn equals_capture(capture: CaptureRef) -> Self {
        Matcher::EqualsCapture(capture)
    }

    /// The name used by the wire format and in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Matcher::Exact(_) => "exact",
            Matcher::ObjectLike(_) => "objectLike",
            Matcher::ObjectEquals(_) => "objectEquals",
            Matcher::ArrayWith(_) => "arrayWith",
            Matcher::ArrayEquals(_) => "arrayEquals",
            Matcher::ArrayContaining(_) => "arrayContaining",
            Matcher::Every(_) => "every",
            Matcher::Length(_) => "length",
            Matcher::StringLikeRegexp(_) => "stringLikeRegexp",
            Matcher::StringContains(_) => "stringContains",
            Matcher::Present => "present",
            Matcher::Absent => "absent",
            Matcher::Not(_) => "not",
            Matcher::AllOf(_) => "allOf",
            Matcher::AnyOf(_) => "anyOf",
            Matcher::Numeric(_) => "numeric",
            Matcher::IsType(_) => "isType",
            Matcher::SerializedJson(_) => "serializedJson",
            Matcher::Timestamp(_) => "timestamp",
            Matcher::EqualsCapture(_) => "equalsCapture",
        }
    }

    /// Every capture this matcher compares with, for the suite validator
    /// (a reference to a capture that no earlier step makes is an error).
    pub fn capture_refs(&self) -> Vec<&CaptureRef> {
        let mut out = Vec::new();
        self.walk(&mut |m| match m {
            Matcher::EqualsCapture(c) => out.push(c),
            Matcher::Timestamp(spec) => {
                use crate::timestamp::TimeRef;
                if let Some(TimeRef::Capture(c)) = &spec.before {
                    out.push(c);
                }
                if let Some(TimeRef::Capture(c)) = &spec.after {
                    out.push(c);
                }
                if let Some(w) = &spec.within
                    && let TimeRef::Capture(c) = &w.of
                {
                    out.push(c);
                }
            }
            _ => {}
        });
        out
    }

    /// Visits this matcher and all nested ones, parents first.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Matcher)) {
        visit(self);
        match self {
            Matcher::ObjectLike(map) | Matcher::ObjectEquals(map) => {
                map.values().for_each(|m| m.walk(visit))
            }
            Matcher::ArrayWith(list)
            | Matcher::ArrayEquals(list)
            | Matcher::ArrayContaining(list)
            | Matcher::AllOf(list)
            | Matcher::AnyOf(list) => list.iter().for_each(|m| m.walk(visit)),
            Matcher::Every(m)
            | Matcher::Length(m)
            | Matcher::Not(m)
            | Matcher::SerializedJson(m) => m.walk(visit),
            _ => {}
        }
    }

    /// Rejects patterns that are well-formed but can never be meant: an
    /// `absent` (or an `anyOf`/`allOf`/`not` resting on one) where the value
    /// always exists: an array element, a length, the inside of a parsed JSON
    /// string. The anchor threw at run time for `absent` in `arrayWith`; we
    /// say so when the suite is loaded, with the path.
    pub fn validate(&self) -> Result<(), PatternError> {
        self.validate_at(&mut ValuePath::root(), true)
    }

    fn validate_at(&self, at: &mut ValuePath, may_be_missing: bool) -> Result<(), PatternError> {
        let child = |at: &ValuePath, seg: &str| at.clone().key(seg);
        match self {
            Matcher::Absent if !may_be_missing => Err(PatternError::new(
                at,
                "`absent` can only describe an object member or the whole selection: \
                 array elements, lengths and parsed JSON always exist",
            )),
            Matcher::ObjectLike(map) | Matcher::ObjectEquals(map) => {
                for (k, m) in map {
                    m.validate_at(&mut child(at, k), true)?;
                }
                Ok(())
            }
            Matcher::ArrayWith(list)
            | Matcher::ArrayEquals(list)
            | Matcher::ArrayContaining(list) => {
                for (i, m) in list.iter().enumerate() {
                    m.validate_at(&mut at.clone().index(i), false)?;
                }
                Ok(())
            }
            Matcher::AllOf(list) | Matcher::AnyOf(list) => {
                for (i, m) in list.iter().enumerate() {
                    m.validate_at(&mut at.clone().index(i), may_be_missing)?;
                }
                Ok(())
            }
            Matcher::Not(m) => m.validate_at(at, may_be_missing),
            Matcher::Every(m) | Matcher::Length(m) | Matcher::SerializedJson(m) => {
                m.validate_at(at, false)
            }
            _ => Ok(()),
        }
    }
}

impl From<Value> for Matcher {
    /// A JSON value used as a pattern means [`Matcher::literal`].
    fn from(value: Value) -> Self {
        Matcher::literal(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_follow_the_anchor() {
        let m = Matcher::literal(&json!({"a": {"b": [1, {"c": null}]}, "$x": "y"}));
        assert_eq!(
            m,
            Matcher::object_like([
                ("$x", Matcher::exact("y")),
                (
                    "a",
                    Matcher::object_like([(
                        "b",
                        Matcher::array_equals([
                            Matcher::exact(1),
                            Matcher::object_like([("c", Matcher::exact(Value::Null))]),
                        ])
                    )])
                ),
            ])
        );
    }

    #[test]
    fn absent_where_a_value_always_exists_is_rejected_with_its_path() {
        let m = Matcher::object_like([("items", Matcher::array_with([Matcher::absent()]))]);
        let err = m.validate().unwrap_err();
        assert_eq!(err.location.to_string(), "$['items'][0]");
        let ok = Matcher::object_like([(
            "gone",
            Matcher::any_of([Matcher::absent(), Matcher::exact(Value::Null)]),
        )]);
        assert!(ok.validate().is_ok());
        assert!(
            Matcher::every(Matcher::not(Matcher::absent()))
                .validate()
                .is_err()
        );
    }

    #[test]
    fn collects_capture_references() {
        let m = Matcher::object_like([
            (
                "id",
                Matcher::equals_capture("create.task_id".parse().unwrap()),
            ),
            (
                "at",
                Matcher::timestamp(TimestampSpec {
                    after: Some(crate::timestamp::TimeRef::Capture(
                        "create.created_at".parse().unwrap(),
                    )),
                    ..TimestampSpec::default()
                }),
            ),
        ]);
        let refs: Vec<String> = m.capture_refs().iter().map(|c| c.to_string()).collect();
        assert_eq!(refs, ["create.created_at", "create.task_id"]);
    }
}
