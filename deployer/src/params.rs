//! Parameter values for a local run: `--param` over the environment
//! variable a parameter names over its default.

use std::collections::BTreeMap;

use anyhow::bail;
use serde_json::Value;
use vigil_state_machine::{Param, ParamType, Suite};

/// The `--param NAME=VALUE` values as text; names not yet checked (the
/// suite is not read yet when poll durations need them).
pub(crate) fn pairs(overrides: &[String]) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut given = BTreeMap::new();
    for o in overrides {
        let Some((k, v)) = o.split_once('=') else {
            bail!("--param `{o}` is not NAME=VALUE");
        };
        given.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    Ok(given)
}

/// The `--param NAME=VALUE` values, each read as its parameter's type
/// ([`ParamType::of`]: a string unless the parameter says otherwise). Names
/// must be declared.
pub(crate) fn given(
    suite: &Suite,
    overrides: &[String],
) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut given = pairs(overrides)?;
    for (k, v) in given.iter_mut() {
        let Some((_, p)) = suite.params.iter().find(|(name, _)| name.as_str() == k) else {
            bail!(
                "--param `{k}`: the suite declares no such parameter (it has: {})",
                suite
                    .params
                    .keys()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        let text = v.as_str().unwrap_or_default().to_owned();
        *v = typed(k, p, &text, &format!("--param {k}"))?;
    }
    Ok(given)
}

/// A parameter's text value (from `--param` or the environment) as its
/// type, or an error that says where it came from and what was expected.
pub(crate) fn typed(name: &str, p: &Param, text: &str, from: &str) -> anyhow::Result<Value> {
    let t = ParamType::of(p);
    t.read(text).map_err(|e| {
        anyhow::anyhow!(
            "{from}: {e}; parameter `{name}` is read as {} ({})",
            serde_json::to_value(t)
                .unwrap_or_default()
                .as_str()
                .unwrap_or_default(),
            if p.r#type.is_some() {
                "its `type`"
            } else {
                "the type of its default"
            }
        )
    })
}

/// Every declared parameter's value; an error lists the ones that have none.
pub(crate) fn resolve(
    suite: &Suite,
    overrides: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<BTreeMap<String, Value>> {
    resolve_with_outputs(suite, overrides, &BTreeMap::new(), env)
}

/// Like [`resolve`], with the application stack's outputs binding the
/// parameters declared with `stack_output` (after `--param`, before `env`
/// and `default`: the same order as a deployed run).
pub(crate) fn resolve_with_outputs(
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
        let from_env = match p.env.as_deref().and_then(|e| env(e).map(|v| (e, v))) {
            Some((variable, text)) => {
                Some(typed(name.as_str(), p, &text, &format!("${variable}"))?)
            }
            None => None,
        };
        let value = given
            .remove(name.as_str())
            .or(from_env)
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

/// The process environment for synth, as text: variables whose name or
/// value is not UTF-8 are left out (`std::env::vars` would panic on them;
/// `std::env::var` reads them as unset, and so does this).
pub(crate) fn environment() -> std::collections::BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;
    use vigil_state_machine::{Format, parse};

    use super::*;

    fn suite() -> Suite {
        parse(
            "suite: s\nparams:\n  OrderId: {env: ORDER_ID}\n  Count: {type: number}\n  Limit: {default: 5, env: LIMIT}\n  Flag: {type: boolean}\n  Body: {type: json}\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: ListTables}}\n",
            Format::Yaml,
            Path::new("s.yaml"),
        )
        .unwrap()
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    /// `--param OrderId=1001` used to become the number 1001, so a
    /// DynamoDB `{S: "${OrderId}"}` silently found nothing.
    #[test]
    fn command_line_and_environment_values_are_text_unless_typed() {
        let s = suite();
        let given = given(
            &s,
            &args(&[
                "OrderId=1001",
                "Count=3",
                "Limit=7",
                "Flag=true",
                "Body={\"a\": [1]}",
            ]),
        )
        .unwrap();
        assert_eq!(given["OrderId"], json!("1001"));
        assert_eq!(given["Count"], json!(3));
        assert_eq!(given["Limit"], json!(7), "typed by its default");
        assert_eq!(given["Flag"], json!(true));
        assert_eq!(given["Body"], json!({"a": [1]}));

        let env = |k: &str| match k {
            "ORDER_ID" => Some("0042".to_owned()),
            "LIMIT" => Some("12".to_owned()),
            _ => None,
        };
        let all = resolve(&s, &args(&["Count=1", "Flag=false", "Body=null"]), &env).unwrap();
        assert_eq!(all["OrderId"], json!("0042"));
        assert_eq!(all["Limit"], json!(12));
    }

    #[test]
    fn a_value_that_is_not_its_type_says_where_it_came_from() {
        let s = suite();
        let e = given(&s, &args(&["Count=three"])).unwrap_err().to_string();
        assert_eq!(
            e,
            "--param Count: `three` is not a number; parameter `Count` is read as number (its `type`)"
        );
        let env = |k: &str| (k == "LIMIT").then(|| "lots".to_owned());
        let e = resolve(
            &s,
            &args(&["Count=1", "Flag=true", "Body=1", "OrderId=x"]),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "$LIMIT: `lots` is not a number; parameter `Limit` is read as number (the type of its default)"
        );
        let e = given(&s, &args(&["Flag=yes"])).unwrap_err().to_string();
        assert!(e.contains("`yes` is not `true` or `false`"), "{e}");
    }
}
