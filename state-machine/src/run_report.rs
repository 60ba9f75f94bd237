//! The report of a whole run: what the state machine's execution outputs
//! and what `vigil local` writes, field for field the same shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_protocol::StepReport;

/// One Parallel branch's outcome (a scenario, or scenarios tied by `after`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchOutcome {
    /// The scenario of the failing step, or the branch's first scenario.
    pub scenario: String,
    /// The branch's scenarios joined by `+`.
    pub branch: String,
    /// `passed` or `failed`.
    pub status: BranchStatus,
    /// One line: `<branch>: passed`, or `<scenario> · <step>: <summary>`.
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
    /// Reports of the steps that passed, by position in the branch (`s0`, ...).
    #[serde(default)]
    pub steps: BTreeMap<String, StepReport>,
}

impl BranchOutcome {
    /// The steps that passed, in the order they ran. The map is keyed by
    /// position (`s0`, `s1`, ..., `s10`), which sorts `s10` before `s2`.
    pub fn passed_steps(&self) -> Vec<&StepReport> {
        let mut v: Vec<(usize, &StepReport)> = self
            .steps
            .iter()
            .map(|(k, s)| (k.trim_start_matches('s').parse().unwrap_or(usize::MAX), s))
            .collect();
        v.sort_by_key(|(i, _)| *i);
        v.into_iter().map(|(_, s)| s).collect()
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
}

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The suite.
    pub suite: String,
    /// One entry per branch, in definition order.
    pub scenarios: Vec<BranchOutcome>,
    /// Whether any branch failed.
    pub failed: bool,
    /// The branches' summaries as a JSON array in a string (the execution's
    /// failure cause).
    pub summary: String,
}

impl RunReport {
    /// Assembles the report from branch outcomes, as the `Report` state does.
    pub fn new(suite: &str, scenarios: Vec<BranchOutcome>) -> Self {
        let failed = scenarios.iter().any(|b| b.status == BranchStatus::Failed);
        let summaries: Vec<&str> = scenarios.iter().map(|b| b.summary.as_str()).collect();
        RunReport {
            suite: suite.to_owned(),
            failed,
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
            steps: (0..12).map(|i| (format!("s{i}"), step(i))).collect(),
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
}
