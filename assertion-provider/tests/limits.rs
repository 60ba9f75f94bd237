//! Limits: a 10 MB answer still gets a correct verdict, and what goes back
//! to the state machine stays under Step Functions' 256 KiB state limit,
//! whether the step passes or fails with a report about every item.

mod support;

use std::sync::Arc;
use std::time::Duration;

use assertion_provider::clock::FakeClock;
use assertion_provider::sealing::KeySource;
use serde_json::{Value, json};
use support::*;
use vigil_protocol::{CaptureTable, Verdict};

const STATE_LIMIT: usize = 256 * 1024;

/// A DynamoDB-Query-shaped body of at least `bytes`, the last item `last`.
fn big_query(bytes: usize, last: &str) -> String {
    let item = |i: usize, status: &str| {
        json!({
            "task_id": {"S": format!("t-{i:06}")},
            "status": {"S": status},
            "description": {"S": "x".repeat(400)},
            "turns": {"N": (i % 500).to_string()}
        })
    };
    let per = item(0, "RUNNING").to_string().len() + 1;
    let n = bytes / per + 1;
    let mut items: Vec<Value> = (0..n - 1).map(|i| item(i, "RUNNING")).collect();
    items.push(item(n - 1, last));
    json!({"Count": n, "ScannedCount": n, "Items": items}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_megabytes_in_a_verdict_and_a_small_state_out() {
    let passing = big_query(10 * 1024 * 1024, "COMPLETED");
    let failing = big_query(10 * 1024 * 1024, "FAILED");
    assert!(passing.len() >= 10 * 1024 * 1024);
    let stub = Stub::start(move |seen| Reply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: if seen.path == "/pass" {
            passing.clone()
        } else {
            failing.clone()
        },
        delay: Duration::ZERO,
    })
    .await;
    let clock = Arc::new(FakeClock::new(
        vigil_matchers::parse_rfc3339("2026-11-23T10:00:00Z").unwrap(),
    ));
    let p = provider(
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        clock,
        KeySource::Unconfigured,
        Duration::from_secs(30),
    );
    let step = |path: &str| {
        json!({
            "id": "big",
            "call": {"kind": "http", "url": format!("{}{path}", stub.url)},
            "select": "$.body.Items",
            "expect": {"arrayWith": [{"objectLike": {
                "status": {"objectLike": {"S": {"exact": "COMPLETED"}}},
                "task_id": {"objectLike": {"S": {"stringLikeRegexp": "^t-\\d{6}$"}}}
            }}]},
            "capture": {"count": {"path": "$.body.Count"}}
        })
    };

    let pass = p
        .handle(request(step("/pass"), CaptureTable::default(), None), None)
        .await;
    assert_eq!(pass.verdict, Verdict::Pass, "{:?}", pass.report);
    let out = serde_json::to_string(&pass).unwrap();
    assert!(out.len() < STATE_LIMIT, "{} bytes", out.len());

    let fail = p
        .handle(request(step("/fail"), CaptureTable::default(), None), None)
        .await;
    assert_eq!(fail.verdict, Verdict::Fail, "{:?}", fail.report);
    let out = serde_json::to_string(&fail).unwrap();
    assert!(out.len() < STATE_LIMIT, "{} bytes", out.len());
    // The report still says what was wrong, and where: no element matched,
    // the closest candidate's mismatch with its path, and how much of the
    // 10 MB actual value it left out.
    let report = &fail.report;
    let text = serde_json::to_string(report).unwrap();
    assert!(
        text.contains("no element matches arrayWith element 0"),
        "{text:.2000}"
    );
    assert!(text.contains("$[0]['status']['S']"), "{text:.2000}");
    assert!(text.contains("RUNNING"), "{text:.2000}");
    assert!(
        fail.report.summary.contains("more bytes"),
        "{}",
        fail.report.summary
    );
}
