//! Reading an execution back from Step Functions: follow it to its end and
//! recover the run report (the output when it succeeded; the `Report`
//! state's output from the history when it failed).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::io::IsTerminal as _;
use std::ops::ControlFlow;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use vigil_protocol::{StepReport, Verdict as StepVerdict};
use vigil_state_machine::partial_run::PartialRun;

use crate::attempt_log::AttemptLog;
use vigil_state_machine::run_report::{self, RunReport};

/// The console page of an execution, on its partition's console host; in
/// a partition without a public console host, a sentence that says so
/// (a link to the commercial console would point at the wrong account).
pub(crate) fn console_link(arn: &str) -> String {
    let region = arn.split(':').nth(3).unwrap_or("us-east-1");
    match vigil_aws_model::partition::Partition::console_origin(region) {
        Some(origin) => {
            format!("{origin}/states/home?region={region}#/v2/executions/details/{arn}")
        }
        None => format!(
            "{arn} (no public console host is known for {region}'s partition: open it in your partition's Step Functions console)"
        ),
    }
}

/// An execution name for a run: `<suite>-<commit>-<attempt>`, limited to
/// the characters and the 80-character length Step Functions allows, so the
/// same commit and attempt always name the same execution (a retried CI job
/// follows the run it already started instead of starting another).
pub(crate) fn execution_name(suite: &str, commit: &str, attempt: u32) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let commit: String = clean(commit).chars().take(12).collect();
    let tail = format!("-{commit}-{attempt}");
    let suite: String = clean(suite)
        .chars()
        .take(80 - tail.chars().count())
        .collect();
    format!("{suite}{tail}")
}

/// Starts the execution (or finds the one with the same name), returning
/// its ARN and whether it was already there.
pub(crate) async fn start(
    state_machine_arn: &str,
    name: &str,
    input: &Value,
) -> anyhow::Result<(String, bool)> {
    let aws = assertion_provider::aws_client_from_env()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let params =
        json!({"stateMachineArn": state_machine_arn, "name": name, "input": input.to_string()});
    match aws.call("stepfunctions", "StartExecution", &params).await {
        Ok(out) => Ok((
            out["executionArn"]
                .as_str()
                .context("StartExecution returned no executionArn")?
                .to_owned(),
            false,
        )),
        Err(e) if e.code.as_deref() == Some("ExecutionAlreadyExists") => {
            // Same name as before: the execution ARN is the state machine's
            // with `stateMachine` replaced by `execution` and the name appended.
            let arn = format!(
                "{}:{name}",
                state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
            );
            Ok((arn, true))
        }
        Err(e) => Err(sfn_error("StartExecution", e)),
    }
}

/// A failed Step Functions call as one message, with the fix when it is
/// about credentials or permissions.
fn sfn_error(op: &str, e: vigil_protocol::StepError) -> anyhow::Error {
    let mut text = format!(
        "Step Functions {op}: {}{}",
        e.code
            .as_deref()
            .map(|c| format!("{c}: "))
            .unwrap_or_default(),
        e.message
    );
    let missing = match e.code.as_deref() {
        Some("StateMachineDoesNotExist") => Some(
            "deploy the suite first (`vigil deploy`), or check --state-machine-arn / --stack and \
             AWS_REGION",
        ),
        Some("ExecutionDoesNotExist") => Some("check the execution ARN and AWS_REGION"),
        _ => None,
    };
    if let Some(h) = crate::aws_error::hint(e.code.as_deref(), e.status).or(missing) {
        text.push_str("\nhint: ");
        text.push_str(h);
    }
    anyhow::anyhow!(text)
}

/// Where live progress goes: a rolling line on a terminal (every attempt,
/// overwritten, with the changes kept above it), plain lines in a log (the
/// attempts an [`AttemptLog`] picks).
struct Progress {
    line: Option<ProgressBar>,
    log: AttemptLog,
}

impl Progress {
    fn new() -> Progress {
        let line = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            line,
            log: AttemptLog::new(Duration::from_secs(60)),
        }
    }

    /// A line that stays (a change of status, a failed invocation).
    fn say(&self, text: &str) {
        match &self.line {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn attempt(&mut self, step: &str, attempt: &Value, summary: &str) {
        let text = format!("  {step} attempt {attempt}: {summary}");
        if let Some(bar) = &self.line {
            bar.set_message(text.trim_start().to_owned());
        }
        if self.log.show(step, summary, std::time::Instant::now()) {
            self.say(&text);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.line {
            bar.finish_and_clear();
        }
    }
}

/// Prints each attempt the provider reports while the execution runs, and
/// records it in `partial` (what an interrupted `run` or `report` writes).
fn print_progress(events: &[Value], partial: &Mutex<PartialRun>, progress: &mut Progress) {
    for e in events {
        if let Some(error) = e["taskFailedEventDetails"]["error"]
            .as_str()
            .filter(|err| err.starts_with("Lambda."))
        {
            let next = if vigil_state_machine::compile::LAMBDA_SERVICE_ERRORS.contains(&error) {
                "the Task's Retry runs it again"
            } else {
                "not retried: the step ends here"
            };
            progress.say(&format!("  provider invocation failed ({error}); {next}"));
            continue;
        }
        let details = &e["taskSucceededEventDetails"];
        if let Some(out) = details["output"].as_str()
            && let Ok(v) = serde_json::from_str::<Value>(out)
            && let Some(report) = v.get("Payload").and_then(|p| p.get("report"))
        {
            if let (Ok(r), Some(Ok(verdict))) = (
                serde_json::from_value::<StepReport>(report.clone()),
                v["Payload"]
                    .get("verdict")
                    .map(|x| serde_json::from_value::<StepVerdict>(x.clone())),
            ) && let Ok(mut p) = partial.lock()
            {
                p.record(&r, verdict);
            }
            let step = report["step"].as_str().unwrap_or("?");
            let summary = report["summary"].as_str().unwrap_or("");
            progress.attempt(step, &report["attempt"], summary);
        }
    }
}

/// One page of an execution's history: `maxResults` is at most 1,000 and
/// a long run has many more (up to 25,000 events).
const HISTORY_PAGE: u32 = 1000;

/// Reads an execution's history newest first, page by page, handing each
/// event to `visit` until it says stop or the history ends: the events a
/// caller wants (the newest ones, the `Report` state near the end) are
/// found without reading every page.
async fn newest_first<F, Fut>(
    call: &F,
    arn: &str,
    mut visit: impl FnMut(&Value) -> ControlFlow<()>,
) -> anyhow::Result<()>
where
    F: Fn(&'static str, Value) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Value>>,
{
    let mut token: Option<String> = None;
    loop {
        let mut params =
            json!({"executionArn": arn, "maxResults": HISTORY_PAGE, "reverseOrder": true});
        if let Some(t) = &token {
            params["nextToken"] = json!(t);
        }
        let page = call("GetExecutionHistory", params).await?;
        for e in page["events"].as_array().into_iter().flatten() {
            if visit(e).is_break() {
                return Ok(());
            }
        }
        match page["nextToken"].as_str() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_owned()),
            _ => return Ok(()),
        }
    }
}

/// The events of an execution newer than event `after` (ids only grow),
/// oldest first, so a long history costs a page per look, not all of them.
async fn events_after<F, Fut>(call: &F, arn: &str, after: i64) -> anyhow::Result<Vec<Value>>
where
    F: Fn(&'static str, Value) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Value>>,
{
    let mut newer = Vec::new();
    newest_first(call, arn, |e| {
        if e["id"].as_i64().is_some_and(|id| id <= after) {
            return ControlFlow::Break(());
        }
        newer.push(e.clone());
        ControlFlow::Continue(())
    })
    .await?;
    newer.reverse();
    Ok(newer)
}

/// The newest event id among `events` (or `seen` when there are none).
fn last_id(events: &[Value], seen: i64) -> i64 {
    events
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .fold(seen, i64::max)
}

/// Says so when the run's definition came from a vigil of another
/// provider protocol (its report is read as far as the formats agree).
fn note_protocol(report: RunReport) -> RunReport {
    if report.protocol != vigil_protocol::PROTOCOL_VERSION {
        eprintln!(
            "note: this execution ran a definition of provider protocol {}, and this vigil \
             speaks {}: deploy the suite again with this vigil to match them",
            report.protocol,
            vigil_protocol::PROTOCOL_VERSION
        );
    }
    report
}

/// Waits for the execution to end and returns its report and console link.
pub(crate) async fn follow(
    arn: &str,
    partial: Arc<Mutex<PartialRun>>,
) -> anyhow::Result<(RunReport, String)> {
    let aws = assertion_provider::aws_client_from_env()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let call = |op: &'static str, params: Value| {
        let aws = aws.clone();
        async move {
            aws.call("stepfunctions", op, &params)
                .await
                .map_err(|e| sfn_error(op, e))
        }
    };
    let mut last_status = String::new();
    let mut seen = 0i64;
    let mut progress = Progress::new();
    let described = loop {
        let d = call("DescribeExecution", json!({"executionArn": arn})).await?;
        let status = d["status"].as_str().unwrap_or_default().to_owned();
        if status != last_status {
            progress.say(&format!("{arn}: {status}"));
            last_status = status.clone();
        }
        // Live progress: the attempts recorded since the last look (also
        // the last ones, once it has ended).
        if let Ok(events) = events_after(&call, arn, seen).await {
            print_progress(&events, &partial, &mut progress);
            seen = last_id(&events, seen);
        }
        if status != "RUNNING" && status != "PENDING_REDRIVE" {
            break d;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    drop(progress);
    let status = described["status"].as_str().unwrap_or_default();
    let link = console_link(arn);
    if status == "SUCCEEDED" {
        let output = described["output"]
            .as_str()
            .context("the execution has no output")?;
        let report: RunReport =
            serde_json::from_str(output).context("the execution's output is not a vigil report")?;
        return Ok((note_protocol(report), link));
    }
    // Failed (or stopped): the Report state's output is in the history,
    // near its end.
    let mut report: Option<RunReport> = None;
    newest_first(&call, arn, |e| {
        let exited = &e["stateExitedEventDetails"];
        match exited["output"].as_str() {
            Some(out) if exited["name"] == json!(run_report::REPORT_STATE) => {
                report = serde_json::from_str(out).ok();
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        }
    })
    .await?;
    match report {
        Some(r) => Ok((note_protocol(r), link)),
        None => bail!(
            "execution {status} before it could report (no Report state in its history): {}\n{link}",
            described["cause"]
                .as_str()
                .or(described["error"].as_str())
                .unwrap_or("no cause given")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_links_use_the_executions_partition() {
        let arn = |partition: &str, region: &str| {
            format!("arn:{partition}:states:{region}:123456789012:execution:m:e")
        };
        assert_eq!(
            console_link(&arn("aws", "eu-west-1")),
            format!(
                "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/{}",
                arn("aws", "eu-west-1")
            )
        );
        assert!(
            console_link(&arn("aws-cn", "cn-north-1"))
                .starts_with("https://console.amazonaws.cn/states/home?region=cn-north-1#")
        );
        assert!(
            console_link(&arn("aws-us-gov", "us-gov-west-1")).starts_with(
                "https://console.amazonaws-us-gov.com/states/home?region=us-gov-west-1#"
            )
        );
        let iso = console_link(&arn("aws-iso", "us-iso-east-1"));
        assert!(
            iso.starts_with("arn:aws-iso:") && iso.contains("no public console host"),
            "{iso}"
        );
    }

    #[test]
    fn execution_names_are_stable_and_valid() {
        assert_eq!(
            execution_name("task-lifecycle", "0123456789abcdef", 2),
            "task-lifecycle-0123456789ab-2"
        );
        let long = execution_name(&"s".repeat(100), "abc", 1);
        assert_eq!(long.chars().count(), 80);
        assert!(long.ends_with("-abc-1"));
        assert_eq!(execution_name("a b/c", "x:y", 1), "a-b-c-x-y-1");
    }
}
