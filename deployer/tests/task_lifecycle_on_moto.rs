//! AgentStack's task lifecycle end to end, through the deployed state
//! machine: examples/agent-stack/demo.py (the README's main-job command)
//! starts moto, the Task API stand-in with Cognito users and tables, and the
//! release provider under `cargo lambda watch`; deploys the suite with
//! `vigil deploy --app-stack AgentStack`; runs it with `vigil run`; and stops
//! everything. The passing suite, the variant with one wrong expectation
//! (its report names the exact path), and the same suite with `vigil local`.

#[path = "../../assertion-provider/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::{bootstrap_zip, venv};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Demo {
    code: i32,
    output: String,
    report: Value,
    junit: String,
}

fn demo(name: &str, flags: &[&str]) -> Demo {
    let dir = std::env::temp_dir().join(format!("vigil-lifecycle-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, junit) = (dir.join("report.json"), dir.join("junit.xml"));
    let zip = bootstrap_zip(env!("CARGO_TARGET_TMPDIR"));
    let out = Command::new(venv().join("bin/python"))
        .arg(root().join("examples/agent-stack/demo.py"))
        .args(flags)
        .args(["--vigil", env!("CARGO_BIN_EXE_vigil")])
        .arg("--artifact")
        .arg(&zip)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let junit = std::fs::read_to_string(&junit).unwrap_or_default();
    std::fs::remove_dir_all(&dir).ok();
    Demo {
        code: out.status.code().unwrap_or(-1),
        output,
        report,
        junit,
    }
}

/// (scenario, status) of each branch, sorted.
fn statuses(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["scenarios"]
        .as_array()
        .expect("scenarios")
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

/// Every step of every scenario passed, and the four scenarios are there.
fn assert_all_passed(d: &Demo) {
    assert_eq!(d.code, 0, "{}", d.output);
    assert_eq!(d.report["failed"], json!(false), "{}", d.report);
    assert_eq!(
        statuses(&d.report),
        [
            ("approve".to_owned(), "passed".to_owned()),
            ("completed".to_owned(), "passed".to_owned()),
            ("deny".to_owned(), "passed".to_owned()),
            ("failed".to_owned(), "passed".to_owned())
        ],
        "{}",
        d.report
    );
    assert!(d.junit.contains("tests=\"34\""), "{}", d.junit);
    assert!(d.junit.contains("failures=\"0\""), "{}", d.junit);
}

#[test]
fn the_lifecycle_passes_through_the_deployed_state_machine() {
    let d = demo("deployed", &[]);
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
}

#[test]
fn one_wrong_expectation_fails_with_its_exact_path() {
    let d = demo("fail", &["--fail"]);
    assert_eq!(d.code, 1, "{}", d.output);
    assert_eq!(d.report["failed"], json!(true));
    // Only the deny scenario fails, at the approval row's status.
    assert_eq!(
        statuses(&d.report),
        [
            ("approve".to_owned(), "passed".to_owned()),
            ("completed".to_owned(), "passed".to_owned()),
            ("deny".to_owned(), "failed".to_owned()),
            ("failed".to_owned(), "passed".to_owned())
        ],
        "{}",
        d.report
    );
    assert!(d.output.contains("deny/approval-row"), "{}", d.output);
    assert!(
        d.output
            .contains("$['status']['S']: expected \"APPROVED\", got \"DENIED\""),
        "{}",
        d.output
    );
    assert!(d.junit.contains("failures=\"1\""), "{}", d.junit);
    assert!(d.junit.contains("APPROVED"), "{}", d.junit);
}

#[test]
fn the_lifecycle_passes_with_vigil_local_too() {
    let d = demo("local", &["--local"]);
    assert_all_passed(&d);
}
