//! Bounds for the `numeric` matcher.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Number;

use crate::number::{Num, compare};

/// A range of numbers: a lower bound (`gt` or `gte`), an upper bound (`lt` or
/// `lte`), or both. `between(lo, hi)` is `gte lo` and `lte hi`.
///
/// Constructed only through [`NumericRange::new`] (and its serde form), which
/// rejects an empty range, two lower or two upper bounds, and a range that no
/// number can satisfy: a pattern that can never match is a bug in the test,
/// and it is better reported at load time than after a 10-minute poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NumericBounds", into = "NumericBounds")]
pub struct NumericRange {
    bounds: NumericBounds,
}

/// The plain form of a [`NumericRange`], as it appears on the wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NumericBounds {
    /// Greater than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<Number>,
    /// Greater than or equal to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<Number>,
    /// Less than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<Number>,
    /// Less than or equal to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<Number>,
}

/// Why a set of bounds is not a usable range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// No bound at all.
    #[error("a numeric range needs at least one of gt, gte, lt, lte")]
    Empty,
    /// Both `gt` and `gte`, or both `lt` and `lte`.
    #[error(
        "a numeric range takes one lower bound (gt or gte) and one upper bound (lt or lte), not both {0} and {1}"
    )]
    DoubleBound(&'static str, &'static str),
    /// No number satisfies the range.
    #[error("the range {0} is empty: no number satisfies it")]
    Unsatisfiable(String),
}

impl NumericRange {
    /// Validates bounds.
    pub fn new(bounds: NumericBounds) -> Result<Self, RangeError> {
        let b = &bounds;
        if b.gt.is_none() && b.gte.is_none() && b.lt.is_none() && b.lte.is_none() {
            return Err(RangeError::Empty);
        }
        if b.gt.is_some() && b.gte.is_some() {
            return Err(RangeError::DoubleBound("gt", "gte"));
        }
        if b.lt.is_some() && b.lte.is_some() {
            return Err(RangeError::DoubleBound("lt", "lte"));
        }
        let lower =
            b.gt.as_ref()
                .map(|n| (n, true))
                .or(b.gte.as_ref().map(|n| (n, false)));
        let upper =
            b.lt.as_ref()
                .map(|n| (n, true))
                .or(b.lte.as_ref().map(|n| (n, false)));
        if let (Some((lo, lo_strict)), Some((hi, hi_strict))) = (lower, upper) {
            let ord = compare(Num::of(lo), Num::of(hi));
            let empty = match ord {
                Some(Ordering::Greater) | None => true,
                Some(Ordering::Equal) => lo_strict || hi_strict,
                Some(Ordering::Less) => false,
            };
            if empty {
                let range = NumericRange {
                    bounds: bounds.clone(),
                };
                return Err(RangeError::Unsatisfiable(range.to_string()));
            }
        }
        Ok(Self { bounds })
    }

    /// `lo <= x <= hi`.
    pub fn between(lo: impl Into<Number>, hi: impl Into<Number>) -> Result<Self, RangeError> {
        Self::new(NumericBounds {
            gte: Some(lo.into()),
            lte: Some(hi.into()),
            ..NumericBounds::default()
        })
    }

    /// The bounds.
    pub fn bounds(&self) -> &NumericBounds {
        &self.bounds
    }

    /// The first bound that `value` violates, if any, as (operator, bound).
    pub(crate) fn violated(&self, value: Num) -> Option<(&'static str, &Number)> {
        let b = &self.bounds;
        /// (operator, bound, what the comparison with the bound must give)
        type Check<'b> = (&'static str, &'b Option<Number>, fn(Ordering) -> bool);
        let checks: [Check<'_>; 4] = [
            (">", &b.gt, |o| o == Ordering::Greater),
            (">=", &b.gte, |o| o != Ordering::Less),
            ("<", &b.lt, |o| o == Ordering::Less),
            ("<=", &b.lte, |o| o != Ordering::Greater),
        ];
        checks.into_iter().find_map(|(op, bound, ok)| {
            let bound = bound.as_ref()?;
            match compare(value, Num::of(bound)) {
                Some(o) if ok(o) => None,
                _ => Some((op, bound)),
            }
        })
    }
}

impl TryFrom<NumericBounds> for NumericRange {
    type Error = RangeError;
    fn try_from(value: NumericBounds) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<NumericRange> for NumericBounds {
    fn from(value: NumericRange) -> Self {
        value.bounds
    }
}

impl fmt::Display for NumericRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.bounds;
        let parts: Vec<String> = [
            ("> ", &b.gt),
            (">= ", &b.gte),
            ("< ", &b.lt),
            ("<= ", &b.lte),
        ]
        .into_iter()
        .filter_map(|(op, n)| n.as_ref().map(|n| format!("{op}{n}")))
        .collect();
        f.write_str(&parts.join(" and "))
    }
}

impl JsonSchema for NumericRange {
    fn schema_name() -> Cow<'static, str> {
        NumericBounds::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = NumericBounds::json_schema(generator);
        schema.insert("minProperties".into(), 1.into());
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(json: &str) -> Result<NumericRange, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn checks_each_bound() {
        let r = NumericRange::between(1, 5).unwrap();
        assert_eq!(r.violated(Num::Int(1)), None);
        assert_eq!(r.violated(Num::Float(5.0)), None);
        assert_eq!(r.violated(Num::Int(6)).map(|(op, _)| op), Some("<="));
        assert_eq!(r.violated(Num::Float(0.5)).map(|(op, _)| op), Some(">="));
        let r = range(r#"{"gt": 0, "lt": 1}"#).unwrap();
        assert_eq!(r.violated(Num::Int(0)).map(|(op, _)| op), Some(">"));
        assert_eq!(r.to_string(), "> 0 and < 1");
    }

    #[test]
    fn rejects_bounds_that_cannot_be_meant() {
        assert!(range("{}").unwrap_err().contains("at least one"));
        assert!(
            range(r#"{"gt": 1, "gte": 1}"#)
                .unwrap_err()
                .contains("not both gt and gte")
        );
        assert!(
            range(r#"{"gte": 5, "lte": 3}"#)
                .unwrap_err()
                .contains(">= 5 and <= 3 is empty")
        );
        assert!(
            range(r#"{"gt": 3, "lte": 3}"#)
                .unwrap_err()
                .contains("is empty")
        );
        assert!(range(r#"{"gte": 3, "lte": 3}"#).is_ok());
        assert!(
            range(r#"{"gte": 3, "over": 3}"#)
                .unwrap_err()
                .contains("unknown field")
        );
    }
}
