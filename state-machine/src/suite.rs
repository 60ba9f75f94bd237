//! The suite model: parameters and named scenarios of ordered steps.
//!
//! The same types are read from YAML or JSON suite files (matchers in the
//! authoring form) and built in Rust with [`crate::builder`]; both produce
//! the same [`Suite`] value.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use vigil_matchers::{AuthoredMatcher, CaptureName, Matcher, StepId};
use vigil_protocol::{AnswerView, Call, CaptureSpec, PollPolicy, Selector, StepSpec};

use crate::names::{ParamName, ScenarioName, SuiteName};

/// A suite: one state machine, its scenarios running as parallel branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The suite's name (names the state machine).
    pub suite: SuiteName,
    /// What the suite checks, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Run parameters, usable as `${name}` in any string of a call.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<ParamName, Param>,
    /// Independent scenarios; they run concurrently.
    pub scenarios: BTreeMap<ScenarioName, Scenario>,
    /// IAM statements the provider needs beyond what `vigil synth` derives
    /// from the calls (e.g. `execute-api:Invoke` on an API whose URL is a
    /// stack output). Exact actions only: no wildcards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
}

/// One IAM statement added to the provider's role by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// Exact IAM actions, e.g. `execute-api:Invoke`.
    pub actions: Vec<String>,
    /// Resource ARNs; `${param}` templates name parameters (bound at
    /// deploy time like the calls' templates).
    pub resources: Vec<String>,
    /// Why the suite needs it, for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Where a parameter's value comes from. The execution input overrides
/// everything; otherwise `stack_output` (bound at deploy time), then `env`
/// (read by `vigil local`/`vigil synth`), then `default`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// The value when nothing else provides one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// What a value given as text (`--param`, the `env` variable) is read
    /// as; without it, the type of `default`, else a string. So
    /// `--param OrderId=1001` stays the string `"1001"` that a DynamoDB
    /// `{S: "${OrderId}"}` needs.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<ParamType>,
    /// An environment variable to read it from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// An output of the application stack, e.g. `ApiUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_output: Option<String>,
    /// What it is, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

const PARAM_KEYS: [&str; 5] = ["default", "type", "env", "stack_output", "description"];

/// What a parameter's text value (from `--param` or the environment) is
/// read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// The text as it is.
    String,
    /// A JSON number (`1001`, `2.5`).
    Number,
    /// `true` or `false`.
    Boolean,
    /// Any JSON value (`{"a": 1}`, `[1, 2]`).
    Json,
}

impl ParamType {
    /// The type a parameter's text values are read as: `type`, else the
    /// type of its default (a number or a boolean), else a string.
    pub fn of(param: &Param) -> ParamType {
        param.r#type.unwrap_or(match &param.default {
            Some(Value::Number(_)) => ParamType::Number,
            Some(Value::Bool(_)) => ParamType::Boolean,
            Some(Value::Array(_) | Value::Object(_)) => ParamType::Json,
            _ => ParamType::String,
        })
    }

    /// `text` read as this type, or what it should have looked like.
    pub fn read(self, text: &str) -> Result<Value, String> {
        let parsed = || serde_json::from_str::<Value>(text.trim());
        match self {
            ParamType::String => Ok(Value::String(text.to_owned())),
            ParamType::Number => match parsed() {
                Ok(v @ Value::Number(_)) => Ok(v),
                _ => Err(format!("`{text}` is not a number")),
            },
            ParamType::Boolean => match parsed() {
                Ok(v @ Value::Bool(_)) => Ok(v),
                _ => Err(format!("`{text}` is not `true` or `false`")),
            },
            ParamType::Json => parsed().map_err(|e| format!("`{text}` is not JSON: {e}")),
        }
    }
}

impl<'de> Deserialize<'de> for Param {
    /// `{default, env, stack_output, description}` (any of them, or none:
    /// `{}` is a parameter whose value must come from the run, which is how
    /// `Param::default()` serializes), or a bare literal as the default
    /// (`Region: eu-west-1`).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match v {
            Value::Object(map) if map.keys().all(|k| PARAM_KEYS.contains(&k.as_str())) => {
                let text = |k: &str| -> Result<Option<String>, D::Error> {
                    match map.get(k) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s.clone())),
                        Some(other) => Err(serde::de::Error::custom(format!(
                            "`{k}` must be a string, got {other}"
                        ))),
                    }
                };
                let r#type = match map.get("type") {
                    None | Some(Value::Null) => None,
                    Some(t) => Some(serde_json::from_value(t.clone()).map_err(|_| {
                        serde::de::Error::custom(format!(
                            "`type` is one of string, number, boolean, json; got {t}"
                        ))
                    })?),
                };
                Ok(Param {
                    default: map.get("default").cloned(),
                    r#type,
                    env: text("env")?,
                    stack_output: text("stack_output")?,
                    description: text("description")?,
                })
            }
            Value::Object(map) => Err(serde::de::Error::custom(format!(
                "a parameter is either a literal default or an object with {}; this object has {}. \
                 For an object as default value, write {{default: {{...}}}}",
                PARAM_KEYS.join(", "),
                map.keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            literal => Ok(Param {
                default: Some(literal),
                ..Param::default()
            }),
        }
    }
}

/// A scenario: steps that run in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario checks, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique in the suite; captures are referred to as `<id>.<name>`.
    pub id: StepId,
    /// Steps of *other* scenarios that must have passed before this one
    /// starts (a cross-scenario wait; see the compiler for how it runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<StepId>,
    /// What to call.
    pub call: Call,
    /// `items`: a DynamoDB answer's items as plain JSON (`status:
    /// COMPLETED`, not `status: {S: COMPLETED}`) for `select`, `expect` and
    /// `capture`; `raw` (the default): as the service sent it.
    #[serde(default, skip_serializing_if = "AnswerView::is_raw")]
    pub view: AnswerView,
    /// Which part of the result to match (RFC 9535 JSONPath).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<Selector>,
    /// What the selection must look like (authoring form).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_authored",
        deserialize_with = "de_authored"
    )]
    #[schemars(with = "Option<AuthoredMatcher>")]
    pub expect: Option<Matcher>,
    /// Values to keep for later steps.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<CaptureName, CaptureSpec>,
    /// Repeat until matched or timed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<PollPolicy>,
}

fn ser_authored<S: Serializer>(m: &Option<Matcher>, s: S) -> Result<S::Ok, S::Error> {
    m.clone().map(AuthoredMatcher).serialize(s)
}

/// A present `expect` is a pattern, `null` included: `expect: null` means
/// "exactly null". Only a missing key means "no expectation" (serde's
/// `default`); reading `null` as missing passed any value silently.
fn de_authored<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Matcher>, D::Error> {
    Ok(Some(AuthoredMatcher::deserialize(d)?.0))
}

impl Step {
    /// What the provider receives for this step.
    pub fn spec(&self) -> StepSpec {
        StepSpec {
            id: self.id.clone(),
            call: self.call.clone(),
            view: self.view,
            select: self.select.clone(),
            expect: self.expect.clone(),
            capture: self.capture.clone(),
            poll: self.poll.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn param(v: Value) -> Result<Param, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    /// Caught by the `suite` fuzz target's read-back check: `{env: null}`
    /// read as a parameter with no source, which serialized as `{}`, which
    /// did not read back. A parameter without a source is legitimate (its value
    /// comes from `--param` or the execution input), so `{}` means it.
    #[test]
    fn a_parameter_without_a_source_reads_back() {
        assert_eq!(param(json!({})), Ok(Param::default()));
        assert_eq!(param(json!({"env": null})), Ok(Param::default()));
        let text = serde_json::to_value(Param::default()).unwrap();
        assert_eq!(text, json!({}));
        assert_eq!(param(text), Ok(Param::default()));
    }

    #[test]
    fn parameters_are_literals_or_their_own_keys() {
        assert_eq!(
            param(json!("eu-west-1")),
            Ok(Param {
                default: Some(json!("eu-west-1")),
                ..Param::default()
            })
        );
        let e = param(json!({"region": "eu-west-1"})).unwrap_err();
        assert!(e.contains("write {default: {...}}"), "{e}");
        let e = param(json!({"env": 3})).unwrap_err();
        assert!(e.contains("`env` must be a string"), "{e}");
    }
}
