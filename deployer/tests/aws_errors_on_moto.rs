//! What AWS refuses reaches the user as one clear error: what was asked,
//! the service's code and message, and how to fix it. Wrong credentials
//! (against a moto that checks them: INITIAL_NO_AUTH_ACTION_COUNT=0), no
//! credentials at all, and stacks, state machines and executions that do
//! not exist, for every command that reads them. Never a panic, never the
//! secret key in the output.

use vigil_test_support as support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::Moto;

const WRONG_SECRET: &str = "wJalrXUtnFEMI-not-a-real-secret-K7MDENG";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs vigil against `endpoint` with `creds` (None: none anywhere).
fn vigil(endpoint: &str, creds: Option<(&str, &str)>, args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.args(args)
        .current_dir(root())
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/vigil-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/vigil-test-credentials",
        )
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null());
    match creds {
        Some((id, secret)) => {
            cmd.env("AWS_ACCESS_KEY_ID", id)
                .env("AWS_SECRET_ACCESS_KEY", secret);
        }
        None => {
            cmd.env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY");
        }
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn assert_one_clear_error(case: &str, (code, output): (Option<i32>, String), expected: &[&str]) {
    assert_eq!(code, Some(2), "{case}: {output}");
    assert!(!output.contains("panicked"), "{case}: {output}");
    assert_eq!(
        output.matches("error:").count(),
        1,
        "{case}: one error, not a cascade:\n{output}"
    );
    assert!(
        !output.contains(WRONG_SECRET),
        "{case} leaks the secret key"
    );
    for e in expected {
        assert!(output.contains(e), "{case}: expected `{e}` in:\n{output}");
    }
}

/// (what, endpoint, credentials, arguments, expected in the error).
type Case<'a> = (
    &'a str,
    &'a str,
    Option<(&'a str, &'a str)>,
    Vec<&'a str>,
    Vec<&'a str>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_say_what_and_how_to_fix() {
    // A moto that checks every request's credentials (none exist in its IAM).
    let strict = Moto::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]).await;
    let open = Moto::start().await;
    let suite = "examples/task-lifecycle.yaml";
    let wrong = Some(("AKIAIOSFODNN7EXAMPLE", WRONG_SECRET));
    let fine = Some(("testing", "testing"));
    let rejected = [
        "InvalidClientTokenId",
        "hint: AWS did not accept these credentials",
        "aws sts get-caller-identity",
    ];
    let execution = "arn:aws:states:us-east-1:123456789012:execution:sm:nope";
    let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
    let cases: Vec<Case> = vec![
        (
            "wrong credentials: run --stack",
            &strict.url,
            wrong,
            vec!["run", "--stack", "TaskSuite", "--suite", suite],
            [&["DescribeStacks TaskSuite"][..], &rejected].concat(),
        ),
        (
            "wrong credentials: local --app-stack",
            &strict.url,
            wrong,
            vec!["local", suite, "--app-stack", "AgentStack"],
            [&["DescribeStacks AgentStack"][..], &rejected].concat(),
        ),
        (
            "wrong credentials: deploy",
            &strict.url,
            wrong,
            vec![
                "deploy",
                suite,
                "--app-stack",
                "AgentStack",
                "--artifact",
                "Cargo.toml",
            ],
            [&["DescribeStacks AgentStack"][..], &rejected].concat(),
        ),
        (
            "wrong credentials: report",
            &strict.url,
            wrong,
            vec!["report", execution],
            [&["Step Functions DescribeExecution"][..], &rejected].concat(),
        ),
        (
            "wrong credentials: run --state-machine-arn",
            &strict.url,
            wrong,
            vec!["run", "--state-machine-arn", machine, "--suite", suite],
            [&["Step Functions StartExecution"][..], &rejected].concat(),
        ),
        (
            "no credentials at all",
            &open.url,
            None,
            vec!["run", "--stack", "TaskSuite", "--suite", suite],
            vec!["no AWS credentials were found", "AWS_PROFILE"],
        ),
        (
            "missing stack: run --stack",
            &open.url,
            fine,
            vec!["run", "--stack", "NoSuchSuite", "--suite", suite],
            vec!["stack `NoSuchSuite` does not exist", "AWS_REGION"],
        ),
        (
            "missing stack: local --app-stack",
            &open.url,
            fine,
            vec!["local", suite, "--app-stack", "NoSuchApp"],
            vec!["stack `NoSuchApp` does not exist"],
        ),
        (
            "missing stack: deploy --app-stack",
            &open.url,
            fine,
            vec![
                "deploy",
                suite,
                "--app-stack",
                "NoSuchApp",
                "--artifact",
                "Cargo.toml",
            ],
            vec!["stack `NoSuchApp` does not exist"],
        ),
        (
            "missing state machine",
            &open.url,
            fine,
            vec!["run", "--state-machine-arn", machine, "--suite", suite],
            vec!["StateMachineDoesNotExist", "hint: deploy the suite first"],
        ),
        (
            "missing execution",
            &open.url,
            fine,
            vec!["report", execution],
            vec!["ExecutionDoesNotExist", "hint: check the execution ARN"],
        ),
    ];
    for (case, endpoint, creds, args, expected) in cases {
        assert_one_clear_error(case, vigil(endpoint, creds, &args), &expected);
    }
}
