//! The release `bootstrap` from the deploy zip (`cargo lambda build
//! --release --x86-64 --output-format zip`, done by `scripts/test`), run
//! under `cargo lambda watch`'s Lambda runtime API and invoked through the
//! Lambda Invoke API, against moto.

use vigil_test_support as support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_bootstrap_answers_through_the_lambda_invoke_api() {
    let zip = bootstrap_zip();
    let unpacked =
        ScratchDir(std::env::temp_dir().join(format!("vigil-bootstrap-{}", std::process::id())));
    let binary = unpack_bootstrap(&zip, &unpacked.0);
    eprintln!(
        "bootstrap: {} bytes, zip: {} bytes",
        std::fs::metadata(&binary).unwrap().len(),
        std::fs::metadata(&zip).unwrap().len()
    );

    let moto = Moto::start().await;
    let c = aws_client(&moto.url);
    create_tasks_table(&c).await;
    aws(&c, "dynamodb", "PutItem", json!({"TableName": "Tasks", "Item": {"task_id": {"S": "t-1"}, "status": {"S": "COMPLETED"}}})).await;

    let (_watch, port) = start_watch().await;

    let spawned = Instant::now();
    let _bootstrap = Guard(
        bootstrap_command(&binary, port, &moto.url)
            .spawn()
            .expect("bootstrap starts"),
    );

    let invoke = |step: Value| {
        let body = json!({"protocol": vigil_protocol::PROTOCOL_VERSION, "step": step.to_string(), "params": {"table": "Tasks"}, "captures": {}});
        let url = format!("http://127.0.0.1:{port}/2015-03-31/functions/_/invocations");
        async move {
            // cargo lambda watch holds an invocation until a runtime takes
            // it: a bootstrap that died must fail the test, not hang it.
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let started = Instant::now();
            loop {
                match client.post(&url).json(&body).send().await {
                    Ok(r) if r.status().is_success() => return r.json::<Value>().await.unwrap(),
                    other => {
                        assert!(
                            started.elapsed() < Duration::from_secs(60),
                            "invoke failed: {other:?}"
                        );
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }
    };
    let pass = invoke(json!({
        "id": "get",
        "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                 "params": {"TableName": "${table}", "Key": {"task_id": {"S": "t-1"}}}},
        "select": "$.Item.status.S", "expect": {"exact": "COMPLETED"}
    }))
    .await;
    eprintln!(
        "first verdict {:?} after {:?} from process start",
        pass["verdict"],
        spawned.elapsed()
    );
    assert_eq!(pass["verdict"], json!("pass"), "{pass:#}");

    let warm = Instant::now();
    let fail = invoke(json!({
        "id": "get",
        "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                 "params": {"TableName": "${table}", "Key": {"task_id": {"S": "t-1"}}}},
        "select": "$.Item", "expect": {"objectLike": {"status": {"objectLike": {"S": {"exact": "FAILED"}}}}}
    }))
    .await;
    eprintln!("warm invocation {:?}", warm.elapsed());
    assert_eq!(fail["verdict"], json!("fail"), "{fail:#}");
    assert_eq!(
        fail["report"]["outcome"]["report"]["mismatches"][0]["path"],
        json!("$['status']['S']")
    );
}

/// A server that dies before it listens is tried again on new ports, and
/// then reported with its own stderr, not as a silent timeout.
#[tokio::test]
async fn a_server_that_dies_before_listening_is_reported_with_its_stderr() {
    let tries = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = tries.clone();
    let started = tokio::spawn(async move {
        start_listening("a failing server", 1, move |_| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut c = std::process::Command::new("sh");
            c.args(["-c", "echo 'Address already in use' >&2; exit 3"]);
            c
        })
        .await
    })
    .await;
    let panic = started.expect_err("a server that never listens fails the test");
    let message = panic
        .into_panic()
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    assert!(
        message.contains("a failing server exited (exit status: 3) before it listened")
            && message.contains("Address already in use"),
        "{message}"
    );
    assert_eq!(tries.load(std::sync::atomic::Ordering::Relaxed), 3);
}

/// A server that should announce its ports and dies first fails the test
/// with its own stderr.
#[tokio::test]
async fn a_server_that_dies_before_announcing_is_reported_with_its_stderr() {
    let started = tokio::task::spawn_blocking(|| {
        let mut c = std::process::Command::new("sh");
        c.args(["-c", "echo 'ModuleNotFoundError: moto' >&2; exit 1"]);
        start_announcing("a failing server", c)
    })
    .await;
    let message = started
        .expect_err("a server that never gets ready fails the test")
        .into_panic()
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    assert!(
        message.contains("a failing server did not get ready")
            && message.contains("ModuleNotFoundError: moto"),
        "{message}"
    );
}
