//! Parameter values for a local run: `--param` over the environment
//! variable a parameter names over its default.

use std::collections::BTreeMap;

use anyhow::bail;
use serde_json::Value;
use vigil_state_machine::Suite;

/// The `--param NAME=VALUE` values: a JSON value when the text parses as
/// one (numbers, booleans, objects), else the text; names not yet checked
/// (the suite is not read yet when poll durations need them).
pub fn pairs(overrides: &[String]) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut given = BTreeMap::new();
    for o in overrides {
        let Some((k, v)) = o.split_once('=') else {
            bail!("--param `{o}` is not NAME=VALUE");
        };
        let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()));
        given.insert(k.to_owned(), value);
    }
    Ok(given)
}

/// The `--param NAME=VALUE` values ([`pairs`]). Names must be declared.
pub fn given(suite: &Suite, overrides: &[String]) -> anyhow::Result<BTreeMap<String, Value>> {
    let given = pairs(overrides)?;
    for k in given.keys() {
        if !suite.params.keys().any(|p| p.as_str() == k) {
            bail!(
                "--param `{k}`: the suite declares no such parameter (it has: {})",
                suite
                    .params
                    .keys()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(given)
}

/// Every declared parameter's value; an error lists the ones that have none.
pub fn resolve(
    suite: &Suite,
    overrides: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<BTreeMap<String, Value>> {
    resolve_with_outputs(suite, overrides, &BTreeMap::new(), env)
}

/// Like [`resolve`], with the application stack's outputs binding the
/// parameters declared with `stack_output` (after `--param`, before `env`
/// and `default`: the same order as a deployed run).
pub fn resolve_with_outputs(
    suite: &Suite,
    overrides: &[String],
    outputs: &BTreeMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut given = given(suite, overrides)?;
    for (name, p) in &suite.params {
        if let Some(v) = p.stack_output.as_ref().and_then(|o| outputs.get(o))
            && !given.contains_key(name.as_str())
        {
            given.insert(name.to_string(), Value::String(v.clone()));
        }
    }
    let mut out = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, p) in &suite.params {
        let value = given
            .remove(name.as_str())
            .or_else(|| p.env.as_deref().and_then(env).map(Value::String))
            .or_else(|| p.default.clone());
        match value {
            Some(v) => {
                out.insert(name.to_string(), v);
            }
            None => missing.push(match (&p.env, &p.stack_output) {
                (Some(e), _) => format!("{name} (set {e} or --param {name}=...)"),
                (None, Some(o)) => format!("{name} (stack output {o}; pass --param {name}=...)"),
                _ => format!("{name} (pass --param {name}=...)"),
            }),
        }
    }
    if !missing.is_empty() {
        bail!("parameters without a value: {}", missing.join(", "));
    }
    Ok(out)
}
