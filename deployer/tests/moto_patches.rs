//! Each correction the local chain makes to moto is still needed: with it
//! turned off (`VIGIL_MOTO_UNPATCHED`), moto 5.2.5 still shows the
//! behaviour the patch corrects; with it on, AWS's behaviour. When moto
//! fixes one, its check here fails and says which patch to drop. (The
//! history paging one is checked in `state_machine_on_moto.rs`, on an
//! execution long enough to page.)
//!
//! DynamoDB transactions: a cancelled TransactWriteItems may not erase or
//! break writes other clients make meanwhile. moto 5.2.5 does both (it puts
//! back whole-table copies and fails some requests with HTTP 500), which
//! made ABCA's approve/deny refusals — cancelled transactions — roll back
//! other scenarios' writes on moto. tests/support/moto_transactions.py is
//! the load that shows it.

#[path = "chain/mod.rs"]
mod chain;
#[path = "../../assertion-provider/tests/support/mod.rs"]
mod support;

use std::process::Command;

use chain::root;

use serde_json::Value;
use support::{Guard, start_listening, venv};

/// moto through the launcher, with `unpatched` patches off; its URL.
async fn moto(unpatched: &str) -> (Guard, String) {
    let (guard, ports) = start_listening("the moto launcher", 2, |ports| {
        let mut c = Command::new(venv().join("bin/python"));
        c.arg(root().join("tests/support/moto_sfn.py"))
            .args([
                ports[0].to_string(),
                ports[1].to_string(),
                "http://127.0.0.1:9".into(),
                "_".into(),
            ])
            .env("VIGIL_MOTO_UNPATCHED", unpatched);
        c
    })
    .await;
    (guard, format!("http://127.0.0.1:{}", ports[0]))
}

/// A stack with one versioned bucket; the bucket's versioning status.
async fn versioning_of_a_stack_bucket(url: &str) -> Option<String> {
    let sdk = support::sdk_config(url).await;
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
    let bucket = chain::physical_id(&sdk, "versioned", "B").await;
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

/// The transaction load against moto; its counts.
async fn load(unpatched: &str) -> Value {
    let (moto, url) = moto(unpatched).await;
    let out = Command::new(venv().join("bin/python"))
        .arg(root().join("tests/support/moto_transactions.py"))
        .arg(url)
        .output()
        .unwrap();
    drop(moto);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn cancelled_transactions_keep_concurrent_writes() {
    let corrected = load("").await;
    assert_eq!(corrected["lost"], 0, "{corrected}");
    assert_eq!(corrected["server_errors"], 0, "{corrected}");
    assert_eq!(corrected["cancelled_writes_kept"], 0, "{corrected}");
    assert!(
        corrected["cancelled"].as_u64().unwrap() > 20,
        "the load cancelled too few transactions to mean anything: {corrected}"
    );

    let as_is = load("transact-write-items").await;
    let found = as_is["lost"].as_u64().unwrap() + as_is["server_errors"].as_u64().unwrap();
    assert!(
        found > 0,
        "the load no longer finds moto's defect, so it cannot show the correction works: {as_is}"
    );
}

/// A stack with a tagged KMS key (the sealing key's shape); its status.
async fn stack_with_a_tagged_key(url: &str) -> String {
    let sdk = support::sdk_config(url).await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let created = cfn
        .create_stack()
        .stack_name("keyed")
        .template_body(
            serde_json::json!({"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {
                "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "kms:DescribeKey", "Resource": "*"}]},
                "Tags": [{"Key": "vigil:suite", "Value": "s"}]
            }}}})
            .to_string(),
        )
        .send()
        .await;
    if let Err(e) = created {
        return format!("CreateStack failed: {e:?}");
    }
    cfn.describe_stacks()
        .stack_name("keyed")
        .send()
        .await
        .map(|d| {
            d.stacks()[0]
                .stack_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default()
        })
        .unwrap_or_else(|e| format!("DescribeStacks failed: {e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_key_keeps_its_tags_only_with_the_patch() {
    let (_g, url) = moto("").await;
    assert_eq!(stack_with_a_tagged_key(&url).await, "CREATE_COMPLETE");
    let (_g2, bare) = moto("kms-key-tags").await;
    assert_ne!(
        stack_with_a_tagged_key(&bare).await,
        "CREATE_COMPLETE",
        "moto reads a CloudFormation KMS key's Tags now: drop tests/support/moto_kms_key_tags.py"
    );
}
