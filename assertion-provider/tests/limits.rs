//! Limits: a 10 MB answer still gets a correct verdict, and what goes back
//! to the state machine stays under Step Functions' 256 KiB state limit,
//! whether the step passes or fails with a report about every item.

use vigil_test_support as support;

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

/// An answer past the ceiling (16 MiB by default) fails the step at once,
/// saying how to narrow the call, instead of exhausting the function's
/// memory: announced by Content-Length (not read at all) or streamed in
/// chunks with no length (read only up to the ceiling).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_past_the_ceiling_fails_clearly_without_being_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limit = assertion_provider::calls::body::max_answer_bytes();
    let announced = "x".repeat(limit + 1);
    let stub = Stub::start(move |_| Reply {
        status: 200,
        headers: vec![],
        body: announced.clone(),
        delay: Duration::ZERO,
    })
    .await;
    // A server that streams chunked JSON-ish text without end; it counts
    // what it managed to send before the client hung up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endless = format!("http://{}/", listener.local_addr().unwrap());
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut head = [0u8; 4096];
        let _ = sock.read(&mut head).await;
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        let chunk = vec![b'y'; 1 << 20];
        loop {
            let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if sock.write_all(&frame).await.is_err() {
                return;
            }
            counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
        }
    });
    let clock = Arc::new(FakeClock::new(
        vigil_matchers::parse_rfc3339("2026-11-23T10:00:00Z").unwrap(),
    ));
    let p = provider(
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        clock,
        KeySource::Unconfigured,
        Duration::from_secs(60),
    );
    for url in [stub.url.clone(), endless] {
        let r = p
            .handle(
                request(
                    json!({"id": "huge", "call": {"kind": "http", "url": url}, "expect": {"objectLike": {"status": {"exact": 200}}}}),
                    CaptureTable::default(),
                    None,
                ),
                None,
            )
            .await;
        assert_eq!((r.verdict, r.report.attempt), (Verdict::Fail, 1), "{url}");
        let vigil_protocol::StepOutcome::Error { error } = &r.report.outcome else {
            panic!("{url}: {:?}", r.report)
        };
        assert_eq!(error.code.as_deref(), Some("AnswerTooLarge"), "{url}");
        assert!(
            error.message.contains("narrow the call") && error.message.contains(&limit.to_string()),
            "{}",
            error.message
        );
    }
    server.abort();
    let streamed = sent.load(std::sync::atomic::Ordering::Relaxed);
    // What the server got out before the client stopped reading: the
    // ceiling plus what socket buffers hold, not an endless stream.
    assert!(streamed < limit + (16 << 20), "{streamed} bytes streamed");
}
