//! Captures, templates, sealing, error classification and poll decisions,
//! end to end through `Provider::handle`, against moto and a scripted
//! loopback server. Time is a fake clock: nothing here sleeps for real
//! except the slow-server case.

use vigil_test_support as support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use assertion_provider::clock::{Clock, FakeClock, SystemClock};
use assertion_provider::sealing::KeySource;
use serde_json::{Value, json};
use support::*;
use vigil_protocol::{
    CaptureTable, CapturedValue, ErrorKind, ProviderResponse, StepOutcome, Verdict,
};

fn t0() -> time::OffsetDateTime {
    vigil_matchers::parse_rfc3339("2026-11-23T10:00:00Z").unwrap()
}

fn key_file() -> (std::path::PathBuf, KeySource) {
    let path = std::env::temp_dir().join(format!("vigil-seal-{}.key", std::process::id()));
    std::fs::write(
        &path,
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    )
    .unwrap();
    let key = KeySource::from_file(path.to_str().unwrap()).unwrap();
    (path, key)
}

fn report_text(r: &ProviderResponse) -> String {
    serde_json::to_string_pretty(&r.report).unwrap()
}

/// Drives a step the way the state machine does, on the fake clock:
/// invoke, advance by the Wait it asks for, invoke again with its poll
/// state, until pass or fail. The final answer and the waits on the way.
async fn drive(
    p: &assertion_provider::Provider,
    clock: &FakeClock,
    step: &Value,
    time_left: Option<Duration>,
) -> (ProviderResponse, Vec<u64>) {
    let mut poll = None;
    let mut waits = Vec::new();
    loop {
        let r = p
            .handle(
                request(step.clone(), CaptureTable::default(), poll),
                time_left,
            )
            .await;
        if r.verdict != Verdict::Retry {
            return (r, waits);
        }
        let w = r.wait_seconds.expect("a retry says how long to wait");
        waits.push(w);
        clock.advance(Duration::from_secs(w));
        poll = Some(r.poll);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_flow_into_later_steps_and_secrets_stay_sealed() {
    let moto = Moto::start().await;
    let c = aws_client(&moto.url);
    let (key_path, key) = key_file();
    let p = provider(
        &moto.url,
        &moto.url,
        Arc::new(SystemClock),
        key,
        Duration::from_secs(10),
    );
    create_tasks_table(&c).await;
    aws(&c, "dynamodb", "PutItem", json!({"TableName": "Tasks", "Item": {
        "task_id": {"S": "t-42"}, "owner": {"S": "sub-123"}, "api_key": {"S": "sk-live-SECRET-9f8e"}, "turns": {"N": "3"}
    }})).await;

    // Step 1 captures a plain value and a secret one.
    let mut req = request(
        json!({
            "id": "read",
            "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                     "params": {"TableName": "${table}", "Key": {"task_id": {"S": "t-42"}}}},
            "capture": {"owner": {"path": "$.Item.owner.S"}, "api_key": {"path": "$.Item.api_key.S", "secret": true}}
        }),
        CaptureTable::default(),
        None,
    );
    req.params.insert("table".into(), json!("Tasks"));
    let r1 = p.handle(req.clone(), None).await;
    assert_eq!(r1.verdict, Verdict::Pass, "{}", report_text(&r1));
    let wire = serde_json::to_string(&r1).unwrap();
    assert!(
        !wire.contains("SECRET"),
        "the secret leaked into the response: {wire}"
    );
    let read = "read".parse().unwrap();
    let caps = &r1.captures.0[&read];
    assert_eq!(
        caps[&"owner".parse().unwrap()],
        CapturedValue::Value(json!("sub-123"))
    );
    let CapturedValue::Sealed(blob) = &caps[&"api_key".parse().unwrap()] else {
        panic!("{caps:?}")
    };
    assert!(blob.starts_with("v1."));

    // Step 2 uses both: a template with the plain capture, equalsCapture with
    // the secret one (unsealed only inside the provider).
    let step2 = json!({
        "id": "check",
        "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                 "params": {"TableName": "Tasks", "Key": {"task_id": {"S": "t-42"}}}},
        "select": "$.Item",
        "expect": {"objectLike": {
            "owner": {"objectLike": {"S": {"equalsCapture": "read.owner"}}},
            "api_key": {"objectLike": {"S": {"equalsCapture": "read.api_key"}}}
        }}
    });
    let r2 = p
        .handle(request(step2.clone(), r1.captures.clone(), None), None)
        .await;
    assert_eq!(r2.verdict, Verdict::Pass, "{}", report_text(&r2));
    // A response carries the step's own captures only: the state machine
    // merges them into what it holds, so nothing sits in the state twice.
    assert!(r2.captures.0.is_empty(), "{:?}", r2.captures);

    // When it mismatches, the report says where but never shows the secret.
    aws(&c, "dynamodb", "PutItem", json!({"TableName": "Tasks", "Item": {
        "task_id": {"S": "t-42"}, "owner": {"S": "sub-999"}, "api_key": {"S": "sk-live-SECRET-0000"}
    }})).await;
    let r3 = p
        .handle(request(step2, r1.captures.clone(), None), None)
        .await;
    assert_eq!(r3.verdict, Verdict::Fail);
    let text = serde_json::to_string(&r3).unwrap();
    assert!(!text.contains("SECRET"), "{text}");
    let StepOutcome::Mismatched { report, .. } = &r3.report.outcome else {
        panic!("{}", report_text(&r3))
    };
    let paths: Vec<String> = report
        .mismatches()
        .iter()
        .map(|m| m.path.to_string())
        .collect();
    assert_eq!(paths, ["$['api_key']['S']", "$['owner']['S']"]);

    // A sealed value cannot be moved to another capture name.
    let mut moved = r1.captures.clone();
    let v = moved
        .0
        .get_mut(&read)
        .unwrap()
        .remove(&"api_key".parse().unwrap())
        .unwrap();
    moved
        .0
        .get_mut(&read)
        .unwrap()
        .insert("owner".parse().unwrap(), v);
    let r4 = p.handle(request(json!({
        "id": "reuse", "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                                "params": {"TableName": "Tasks", "Key": {"task_id": {"S": "${read.owner}"}}}}
    }), moved, None), None).await;
    let StepOutcome::Error { error } = &r4.report.outcome else {
        panic!("{}", report_text(&r4))
    };
    assert_eq!(error.kind, ErrorKind::Provider);
    assert!(
        error.message.contains("sealed for another capture"),
        "{}",
        error.message
    );
    std::fs::remove_file(key_path).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kms_sealing_round_trips_across_provider_instances() {
    let moto = Moto::start().await;
    let c = aws_client(&moto.url);
    let key = aws(
        &c,
        "kms",
        "CreateKey",
        json!({"Description": "vigil sealing"}),
    )
    .await;
    let key_id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let sealer_a =
        assertion_provider::sealing::Sealer::new(KeySource::Kms(key_id.clone()), c.clone());
    let sealer_b = assertion_provider::sealing::Sealer::new(KeySource::Kms(key_id), c.clone());
    let blob = sealer_a
        .seal(&json!({"token": "eyJ-secret"}), "login.token")
        .await
        .unwrap();
    assert!(!blob.contains("secret"));
    // Another container (another sealer) opens it through KMS Decrypt.
    assert_eq!(
        sealer_b.unseal(&blob, "login.token").await.unwrap(),
        json!({"token": "eyJ-secret"})
    );
    assert!(sealer_b.unseal(&blob, "login.other").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_are_retried_and_counted_then_the_call_recovers() {
    let calls = Arc::new(AtomicU32::new(0));
    let n = calls.clone();
    let stub = Stub::start(move |_| match n.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::json(400, json!({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "message": "slow down"})),
        1 => Reply::json(500, json!({"__type": "InternalServerError", "message": "oops"})),
        2 => Reply::json(429, json!({"message": "Too Many Requests"})),
        _ => Reply::json(200, json!({"Item": {"status": {"S": "COMPLETED"}}})),
    }).await;
    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(
        &stub.url,
        &stub.url,
        clock.clone(),
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let step = json!({
        "id": "get", "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem", "params": {"TableName": "T", "Key": {}}},
        "select": "$.Item.status.S", "expect": {"exact": "COMPLETED"},
        "poll": {"timeout": "2m", "min_delay": "1s", "max_delay": "4s", "micro_poll": "30s"}
    });
    let r = p
        .handle(request(step, CaptureTable::default(), None), None)
        .await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", report_text(&r));
    assert_eq!((r.report.attempt, r.report.transient_errors), (4, 3));
    // The signed request reached the stub with the awsJson headers.
    let seen = stub.requests();
    assert_eq!(
        seen[0].header("x-amz-target"),
        Some("DynamoDB_20120810.GetItem")
    );
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert!(
        seen[0]
            .header("authorization")
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 Credential=testing/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_errors_fail_fast_and_slow_answers_are_network_errors() {
    let stub = Stub::start(|seen| {
        if seen.header("x-amz-target") == Some("DynamoDB_20120810.Scan") {
            Reply::json(200, json!({})).after(Duration::from_secs(3))
        } else {
            Reply::json(400, json!({"__type": "AccessDeniedException", "Message": "User is not authorized to perform: dynamodb:GetItem"}))
        }
    }).await;
    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(
        &stub.url,
        &stub.url,
        clock.clone(),
        KeySource::Unconfigured,
        Duration::from_millis(500),
    );
    let r = p.handle(request(json!({
        "id": "denied", "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem", "params": {}},
        "poll": {"timeout": "10m"}
    }), CaptureTable::default(), None), None).await;
    assert_eq!((r.verdict, r.report.attempt), (Verdict::Fail, 1));
    let StepOutcome::Error { error } = &r.report.outcome else {
        panic!()
    };
    assert_eq!(
        (error.kind, error.code.as_deref()),
        (ErrorKind::Authorization, Some("AccessDeniedException"))
    );
    assert!(error.message.contains("dynamodb:GetItem"));

    // A call that does not answer in time is a transient network error; an
    // unpolled step gets a short retry budget, then fails with the error.
    let slow = json!({
        "id": "slow", "call": {"kind": "aws", "service": "dynamodb", "operation": "Scan", "params": {}}
    });
    let (r, _) = drive(&p, &clock, &slow, None).await;
    assert_eq!(r.verdict, Verdict::Fail, "{}", report_text(&r));
    assert_eq!(
        r.report.elapsed_ms, 30_000,
        "the implicit 30s budget, exactly"
    );
    let StepOutcome::Error { error } = &r.report.outcome else {
        panic!("{}", report_text(&r))
    };
    assert_eq!(error.kind, ErrorKind::Network);
    assert!(error.message.contains("timed out"), "{}", error.message);
    assert!(r.report.transient_errors >= 2, "{}", report_text(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_returns_waits_and_enforces_the_deadline_exactly() {
    let stub =
        Stub::start(|_| Reply::json(200, json!({"Item": {"status": {"S": "RUNNING"}}}))).await;
    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(
        &stub.url,
        &stub.url,
        clock.clone(),
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let step = json!({
        "id": "wait-done", "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem", "params": {}},
        "select": "$.Item", "expect": {"objectLike": {"status": {"objectLike": {"S": {"exact": "COMPLETED"}}}}},
        "poll": {"timeout": "100s", "min_delay": "2s", "max_delay": "20s", "jitter": false, "micro_poll": "0s"}
    });
    let (last, waits) = drive(&p, &clock, &step, None).await;
    assert_eq!(waits, [2, 4, 8, 16, 20, 20, 20, 10]);
    assert_eq!(last.verdict, Verdict::Fail);
    assert_eq!(last.report.attempt, 9);
    assert_eq!(
        last.report.elapsed_ms, 100_000,
        "the last attempt is exactly at the deadline"
    );
    let StepOutcome::Mismatched { report, timed_out } = &last.report.outcome else {
        panic!()
    };
    assert!(timed_out);
    assert_eq!(report.mismatches()[0].path.to_string(), "$['status']['S']");
    assert_eq!(
        last.report.summary,
        "timed out; last attempt: 1 mismatch: $['status']['S']: expected \"COMPLETED\", got \"RUNNING\" (the strings first differ at character 0)"
    );
    assert_eq!(stub.requests().len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_lambda_timeout_still_lands_on_the_deadline_without_spinning() {
    // Found on moto's engine: with Lambda's default 3 s timeout the 5 s
    // micro-poll margin also forbade the final sub-second wait, so the
    // provider answered `wait 0` over and over until the deadline passed.
    let stub = Stub::start(|_| Reply::json(200, json!({"status": "RUNNING"}))).await;
    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(
        &stub.url,
        &stub.url,
        clock.clone(),
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let step = json!({
        "id": "short", "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem", "params": {}},
        "select": "$.status", "expect": {"exact": "COMPLETED"},
        "poll": {"timeout": "2500ms", "min_delay": "1s", "max_delay": "1s", "jitter": false, "micro_poll": "0s"}
    });
    let (last, waits) = drive(&p, &clock, &step, Some(Duration::from_secs(3))).await;
    assert_eq!(
        waits,
        [1, 1],
        "the last half second is slept inside the invocation"
    );
    assert_eq!((last.report.attempt, last.report.elapsed_ms), (4, 2_500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn micro_polling_stays_inside_one_invocation_while_waits_are_short() {
    let calls = Arc::new(AtomicU32::new(0));
    let n = calls.clone();
    let stub = Stub::start(move |_| {
        let status = if n.fetch_add(1, Ordering::SeqCst) < 3 {
            "RUNNING"
        } else {
            "COMPLETED"
        };
        Reply::json(200, json!({"status": status}))
    })
    .await;
    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(
        &stub.url,
        &stub.url,
        clock.clone(),
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let step = json!({
        "id": "fast", "call": {"kind": "aws", "service": "dynamodb", "operation": "DescribeTable", "params": {}},
        "select": "$.status", "expect": {"exact": "COMPLETED"},
        "poll": {"timeout": "5m", "min_delay": "1s", "max_delay": "2s", "jitter": false, "micro_poll": "10s"}
    });
    let r = p
        .handle(
            request(step, CaptureTable::default(), None),
            Some(Duration::from_secs(60)),
        )
        .await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", report_text(&r));
    assert_eq!(r.report.attempt, 4, "four attempts, one invocation");
    assert_eq!(r.report.elapsed_ms, 5_000, "waits of 1 + 2 + 2 seconds");
    assert_eq!(clock.now() - t0(), time::Duration::seconds(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_mismatch_lists_are_cut_to_fit_the_payload_limit() {
    let items: Vec<Value> = (0..5000)
        .map(|i| json!({"id": i, "status": format!("RUNNING-{}", "x".repeat(200))}))
        .collect();
    let stub = Stub::start(move |_| Reply::json(200, json!({"Items": items.clone()}))).await;
    let p = provider(
        &stub.url,
        &stub.url,
        Arc::new(SystemClock),
        KeySource::Unconfigured,
        Duration::from_secs(10),
    );
    let r = p.handle(request(json!({
        "id": "all-done", "call": {"kind": "aws", "service": "dynamodb", "operation": "Scan", "params": {}},
        "select": "$.Items", "expect": {"every": {"objectLike": {"status": {"exact": "COMPLETED"}}}}
    }), CaptureTable::default(), None), None).await;
    let size = serde_json::to_vec(&r).unwrap().len();
    assert!(
        size <= assertion_provider::provider::MAX_RESPONSE_BYTES,
        "{size}"
    );
    let note = r.report.truncated.clone().expect("a truncation note");
    assert!(note.contains("of 5000 mismatches"), "{note}");
}

/// A poll whose final attempt is throttled still fails for the reason it
/// waited for: the mismatch, in full when the same invocation saw it, as
/// its summary beside the error when an earlier invocation did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_ending_on_a_transient_error_reports_the_mismatch_it_waited_for() {
    for micro_poll in ["10m", "0s"] {
        let calls = Arc::new(AtomicU32::new(0));
        let n = calls.clone();
        // 9 attempts fit in 100 s (see the test above); the 9th is throttled.
        let stub = Stub::start(move |_| {
            if n.fetch_add(1, Ordering::SeqCst) == 8 {
                Reply::json(
                    400,
                    json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
                )
            } else {
                Reply::json(200, json!({"Item": {"status": {"S": "RUNNING"}}}))
            }
        })
        .await;
        let clock = Arc::new(FakeClock::new(t0()));
        let p = provider(
            &stub.url,
            &stub.url,
            clock.clone(),
            KeySource::Unconfigured,
            Duration::from_secs(5),
        );
        let step = json!({
            "id": "wait-done", "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem", "params": {}},
            "select": "$.Item", "expect": {"objectLike": {"status": {"objectLike": {"S": {"exact": "COMPLETED"}}}}},
            "poll": {"timeout": "100s", "min_delay": "2s", "max_delay": "20s", "jitter": false, "micro_poll": micro_poll}
        });
        let (last, _) = drive(&p, &clock, &step, None).await;
        assert_eq!(calls.load(Ordering::SeqCst), 9, "{micro_poll}");
        assert_eq!(
            (last.verdict, last.report.transient_errors),
            (Verdict::Fail, 1),
            "{micro_poll}: {}",
            report_text(&last)
        );
        match (&last.report.outcome, micro_poll) {
            (StepOutcome::Mismatched { report, timed_out }, "10m") => {
                assert!(timed_out);
                assert_eq!(report.mismatches()[0].path.to_string(), "$['status']['S']");
            }
            (StepOutcome::Error { error }, "0s") => {
                assert_eq!(error.code.as_deref(), Some("ThrottlingException"));
                assert!(
                    error.message.contains(
                        "the latest attempt that got an answer saw: 1 mismatch: $['status']['S']: \
                         expected \"COMPLETED\", got \"RUNNING\""
                    ),
                    "{}",
                    error.message
                );
            }
            _ => panic!("{micro_poll}: {}", report_text(&last)),
        }
    }
}

/// An HTTP 503 or 429 the expectation does not accept is a busy service,
/// retried and counted; a 500 is the application's answer and fails an
/// unpolled step at once, body and all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_http_answers_are_retried_and_application_errors_are_not() {
    let calls = Arc::new(AtomicU32::new(0));
    let n = calls.clone();
    let stub = Stub::start(move |seen| match seen.path.as_str() {
        "/busy" => match n.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::json(503, json!({"message": "Service Unavailable"})),
            1 => Reply::json(429, json!({"message": "Too Many Requests"}))
                .with_header("retry-after", "1"),
            _ => Reply::json(200, json!({"ok": true})),
        },
        _ => Reply::json(500, json!({"error": "NullPointerException in TaskHandler"})),
    })
    .await;
    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(
        &stub.url,
        &stub.url,
        clock.clone(),
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let run = |path: &str| {
        json!({"id": "get", "call": {"kind": "http", "url": format!("{}{path}", stub.url)},
               "expect": {"objectLike": {"status": {"exact": 200}}}})
    };
    let (busy, _) = drive(&p, &clock, &run("/busy"), None).await;
    assert_eq!(
        (
            busy.verdict,
            busy.report.attempt,
            busy.report.transient_errors
        ),
        (Verdict::Pass, 3, 2),
        "{}",
        report_text(&busy)
    );
    assert_eq!(
        busy.report.retried().as_deref(),
        Some("2 transient errors retried")
    );
    let broken = p
        .handle(request(run("/broken"), CaptureTable::default(), None), None)
        .await;
    assert_eq!(
        (broken.verdict, broken.report.attempt),
        (Verdict::Fail, 1),
        "{}",
        report_text(&broken)
    );
    let StepOutcome::Mismatched { report, .. } = &broken.report.outcome else {
        panic!("{}", report_text(&broken))
    };
    assert_eq!(report.mismatches()[0].path.to_string(), "$['status']");
}

/// Templates in an expectation's strings take the run's values, as in the
/// call: a parameter, a capture, and a capture inside a regex (as text).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expectations_fill_in_parameters_and_captures() {
    let (_moto, c, p) = tasks_on_moto().await;
    let put = |reference: &'static str| {
        let c = c.clone();
        async move {
            aws(&c, "dynamodb", "PutItem", json!({"TableName": "Tasks", "Item": {
                "task_id": {"S": "o.1"}, "note": {"S": "order o.1 for Tasks"}, "ref": {"S": reference}
            }})).await;
        }
    };
    put("o.1-v2").await;
    let with_table = |step: serde_json::Value, captures: CaptureTable| {
        let mut req = request(step, captures, None);
        req.params.insert("TaskTable".into(), json!("Tasks"));
        req
    };
    let first = p
        .handle(
            with_table(
                json!({
                    "id": "create",
                    "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                             "params": {"TableName": "Tasks", "Key": {"task_id": {"S": "o.1"}}}},
                    "capture": {"id": {"path": "$.Item.task_id.S"}}
                }),
                CaptureTable::default(),
            ),
            None,
        )
        .await;
    assert_eq!(first.verdict, Verdict::Pass, "{}", report_text(&first));
    let step = |note: &str, reference: &str| {
        json!({
            "id": "check",
            "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                     "params": {"TableName": "Tasks", "Key": {"task_id": {"S": "o.1"}}}},
            "select": "$.Item",
            "expect": {"objectLike": {
                "note": {"objectLike": {"S": {"stringContains": note}}},
                "ref": {"objectLike": {"S": {"stringLikeRegexp": reference}}}
            }}
        })
    };
    let r = p
        .handle(
            with_table(
                step("order ${create.id} for ${TaskTable}", "^${create.id}-v2$"),
                first.captures.clone(),
            ),
            None,
        )
        .await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", report_text(&r));
    // The captured `o.1` is literal text in the regex: its `.` does not
    // match the `x` of `ox1-v2`.
    put("ox1-v2").await;
    let r = p
        .handle(
            with_table(step("${create.id}", "^${create.id}-v2$"), first.captures),
            None,
        )
        .await;
    assert_eq!(r.verdict, Verdict::Fail, "{}", report_text(&r));
    assert!(
        r.report.summary.contains(r"/^o\.1-v2$/"),
        "{}",
        r.report.summary
    );
}

/// A `select` that finds nothing says so, names its path and the answer's
/// top-level keys, instead of a bare "missing".
#[tokio::test]
async fn a_select_that_matches_nothing_says_so() {
    let (_moto, _, p) = tasks_on_moto().await;
    let r = p
        .handle(
            request(
                json!({
                    "id": "scan",
                    "call": {"kind": "aws", "service": "dynamodb", "operation": "Scan",
                             "params": {"TableName": "Tasks"}},
                    "select": "$.Item.status.S",
                    "expect": {"exact": "DONE"}
                }),
                CaptureTable::default(),
                None,
            ),
            None,
        )
        .await;
    assert_eq!(r.verdict, Verdict::Fail);
    let text = report_text(&r);
    assert!(
        text.contains("select `$.Item.status.S` matched nothing in the answer; the answer's top-level keys: Count, Items, ScannedCount"),
        "{text}"
    );
}

/// `view: items` on moto: patterns, selects and captures read DynamoDB
/// items as plain JSON, numbers exact, and a 38-digit number keeps every
/// digit.
#[tokio::test]
async fn the_items_view_reads_dynamodb_items_as_plain_json() {
    let (_moto, c, p) = tasks_on_moto().await;
    aws(
        &c,
        "dynamodb",
        "PutItem",
        json!({"TableName": "Tasks", "Item": {
            "task_id": {"S": "t-1"}, "status": {"S": "DONE"}, "turns": {"N": "3"},
            "cost": {"N": "12345678901234567890123456789012345678"},
            "labels": {"SS": ["urgent", "backend"]},
            "meta": {"M": {"approved": {"BOOL": true}, "reviewer": {"NULL": true}}}
        }}),
    )
    .await;
    let step = |expect: Value| {
        request(
            json!({
                "id": "read",
                "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                         "params": {"TableName": "Tasks", "Key": {"task_id": {"S": "t-1"}}}},
                "view": "items",
                "select": "$.Item",
                "expect": expect,
                "capture": {"turns": {"path": "$.Item.turns"}}
            }),
            CaptureTable::default(),
            None,
        )
    };
    let r = p
        .handle(
            step(json!({"objectLike": {
                "status": {"exact": "DONE"},
                "turns": {"exact": 3},
                "cost": {"exact": "12345678901234567890123456789012345678"},
                "labels": {"exact": ["backend", "urgent"]},
                "meta": {"exact": {"approved": true, "reviewer": null}}
            }})),
            None,
        )
        .await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", report_text(&r));
    let caps = &r.captures.0[&"read".parse().unwrap()];
    assert_eq!(
        caps[&"turns".parse().unwrap()],
        CapturedValue::Value(json!(3))
    );
    // A mismatch is reported at the plain path, with the plain value.
    let r = p
        .handle(
            step(json!({"objectLike": {"status": {"exact": "FAILED"}}})),
            None,
        )
        .await;
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(
        r.report
            .summary
            .contains(r#"$['status']: expected "FAILED", got "DONE""#),
        "{}",
        r.report.summary
    );
}

/// A definition from another vigil build fails its step at once with both
/// protocol versions and the fix, before the step is read (a step of
/// another protocol may not parse here).
#[tokio::test]
async fn a_definition_of_another_protocol_fails_at_once_and_says_why() {
    let p = provider(
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        Arc::new(SystemClock),
        KeySource::Unconfigured,
        Duration::from_secs(10),
    );
    let step = json!({"id": "old", "call": {"kind": "aws", "service": "dynamodb", "operation": "ListTables"},
                      "from_the_future": true});
    for theirs in [None, Some(1), Some(vigil_protocol::PROTOCOL_VERSION + 1)] {
        let mut req = request(step.clone(), CaptureTable::default(), None);
        req.protocol = theirs;
        let r = p.handle(req, None).await;
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.protocol, vigil_protocol::PROTOCOL_VERSION);
        assert_eq!(r.report.step.as_str(), "old");
        let StepOutcome::Error { error } = &r.report.outcome else {
            panic!("{}", report_text(&r))
        };
        let want = format!(
            "compiled for provider protocol {} and this provider speaks protocol {}",
            theirs.unwrap_or(1),
            vigil_protocol::PROTOCOL_VERSION
        );
        assert!(error.message.contains(&want), "{}", error.message);
        assert!(
            error.message.contains("`vigil deploy`"),
            "{}",
            error.message
        );
        assert!(
            !error.message.contains("unknown field"),
            "{}",
            error.message
        );
    }
}
