//! The release `bootstrap` from the deploy zip (`cargo lambda build
//! --release --x86-64 --output-format zip`, done by `scripts/test`), run
//! under `cargo lambda watch`'s Lambda runtime API and invoked through the
//! Lambda Invoke API, against moto.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_bootstrap_answers_through_the_lambda_invoke_api() {
    let zip = bootstrap_zip(env!("CARGO_TARGET_TMPDIR"));
    let unpacked = std::env::temp_dir().join(format!("vigil-bootstrap-{}", std::process::id()));
    let binary = unpack_bootstrap(&zip, &unpacked);
    eprintln!(
        "bootstrap: {} bytes, zip: {} bytes",
        std::fs::metadata(&binary).unwrap().len(),
        std::fs::metadata(&zip).unwrap().len()
    );

    let moto = Moto::start().await;
    let c = aws_client(&moto.url);
    create_tasks_table(&c).await;
    aws(&c, "dynamodb", "PutItem", json!({"TableName": "Tasks", "Item": {"task_id": {"S": "t-1"}, "status": {"S": "COMPLETED"}}})).await;

    let port = free_port();
    let venv_bin = venv().join("bin");
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let _watch = Guard(
        Command::new(venv_bin.join("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .env("PATH", &path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo lambda watch starts"),
    );
    wait_for_port(port).await;

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
    std::fs::remove_dir_all(unpacked).ok();
}
