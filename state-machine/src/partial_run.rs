//! A run in progress, so that an interrupted `vigil local`, `run` or
//! `report` can still write what it knows: the steps that passed, the one
//! each branch was at (with its latest attempt), the ones never reached.
//!
//! Steps are recorded as their attempts answer, from wherever they come
//! from (the provider called in-process, or the execution's history), and
//! placed by step id into the suite's branches. Without the suite (`vigil
//! report` without `--suite`) the steps form one branch in the order seen.

use std::collections::BTreeMap;

use vigil_matchers::StepId;
use vigil_protocol::{StepReport, Verdict as StepVerdict};

use crate::branches::branches;
use crate::run_report::{self, BranchOutcome, BranchStatus, RunReport};
use crate::suite::Suite;

/// One branch: its label and its steps (scenario, id) in run order.
#[derive(Debug, Clone)]
struct Lane {
    label: String,
    steps: Vec<(String, StepId)>,
}

/// What is known of a run so far.
#[derive(Debug, Clone)]
pub struct PartialRun {
    suite: String,
    /// `None` without the suite: one lane of the steps in the order seen.
    lanes: Option<Vec<Lane>>,
    /// Latest attempt of each step, and what the provider decided.
    latest: BTreeMap<StepId, (StepReport, StepVerdict)>,
    seen: Vec<StepId>,
}

impl PartialRun {
    /// Nothing run yet, in the suite's branches.
    pub fn new(suite: &Suite) -> PartialRun {
        let lanes = branches(suite)
            .into_iter()
            .map(|b| Lane {
                label: b
                    .scenarios
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
                steps: b
                    .steps
                    .iter()
                    .map(|(sc, i)| (sc.to_string(), suite.scenarios[sc].steps[*i].id.clone()))
                    .collect(),
            })
            .collect();
        PartialRun {
            suite: suite.suite.to_string(),
            lanes: Some(lanes),
            latest: BTreeMap::new(),
            seen: Vec::new(),
        }
    }

    /// Nothing run yet, suite unknown (only its name).
    pub fn without_suite(name: &str) -> PartialRun {
        PartialRun {
            suite: name.to_owned(),
            lanes: None,
            latest: BTreeMap::new(),
            seen: Vec::new(),
        }
    }

    /// An attempt answered.
    pub fn record(&mut self, report: &StepReport, verdict: StepVerdict) {
        if !self.latest.contains_key(&report.step) {
            self.seen.push(report.step.clone());
        }
        self.latest
            .insert(report.step.clone(), (report.clone(), verdict));
    }

    /// The report as of now, every unfinished branch marked interrupted at
    /// the step it was at.
    pub fn interrupted(&self) -> RunReport {
        let lanes = self.lanes.clone().unwrap_or_else(|| {
            vec![Lane {
                label: "execution".into(),
                steps: self
                    .seen
                    .iter()
                    .map(|id| ("execution".to_owned(), id.clone()))
                    .collect(),
            }]
        });
        let outcomes = lanes.iter().map(|lane| self.lane_outcome(lane)).collect();
        RunReport::new(&self.suite, outcomes)
    }

    fn lane_outcome(&self, lane: &Lane) -> BranchOutcome {
        let first = lane
            .steps
            .first()
            .map(|(sc, _)| sc.clone())
            .unwrap_or_else(|| lane.label.clone());
        let mut passed = BTreeMap::new();
        for (k, (scenario, id)) in lane.steps.iter().enumerate() {
            let (status, summary, report) = match self.latest.get(id) {
                Some((r, StepVerdict::Pass)) => {
                    passed.insert(run_report::step_slot(k), r.clone());
                    continue;
                }
                Some((r, StepVerdict::Fail)) => (
                    BranchStatus::Failed,
                    run_report::failed_summary(scenario, id.as_str(), &r.summary),
                    Some(r.clone()),
                ),
                Some((r, StepVerdict::Retry)) => (
                    BranchStatus::Interrupted,
                    run_report::failed_summary(
                        scenario,
                        id.as_str(),
                        &format!(
                            "interrupted after {} attempt{}; last: {}",
                            r.attempt,
                            if r.attempt == 1 { "" } else { "s" },
                            r.summary
                        ),
                    ),
                    Some(r.clone()),
                ),
                None => (
                    BranchStatus::Interrupted,
                    run_report::failed_summary(
                        scenario,
                        id.as_str(),
                        "interrupted before its first answer",
                    ),
                    None,
                ),
            };
            return BranchOutcome {
                scenario: scenario.clone(),
                branch: lane.label.clone(),
                status,
                summary,
                failed_step: Some(id.to_string()),
                report,
                error: None,
                steps: passed,
            };
        }
        BranchOutcome {
            scenario: first,
            summary: run_report::passed_summary(&lane.label),
            branch: lane.label.clone(),
            status: BranchStatus::Passed,
            failed_step: None,
            report: None,
            error: None,
            steps: passed,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::load::{Format, parse};

    fn report(step: &str, attempt: u32, summary: &str) -> StepReport {
        serde_json::from_value(serde_json::json!({
            "step": step, "attempt": attempt, "elapsed_ms": 10,
            "outcome": {"status": "matched"}, "summary": summary
        }))
        .unwrap()
    }

    #[test]
    fn each_branch_stops_where_it_was() {
        let call = "{kind: aws, service: dynamodb, operation: ListTables}";
        let suite = parse(
            &format!(
                "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: a1, call: {call}}}\n      - {{id: a2, call: {call}}}\n      - {{id: a3, call: {call}}}\n  b:\n    steps:\n      - {{id: b1, call: {call}}}\n  c:\n    steps:\n      - {{id: c1, call: {call}}}\n"
            ),
            Format::Yaml,
            Path::new("s.yaml"),
        )
        .unwrap();
        let mut p = PartialRun::new(&suite);
        p.record(&report("a1", 1, "matched"), StepVerdict::Pass);
        p.record(&report("a2", 1, "status: RUNNING"), StepVerdict::Retry);
        p.record(&report("a2", 2, "status: HYDRATING"), StepVerdict::Retry);
        p.record(&report("b1", 1, "matched"), StepVerdict::Pass);
        let r = p.interrupted();
        assert!(r.interrupted && r.failed);
        let a = &r.scenarios[0];
        assert_eq!(a.status, BranchStatus::Interrupted);
        assert_eq!(a.failed_step.as_deref(), Some("a2"));
        assert_eq!(
            a.summary,
            "a/a2: interrupted after 2 attempts; last: status: HYDRATING"
        );
        assert_eq!(a.steps.len(), 1);
        assert_eq!(r.scenarios[1].status, BranchStatus::Passed);
        assert_eq!(
            r.scenarios[2].summary,
            "c/c1: interrupted before its first answer"
        );

        let mut p = PartialRun::without_suite("s");
        p.record(&report("x", 1, "matched"), StepVerdict::Pass);
        p.record(&report("y", 3, "status: RUNNING"), StepVerdict::Retry);
        let r = p.interrupted();
        assert_eq!(r.scenarios.len(), 1);
        assert_eq!(r.scenarios[0].failed_step.as_deref(), Some("y"));
    }
}
