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

use vigil_test_support as support;
use vigil_test_support::chain;

use std::process::Command;

use chain::root;

use serde_json::Value;
use support::{Guard, start_launcher, venv};

/// moto through the launcher, with `unpatched` patches off; its URL and
/// its Lambda proxy's.
async fn moto_and_proxy(unpatched: &str) -> (Guard, String, String) {
    start_launcher("http://127.0.0.1:9", &[("VIGIL_MOTO_UNPATCHED", unpatched)])
}

/// moto through the launcher, with `unpatched` patches off; its URL.
async fn moto(unpatched: &str) -> (Guard, String) {
    let (guard, url, _) = moto_and_proxy(unpatched).await;
    (guard, url)
}

/// What `tests/support/moto_patch_checks.py` observes for `check` on moto
/// with the patches in `unpatched` off.
async fn observe(check: &str, unpatched: &str) -> Value {
    let (moto, url, proxy) = moto_and_proxy(unpatched).await;
    let out = Command::new(venv().join("bin/python"))
        .arg(root().join("tests/support/moto_patch_checks.py"))
        .args([check, &url, &proxy])
        .output()
        .unwrap();
    drop(moto);
    assert!(
        out.status.success(),
        "{check}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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

#[tokio::test]
async fn a_stack_state_machine_runs_only_with_the_patch() {
    let patched = observe("cfn-state-machines", "").await;
    assert_eq!(
        patched,
        serde_json::json!({"created": "ok", "result": "hello", "started": "ok"}),
        "a stack's machine is made from Definition + DefinitionSubstitutions and can run"
    );
    let as_is = observe("cfn-state-machines", "cfn-state-machines").await;
    assert_ne!(
        as_is["started"], "ok",
        "moto runs a CloudFormation state machine now: drop \
         tests/support/moto_cfn_state_machines.py ({as_is})"
    );
}

#[tokio::test]
async fn change_set_stacks_get_outputs_only_with_the_patch() {
    let patched = observe("cfn-change-sets", "").await;
    assert_eq!(
        patched,
        serde_json::json!({"outputs": 1, "unchanged_change_set": "FAILED"}),
        "a stack made by a change set has its Outputs; an unchanged one is a FAILED change set"
    );
    let as_is = observe("cfn-change-sets", "cfn-change-sets").await;
    assert_ne!(
        as_is, patched,
        "moto's change sets behave as CloudFormation's now: drop \
         tests/support/moto_cfn_change_sets.py"
    );
}

#[tokio::test]
async fn stack_updates_apply_or_fail_only_with_the_patch() {
    let patched = observe("cfn-updates", "").await;
    assert_eq!(patched["retention"], 30, "{patched}");
    assert_eq!(patched["key_description"], "kept 30 days", "{patched}");
    // A type moto cannot update fails the update and rolls back, never
    // keeps the old resource as if the change were applied.
    assert_eq!(
        patched["unupdatable"], "UPDATE_ROLLBACK_COMPLETE",
        "{patched}"
    );
    assert!(
        patched["unupdatable_reason"]
            .as_str()
            .is_some_and(|r| r.contains("cannot update AWS::EC2::VPC `V`")),
        "{patched}"
    );
    let as_is = observe("cfn-updates", "cfn-updates").await;
    assert_ne!(
        as_is["retention"], 30,
        "moto updates a stack's LogGroup now: drop its part of \
         tests/support/moto_cfn_updates.py ({as_is})"
    );
}

/// With IAM checks on and the credentials Lambda gives a function, a grant
/// narrowed to table A allows A only, a missing action is refused with the
/// action and resource named, `?` matches one character, and a role that
/// does not trust Lambda gets no credentials.
#[tokio::test]
async fn narrowed_grants_are_checked_only_with_the_patch() {
    let patched = observe("iam-resources", "").await;
    assert_eq!(patched["get_a"], "ok", "{patched}");
    assert_eq!(patched["get_b"], "AccessDeniedException", "{patched}");
    assert_eq!(
        patched["query_a"],
        "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/narrow/narrow is not \
         authorized to perform: dynamodb:Query on resource: \
         arn:aws:dynamodb:us-east-1:123456789012:table/A because no identity-based policy allows it"
    );
    assert_eq!(patched["secret"], "ok", "{patched}");
    assert_eq!(patched["admin_get_b"], "ok", "{patched}");
    assert_eq!(patched["untrusted_credentials"], 403, "{patched}");
    let as_is = observe("iam-resources", "iam-resources").await;
    assert_ne!(
        as_is["get_a"], "ok",
        "moto checks a DynamoDB grant's Resource now: drop its part of \
         tests/support/moto_iam_resources.py ({as_is})"
    );
}

/// A form body signed over its own bytes passes moto's signature check
/// (here DescribeStacks then says the stack does not exist, as it should),
/// and so does a GET without a body.
#[tokio::test]
async fn form_bodies_are_signed_over_their_bytes_only_with_the_patch() {
    let patched = observe("sigv4-raw-body", "").await;
    assert_eq!(
        patched,
        serde_json::json!({"answer": "ValidationError", "message": "Stack with id no such stack does not exist", "get": "ok"})
    );
    let as_is = observe("sigv4-raw-body", "sigv4-raw-body").await;
    assert!(
        as_is["answer"] == "SignatureDoesNotMatch" && as_is["get"] != "ok",
        "moto checks a form body's signature over its bytes now: drop \
         tests/support/moto_sigv4_raw_body.py ({as_is})"
    );
}
