//! `numeric` and `isType`.

use serde_json::Value;

use super::{Evaluator, Failure};
use crate::json_type::JsonType;
use crate::matcher::Matcher;
use crate::number::Num;
use crate::numeric::NumericRange;
use crate::render::{EXPECTED_MAX_CHARS, describe};
use crate::report::{Actual, MismatchKind};

/// A number, or a string holding one (DynamoDB sends `{"N": "42"}`), checked
/// against each bound.
pub(super) fn numeric(
    ev: &mut Evaluator<'_>,
    m: &Matcher,
    range: &NumericRange,
    v: &Value,
) -> bool {
    let n = match v {
        Value::Number(n) => Num::of(n),
        Value::String(s) => match Num::parse(s) {
            Some(n) => n,
            None => return ev.wrong_type(m, "a number or a string holding one", v),
        },
        _ => return ev.wrong_type(m, "a number", v),
    };
    let Some((op, bound)) = range.violated(n) else {
        return true;
    };
    ev.fail(|| {
        Failure::new(
            MismatchKind::OutOfRange,
            describe(m, EXPECTED_MAX_CHARS),
            Actual::of(v),
            format!(
                "{} is not {op} {bound}",
                match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }
            ),
        )
    })
}

pub(super) fn is_type(ev: &mut Evaluator<'_>, m: &Matcher, t: JsonType, v: &Value) -> bool {
    JsonType::of(v) == t || ev.wrong_type(m, t.with_article(), v)
}
