//! `vigil local`: the state machine's loop, run from this host.
//!
//! Branches run concurrently, steps in order, each step attempted through
//! the provider's own `handle` until it says pass or fail, waiting
//! `wait_seconds` between attempts: the same decisions the deployed state
//! machine makes, and the same report shape it outputs.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::Value;
use vigil_protocol::{CaptureTable, ProviderRequest, Verdict};
use vigil_state_machine::Suite;

use crate::attempt_log::AttemptLog;
use vigil_state_machine::branches::{Branch, branches};
use vigil_state_machine::limits::response_share;
use vigil_state_machine::partial_run::PartialRun;
use vigil_state_machine::run_report::{self, BranchOutcome, BranchStatus, RunReport};

/// How often a log repeats an unchanged attempt, to show the run is alive.
const HEARTBEAT: Duration = Duration::from_secs(60);

/// Shows progress: a rolling line per branch on a terminal; otherwise (CI)
/// the attempts an [`AttemptLog`] picks, a line each.
#[derive(Clone)]
enum Progress {
    Bars(ProgressBar),
    Lines(String, Arc<Mutex<AttemptLog>>),
}

impl Progress {
    fn attempt(&self, step: &str, summary: &str, text: String) {
        match self {
            Progress::Bars(bar) => bar.set_message(text),
            Progress::Lines(label, log) => {
                let show = log
                    .lock()
                    .map(|mut l| l.show(step, summary, Instant::now()))
                    .unwrap_or(true);
                if show {
                    eprintln!("[{label}] {text}");
                }
            }
        }
    }
    fn finish(&self, text: String) {
        match self {
            Progress::Bars(bar) => bar.finish_with_message(text),
            Progress::Lines(label, _) => eprintln!("[{label}] {text}"),
        }
    }
}

/// Runs every branch and assembles the report; each attempt is also
/// recorded in `partial`, which is what an interrupted run reports.
pub(crate) async fn run(
    suite: &Suite,
    params: BTreeMap<String, Value>,
    partial: Arc<Mutex<PartialRun>>,
) -> anyhow::Result<RunReport> {
    let provider = Arc::new(
        assertion_provider::provider_from_env()
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))
            .context("the provider cannot start")?,
    );
    let plan = branches(suite);
    let share = response_share(suite, plan.len());
    let bars = std::io::stderr().is_terminal().then(MultiProgress::new);
    let log = Arc::new(Mutex::new(AttemptLog::new(HEARTBEAT)));
    let style = ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let mut tasks = Vec::new();
    for branch in plan {
        let label = branch
            .scenarios
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("+");
        let progress = match &bars {
            Some(m) => {
                let bar = m.add(ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(label.clone());
                bar.enable_steady_tick(Duration::from_millis(120));
                Progress::Bars(bar)
            }
            None => Progress::Lines(label.clone(), log.clone()),
        };
        let steps: Vec<(String, String, String)> = branch
            .steps
            .iter()
            .map(|(sc, i)| {
                let step = &suite.scenarios[sc].steps[*i];
                (sc.to_string(), step.id.to_string(), step.spec().to_wire())
            })
            .collect();
        let provider = provider.clone();
        let params = params.clone();
        tasks.push(tokio::spawn(run_branch(
            provider,
            branch,
            steps,
            params,
            share,
            label,
            progress,
            partial.clone(),
        )));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.context("a scenario task stopped unexpectedly")?);
    }
    Ok(RunReport::new(suite.suite.as_str(), outcomes))
}

#[allow(clippy::too_many_arguments)]
async fn run_branch(
    provider: Arc<assertion_provider::Provider>,
    branch: Branch,
    steps: Vec<(String, String, String)>,
    params: BTreeMap<String, Value>,
    share: usize,
    label: String,
    progress: Progress,
    partial: Arc<Mutex<PartialRun>>,
) -> BranchOutcome {
    let mut captures = CaptureTable::default();
    let mut done = BTreeMap::new();
    for (k, (scenario, id, wire)) in steps.into_iter().enumerate() {
        let mut poll = None;
        loop {
            let req = ProviderRequest {
                protocol: Some(vigil_protocol::PROTOCOL_VERSION),
                step: wire.clone(),
                params: params.clone(),
                captures: captures.clone(),
                poll: poll.clone(),
                max_response_bytes: Some(share),
                retry_count: 0,
            };
            let resp = provider.handle(req, None).await;
            if let Ok(mut p) = partial.lock() {
                p.record(&resp.report, resp.verdict);
            }
            let r = &resp.report;
            progress.attempt(
                &format!("{scenario}/{id}"),
                &r.summary,
                format!("{scenario} · {id} attempt {}: {}", r.attempt, r.summary),
            );
            match resp.verdict {
                Verdict::Retry => {
                    tokio::time::sleep(Duration::from_secs(resp.wait_seconds.unwrap_or(1))).await;
                    poll = Some(resp.poll);
                }
                Verdict::Pass => {
                    done.insert(run_report::step_slot(k), resp.report);
                    captures.merge(resp.captures);
                    break;
                }
                Verdict::Fail => {
                    let summary = run_report::failed_summary(&scenario, &id, &resp.report.summary);
                    // The detail is printed once, in the report.
                    progress.finish(format!("✗ {scenario}/{id} failed"));
                    return BranchOutcome {
                        scenario,
                        branch: label,
                        status: BranchStatus::Failed,
                        summary,
                        failed_step: Some(id),
                        report: Some(resp.report),
                        error: None,
                        steps: done,
                    };
                }
            }
        }
    }
    progress.finish(format!(
        "✓ {} step{} passed",
        done.len(),
        if done.len() == 1 { "" } else { "s" }
    ));
    BranchOutcome {
        scenario: branch.scenarios[0].to_string(),
        summary: run_report::passed_summary(&label),
        branch: label,
        status: BranchStatus::Passed,
        failed_step: None,
        report: None,
        error: None,
        steps: done,
    }
}

/// The final report for people.
pub(crate) fn print_report(report: &RunReport) {
    println!(
        "suite {}: {}",
        report.suite,
        if report.interrupted {
            "INTERRUPTED"
        } else if report.failed {
            "FAILED"
        } else {
            "passed"
        }
    );
    for b in &report.scenarios {
        let (mark, what) = match b.status {
            BranchStatus::Passed => ("✓", "passed"),
            BranchStatus::Failed => ("✗", "failed"),
            BranchStatus::Interrupted => ("⏹", "interrupted"),
        };
        // A failure is told once: its step's line with every detail below.
        match &b.failed_step {
            Some(step) => println!("  {mark} {}: {step} {what}", b.branch),
            None => println!("  {mark} {}", b.summary),
        }
        for s in b.passed_steps() {
            println!(
                "      ✓ {} ({} attempt{}, {} ms{})",
                s.step,
                s.attempt,
                if s.attempt == 1 { "" } else { "s" },
                s.elapsed_ms,
                s.retried().map(|r| format!("; {r}")).unwrap_or_default()
            );
        }
        if let Some(r) = &b.report {
            println!(
                "      {mark} {} ({} attempt{}, {} ms{})",
                r.step,
                r.attempt,
                if r.attempt == 1 { "" } else { "s" },
                r.elapsed_ms,
                r.retried().map(|x| format!("; {x}")).unwrap_or_default()
            );
            if let vigil_protocol::StepOutcome::Mismatched { report, .. } = &r.outcome {
                for line in report.render_human().lines() {
                    println!("        {line}");
                }
            }
            if let vigil_protocol::StepOutcome::Error { error } = &r.outcome {
                let code = error
                    .code
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                println!("        {}{code}: {}", error.kind, error.message);
            }
        } else if let Some(e) = &b.error {
            println!("        the provider could not run: {e}");
        } else if b.status != BranchStatus::Passed {
            println!("        {}", b.summary);
        }
    }
}
