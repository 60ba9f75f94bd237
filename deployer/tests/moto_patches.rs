//! Each correction the local chain makes to moto is still needed: with it
//! turned off (`VIGIL_MOTO_UNPATCHED`), moto 5.2.5 still shows the
//! behaviour the patch corrects; with it on, AWS's behaviour. When moto
//! fixes one, its check here fails and says which patch to drop. (The
//! DynamoDB transaction patch has its own load test,
//! `moto_dynamodb_transactions.rs`; the history paging one is checked in
//! `state_machine_on_moto.rs`.)

#[path = "../../assertion-provider/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::{Guard, free_port, test_credentials, venv, wait_for_port};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// moto through the launcher, with `unpatched` patches off; its URL.
async fn moto(unpatched: &str) -> (Guard, String) {
    let (port, proxy) = (free_port(), free_port());
    let guard = Guard(
        Command::new(venv().join("bin/python"))
            .arg(root().join("tests/support/moto_sfn.py"))
            .args([
                port.to_string(),
                proxy.to_string(),
                "http://127.0.0.1:9".into(),
                "_".into(),
            ])
            .env("VIGIL_MOTO_UNPATCHED", unpatched)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port).await;
    (guard, format!("http://127.0.0.1:{port}"))
}

/// A stack with one versioned bucket; the bucket's versioning status.
async fn versioning_of_a_stack_bucket(url: &str) -> Option<String> {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(test_credentials())
        .load()
        .await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    cfn.create_stack()
        .stack_name("versioned")
        .template_body(
            serde_json::json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"}
            }}}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let bucket = cfn
        .describe_stack_resource()
        .stack_name("versioned")
        .logical_resource_id("B")
        .send()
        .await
        .unwrap()
        .stack_resource_detail
        .and_then(|d| d.physical_resource_id)
        .unwrap();
    support::bucket_versioning(url, &bucket).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_bucket_gets_its_versioning_only_with_the_patch() {
    let (_g, url) = moto("").await;
    assert_eq!(
        versioning_of_a_stack_bucket(&url).await.as_deref(),
        Some("Enabled")
    );
    let (_g2, bare) = moto("s3-bucket-properties").await;
    assert_eq!(
        versioning_of_a_stack_bucket(&bare).await,
        None,
        "moto applies a CloudFormation bucket's VersioningConfiguration now: drop \
         tests/support/moto_s3_bucket_properties.py"
    );
}
