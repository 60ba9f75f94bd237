//! `vigil deploy` -> `vigil run` -> `vigil destroy` end to end on moto:
//! CloudFormation creates the role, function, log groups and state machine
//! from the synthesized template; the parameters come from the application
//! stack's outputs (DescribeStacks, and a CDK outputs file); moto's engine
//! invokes the release provider under `cargo lambda watch`, which reads
//! DynamoDB in moto. A passing and a failing suite, their exit codes,
//! reports and JUnit files; `run` and `report` interrupted; cfn-lint on
//! the deployed template.

use vigil_test_support as support;
use vigil_test_support::chain;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_cloudformation::types::{Capability, StackStatus};
use chain::{root, start_chain};
use serde_json::{Value, json};
use support::{aws, aws_client, bootstrap_zip, test_credentials, venv};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `vigil <args>` against moto, with test credentials.
fn command(moto: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.args(args)
        .current_dir(root())
        .env("AWS_ENDPOINT_URL", moto)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("GITHUB_STEP_SUMMARY");
    c
}

fn finished(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn vigil(moto: &str, args: &[&str]) -> Run {
    finished(command(moto, args).output().unwrap())
}

/// `vigil <args>` sent `signal` once its poll is under way.
fn interrupted(moto: &str, args: &[&str], signal: &str) -> Run {
    let child = command(moto, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for a few attempts and two looks at the history.
    std::thread::sleep(std::time::Duration::from_secs(6));
    let sent = Command::new("kill")
        .arg(signal)
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    finished(child.wait_with_output().unwrap())
}

async fn s3_client(moto: &str) -> aws_sdk_s3::Client {
    let sdk = support::sdk_config(moto).await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

/// The provider's IAM policy document of `stack`, as moto's IAM holds it
/// after CloudFormation resolved the template (compact JSON).
async fn provider_grants(moto: &str, stack: &str) -> String {
    let sdk = support::sdk_config(moto).await;
    let role = chain::physical_id(&sdk, stack, "ProviderRole").await;
    // IAM speaks the query protocol; moto reads the form as AWS would.
    let xml = reqwest::Client::new()
        .post(moto)
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
        // Generated role names and stack names need no escaping.
        .body(format!(
            "Action=GetRolePolicy&Version=2010-05-08&RoleName={role}&PolicyName={stack}-provider"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let document = xml
        .split_once("<PolicyDocument>")
        .and_then(|(_, rest)| rest.split_once("</PolicyDocument>"))
        .map(|(doc, _)| percent_decode(&doc.replace("&quot;", "\"")))
        .unwrap_or_else(|| panic!("no PolicyDocument in {xml}"));
    let v: Value = serde_json::from_str(&document).unwrap_or_else(|e| panic!("{e}: {document}"));
    v.to_string()
}

/// `%XX` escapes, as IAM returns policy documents.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// `vigil deploy <fixture> <binding...> --artifact <zip> -o <out>`.
fn deploy(moto: &str, suite: &str, binding: &[&str], zip: &str, out: &str) -> Run {
    let suite = fixture(suite);
    let mut args = vec!["deploy", suite.as_str()];
    args.extend_from_slice(binding);
    args.extend(["--artifact", zip, "-o", out]);
    vigil(moto, &args)
}

fn fixture(name: &str) -> String {
    root()
        .join("deployer/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("vigil-deploy-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The application: a stack with the task table, its name as an output.
async fn deploy_app_stack(moto: &str) {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(test_credentials())
        .load()
        .await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let template = json!({
        "Resources": {"Tasks": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": "AgentTasks",
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "task_id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "task_id", "KeyType": "HASH"}]
        }}},
        "Outputs": {
            "TaskTableName": {"Value": {"Ref": "Tasks"}},
            "TaskTableArn": {"Value": {"Fn::GetAtt": ["Tasks", "Arn"]}}
        }
    });
    cfn.create_stack()
        .stack_name("AgentStack")
        .template_body(template.to_string())
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .unwrap();
    for _ in 0..50 {
        let d = cfn
            .describe_stacks()
            .stack_name("AgentStack")
            .send()
            .await
            .unwrap();
        if d.stacks()[0].stack_status() == Some(&StackStatus::CreateComplete) {
            let c = aws_client(moto);
            aws(
                &c,
                "dynamodb",
                "PutItem",
                json!({"TableName": "AgentTasks", "Item": {
                    "task_id": {"S": "t-1"}, "status": {"S": "COMPLETED"},
                    "created_at": {"S": "2026-01-01T00:00:00Z"}
                }}),
            )
            .await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the application stack did not finish");
}

fn cfn_lint(template: &Path) {
    let out = Command::new(venv().join("bin/cfn-lint"))
        .arg(template)
        .output()
        .expect("cfn-lint (./scripts/install-tools installs it)");
    assert!(
        out.status.success(),
        "cfn-lint on {}:\n{}",
        template.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_run_and_destroy_on_moto() {
    let chain = start_chain(&[]).await;
    let moto = chain.moto.clone();
    deploy_app_stack(&moto).await;
    let dir = scratch();
    let zip = bootstrap_zip().display().to_string();
    let out = dir.join("out");
    let out_s = out.display().to_string();

    // A missing application stack is one clear error.
    let r = deploy(
        &moto,
        "deployed.yaml",
        &["--app-stack", "Nope"],
        &zip,
        &out_s,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("stack `Nope` does not exist"),
        "{}",
        r.stderr
    );

    // Deploy the passing suite, outputs from DescribeStacks.
    let r = deploy(
        &moto,
        "deployed.yaml",
        &["--app-stack", "AgentStack"],
        &zip,
        &out_s,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("creating the artifact bucket"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("uploaded "), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("stack `vigil-deployed` is CREATE_COMPLETE"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("StateMachineArn = arn:aws:states:us-east-1:"),
        "{}",
        r.stdout
    );
    cfn_lint(&out.join("template.json"));
    let template: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("template.json")).unwrap()).unwrap();
    let policy = &template["Resources"]["ProviderPolicy"]["Properties"]["PolicyDocument"];
    assert!(
        policy.to_string().contains(
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TaskTable}"
        ),
        "{policy}"
    );

    // Same suite, same build: nothing to change, nothing uploaded.
    let r = deploy(
        &moto,
        "deployed.yaml",
        &["--app-stack", "AgentStack"],
        &zip,
        &out_s,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("is already there (same build)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("is up to date (no changes)"),
        "{}",
        r.stderr
    );

    // A new build: the stack moves to it, and the artifact it used before
    // is deleted (nothing can roll back to it now) but kept as a noncurrent
    // version in the versioned bootstrap bucket, which only expires those.
    let rebuilt = dir.join("rebuilt.zip");
    let status = Command::new(venv().join("bin/python"))
        .args([
            "-c",
            "import shutil, sys, zipfile; shutil.copy(sys.argv[1], sys.argv[2]); \
             zipfile.ZipFile(sys.argv[2], 'a').writestr('NOTICE', 'rebuilt')",
            &zip,
        ])
        .arg(&rebuilt)
        .status()
        .unwrap();
    assert!(status.success());
    let r = deploy(
        &moto,
        "deployed.yaml",
        &["--app-stack", "AgentStack"],
        &rebuilt.display().to_string(),
        &out_s,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "deleted 1 superseded artifact(s) of `vigil-deployed`: vigil-deployed/bootstrap-"
        ),
        "{}",
        r.stderr
    );
    let s3 = s3_client(&moto).await;
    let bucket = s3.list_buckets().send().await.unwrap().buckets()[0]
        .name()
        .unwrap()
        .to_owned();
    assert_eq!(
        support::bucket_versioning(&moto, &bucket).await.as_deref(),
        Some("Enabled")
    );
    let versions = s3
        .list_object_versions()
        .bucket(&bucket)
        .prefix("vigil-deployed/")
        .send()
        .await
        .unwrap();
    let current = versions
        .versions()
        .iter()
        .filter(|v| v.is_latest() == Some(true))
        .count();
    let noncurrent = versions
        .versions()
        .iter()
        .filter(|v| v.is_latest() == Some(false))
        .count();
    assert_eq!(
        (current, noncurrent, versions.delete_markers().len()),
        (1, 1, 1)
    );
    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = &lifecycle.rules()[0];
    assert_eq!(
        rule.noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days()),
        Some(30)
    );
    assert_eq!(rule.expiration().and_then(|e| e.days()), None);

    // Run it: passes, JUnit with one case per step.
    let junit = dir.join("pass.xml").display().to_string();
    let report = dir.join("pass.json").display().to_string();
    let r = vigil(
        &moto,
        &[
            "run",
            "--stack",
            "vigil-deployed",
            "--suite",
            &fixture("deployed.yaml"),
            "--commit",
            "0123456789abcdef",
            "--attempt",
            "1",
            "--junit",
            &junit,
            "--json",
            &report,
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("started execution deployed-0123456789ab-1"),
        "{}",
        r.stderr
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\""), "{xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");
    let rep: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(rep["failed"], json!(false), "{rep}");

    // The failing twin, outputs from a CDK outputs file.
    let outputs = dir.join("cdk-outputs.json");
    std::fs::write(
        &outputs,
        r#"{"AgentStack": {"TaskTableName": "AgentTasks"}}"#,
    )
    .unwrap();
    let outputs = outputs.display().to_string();
    let out_fail = dir.join("out-fail").display().to_string();
    let r = deploy(
        &moto,
        "deployed-fail.yaml",
        &["--outputs-file", &outputs],
        &zip,
        &out_fail,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let junit = dir.join("fail.xml").display().to_string();
    // No --stack: `run` finds `vigil-deployed-fail`, the name `deploy` gave it.
    let r = vigil(
        &moto,
        &[
            "run",
            "--suite",
            &fixture("deployed-fail.yaml"),
            "--commit",
            "0123456789abcdef",
            "--attempt",
            "1",
            "--junit",
            &junit,
        ],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("$['status']['S']"), "{}", r.stdout);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failures=\"1\""), "{xml}");
    assert!(
        xml.contains("$[&apos;status&apos;][&apos;S&apos;]") || xml.contains("$['status']['S']"),
        "{xml}"
    );
    assert!(
        xml.contains("RUNNING") && xml.contains("COMPLETED"),
        "{xml}"
    );

    // Interrupted: SIGTERM during `run`, SIGINT during `report`, each
    // writes its partial report, says the execution keeps running and
    // exits 143 / 130.
    let r = deploy(
        &moto,
        "deployed-slow.yaml",
        &["--app-stack", "AgentStack"],
        &zip,
        &dir.join("out-slow").display().to_string(),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Its table comes from an output holding the ARN, not the name: the
    // grant is that ARN as it is (CloudFormation, here moto's, evaluates the
    // template's condition), while the name-bound stack's grant is the ARN
    // built around the name.
    let table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/AgentTasks";
    let granted = |stack: &'static str| {
        let moto = moto.clone();
        async move { provider_grants(&moto, stack).await }
    };
    let slow_grants = granted("vigil-deployed-slow").await;
    assert!(
        slow_grants.contains(&format!("\"Resource\":[\"{table_arn}\"]")),
        "{slow_grants}"
    );
    let named_grants = granted("vigil-deployed").await;
    assert!(
        named_grants.contains(&format!("\"Resource\":[\"{table_arn}\"]")),
        "{named_grants}"
    );
    let slow = fixture("deployed-slow.yaml");
    let partial = dir.join("partial.json");
    let r = interrupted(
        &moto,
        &[
            "run",
            "--suite",
            &slow,
            "--commit",
            "0123456789abcdef",
            "--json",
            &partial.display().to_string(),
        ],
        "-TERM",
    );
    assert_eq!(r.code, 143, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("the execution keeps running in the account"),
        "{}",
        r.stderr
    );
    let follow = r
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("vigil report "))
        .unwrap_or_else(|| panic!("no `vigil report` command: {}", r.stderr))
        .to_owned();
    assert!(follow.contains(&format!(" --suite {slow}")), "{follow}");
    let arn = follow.split(' ').next().unwrap().to_owned();
    let rep: Value = serde_json::from_str(&std::fs::read_to_string(&partial).unwrap()).unwrap();
    assert_eq!(rep["interrupted"], json!(true), "{rep}");
    assert_eq!(rep["scenarios"][0]["status"], json!("interrupted"), "{rep}");
    let r = interrupted(
        &moto,
        &[
            "report",
            &arn,
            "--suite",
            &slow,
            "--json",
            &partial.display().to_string(),
        ],
        "-INT",
    );
    assert_eq!(r.code, 130, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with("suite deployed-slow: INTERRUPTED"),
        "{}",
        r.stdout
    );
    let rep: Value = serde_json::from_str(&std::fs::read_to_string(&partial).unwrap()).unwrap();
    assert_eq!(rep["interrupted"], json!(true), "{rep}");
    let read = &rep["scenarios"][0];
    assert_eq!(read["failed_step"], json!("get-task"), "{rep}");
    assert!(
        read["report"]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("ARCHIVED"),
        "the latest attempt is in the partial report: {rep}"
    );
    let c = aws_client(&moto);
    aws(
        &c,
        "stepfunctions",
        "StopExecution",
        json!({"executionArn": arn}),
    )
    .await;
    let r = vigil(&moto, &["destroy", "--suite", &slow]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Destroy both; the second takes the now unused bootstrap bucket along.
    let r = vigil(&moto, &["destroy", "--stack", "vigil-deployed"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The current artifact and the superseded one (a noncurrent version):
    // every version goes, or the bucket could never be deleted.
    assert!(r.stderr.contains("deleted 2 artifact(s)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("kept the artifact bucket"),
        "{}",
        r.stderr
    );
    let r = vigil(
        &moto,
        &["destroy", "--suite", &fixture("deployed-fail.yaml")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("deleted the artifact bucket"),
        "{}",
        r.stderr
    );
    let r = vigil(
        &moto,
        &[
            "run",
            "--stack",
            "vigil-deployed",
            "--suite",
            &fixture("deployed.yaml"),
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("stack `vigil-deployed` does not exist"),
        "{}",
        r.stderr
    );
    let r = vigil(&moto, &["destroy", "--stack", "vigil-deployed"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("nothing to destroy"), "{}", r.stderr);

    std::fs::remove_dir_all(&dir).ok();
    drop(chain);
}
