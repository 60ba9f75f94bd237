//! JUnit XML and a GitHub step summary from a run report: one test suite
//! per branch, one test case per step; the failing step carries its
//! mismatches (with paths) as the failure text; steps that never ran
//! because an earlier one failed are marked skipped (when the suite is known).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use vigil_protocol::{StepOutcome, StepReport};
use vigil_state_machine::Suite;
use vigil_state_machine::branches::branches;
use vigil_state_machine::run_report::{BranchStatus, RunReport, Verdict};

/// Step reports of a branch in run order (`s0`, `s1`, ... `s10`).
/// The failure text: the human report of the mismatches, or the error,
/// then what was retried on the way.
pub(crate) fn failure_text(r: &StepReport) -> String {
    let text = outcome_text(r);
    match r.retried() {
        Some(retried) => format!("{text}\n({retried})"),
        None => text,
    }
}

fn outcome_text(r: &StepReport) -> String {
    match &r.outcome {
        StepOutcome::Mismatched { report, timed_out } => {
            let head = if *timed_out {
                format!(
                    "timed out after {} attempts ({} ms); last attempt:\n",
                    r.attempt, r.elapsed_ms
                )
            } else {
                String::new()
            };
            format!("{head}{}", report.render_human())
        }
        StepOutcome::Error { error } => format!(
            "{:?}{}: {}",
            error.kind,
            error
                .code
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default(),
            error.message
        ),
        StepOutcome::Matched => "matched".to_owned(),
    }
}

/// JUnit XML for a run.
pub(crate) fn junit(report: &RunReport, suite: Option<&Suite>) -> anyhow::Result<String> {
    let planned: BTreeMap<String, Vec<String>> = suite
        .map(|s| {
            branches(s)
                .into_iter()
                .map(|b| {
                    let label = b
                        .scenarios
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join("+");
                    let ids = b
                        .steps
                        .iter()
                        .map(|(sc, i)| s.scenarios[sc].steps[*i].id.to_string())
                        .collect();
                    (label, ids)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Report::new(format!("vigil {}", report.suite));
    for b in &report.scenarios {
        let mut ts = TestSuite::new(b.branch.clone());
        let mut ran: Vec<String> = Vec::new();
        for s in b.passed_steps() {
            let mut tc = TestCase::new(s.step.to_string(), TestCaseStatus::success());
            tc.set_classname(format!("{}.{}", report.suite, b.branch));
            tc.set_time(Duration::from_millis(s.elapsed_ms));
            if let Some(retried) = s.retried() {
                tc.set_system_out(format!("passed after {} attempts; {retried}", s.attempt));
            }
            ts.add_test_case(tc);
            ran.push(s.step.to_string());
        }
        if b.status != BranchStatus::Passed {
            let name = b
                .failed_step
                .clone()
                .unwrap_or_else(|| "unknown step".into());
            let (kind, text, time) = match &b.report {
                // A failure is the application's; an error is a step vigil
                // could not test (the same line the exit status draws).
                Some(r) => (
                    if b.verdict() == Verdict::ApplicationFailed {
                        NonSuccessKind::Failure
                    } else {
                        NonSuccessKind::Error
                    },
                    failure_text(r),
                    r.elapsed_ms,
                ),
                None => (
                    NonSuccessKind::Error,
                    b.error
                        .as_ref()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| b.summary.clone()),
                    0,
                ),
            };
            let mut status = TestCaseStatus::non_success(kind);
            status.set_message(b.summary.clone());
            status.set_description(text);
            let mut tc = TestCase::new(name.clone(), status);
            tc.set_classname(format!("{}.{}", report.suite, b.branch));
            tc.set_time(Duration::from_millis(time));
            ts.add_test_case(tc);
            ran.push(name);
        }
        for id in planned
            .get(&b.branch)
            .into_iter()
            .flatten()
            .filter(|id| !ran.contains(id))
        {
            let mut status = TestCaseStatus::skipped();
            status.set_message(if b.status == BranchStatus::Interrupted {
                "not run: the run was interrupted"
            } else {
                "not run: an earlier step of this scenario failed"
            });
            let mut tc = TestCase::new(id.clone(), status);
            tc.set_classname(format!("{}.{}", report.suite, b.branch));
            ts.add_test_case(tc);
        }
        out.add_test_suite(ts);
    }
    Ok(out.to_string()?)
}

/// Markdown for `$GITHUB_STEP_SUMMARY`.
pub(crate) fn markdown(report: &RunReport, link: Option<&str>) -> String {
    let mut md = String::new();
    let verdict = if report.interrupted {
        "⏹ interrupted"
    } else if report.failed {
        "❌ failed"
    } else {
        "✅ passed"
    };
    let _ = writeln!(md, "### vigil: suite `{}` {verdict}\n", report.suite);
    if let Some(l) = link {
        let _ = writeln!(md, "[Execution in the Step Functions console]({l})\n");
    }
    let _ = writeln!(
        md,
        "| scenario | status | steps | summary |\n|---|---|---|---|"
    );
    for b in &report.scenarios {
        let steps = b.steps.len() + usize::from(b.report.is_some());
        let status = match b.status {
            BranchStatus::Passed => "✅",
            BranchStatus::Failed => "❌",
            BranchStatus::Interrupted => "⏹",
        };
        let summary = b.summary.replace('|', "\\|");
        let _ = writeln!(md, "| {} | {status} | {steps} | {summary} |", b.branch);
    }
    for b in report
        .scenarios
        .iter()
        .filter(|b| b.status != BranchStatus::Passed)
    {
        if let Some(r) = &b.report {
            let _ = writeln!(
                md,
                "\n<details><summary>{} · {}</summary>\n\n```\n{}\n```\n</details>",
                b.branch,
                r.step,
                failure_text(r)
            );
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> RunReport {
        serde_json::from_value(json!({
            "suite": "s", "failed": true, "summary": "[]",
            "scenarios": [
                {"scenario": "a", "branch": "a", "status": "passed", "summary": "a: passed",
                 "steps": {"s0": {"step": "x", "attempt": 3, "elapsed_ms": 5, "outcome": {"status": "matched"}, "summary": "matched",
                                  "transient_errors": 2, "invocation_retries": 1}}},
                {"scenario": "b", "branch": "b", "status": "failed", "summary": "b/y: 1 mismatch", "failed_step": "y",
                 "report": {"step": "y", "attempt": 3, "elapsed_ms": 3000, "summary": "1 mismatch", "transient_errors": 1,
                            "outcome": {"status": "mismatched", "timed_out": true, "report": {"matched": false, "mismatches": [
                                {"path": "$['status']", "kind": "not_equal", "expected": "\"DONE\"", "actual": {"state": "value", "preview": "\"RUNNING\"", "elided_bytes": 0}, "reason": "differ"}]}}},
                 "steps": {}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn junit_has_a_case_per_step_and_the_mismatch_text() {
        let xml = junit(&report(), None).unwrap();
        assert!(xml.contains(r#"<testsuite name="a" tests="1""#), "{xml}");
        assert!(
            xml.contains(r#"<testcase name="y" classname="s.b""#),
            "{xml}"
        );
        assert!(xml.contains("timed out after 3 attempts"), "{xml}");
        // Retries are visible on green and red steps alike.
        assert!(
            xml.contains(
                "passed after 3 attempts; 2 transient errors and 1 failed invocation retried"
            ),
            "{xml}"
        );
        assert!(xml.contains("(1 transient error retried)"), "{xml}");
        assert!(
            xml.contains("$[&apos;status&apos;]") || xml.contains("$['status']"),
            "{xml}"
        );
    }

    #[test]
    fn markdown_lists_scenarios_and_failures() {
        let md = markdown(&report(), Some("https://example.invalid/x"));
        assert!(md.starts_with("### vigil: suite `s` ❌ failed"), "{md}");
        assert!(md.contains("| b | ❌ | 1 | b/y: 1 mismatch |"), "{md}");
        assert!(md.contains("<details><summary>b · y</summary>"), "{md}");
    }
}
