//! moto, as the tests start it: plain, or through the launcher
//! (`tests/support/moto_sfn.py`: Step Functions executions, the Lambda
//! proxy, the patches), and what tests ask it.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use assertion_provider::Provider;
use assertion_provider::calls::aws::AwsClient;
use assertion_provider::sealing::KeySource;
use serde_json::Value;

use crate::processes::{Guard, announced, start_announcing};
use crate::provider::{aws_client, provider, test_credentials};

/// The Python venv that `scripts/test` installs (moto, cargo-lambda).
pub fn venv() -> PathBuf {
    let dir = std::env::var_os("VIGIL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/vigil/venv")
        });
    assert!(
        dir.join("bin/python").exists(),
        "no Python venv with moto at {} — run ./scripts/test, which installs it (or set VIGIL_VENV)",
        dir.display()
    );
    dir
}

/// A moto server on a loopback port; stopped when dropped.
pub struct Moto {
    _child: Guard,
    /// Its endpoint, `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Moto {
    /// A moto server with the default environment.
    pub async fn start() -> Moto {
        Moto::start_with_env(&[]).await
    }

    /// A moto server with extra environment, e.g.
    /// `INITIAL_NO_AUTH_ACTION_COUNT=0` to check every request's credentials.
    pub async fn start_with_env(env: &[(&str, &str)]) -> Moto {
        Moto::spawn(env)
    }

    /// The same, for tests without an async runtime: it returns once moto
    /// listens.
    pub fn spawn(env: &[(&str, &str)]) -> Moto {
        let mut command = Command::new(venv().join("bin/python"));
        command
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/support/moto_server.py"
            ))
            .envs(env.iter().copied());
        let (child, ports) = start_announcing("moto", command);
        Moto {
            _child: child,
            url: announced(&ports, "moto"),
        }
    }
}

/// Calls AWS for test set-up; panics with the service's error.
pub async fn aws(client: &AwsClient, service: &str, op: &str, params: Value) -> Value {
    client
        .call(service, op, &params)
        .await
        .unwrap_or_else(|e| panic!("{service} {op} failed in set-up: {e:?}"))
}

/// The moto launcher (`tests/support/moto_sfn.py`: Step Functions
/// executions on, its Lambda proxy routing invokes to `lambda_url`, moto's
/// patches applied), with `env` (e.g. `VIGIL_MOTO_UNPATCHED`). Its guard,
/// moto's URL and the proxy's URL.
pub fn start_launcher(lambda_url: &str, env: &[(&str, &str)]) -> (Guard, String, String) {
    let mut command = Command::new(venv().join("bin/python"));
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/support/moto_sfn.py"
        ))
        .args(["0", "0", lambda_url, "_"])
        .envs(env.iter().copied());
    let (guard, ports) = start_announcing("the moto launcher", command);
    (guard, announced(&ports, "moto"), announced(&ports, "proxy"))
}

/// The `Tasks` table (hash key `task_id`) most tests use.
pub async fn create_tasks_table(client: &AwsClient) {
    aws(
        client,
        "dynamodb",
        "CreateTable",
        serde_json::json!({
            "TableName": "Tasks", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "task_id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "task_id", "KeyType": "HASH"}]
        }),
    )
    .await;
}

/// A bucket's versioning status as moto answers GetBucketVersioning.
/// moto 5.2.5 names the answer's root `GetBucketVersioningResponse`, not
/// S3's `VersioningConfiguration`, which the Rust SDK refuses to read; the
/// status is read from the text instead (only tests ask).
pub async fn bucket_versioning(endpoint: &str, bucket: &str) -> Option<String> {
    let xml = reqwest::Client::new()
        .get(format!("{endpoint}/{bucket}?versioning"))
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let status = xml.split_once("<Status>")?.1.split_once("</Status>")?.0;
    Some(status.to_owned())
}

/// An AWS SDK configuration for moto at `endpoint` (us-east-1, test
/// credentials), for the SDK clients tests use to set things up.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(test_credentials())
        .load()
        .await
}

/// moto with the `Tasks` table, a client for set-up, and a provider on the
/// real clock with no sealing key.
pub async fn tasks_on_moto() -> (Moto, AwsClient, Provider) {
    let moto = Moto::start().await;
    let c = aws_client(&moto.url);
    let p = provider(
        &moto.url,
        &moto.url,
        Arc::new(assertion_provider::clock::SystemClock),
        KeySource::Unconfigured,
        Duration::from_secs(10),
    );
    create_tasks_table(&c).await;
    (moto, c, p)
}
