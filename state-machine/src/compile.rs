//! Suite -> Amazon States Language (JSONPath mode; no JSONata, which no
//! local engine runs).
//!
//! Shape, per docs/DESIGN.md:
//!
//! * `Parameters` (a Pass holding the defaults) -> a Choice on whether the
//!   execution input has `params` -> merge them over the defaults
//!   (`States.JsonMerge`), so `StartExecution` with `{}` works.
//! * `Scenarios`: a Parallel state, one branch per scenario. Scenarios tied
//!   together by `after` share one branch, their steps ordered so every
//!   `after` is honoured: simple, and the captures flow with no extra
//!   machinery (the cost: those scenarios do not overlap in time).
//! * Per step the poll loop: Task (invoke the provider; the standard Retry
//!   for Lambda service errors; Catch -> the branch records the crash) ->
//!   Choice on the verdict -> Wait `SecondsPath` -> Task. A pass records the
//!   step's report and moves the captures on; a fail ends the branch with a
//!   summary, letting the other branches finish.
//! * `Report` gathers the branches; `Any failed?` ends in Succeed (output:
//!   the report) or in Fail with `vigil.AssertionFailed` and a cause listing
//!   each scenario's one-line summary (first mismatches with their paths),
//!   written `<scenario>/<step>: ...` in plain ASCII because the console
//!   shows the cause as JSON, where other characters arrive `\u`-escaped.
//!
//! Each step's request is embedded as an opaque JSON string (invariant 3):
//! Step Functions never reads user data as a path or an intrinsic.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::branches::{Branch, branches};
use crate::limits::response_share;
use crate::names::{ParamName, ScenarioName};
use crate::run_report;
use crate::state_names::{branch_done_name, branch_start_name, state_name, step_state_names};
use crate::suite::Suite;
use crate::valid_suite::ValidSuite;

/// Lambda errors that mean "the service hiccuped", retried by every Task.
pub const LAMBDA_SERVICE_ERRORS: [&str; 4] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

/// What the compiler needs besides the suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileOptions {
    /// The provider function (ARN or name). The default is the placeholder
    /// the CloudFormation template substitutes.
    pub provider_function: String,
    /// Values that replace parameters' defaults in the definition: what
    /// synth read from the environment, or the placeholders CloudFormation
    /// fills from stack outputs at deploy time. The execution input still
    /// overrides them.
    pub param_values: BTreeMap<ParamName, Value>,
    /// Write every `${` inside the embedded step strings as `\u0024{` (the
    /// same text once the provider parses the step's JSON). A definition
    /// that goes into a CloudFormation template needs it: there, `${Name}`
    /// reads as a substitution (cfn-lint rejects the template, E1029), and
    /// the steps' `${param}` templates must reach the provider untouched.
    pub escape_templates: bool,
}

/// The step's wire text as the definition carries it. A `$` in JSON text
/// can only be inside a string, so replacing `${` is safe.
fn embed_step(wire: &str, options: &CompileOptions) -> String {
    if options.escape_templates {
        wire.replace("${", "\\u0024{")
    } else {
        wire.to_owned()
    }
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            provider_function: "${ProviderFunctionArn}".to_owned(),
            param_values: BTreeMap::new(),
            escape_templates: false,
        }
    }
}

/// Compiles a valid suite to its state machine definition. It cannot
/// fail: everything that could make it fail is a validation problem.
pub fn compile(suite: &ValidSuite, options: &CompileOptions) -> Value {
    let suite = suite.suite();
    let defaults: Map<String, Value> = suite
        .params
        .iter()
        .map(|(k, p)| {
            let value = options
                .param_values
                .get(k)
                .or(p.default.as_ref())
                .cloned()
                .unwrap_or(Value::Null);
            (k.to_string(), value)
        })
        .collect();
    let branches = branches(suite);
    let share = response_share(suite, branches.len());
    let mut states = Map::new();
    states.insert(
        "Parameters".into(),
        json!({
            "Type": "Pass",
            "Comment": "Parameter defaults; the execution input's `params` override them.",
            "Result": Value::Object(defaults),
            "ResultPath": "$.defaults",
            "Next": "Input has params?"
        }),
    );
    states.insert(
        "Input has params?".into(),
        json!({
            "Type": "Choice",
            "Choices": [{"Variable": "$.params", "IsPresent": true, "Next": "Merge params"}],
            "Default": "Default params"
        }),
    );
    states.insert(
        "Merge params".into(),
        json!({
            "Type": "Pass",
            "Parameters": {"params.$": "States.JsonMerge($.defaults, $.params, false)"},
            "Next": "Scenarios"
        }),
    );
    states.insert(
        "Default params".into(),
        json!({"Type": "Pass", "Parameters": {"params.$": "$.defaults"}, "Next": "Scenarios"}),
    );
    let branch_defs: Vec<Value> = branches
        .iter()
        .map(|b| compile_branch(suite, b, options, share))
        .collect();
    states.insert(
        "Scenarios".into(),
        json!({
            "Type": "Parallel",
            "Comment": "One branch per scenario (scenarios tied by `after` share one).",
            "Branches": branch_defs,
            "ResultPath": "$.scenarios",
            "Next": run_report::REPORT_STATE
        }),
    );
    states.insert(
        run_report::REPORT_STATE.into(),
        json!({
            "Type": "Pass",
            "Parameters": {
                "suite": suite.suite.as_str(),
                "protocol": vigil_protocol::PROTOCOL_VERSION,
                "scenarios.$": "$.scenarios",
                "failed.$": "States.ArrayContains($.scenarios[*].status, 'failed')",
                "summary.$": "States.JsonToString($.scenarios[*].summary)"
            },
            "Next": "Any failed?"
        }),
    );
    states.insert(
        "Any failed?".into(),
        json!({
            "Type": "Choice",
            "Choices": [{"Variable": "$.failed", "BooleanEquals": true, "Next": "Suite failed"}],
            "Default": "Suite passed"
        }),
    );
    states.insert("Suite passed".into(), json!({"Type": "Succeed"}));
    states.insert(
        "Suite failed".into(),
        json!({"Type": "Fail", "Error": "vigil.AssertionFailed", "CausePath": "$.summary"}),
    );
    json!({
        "Comment": format!("vigil suite {}", suite.suite),
        "QueryLanguage": "JSONPath",
        "StartAt": "Parameters",
        "States": Value::Object(states)
    })
}

fn compile_branch(suite: &Suite, branch: &Branch, options: &CompileOptions, share: usize) -> Value {
    let label = branch
        .scenarios
        .iter()
        .map(ScenarioName::as_str)
        .collect::<Vec<_>>()
        .join("+");
    let first_scenario = branch.scenarios[0].as_str();
    let start = branch_start_name(first_scenario);
    let done = branch_done_name(first_scenario);
    let mut states = Map::new();
    let task_names: Vec<String> = branch
        .steps
        .iter()
        .map(|(sc, i)| state_name(sc.as_str(), suite.scenarios[sc].steps[*i].id.as_str(), ""))
        .collect();
    states.insert(
        start.clone(),
        json!({
            "Type": "Pass",
            "Parameters": {"params.$": "$.params", "captures": {}, "steps": {}, "last": {"r": {"poll": null}}},
            "Next": task_names.first().cloned().unwrap_or_else(|| done.clone())
        }),
    );
    for (k, (sc, i)) in branch.steps.iter().enumerate() {
        let step = &suite.scenarios[sc].steps[*i];
        let (sc, id) = (sc.as_str(), step.id.as_str());
        let task = &task_names[k];
        let [_, verdict, wait, record, passed, failed, crashed] = step_state_names(sc, id);
        let next = task_names
            .get(k + 1)
            .cloned()
            .unwrap_or_else(|| done.clone());
        let slot = format!("$.steps.{}", run_report::step_slot(k));
        states.insert(
            task.clone(),
            json!({
                "Type": "Task",
                "Comment": step.poll.as_ref().map_or_else(
                    || "Runs once.".to_owned(),
                    |p| format!("Polls for up to {}.", vigil_matchers::duration_text::format(p.timeout))
                ),
                "Resource": "arn:aws:states:::lambda:invoke",
                "TimeoutSeconds": crate::provider_timeout::task_timeout(suite).as_secs(),
                "Parameters": {
                    "FunctionName": options.provider_function,
                    "Payload": {
                        "protocol": vigil_protocol::PROTOCOL_VERSION,
                        "step": embed_step(&step.spec().to_wire(), options),
                        "params.$": "$.params",
                        "captures.$": "$.captures",
                        "poll.$": "$.last.r.poll",
                        "max_response_bytes": share,
                        "retry_count.$": "$$.State.RetryCount"
                    }
                },
                "ResultSelector": {"r.$": "$.Payload"},
                "ResultPath": "$.last",
                "Retry": [{
                    "ErrorEquals": LAMBDA_SERVICE_ERRORS,
                    "IntervalSeconds": 1,
                    "MaxAttempts": 6,
                    "BackoffRate": 2,
                    "MaxDelaySeconds": 20,
                    "JitterStrategy": "FULL"
                }],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": crashed}],
                "Next": verdict
            }),
        );
        states.insert(
            verdict,
            json!({
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.last.r.verdict", "StringEquals": "retry", "Next": wait},
                    {"Variable": "$.last.r.verdict", "StringEquals": "pass", "Next": record}
                ],
                "Default": failed
            }),
        );
        states.insert(
            wait,
            json!({"Type": "Wait", "SecondsPath": "$.last.r.wait_seconds", "Next": task}),
        );
        states.insert(
            record,
            json!({"Type": "Pass", "InputPath": "$.last.r.report", "ResultPath": slot, "Next": passed}),
        );
        states.insert(
            passed,
            json!({
                "Type": "Pass",
                "Parameters": {
                    "params.$": "$.params",
                    "captures.$": "States.JsonMerge($.captures, $.last.r.captures, false)",
                    "steps.$": "$.steps",
                    "last": {"r": {"poll": null}}
                },
                "Next": next
            }),
        );
        states.insert(
            failed,
            json!({
                "Type": "Pass",
                "Parameters": {
                    "scenario": sc,
                    "branch": label,
                    "status": "failed",
                    "failed_step": id,
                    "summary.$": format!(
                        "States.Format('{}', $.last.r.report.summary)",
                        run_report::failed_summary_format(sc, id)
                    ),
                    "report.$": "$.last.r.report",
                    "steps.$": "$.steps"
                },
                "End": true
            }),
        );
        states.insert(
            crashed,
            json!({
                "Type": "Pass",
                "Parameters": {
                    "scenario": sc,
                    "branch": label,
                    "status": "failed",
                    "failed_step": id,
                    "summary.$": format!(
                        "States.Format('{}', $.error.Error, $.error.Cause)",
                        run_report::failed_summary_format(sc, id).replace(
                            "{}",
                            "the provider could not run: {}: {}"
                        )
                    ),
                    "error.$": "$.error",
                    "steps.$": "$.steps"
                },
                "End": true
            }),
        );
    }
    states.insert(
        done,
        json!({
            "Type": "Pass",
            "Parameters": {
                "scenario": first_scenario,
                "branch": label,
                "status": "passed",
                "summary": run_report::passed_summary(&label),
                "steps.$": "$.steps"
            },
            "End": true
        }),
    );
    json!({"StartAt": start, "States": Value::Object(states)})
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::state_names::STEP_STATE_SUFFIXES;
    use crate::validate::validate;
    use crate::{Format, parse};

    /// A suite of one scenario whose steps have these ids.
    fn suite(scenario: &str, ids: &[&str]) -> Suite {
        let steps: String = ids
            .iter()
            .map(|id| {
                format!("      - id: {id}\n        call: {{kind: http, url: \"http://x/\"}}\n")
            })
            .collect();
        let text = format!("suite: s\nscenarios:\n  {scenario}:\n    steps:\n{steps}");
        parse(&text, Format::Yaml, Path::new("t.yaml")).unwrap()
    }

    fn branch_states(def: &Value) -> &Map<String, Value> {
        def["States"]["Scenarios"]["Branches"][0]["States"]
            .as_object()
            .unwrap()
    }

    /// Caught by the `suite` fuzz target's state-count check: the branch's
    /// own states were named `<scenario> · start` / `· done`, the very
    /// names of the Task of a step called `start` or `done`, which replaced
    /// them and left a definition that skipped or looped on that step.
    #[test]
    fn steps_called_start_or_done_keep_every_state() {
        let s = ValidSuite::new(suite("a", &["start", "check", "done"])).unwrap();
        let def = compile(&s, &CompileOptions::default());
        let states = branch_states(&def);
        assert_eq!(states.len(), 2 + STEP_STATE_SUFFIXES.len() * 3);
        let start = &def["States"]["Scenarios"]["Branches"][0]["StartAt"];
        assert_eq!(start, "a · (start)");
        assert_eq!(states["a · (start)"]["Type"], "Pass");
        assert_eq!(states["a · (start)"]["Next"], "a · start");
        assert_eq!(states["a · start"]["Type"], "Task");
        assert_eq!(states["a · done"]["Type"], "Task");
        assert_eq!(states["a · done · passed"]["Next"], "a · (done)");
        assert_eq!(states["a · (done)"]["Type"], "Pass");
    }

    /// Caught by the `suite` fuzz target's state-count check: two
    /// 48-character ids sharing their first 40 characters, whose full names
    /// have the same 16-bit hash, shortened to the same Task name, and one
    /// step's states replaced the other's.
    #[test]
    fn ids_that_shorten_to_the_same_state_name_are_refused() {
        let (a, b) = (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa00000858",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa00001400",
        );
        let scenario = "s".repeat(32);
        assert_eq!(state_name(&scenario, a, ""), state_name(&scenario, b, ""));
        let s = suite(&scenario, &[a, b]);
        let errors = validate(&s);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, format!("scenarios.{scenario}.steps[1].id"));
        assert!(
            errors[0]
                .message
                .contains(&format!("steps `{a}` and `{b}` would both have the state")),
            "{}",
            errors[0].message
        );
        assert!(ValidSuite::new(s).is_err());
        // Ids that differ early still shorten to different names.
        let ok = suite(&scenario, &[a, &format!("b{}", &b[1..])]);
        assert_eq!(validate(&ok), []);
    }
}
