//! Reading an execution back from Step Functions: follow it to its end and
//! recover the run report (the output when it succeeded; the `Report`
//! state's output from the history when it failed).

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use vigil_state_machine::run_report::RunReport;

/// The console page of an execution.
pub fn console_link(arn: &str) -> String {
    let region = arn.split(':').nth(3).unwrap_or("us-east-1");
    format!(
        "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"
    )
}

/// Waits for the execution to end and returns its report and console link.
pub async fn follow(arn: &str) -> anyhow::Result<(RunReport, String)> {
    let aws = assertion_provider::aws_client_from_env()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let call = |op: &'static str, params: Value| {
        let aws = aws.clone();
        async move {
            aws.call("stepfunctions", op, &params).await.map_err(|e| {
                anyhow::anyhow!(
                    "Step Functions {op}: {} {}",
                    e.code.unwrap_or_default(),
                    e.message
                )
            })
        }
    };
    let mut last_status = String::new();
    let described = loop {
        let d = call("DescribeExecution", json!({"executionArn": arn})).await?;
        let status = d["status"].as_str().unwrap_or_default().to_owned();
        if status != "RUNNING" && status != "PENDING_REDRIVE" {
            break d;
        }
        if status != last_status {
            eprintln!("{arn}: {status}");
            last_status = status;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let status = described["status"].as_str().unwrap_or_default();
    let link = console_link(arn);
    if status == "SUCCEEDED" {
        let output = described["output"]
            .as_str()
            .context("the execution has no output")?;
        let report: RunReport =
            serde_json::from_str(output).context("the execution's output is not a vigil report")?;
        return Ok((report, link));
    }
    // Failed (or stopped): the Report state's output is in the history.
    let mut token: Option<String> = None;
    let mut report: Option<RunReport> = None;
    loop {
        let mut params = json!({"executionArn": arn, "maxResults": 1000});
        if let Some(t) = &token {
            params["nextToken"] = json!(t);
        }
        let page = call("GetExecutionHistory", params).await?;
        for e in page["events"].as_array().into_iter().flatten() {
            let exited = &e["stateExitedEventDetails"];
            if exited["name"] == json!("Report")
                && let Some(out) = exited["output"].as_str()
            {
                report = serde_json::from_str(out).ok();
            }
        }
        match page["nextToken"].as_str() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    match report {
        Some(r) => Ok((r, link)),
        None => bail!(
            "execution {status} before it could report (no Report state in its history): {}\n{link}",
            described["cause"]
                .as_str()
                .or(described["error"].as_str())
                .unwrap_or("no cause given")
        ),
    }
}
