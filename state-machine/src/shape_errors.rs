//! Every shape error of a suite document, not only the first.
//!
//! serde stops at the first error, so a suite with a misspelt key in three
//! steps would be fixed in three rounds. Here each step, parameter and
//! permission is read on its own, and each one's failing member is taken
//! out and the rest read again, until it reads or nothing more can be
//! taken out; what is left of the suite is read the same way. Each error
//! keeps its path in the suite (`scenarios.a.steps[2].poll.timeut`), which
//! the caller turns into a line and column, and unknown keys and variants
//! get a "did you mean".

use serde::de::DeserializeOwned;
use serde_json::Value;
use vigil_matchers::suggest::closest;
use vigil_matchers::{Segment, authoring};

use crate::suite::{Param, Permission, Step, Suite};

/// Most errors reported for one document; past this the suite is likely
/// not a vigil suite at all.
const MAX_ERRORS: usize = 50;

/// One shape error: the path in the suite and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShapeError {
    pub path: String,
    pub message: String,
}

/// One step of a path, as serde_path_to_error saw it.
enum PathStep {
    Key(String),
    Index(usize),
}

fn join(prefix: &str, segments: &[PathStep]) -> String {
    let mut out = prefix.to_owned();
    for s in segments {
        match s {
            PathStep::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Reads `value` as `T`; on failure, the path inside `value` and serde's
/// message.
fn read<T: DeserializeOwned>(value: &Value) -> Result<T, (Vec<PathStep>, String)> {
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(value, &mut track);
    T::deserialize(de).map_err(|e: serde_json::Error| {
        let segments = track
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(PathStep::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(PathStep::Index(*index)),
                _ => None,
            })
            .collect();
        (segments, e.to_string())
    })
}

/// `unknown field `x`, expected one of `a`, `b`` (serde's words) -> the
/// unknown name and the names there are.
fn unknown(message: &str, what: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix(&format!("unknown {what} `"))?;
    let (name, rest) = rest.split_once('`')?;
    let known = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((name.to_owned(), known))
}

/// serde's message in vigil's words: unknown keys and variants with the
/// likely one and the ones there are.
fn reword(message: &str) -> String {
    if let Some((name, known)) = unknown(message, "field") {
        let list = known.join(", ");
        return match closest(&name, known.iter().map(String::as_str)) {
            Some(c) => format!("unknown key `{name}`; did you mean `{c}`? (keys here: {list})"),
            None if known.is_empty() => format!("unknown key `{name}`: nothing else goes here"),
            None => format!("unknown key `{name}` (keys here: {list})"),
        };
    }
    if let Some((name, known)) = unknown(message, "variant") {
        let list = known.join(", ");
        return match closest(&name, known.iter().map(String::as_str)) {
            Some(c) => format!("unknown value `{name}`; did you mean `{c}`? (one of: {list})"),
            None => format!("unknown value `{name}` (one of: {list})"),
        };
    }
    message.to_owned()
}

/// Removes the member at `at` (its last step a key); false when there is
/// none.
fn remove(value: &mut Value, at: &[PathStep]) -> bool {
    let Some((PathStep::Key(last), parent)) = at.split_last() else {
        return false;
    };
    match node(value, parent) {
        Some(Value::Object(map)) => map.remove(last).is_some(),
        _ => false,
    }
}

fn node<'a>(value: &'a mut Value, at: &[PathStep]) -> Option<&'a mut Value> {
    at.iter().try_fold(value, |v, s| match s {
        PathStep::Key(k) => v.get_mut(k.as_str()),
        PathStep::Index(i) => v.get_mut(*i),
    })
}

fn get<'a>(value: &'a Value, at: &[PathStep]) -> Option<&'a Value> {
    at.iter().try_fold(value, |v, s| match s {
        PathStep::Key(k) => v.get(k.as_str()),
        PathStep::Index(i) => v.get(*i),
    })
}

/// Every error of `value` read as `T`, each with its path under `prefix`;
/// true when there is none.
///
/// An unknown key is taken out and the rest read again. Any other error
/// takes out the whole member of `T` it is in (`call` for an error at
/// `call.kind`), so the next read goes on to the other members; the
/// "missing field" that this causes is not reported.
fn every<T: DeserializeOwned>(value: &Value, prefix: &str, out: &mut Vec<ShapeError>) -> bool {
    let mut value = value.clone();
    // Members taken out, and keys a misspelt key was probably meant to be:
    // their "missing field" says nothing new.
    let mut explained: Vec<String> = Vec::new();
    let mut clean = true;
    while out.len() < MAX_ERRORS {
        let Err((at, message)) = read::<T>(&value) else {
            break;
        };
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
            .map(|field| join("", &at) + "." + field);
        let said = missing.as_ref().is_some_and(|m| explained.contains(m));
        if !said {
            clean = false;
            out.push(located(&value, prefix, &at, &message));
        }
        let unknown_key = unknown(&message, "field");
        if let (Some((name, known)), Some((PathStep::Key(_), parent))) =
            (&unknown_key, at.split_last())
            && let Some(meant) = closest(name, known.iter().map(String::as_str))
        {
            explained.push(join("", parent) + "." + meant);
        }
        let unknown_key = unknown_key.is_some();
        let member = if unknown_key {
            &at[..]
        } else {
            &at[..at.len().min(1)]
        };
        if !remove(&mut value, member) {
            break;
        }
        if !unknown_key && let Some(PathStep::Key(k)) = member.first() {
            explained.push(format!(".{k}"));
        }
    }
    clean
}

/// The error at its path; an expectation's error goes down to the place
/// inside the pattern.
fn located(value: &Value, prefix: &str, at: &[PathStep], message: &str) -> ShapeError {
    if let (Some(PathStep::Key(k)), Some(pattern)) = (at.last(), get(value, at))
        && k == "expect"
        && let Err(e) = authoring::parse(pattern)
    {
        let mut path = join(prefix, at);
        for s in e.location.segments() {
            match s {
                Segment::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
                Segment::ParsedJson => {}
            }
        }
        return ShapeError {
            path,
            message: e.problem,
        };
    }
    ShapeError {
        path: join(prefix, at),
        message: reword(message),
    }
}

/// Every shape error of a suite document, in document order of its parts
/// (steps, then parameters and permissions, then the rest).
pub(crate) fn all(document: &Value) -> Vec<ShapeError> {
    let mut out = Vec::new();
    let mut rest = document.clone();
    if let Some(scenarios) = rest.get_mut("scenarios").and_then(Value::as_object_mut) {
        for (name, scenario) in scenarios.iter_mut() {
            let Some(steps) = scenario.get_mut("steps").and_then(Value::as_array_mut) else {
                continue;
            };
            let prefix = format!("scenarios.{name}.steps");
            let mut good = Vec::new();
            for (i, step) in steps.iter().enumerate() {
                if every::<Step>(step, &format!("{prefix}[{i}]"), &mut out) {
                    good.push(step.clone());
                }
            }
            // The steps that read stay, so the rest is read as a suite.
            *steps = good;
        }
    }
    if let Some(params) = rest.get_mut("params").and_then(Value::as_object_mut) {
        params.retain(|name, p| every::<Param>(p, &format!("params.{name}"), &mut out));
    }
    if let Some(permissions) = rest.get_mut("permissions").and_then(Value::as_array_mut) {
        let mut good = Vec::new();
        for (i, p) in permissions.iter().enumerate() {
            if every::<Permission>(p, &format!("permissions[{i}]"), &mut out) {
                good.push(p.clone());
            }
        }
        *permissions = good;
    }
    every::<Suite>(&rest, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(v: Value) -> Vec<String> {
        all(&v)
            .into_iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect()
    }

    const CALL: &str = "call";

    #[test]
    fn every_step_and_every_member_is_reported() {
        let call = json!({"kind": "aws", "service": "dynamodb", "operation": "GetItem"});
        let e = errors(json!({
            "suite": "s",
            "scenarios": {"a": {"steps": [
                {"id": "x", CALL: call, "selct": "$.Item", "poll": {"timeut": "5m"}},
                {"id": "y", CALL: call},
                {"id": "z", "cal": call, "expect": {"a": {"$regx": "b"}}},
            ]}},
            "parms": {},
        }));
        // Members in key order within an element (the caller sorts by
        // line); a key misspelt gets no second "missing field" about it.
        assert_eq!(
            e,
            [
                "scenarios.a.steps[0].poll.timeut: unknown key `timeut`; did you mean `timeout`? (keys here: timeout, min_delay, max_delay, jitter, micro_poll)",
                "scenarios.a.steps[0].selct: unknown key `selct`; did you mean `select`? (keys here: id, after, call, view, select, expect, capture, poll)",
                "scenarios.a.steps[2].cal: unknown key `cal`; did you mean `call`? (keys here: id, after, call, view, select, expect, capture, poll)",
                "scenarios.a.steps[2].expect.a.$regx: `$regx` is not a matcher tag; did you mean `$regex`? (To match a literal key `$regx`, wrap the object in {\"$objectLike\": {...}} or {\"$literal\": {...}})",
                "parms: unknown key `parms`; did you mean `params`? (keys here: suite, description, params, scenarios, permissions)",
            ]
        );
    }

    #[test]
    fn unknown_values_get_the_likely_one() {
        let e = errors(json!({
            "suite": "s",
            "scenarios": {"a": {"steps": [
                {"id": "x", CALL: {"kind": "awss", "service": "dynamodb", "operation": "GetItem"}},
            ]}},
        }));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("scenarios.a.steps[0].call"), "{e:?}");
        assert!(
            e[0].contains("unknown value `awss`; did you mean `aws`?"),
            "{e:?}"
        );
    }
}
