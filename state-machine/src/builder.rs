//! The Rust way to write a suite: matchers are Rust values, so a misspelt
//! matcher does not compile; names and paths are checked when the suite is
//! built, with the same validation as suite files.
//!
//! ```
//! use serde_json::json;
//! use vigil_matchers::Matcher;
//! use vigil_state_machine::builder::{SuiteBuilder, StepBuilder, aws};
//!
//! let suite = SuiteBuilder::new("smoke")
//!     .param_default("TaskTable", json!("Tasks"))
//!     .scenario("read", [
//!         StepBuilder::new("get", aws("dynamodb", "GetItem", json!({
//!             "TableName": "${TaskTable}", "Key": {"task_id": {"S": "t-1"}}
//!         })))
//!         .select("$.Item.status.S")
//!         .expect(Matcher::exact("COMPLETED")),
//!     ])
//!     .build()
//!     .unwrap();
//! assert_eq!(suite.scenarios.len(), 1);
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
use vigil_matchers::{CaptureName, Matcher, StepId};
use vigil_protocol::{AnswerView, Call, CaptureSpec, HttpCall, PollPolicy, Selector};

use crate::names::{ParamName, ScenarioName, SuiteName};
use crate::suite::{Param, Permission, Scenario, Step, Suite};
use crate::valid_suite::ValidSuite;
use crate::validate::SuiteError;

/// An `aws` call.
pub fn aws(service: &str, operation: &str, params: Value) -> Call {
    Call::Aws {
        service: service.to_owned(),
        operation: operation.to_owned(),
        params,
    }
}

/// A `lambda` call.
pub fn lambda(function: &str, payload: Value) -> Call {
    Call::Lambda {
        function: function.to_owned(),
        payload,
    }
}

/// An `http` call without body or auth; adjust the fields as needed.
pub fn http(method: &str, url: &str) -> HttpCall {
    HttpCall {
        method: method.to_owned(),
        url: url.to_owned(),
        headers: BTreeMap::new(),
        query: BTreeMap::new(),
        body: None,
        auth: None,
    }
}

/// Why a built suite is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub Vec<String>);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for BuildError {}

/// Builds one step.
#[derive(Debug, Clone)]
pub struct StepBuilder {
    id: String,
    call: Call,
    after: Vec<String>,
    view: AnswerView,
    select: Option<String>,
    expect: Option<Matcher>,
    capture: Vec<(String, String, bool, bool)>,
    poll: Option<PollPolicy>,
}

impl StepBuilder {
    /// A step with an id and a call.
    pub fn new(id: &str, call: impl Into<Call>) -> Self {
        StepBuilder {
            id: id.to_owned(),
            call: call.into(),
            after: Vec::new(),
            view: AnswerView::Raw,
            select: None,
            expect: None,
            capture: Vec::new(),
            poll: None,
        }
    }
    /// Waits for a step of another scenario.
    pub fn after(mut self, step: &str) -> Self {
        self.after.push(step.to_owned());
        self
    }
    /// How the answer is seen ([`AnswerView::Items`]: DynamoDB items as
    /// plain JSON).
    pub fn view(mut self, view: AnswerView) -> Self {
        self.view = view;
        self
    }
    /// Selects part of the result (RFC 9535 JSONPath).
    pub fn select(mut self, path: &str) -> Self {
        self.select = Some(path.to_owned());
        self
    }
    /// The expectation.
    pub fn expect(mut self, m: Matcher) -> Self {
        self.expect = Some(m);
        self
    }
    /// Captures a value for later steps.
    pub fn capture(mut self, name: &str, path: &str) -> Self {
        self.capture
            .push((name.to_owned(), path.to_owned(), false, false));
        self
    }
    /// Captures the one node a filter path selects (not a one-element list).
    pub fn capture_single(mut self, name: &str, path: &str) -> Self {
        self.capture
            .push((name.to_owned(), path.to_owned(), false, true));
        self
    }
    /// Captures a value sealed: it never appears in plaintext outside the provider.
    pub fn capture_secret(mut self, name: &str, path: &str) -> Self {
        self.capture
            .push((name.to_owned(), path.to_owned(), true, false));
        self
    }
    /// Polls until matched or timed out.
    pub fn poll(mut self, policy: PollPolicy) -> Self {
        self.poll = Some(policy);
        self
    }

    fn build(self, errors: &mut Vec<String>) -> Option<Step> {
        let at = |what: String| format!("step `{}`: {what}", self.id);
        let id = StepId::new(&self.id)
            .map_err(|e| errors.push(at(e.to_string())))
            .ok();
        let after: Vec<StepId> = self
            .after
            .iter()
            .filter_map(|a| {
                StepId::new(a)
                    .map_err(|e| errors.push(at(e.to_string())))
                    .ok()
            })
            .collect();
        let select = self.select.as_deref().and_then(|s| {
            Selector::parse(s)
                .map_err(|e| errors.push(at(e.to_string())))
                .ok()
        });
        if let Some(m) = &self.expect
            && let Err(e) = m.validate()
        {
            errors.push(at(e.to_string()));
        }
        let mut capture = BTreeMap::new();
        for (name, path, secret, single) in &self.capture {
            let name = CaptureName::new(name)
                .map_err(|e| errors.push(at(e.to_string())))
                .ok();
            let path = Selector::parse(path)
                .map_err(|e| errors.push(at(e.to_string())))
                .ok();
            if let (Some(name), Some(path)) = (name, path) {
                capture.insert(
                    name,
                    CaptureSpec {
                        path,
                        secret: *secret,
                        single: *single,
                    },
                );
            }
        }
        Some(Step {
            id: id?,
            after,
            call: self.call,
            view: self.view,
            select,
            expect: self.expect,
            capture,
            poll: self.poll,
        })
    }
}

/// Builds a suite.
#[derive(Debug, Clone)]
pub struct SuiteBuilder {
    name: String,
    description: Option<String>,
    params: Vec<(String, Param)>,
    scenarios: Vec<(String, Option<String>, Vec<StepBuilder>)>,
    permissions: Vec<Permission>,
}

impl SuiteBuilder {
    /// A suite with a name.
    pub fn new(name: &str) -> Self {
        SuiteBuilder {
            name: name.to_owned(),
            description: None,
            params: Vec::new(),
            scenarios: Vec::new(),
            permissions: Vec::new(),
        }
    }
    /// What the suite checks, for people (the suite file's `description`).
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_owned());
        self
    }
    /// An IAM statement for the provider that synth cannot derive.
    pub fn permission(mut self, actions: &[&str], resources: &[&str]) -> Self {
        self.permissions.push(Permission {
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            description: None,
        });
        self
    }
    /// A parameter.
    pub fn param(mut self, name: &str, param: Param) -> Self {
        self.params.push((name.to_owned(), param));
        self
    }
    /// A parameter with only a default.
    pub fn param_default(self, name: &str, default: Value) -> Self {
        self.param(
            name,
            Param {
                default: Some(default),
                ..Param::default()
            },
        )
    }
    /// A scenario.
    pub fn scenario(mut self, name: &str, steps: impl IntoIterator<Item = StepBuilder>) -> Self {
        self.scenarios
            .push((name.to_owned(), None, steps.into_iter().collect()));
        self
    }
    /// A scenario with a description for people (the file's `description`).
    pub fn scenario_described(
        mut self,
        name: &str,
        description: &str,
        steps: impl IntoIterator<Item = StepBuilder>,
    ) -> Self {
        self.scenarios.push((
            name.to_owned(),
            Some(description.to_owned()),
            steps.into_iter().collect(),
        ));
        self
    }

    /// The suite, checked exactly as a suite file is.
    pub fn build(self) -> Result<ValidSuite, BuildError> {
        let mut errors = Vec::new();
        let suite_name = SuiteName::new(&self.name)
            .map_err(|e| errors.push(e.to_string()))
            .ok();
        let mut params = BTreeMap::new();
        for (name, p) in self.params {
            if let Ok(n) = ParamName::new(&name).map_err(|e| errors.push(e.to_string())) {
                params.insert(n, p);
            }
        }
        let mut scenarios = BTreeMap::new();
        for (name, description, steps) in self.scenarios {
            let steps: Vec<Step> = steps
                .into_iter()
                .filter_map(|s| s.build(&mut errors))
                .collect();
            match ScenarioName::new(&name) {
                Ok(n) if scenarios.contains_key(&n) => {
                    errors.push(format!("scenario `{name}` is defined twice"))
                }
                Ok(n) => {
                    scenarios.insert(n, Scenario { description, steps });
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        let Some(suite_name) = suite_name else {
            return Err(BuildError(errors));
        };
        let suite = Suite {
            suite: suite_name,
            description: self.description,
            params,
            scenarios,
            permissions: self.permissions,
        };
        match ValidSuite::new(suite) {
            Ok(valid) if errors.is_empty() => Ok(valid),
            Ok(_) => Err(BuildError(errors)),
            Err(invalid) => {
                errors.extend(invalid.problems.iter().map(SuiteError::to_string));
                Err(BuildError(errors))
            }
        }
    }
}
