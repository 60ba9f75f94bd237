//! The report of a whole run: what the state machine's execution outputs
//! and what `vigil local` writes, field for field the same shape.
//!
//! This module is the contract between the producer (the compiler, whose
//! states assemble the report) and its consumers (`vigil local`, which
//! builds the same report in-process, and `vigil run`/`report`, which read
//! it from the execution): the names, the summaries and the step slots are
//! defined here once and used by all three.

/// The name of the state that assembles the report; its output is the
/// report even when the execution then fails.
pub const REPORT_STATE: &str = "Report";

/// The key of the `n`-th step (0-based, in run order) of a branch in
/// [`BranchOutcome::steps`].
pub fn step_slot(n: usize) -> String {
    format!("s{n}")
}

/// The position a [`step_slot`] key stands for.
pub fn slot_index(slot: &str) -> Option<usize> {
    slot.strip_prefix('s')?.parse().ok()
}

/// A failed branch's one-line summary: `<scenario>/<step>: <detail>`, in
/// plain ASCII around the detail (the console shows the failure cause as
/// JSON, where other characters arrive `\u`-escaped).
pub fn failed_summary(scenario: &str, step: &str, detail: &str) -> String {
    format!("{scenario}/{step}: {detail}")
}

/// [`failed_summary`] as the template of an ASL `States.Format`, whose one
/// `{}` the state machine fills with the detail. Scenario and step names
/// are letters, digits, `_` and `-`, so nothing in them needs escaping.
pub fn failed_summary_format(scenario: &str, step: &str) -> String {
    failed_summary(scenario, step, "{}")
}

/// A passed branch's one-line summary: `<branch>: passed`.
pub fn passed_summary(branch: &str) -> String {
    format!("{branch}: passed")
}

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_protocol::{ErrorKind, StepOutcome, StepReport};

/// One Parallel branch's outcome (a scenario, or scenarios tied by `after`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchOutcome {
    /// The scenario of the failing step, or the branch's first scenario.
    pub scenario: String,
    /// The branch's scenarios joined by `+`.
    pub branch: String,
    /// `passed` or `failed`.
    pub status: BranchStatus,
    /// One line: [`passed_summary`] or [`failed_summary`].
    pub summary: String,
    /// The step that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
    /// The failing step's report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<StepReport>,
    /// What Step Functions caught when the provider itself could not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// Reports of the steps that passed, by [`step_slot`].
    #[serde(default)]
    pub steps: BTreeMap<String, StepReport>,
}

impl BranchOutcome {
    /// The steps that passed, in the order they ran. The map is keyed by
    /// [`step_slot`] (`s0`, `s1`, ..., `s10`), which sorts `s10` before `s2`.
    pub fn passed_steps(&self) -> Vec<&StepReport> {
        let mut v: Vec<(usize, &StepReport)> = self
            .steps
            .iter()
            .map(|(k, s)| (slot_index(k).unwrap_or(usize::MAX), s))
            .collect();
        v.sort_by_key(|(i, _)| *i);
        v.into_iter().map(|(_, s)| s).collect()
    }
}

/// Why a run did not pass, which decides the exit status (0 passed, 1 the
/// application failed a check, 2 vigil could not test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every step passed.
    Passed,
    /// The application failed a check: a mismatch, a poll that timed out,
    /// an error answer the suite did not expect (a 4xx from an AWS API, a
    /// function error).
    ApplicationFailed,
    /// vigil could not test: the step cannot run as written, credentials or
    /// permissions are missing, the endpoint is unreachable or keeps
    /// throttling or failing, or the provider itself could not run.
    CouldNotTest,
}

impl Verdict {
    /// The process exit status for this verdict.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Passed => 0,
            Verdict::ApplicationFailed => 1,
            Verdict::CouldNotTest => 2,
        }
    }
}

impl BranchOutcome {
    /// This branch's verdict.
    pub fn verdict(&self) -> Verdict {
        match self.status {
            BranchStatus::Passed => return Verdict::Passed,
            // Not tested to the end: nothing can be said of the application.
            BranchStatus::Interrupted => return Verdict::CouldNotTest,
            BranchStatus::Failed => {}
        }
        if self.error.is_some() {
            return Verdict::CouldNotTest;
        }
        match self.report.as_ref().map(|r| &r.outcome) {
            Some(StepOutcome::Error { error }) => match error.kind {
                ErrorKind::Client | ErrorKind::FunctionError => Verdict::ApplicationFailed,
                ErrorKind::Throttled
                | ErrorKind::Server
                | ErrorKind::Network
                | ErrorKind::Authorization
                | ErrorKind::InvalidStep
                | ErrorKind::Provider => Verdict::CouldNotTest,
            },
            Some(StepOutcome::Mismatched { .. } | StepOutcome::Matched) => {
                Verdict::ApplicationFailed
            }
            // Failed without a step report: nothing says the application
            // was tested.
            None => Verdict::CouldNotTest,
        }
    }
}

/// Whether a branch passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchStatus {
    /// Every step passed.
    Passed,
    /// A step failed; later steps did not run.
    Failed,
    /// The run was interrupted (SIGINT, SIGTERM) while this branch was at
    /// a step; `vigil` writes this in a partial report, the state machine
    /// never does.
    Interrupted,
}

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The suite.
    pub suite: String,
    /// The provider protocol of the run ([`vigil_protocol::PROTOCOL_VERSION`]
    /// of the vigil that compiled it; 1 for reports from before it was
    /// written).
    #[serde(default = "protocol_one")]
    pub protocol: u32,
    /// One entry per branch, in definition order.
    pub scenarios: Vec<BranchOutcome>,
    /// Whether any branch failed (or was interrupted).
    pub failed: bool,
    /// Set in a partial report written when the run was interrupted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// The branches' summaries as a JSON array in a string (the execution's
    /// failure cause).
    pub summary: String,
}

fn protocol_one() -> u32 {
    1
}

impl RunReport {
    /// The run's verdict: the worst of its branches'.
    pub fn verdict(&self) -> Verdict {
        self.scenarios
            .iter()
            .map(BranchOutcome::verdict)
            .max()
            .unwrap_or(Verdict::Passed)
    }

    /// Assembles the report from branch outcomes, as the `Report` state does.
    pub fn new(suite: &str, scenarios: Vec<BranchOutcome>) -> Self {
        let failed = scenarios.iter().any(|b| b.status != BranchStatus::Passed);
        let interrupted = scenarios
            .iter()
            .any(|b| b.status == BranchStatus::Interrupted);
        let summaries: Vec<&str> = scenarios.iter().map(|b| b.summary.as_str()).collect();
        RunReport {
            suite: suite.to_owned(),
            protocol: vigil_protocol::PROTOCOL_VERSION,
            failed,
            interrupted,
            summary: serde_json::to_string(&summaries).unwrap_or_default(),
            scenarios,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found running the 75-step lifecycle suite: `vigil local` listed a
    /// branch's steps as s0, s1, s10, s11, ..., s2 (the map's order).
    #[test]
    fn passed_steps_come_in_the_order_they_ran() {
        let step = |i: usize| -> StepReport {
            serde_json::from_value(serde_json::json!({
                "step": format!("step-{i}"), "attempt": 1, "elapsed_ms": 1,
                "outcome": {"status": "matched"}
            }))
            .unwrap()
        };
        let branch = BranchOutcome {
            scenario: "a".into(),
            branch: "a".into(),
            status: BranchStatus::Passed,
            summary: String::new(),
            failed_step: None,
            report: None,
            error: None,
            steps: (0..12).map(|i| (step_slot(i), step(i))).collect(),
        };
        let ids: Vec<String> = branch
            .passed_steps()
            .iter()
            .map(|s| s.step.to_string())
            .collect();
        assert_eq!(
            ids,
            (0..12).map(|i| format!("step-{i}")).collect::<Vec<_>>()
        );
    }

    /// The exit-code table: 0 passed, 1 the application failed a check,
    /// 2 vigil could not test; a run is as bad as its worst branch.
    #[test]
    fn verdicts_follow_the_exit_code_rule() {
        let failed = |outcome: serde_json::Value| BranchOutcome {
            scenario: "a".into(),
            branch: "a".into(),
            status: BranchStatus::Failed,
            summary: String::new(),
            failed_step: Some("x".into()),
            report: Some(
                serde_json::from_value(serde_json::json!({
                    "step": "x", "attempt": 3, "elapsed_ms": 1, "outcome": outcome
                }))
                .unwrap(),
            ),
            error: None,
            steps: BTreeMap::new(),
        };
        let error = |kind: &str| {
            failed(serde_json::json!({"status": "error", "error": {"kind": kind, "message": "m"}}))
        };
        let table = [
            (
                failed(
                    serde_json::json!({"status": "mismatched", "report": {"matched": false, "mismatches": []}}),
                ),
                1,
            ),
            (
                failed(
                    serde_json::json!({"status": "mismatched", "report": {"matched": false, "mismatches": []}, "timed_out": true}),
                ),
                1,
            ),
            (error("client"), 1),
            (error("function_error"), 1),
            (error("authorization"), 2),
            (error("invalid_step"), 2),
            (error("network"), 2),
            (error("throttled"), 2),
            (error("server"), 2),
            (error("provider"), 2),
        ];
        for (branch, code) in table {
            assert_eq!(branch.verdict().exit_code(), code, "{:?}", branch.report);
        }
        let mut crashed = error("client");
        crashed.report = None;
        crashed.error = Some(serde_json::json!({"Error": "Lambda.Unknown"}));
        assert_eq!(crashed.verdict(), Verdict::CouldNotTest);
        let passed = BranchOutcome {
            status: BranchStatus::Passed,
            report: None,
            ..error("client")
        };
        assert_eq!(passed.verdict(), Verdict::Passed);
        let run = RunReport::new("s", vec![passed.clone(), error("client"), error("network")]);
        assert_eq!(run.verdict().exit_code(), 2);
        let run = RunReport::new("s", vec![passed.clone(), error("client")]);
        assert_eq!(run.verdict().exit_code(), 1);
        assert_eq!(RunReport::new("s", vec![passed]).verdict().exit_code(), 0);
    }
}
