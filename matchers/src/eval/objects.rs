//! `objectLike` and `objectEquals`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Evaluator, Failure, Seg};
use crate::matcher::Matcher;
use crate::path::Segment;
use crate::report::{Actual, MismatchKind};

/// Matches each pattern member against the actual member of the same name
/// (a missing member is seen as missing, which only `absent` accepts); with
/// `strict`, members the pattern does not name are mismatches too.
pub(super) fn object<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    members: &'a BTreeMap<String, Matcher>,
    v: &Value,
    strict: bool,
) -> bool {
    let Value::Object(obj) = v else {
        return ev.wrong_type(m, "an object", v);
    };
    if !ev.reporting() {
        // A verdict needs no order, so the cheap members go first: a poll
        // that scans thousands of items usually rejects each on a scalar
        // (`status`) before it would reach a regex or a nested array.
        for cheap_pass in [true, false] {
            for (k, pm) in members {
                if is_cheap(pm) == cheap_pass && !ev.at(Seg::Key(k), |ev| ev.eval(pm, obj.get(k))) {
                    return false;
                }
            }
        }
        return !strict || obj.keys().all(|k| members.contains_key(k));
    }
    let mut ok = true;
    for (k, pm) in members {
        ok &= ev.at(Seg::Key(k), |ev| ev.eval(pm, obj.get(k)));
    }
    if strict {
        for (k, av) in obj.iter().filter(|(k, _)| !members.contains_key(*k)) {
            ok = ev.fail(|| {
                Failure::new(
                    MismatchKind::UnexpectedKey,
                    "(no such key)",
                    Actual::of(av),
                    format!(
                        "objectEquals does not allow the key {}",
                        Value::String(k.clone())
                    ),
                )
                .child(Segment::Key(k.clone()))
            });
        }
    }
    ok
}

/// Matchers that decide in constant time, or an object whose members all do
/// (so `{"S": "COMPLETED"}` counts as cheap).
fn is_cheap(m: &Matcher) -> bool {
    match m {
        Matcher::Exact(v) => !(v.is_object() || v.is_array()),
        Matcher::Present | Matcher::Absent | Matcher::IsType(_) | Matcher::Numeric(_) => true,
        Matcher::ObjectLike(map) => {
            map.len() <= 2
                && map.values().all(|m| match m {
                    Matcher::ObjectLike(_) => false,
                    other => is_cheap(other),
                })
        }
        _ => false,
    }
}
