//! `not`, `allOf`, `anyOf`.

use serde_json::Value;

use super::{Evaluator, Failure};
use crate::matcher::Matcher;
use crate::render::{EXPECTED_MAX_CHARS, describe};
use crate::report::{Actual, MismatchKind};

fn actual_of(v: Option<&Value>) -> Actual {
    v.map_or(Actual::Missing, Actual::of)
}

pub(super) fn not<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    inner: &'a Matcher,
    actual: Option<&Value>,
) -> bool {
    if !ev.probe(inner, actual) {
        return true;
    }
    ev.fail(|| {
        Failure::new(
            MismatchKind::UnexpectedMatch,
            describe(m, EXPECTED_MAX_CHARS),
            actual_of(actual),
            format!(
                "matches {}, which it must not",
                describe(inner, EXPECTED_MAX_CHARS)
            ),
        )
    })
}

/// Every inner matcher's mismatches are reported, each at its own path.
pub(super) fn all_of<'a>(
    ev: &mut Evaluator<'a>,
    list: &'a [Matcher],
    actual: Option<&Value>,
) -> bool {
    let mut ok = true;
    for inner in list {
        if !ev.eval(inner, actual) {
            ok = false;
            if !ev.reporting() {
                return false;
            }
        }
    }
    ok
}

/// One mismatch for the whole `anyOf`, with each alternative's mismatches as
/// details, so the reader sees why every alternative failed.
pub(super) fn any_of<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    list: &'a [Matcher],
    actual: Option<&Value>,
) -> bool {
    if list.iter().any(|alt| ev.probe(alt, actual)) {
        return true;
    }
    if !ev.rendering() {
        return ev.fail_unrendered();
    }
    let details = list
        .iter()
        .flat_map(|alt| ev.collect(alt, actual))
        .collect();
    ev.fail(|| {
        Failure::new(
            MismatchKind::NoAlternativeMatched,
            describe(m, EXPECTED_MAX_CHARS),
            actual_of(actual),
            format!("none of the {} alternatives matched", list.len()),
        )
        .details(details)
    })
}
