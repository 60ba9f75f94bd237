//! AgentStack's task lifecycle end to end against ABCA's real code:
//! examples/agent-stack/demo.py (the README's main-job command) starts
//! moto, AgentStack's resources and the harness running ABCA's handlers,
//! durable orchestrator and agent modules, and the release provider under
//! `cargo lambda watch`; deploys examples/task-lifecycle.yaml with `vigil
//! deploy --app-stack backgroundagent-dev` and runs it with `vigil run` (or
//! `vigil local`); and stops everything.
//!
//! Each run happens once and is checked twice: what it reported (every
//! scenario passes; with expectations flipped, exactly those steps fail at
//! their path) and that none of the secrets it handled leaked
//! (leak_scan/mod.rs).

mod leak_scan;
use vigil_test_support as support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};
use support::{bootstrap_zip, venv};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One run of demo.py and what it left.
struct Demo {
    label: &'static str,
    code: i32,
    output: String,
    report: Value,
    junit: String,
    dir: PathBuf,
    seconds: f64,
}

impl Demo {
    fn scan(&self, deployed: bool) {
        leak_scan::scan(
            &leak_scan::Run {
                label: self.label,
                code: self.code,
                output: &self.output,
                dir: &self.dir,
                seconds: self.seconds,
            },
            deployed,
        );
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn demo(label: &'static str, flags: &[&str]) -> Demo {
    let dir = std::env::temp_dir().join(format!(
        "vigil-lifecycle-{}-{}",
        std::process::id(),
        label.replace([' ', ','], "-")
    ));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    let zip = bootstrap_zip();
    let started = Instant::now();
    let out = Command::new(venv().join("bin/python"))
        .arg(root().join("examples/agent-stack/demo.py"))
        .args(flags)
        .args(["--vigil", env!("CARGO_BIN_EXE_vigil")])
        .arg("--artifact")
        .arg(&zip)
        .arg("--json")
        .arg(dir.join("report.json"))
        .arg("--junit")
        .arg(dir.join("junit.xml"))
        .arg("--dump-dir")
        .arg(dir.join("dump"))
        .env("GITHUB_STEP_SUMMARY", dir.join("step-summary.md"))
        .output()
        .unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap_or_default();
    Demo {
        label,
        code: out.status.code().unwrap_or(-1),
        output,
        report,
        junit,
        dir,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// (scenario, status) of each branch, sorted.
fn statuses(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["scenarios"]
        .as_array()
        .unwrap_or_else(|| panic!("no scenarios in {report}"))
        .iter()
        .map(|b| {
            (
                b["scenario"].as_str().unwrap_or("").to_owned(),
                b["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn expected(pairs: [(&str, &str); 4]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// The suite's number of steps (one JUnit test case each).
const STEPS: usize = 75;

/// Every step of every scenario passed.
fn assert_all_passed(d: &Demo) {
    assert_eq!(d.code, 0, "{}", d.output);
    assert_eq!(d.report["failed"], json!(false), "{}", d.report);
    assert_eq!(
        statuses(&d.report),
        expected([
            ("approve", "passed"),
            ("completed", "passed"),
            ("deny", "passed"),
            ("failed", "passed")
        ]),
        "{}",
        d.report
    );
    assert!(
        d.junit.contains(&format!("tests=\"{STEPS}\"")),
        "{}",
        d.junit
    );
    assert!(d.junit.contains("failures=\"0\""), "{}", d.junit);
}

/// The branch report of one scenario.
fn scenario<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["scenario"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in {report}"))
}

/// The API key the completed scenario captures secret failed its
/// expectation: the report names the path but shows `<redacted>`.
fn assert_key_failed_redacted(d: &Demo) {
    let completed = scenario(&d.report, "completed");
    assert_eq!(completed["failed_step"], "create-key", "{completed}");
    let mismatches = &completed["report"]["outcome"]["report"]["mismatches"];
    assert_eq!(
        mismatches[0]["path"], "$['body']['data']['key']",
        "{completed}"
    );
    assert_eq!(mismatches[0]["actual"]["state"], "redacted", "{completed}");
    assert!(
        d.output.contains("✗ completed: create-key failed")
            && d.output.contains("$['body']['data']['key']")
            && d.output.contains("<redacted>"),
        "{}",
        d.output
    );
}

#[test]
fn deployed_the_lifecycle_passes_against_abcas_code_and_leaks_nothing() {
    let d = demo("deployed, passing", &[]);
    assert_all_passed(&d);
    assert!(
        d.output
            .contains("stack `vigil-task-lifecycle` is CREATE_COMPLETE"),
        "{}",
        d.output
    );
    assert!(
        d.output.contains("started execution task-lifecycle-"),
        "{}",
        d.output
    );
    // With moto's IAM checks on, the provider ran with its own role only:
    // the policy vigil derived covers every call of the four scenarios.
    assert!(
        d.output.contains(
            "the provider runs as arn:aws:sts::123456789012:assumed-role/vigil-task-lifecycle-ProviderRole-"
        ),
        "{}",
        d.output
    );
    d.scan(true);
}

#[test]
fn deployed_wrong_expectations_fail_at_their_paths_and_leak_nothing() {
    let d = demo("deployed, failing", &["--fail", "--fail-secret"]);
    assert_eq!(d.code, 1, "{}", d.output);
    assert_eq!(d.report["failed"], json!(true));
    assert_eq!(
        statuses(&d.report),
        expected([
            ("approve", "passed"),
            ("completed", "failed"),
            ("deny", "failed"),
            ("failed", "passed")
        ]),
        "{}",
        d.report
    );
    // The deny scenario fails at the approval row's status, after polling
    // it for the whole (local) gate timeout.
    let deny = scenario(&d.report, "deny");
    assert_eq!(deny["failed_step"], "approval-denied", "{deny}");
    assert!(
        d.output.contains("✗ deny: approval-denied failed")
            && d.output.contains(
                "$['status']['S']\n            expected: \"APPROVED\"\n            actual:   \"DENIED\""
            ),
        "{}",
        d.output
    );
    assert_key_failed_redacted(&d);
    assert!(d.junit.contains("failures=\"2\""), "{}", d.junit);
    assert!(d.junit.contains("APPROVED"), "{}", d.junit);
    d.scan(true);
}

#[test]
fn vigil_local_the_lifecycle_passes_and_leaks_nothing() {
    let d = demo("vigil local, passing", &["--local"]);
    assert_all_passed(&d);
    d.scan(false);
}

#[test]
fn vigil_local_a_wrong_secret_expectation_fails_redacted_and_leaks_nothing() {
    let d = demo("vigil local, failing", &["--local", "--fail-secret"]);
    assert_eq!(d.code, 1, "{}", d.output);
    assert_eq!(
        statuses(&d.report),
        expected([
            ("approve", "passed"),
            ("completed", "failed"),
            ("deny", "passed"),
            ("failed", "passed")
        ]),
        "{}",
        d.report
    );
    assert_key_failed_redacted(&d);
    d.scan(false);
}

/// Without ABCA's source the demo stops at once and says how to give it.
#[test]
fn a_missing_abca_checkout_is_a_clear_error() {
    let empty = std::env::temp_dir().join(format!("vigil-no-abca-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(venv().join("bin/python"))
        .arg(root().join("examples/agent-stack/demo.py"))
        .args([
            "--vigil",
            env!("CARGO_BIN_EXE_vigil"),
            "--artifact",
            "unused.zip",
        ])
        .env("VIGIL_ABCA_DIR", &empty)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&empty).ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: VIGIL_ABCA_DIR={}: no cdk/src/handlers/ there (expected an ABCA checkout)",
            empty.display()
        )),
        "{stderr}"
    );
}
