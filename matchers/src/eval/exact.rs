//! `exact` and `equalsCapture`: deep equality that reports every difference.

use serde_json::Value;

use super::{Evaluator, Failure, Seg};
use crate::ids::CaptureRef;
use crate::json_type::JsonType;
use crate::matcher::Matcher;
use crate::number::numbers_equal;
use crate::path::Segment;
use crate::render::{EXPECTED_MAX_CHARS, describe, describe_value};
use crate::report::{Actual, MismatchKind};

/// Compares `actual` with `expected` member by member and element by
/// element, so a deep difference is reported at its own path rather than as
/// "these two 5 KB objects differ".
pub(super) fn exact<'a>(ev: &mut Evaluator<'a>, expected: &'a Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut ok = true;
            for (k, ev_) in e {
                let r = ev.at(Seg::Key(k), |ev| match a.get(k) {
                    Some(av) => exact(ev, ev_, av),
                    None => ev.fail(|| {
                        Failure::new(
                            MismatchKind::Missing,
                            describe_value(ev_, EXPECTED_MAX_CHARS),
                            Actual::Missing,
                            "the key is missing",
                        )
                    }),
                });
                if !r {
                    ok = false;
                    if !ev.reporting() {
                        return false;
                    }
                }
            }
            for (k, av) in a {
                if !e.contains_key(k) {
                    ok = false;
                    ev.fail(|| {
                        Failure::new(
                            MismatchKind::UnexpectedKey,
                            "(no such key)",
                            Actual::of(av),
                            format!("the exact value has no key {}", Value::String(k.clone())),
                        )
                        .child(Segment::Key(k.clone()))
                    });
                    if !ev.reporting() {
                        return false;
                    }
                }
            }
            ok
        }
        (Value::Array(e), Value::Array(a)) => {
            let mut ok = true;
            for (i, (ev_, av)) in e.iter().zip(a).enumerate() {
                if !ev.at(Seg::Index(i), |ev| exact(ev, ev_, av)) {
                    ok = false;
                    if !ev.reporting() {
                        return false;
                    }
                }
            }
            if e.len() != a.len() {
                ok = ev.fail(|| {
                    Failure::new(
                        MismatchKind::LengthDiffers,
                        describe_value(expected, EXPECTED_MAX_CHARS),
                        Actual::of(actual),
                        format!("expected {} elements, got {}", e.len(), a.len()),
                    )
                });
            }
            ok
        }
        (Value::Number(x), Value::Number(y)) => {
            numbers_equal(x, y) || not_equal(ev, expected, actual, "the numbers differ".into())
        }
        (Value::String(x), Value::String(y)) => {
            x == y || {
                let at = x.chars().zip(y.chars()).take_while(|(a, b)| a == b).count();
                not_equal(
                    ev,
                    expected,
                    actual,
                    format!("the strings first differ at character {at}"),
                )
            }
        }
        (Value::Bool(x), Value::Bool(y)) => {
            x == y || not_equal(ev, expected, actual, "the booleans differ".into())
        }
        (Value::Null, Value::Null) => true,
        _ => ev.fail(|| {
            Failure::new(
                MismatchKind::WrongType,
                describe_value(expected, EXPECTED_MAX_CHARS),
                Actual::of(actual),
                format!(
                    "expected {}, got {}",
                    JsonType::of(expected).with_article(),
                    JsonType::of(actual).with_article()
                ),
            )
        }),
    }
}

fn not_equal(ev: &mut Evaluator<'_>, expected: &Value, actual: &Value, reason: String) -> bool {
    ev.fail(|| {
        Failure::new(
            MismatchKind::NotEqual,
            describe_value(expected, EXPECTED_MAX_CHARS),
            Actual::of(actual),
            reason,
        )
    })
}

/// Equality with a captured value. Against a secret capture only the
/// verdict is computed: neither side of the difference is ever written.
pub(super) fn equals_capture<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    capture: &CaptureRef,
    actual: &Value,
) -> bool {
    let captures: &'a dyn crate::captures::CaptureLookup = ev.ctx.captures;
    let Some(captured) = captures.lookup(capture) else {
        return ev.fail(|| {
            Failure::new(
                MismatchKind::UnknownCapture,
                describe(m, EXPECTED_MAX_CHARS),
                Actual::of(actual),
                format!("no earlier step captured {capture}"),
            )
        });
    };
    if !captured.secret {
        return exact(ev, captured.value, actual);
    }
    let saved = ev.mode;
    ev.mode = super::Mode::Verdict;
    let ok = exact(ev, captured.value, actual);
    ev.mode = saved;
    ok || ev.fail(|| {
        Failure::new(
            MismatchKind::NotEqual,
            format!("equalsCapture({capture}) <secret>"),
            Actual::Redacted,
            format!("differs from the secret capture {capture}"),
        )
    })
}
