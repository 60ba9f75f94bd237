//! The `vigil` binary end to end: validate, synth, match, and `local`
//! against moto and a loopback HTTP server (both started and stopped here).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigil_test_support::{Moto, Reply, Stub, free_port, venv};

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// moto on a port it picks, stopped when the guard drops.
fn start_moto() -> (Moto, String) {
    let moto = Moto::spawn(&[]);
    let url = moto.url.clone();
    (moto, url)
}

/// A loopback server answering `{"ok": true}` to everything, on the
/// runtime it returns (dropping that stops it).
fn start_api() -> (tokio::runtime::Runtime, Stub, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stub = rt.block_on(Stub::start(|_| Reply::json(200, json!({"ok": true}))));
    let url = stub.url.clone();
    (rt, stub, url)
}

/// Calls moto's DynamoDB for set-up through the `vigil match`-free path:
/// a raw awsJson request (moto does not check signatures).
fn ddb(moto: &str, op: &str, body: Value) {
    let out = Command::new(venv().join("bin/python"))
        .args([
            "-c",
            "import sys, urllib.request; r = urllib.request.Request(sys.argv[1], data=sys.argv[3].encode(), headers={'X-Amz-Target': 'DynamoDB_20120810.' + sys.argv[2], 'Content-Type': 'application/x-amz-json-1.0', 'Authorization': 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0'}); urllib.request.urlopen(r).read()",
            moto,
            op,
            &body.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{op}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn local(moto: &str, api: &str, report: &Path) -> (i32, String, String) {
    local_with(moto, api, report, &[])
}

fn local_with(moto: &str, api: &str, report: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = vigil()
        .arg("local")
        .arg(root().join("deployer/tests/fixtures/local.yaml"))
        .arg("--json")
        .arg(report)
        .args(extra)
        .env("AWS_ENDPOINT_URL", moto)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("VIGIL_TEST_API_URL", api)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn local_runs_scenarios_and_reports_like_the_state_machine() {
    let (_moto, moto) = start_moto();
    let (_rt, _stub, api) = start_api();
    ddb(
        &moto,
        "CreateTable",
        json!({
            "TableName": "Tasks", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "task_id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "task_id", "KeyType": "HASH"}]
        }),
    );
    ddb(
        &moto,
        "PutItem",
        json!({"TableName": "Tasks", "Item": {
            "task_id": {"S": "t-1"}, "status": {"S": "COMPLETED"}, "owner": {"S": "sub-1"},
            "events": {"L": [{"S": "created"}, {"S": "hydrated"}, {"S": "done"}]}
        }}),
    );
    let dir = std::env::temp_dir().join(format!("vigil-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report_file = dir.join("pass.json");
    let (code, stdout, stderr) = local(&moto, &api, &report_file);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.starts_with("suite local-e2e: passed"), "{stdout}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    assert_eq!(report["failed"], json!(false));
    assert_eq!(report["scenarios"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["scenarios"][1]["steps"]["s1"]["step"],
        json!("owner-again")
    );

    // One scenario by name; a misspelt one gets the likely name.
    let only = dir.join("only.json");
    let (code, stdout, stderr) = local_with(&moto, &api, &only, &["--scenario", "http"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&only).unwrap()).unwrap();
    let branches: Vec<&Value> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["branch"])
        .collect();
    assert_eq!(branches, [&json!("http")]);
    let (code, _, stderr) = local_with(&moto, &api, &only, &["--scenario", "htp"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the suite has no scenario `htp`; did you mean `http`?"),
        "{stderr}"
    );

    // A nested mismatch inside a polled step: the table scenario times out
    // and names the path; the http scenario still completes and is reported.
    ddb(
        &moto,
        "PutItem",
        json!({"TableName": "Tasks", "Item": {
            "task_id": {"S": "t-1"}, "status": {"S": "RUNNING"}, "owner": {"S": "sub-1"},
            "events": {"L": [{"S": "created"}]}
        }}),
    );
    let report_file = dir.join("fail.json");
    let started = Instant::now();
    let (code, stdout, stderr) = local(&moto, &api, &report_file);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    assert_eq!(report["failed"], json!(true));
    let http = &report["scenarios"][0];
    assert_eq!(
        (&http["branch"], &http["status"]),
        (&json!("http"), &json!("passed"))
    );
    let table = &report["scenarios"][1];
    assert_eq!(table["status"], json!("failed"));
    assert_eq!(table["failed_step"], json!("task-done"));
    assert_eq!(
        table["report"]["attempt"],
        json!(4),
        "attempts at 0, 1, 2 and 3 s"
    );
    let mismatches = &table["report"]["outcome"]["report"]["mismatches"];
    let paths: Vec<&str> = mismatches
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["$['events']['L']", "$['status']['S']"]);
    assert!(stdout.contains("$['status']['S']"), "{stdout}");
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .contains("table/task-done: timed out"),
        "{}",
        report["summary"]
    );

    // An error answer the suite did not expect is the application's
    // failure (exit 1) ...
    ddb(&moto, "DeleteTable", json!({"TableName": "Tasks"}));
    let (code, stdout, stderr) = local(&moto, &api, &dir.join("gone.json"));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("ResourceNotFoundException"), "{stdout}");

    // ... an endpoint that does not answer means vigil could not test:
    // exit 2 before the first step, once, naming the endpoint, no report.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let (code, stdout, stderr) = local(&closed, &api, &dir.join("unreachable.json"));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        stderr
            .matches(&format!("cannot reach {closed}/ (for `dynamodb` calls)"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("no step ran"), "{stderr}");
    assert!(!dir.join("unreachable.json").exists());

    // ... and so does a report that cannot be written, before anything runs.
    let (code, _, stderr) = local(&moto, &api, &dir.join("no/such/dir.json"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

/// A variable in the environment that is not UTF-8 (any byte string is a
/// valid Unix environment) is not a reason to panic: synth used to read
/// the environment with `std::env::vars`, which does.
#[test]
fn an_environment_that_is_not_utf8_is_no_panic() {
    use std::os::unix::ffi::OsStrExt;
    let out = vigil()
        .arg("validate")
        .arg(root().join("examples/smoke.yaml"))
        .env(
            "VIGIL_TEST_NOT_UTF8",
            std::ffi::OsStr::from_bytes(b"\xff\xfe"),
        )
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn validate_synth_and_match_exit_codes() {
    let ok = vigil()
        .arg("validate")
        .arg(root().join("examples/smoke.yaml"))
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let dir = std::env::temp_dir().join(format!("vigil-synth-{}", std::process::id()));
    let synth = vigil()
        .arg("synth")
        .arg(root().join("examples/smoke.yaml"))
        .arg("-o")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        synth.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&synth.stderr)
    );
    let def: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("smoke.asl.json")).unwrap())
            .unwrap();
    assert_eq!(def["StartAt"], json!("Parameters"));
    std::fs::remove_dir_all(&dir).ok();

    let bad = dir.with_extension("yaml");
    std::fs::write(&bad, "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: G}, expct: 1}\n").unwrap();
    let out = vigil().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:5:", bad.display())), "{err}");
    std::fs::remove_file(&bad).ok();

    std::fs::write(&bad, "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: G}}\n      - id: x\n        call: {kind: aws, service: dynamodb, operation: G}\n").unwrap();
    let out = vigil().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:6:9: at scenarios.a.steps[1].id: step id `x` is already used",
            bad.display()
        )),
        "{err}"
    );
    std::fs::remove_file(&bad).ok();

    let data = root().join("matchers/examples/data");
    let m = |actual: &str| {
        vigil()
            .arg("match")
            .arg(data.join("task-pattern.json"))
            .arg(data.join(actual))
            .output()
            .unwrap()
    };
    assert_eq!(m("task-completed.json").status.code(), Some(0));
    let fail = m("task-failed.json");
    assert_eq!(fail.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fail.stdout).starts_with("5 mismatches:"));
    assert_eq!(m("missing.json").status.code(), Some(2));
}

/// Bad input anywhere: one clear message naming the file, the place and
/// what was expected; exit status 2; never a panic.
#[test]
fn bad_input_gets_one_clear_error_each() {
    let dir = std::env::temp_dir().join(format!("vigil-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let call = "{kind: aws, service: dynamodb, operation: GetItem, params: {TableName: T, Key: {id: {S: a}}}}";
    let cases: Vec<(&str, String, Vec<&str>, Vec<&str>)> = vec![
        (
            "unknown matcher tag",
            format!(
                "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {call}, expect: {{status: {{$regx: a}}}}}}\n"
            ),
            vec!["validate"],
            vec![":5:", "$regx"],
        ),
        (
            "invalid regex",
            format!(
                "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {call}, expect: {{status: {{$regex: \"(\"}}}}}}\n"
            ),
            vec!["validate"],
            vec![":5:", "regex"],
        ),
        (
            "not YAML",
            "suite: s\nscenarios: [\n".to_owned(),
            vec!["validate"],
            vec!["not-YAML.yaml:2:12:"],
        ),
        (
            "parameter without a value",
            format!(
                "suite: s\nparams: {{Table: {{description: the table}}}}\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {call}}}\n"
            ),
            vec!["local"],
            vec!["parameters without a value: Table"],
        ),
        (
            "undeclared --param",
            format!("suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {call}}}\n"),
            vec!["synth", "--param", "Nope=1"],
            vec!["--param `Nope`: the suite declares no such parameter"],
        ),
        (
            "wildcard permission",
            format!(
                "suite: s\npermissions: [{{actions: [\"s3:*\"], resources: [\"*\"]}}]\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {call}}}\n"
            ),
            vec!["synth"],
            vec![":2:", "permissions[0].actions[0]", "wildcard"],
        ),
        (
            "worst case over 25,000 history events",
            format!(
                "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {call}, poll: {{timeout: 1h, min_delay: 1s, max_delay: 1s}}}}\n"
            ),
            vec!["synth"],
            vec![
                "would record 32435 history events",
                "at most 25000",
                "Raise min_delay or shorten timeout",
            ],
        ),
        (
            "underivable IAM",
            "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: ExecuteStatement, params: {Statement: s}}}\n".to_owned(),
            vec!["synth"],
            vec![
                "IAM has no action `dynamodb:ExecuteStatement`",
                "permissions:",
            ],
        ),
        // What synth refuses, validate refuses first, at the line.
        (
            "underivable IAM at validate",
            "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: ExecuteStatement, params: {Statement: s}}}\n".to_owned(),
            vec!["validate"],
            vec![":5:", "IAM has no action `dynamodb:ExecuteStatement`"],
        ),
        (
            "unknown service",
            "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamo, operation: GetItem}}\n".to_owned(),
            vec!["validate"],
            vec![":5:35:", "`dynamo` is not an AWS service", "did you mean `dynamodb`?"],
        ),
        (
            "REST service",
            "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: s3, operation: GetObject}}\n".to_owned(),
            vec!["validate"],
            vec![":5:35:", "`s3` speaks restXml"],
        ),
        (
            "unknown operation",
            "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: GetItems}}\n".to_owned(),
            vec!["validate"],
            vec![":5:54:", "no operation `GetItems`; did you mean `GetItem`?"],
        ),
        (
            "unknown member and wrong type",
            "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call:\n          kind: aws\n          service: dynamodb\n          operation: GetItem\n          params:\n            TableName: T\n            Key: {id: {S: 1001}}\n            ConsistentRed: true\n".to_owned(),
            vec!["validate"],
            vec![
                ":12:24: at scenarios.a.steps[0].call.params.Key.id.S: expected a string, found the number 1001",
                ":13:13: at scenarios.a.steps[0].call.params.ConsistentRed: `GetItemInput` has no member `ConsistentRed`; did you mean `ConsistentRead`?",
                "2 problems",
            ],
        ),
    ];
    for (name, text, args, expected) in cases {
        let file = dir.join(format!("{}.yaml", name.replace(' ', "-")));
        std::fs::write(&file, text).unwrap();
        let mut cmd = vigil();
        cmd.arg(args[0]).arg(&file).args(&args[1..]);
        if args[0] == "synth" {
            cmd.arg("-o").arg(dir.join("out"));
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        for e in expected {
            assert!(err.contains(e), "{name}: expected `{e}` in:\n{err}");
        }
    }
    let out = vigil()
        .arg("validate")
        .arg(dir.join("missing.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.yaml: cannot read"));
    // A stack name the state machine inside could not take fails before
    // anything is built or created.
    let long = format!("vigil-{}", "x".repeat(80));
    let out = vigil()
        .args(["deploy", "examples/smoke.yaml", "--stack", &long])
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("has 86 characters; vigil names the stack's state machine after the stack"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `vigil match` fills `${...}` templates from `--with` (text, or JSON
/// after `:=`), reads `-` as standard input, and refuses a pattern whose
/// template it cannot fill instead of comparing the literal `${...}`.
#[test]
fn match_fills_templates_and_reads_stdin() {
    let dir = std::env::temp_dir().join(format!("vigil-match-with-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pattern = dir.join("p.yaml");
    std::fs::write(
        &pattern,
        "id: \"${create.task_id}\"\nnote: {$contains: \"order ${order}\"}\ncount: \"${n}\"\n",
    )
    .unwrap();
    let run = |with: &[&str], actual: &str| {
        let mut child = vigil()
            .arg("match")
            .arg(&pattern)
            .arg("-")
            .args(with.iter().flat_map(|w| ["--with", w]))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(actual.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let actual = r#"{"id": "01J", "note": "see order 1001 now", "count": 3}"#;
    let with = ["create.task_id=01J", "order=1001", "n:=3"];
    let (code, out, err) = run(&with, actual);
    assert_eq!(code, Some(0), "{out}{err}");

    // `n=3` is the text "3", which does not equal the number 3.
    let (code, out, _) = run(&["create.task_id=01J", "order=1001", "n=3"], actual);
    assert_eq!(code, Some(1));
    assert!(out.contains("expected: \"3\""), "{out}");

    // A missing value is an error naming it, not a literal comparison.
    let (code, _, err) = run(&["order=1001", "n:=3"], actual);
    assert_eq!(code, Some(2));
    assert!(err.contains("create.task_id"), "{err}");
    assert!(err.contains("--with"), "{err}");

    // Both from standard input cannot work.
    let both = vigil().args(["match", "-", "-"]).output().unwrap();
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("standard input"));
    std::fs::remove_dir_all(&dir).ok();
}

/// SIGTERM and SIGINT during `vigil local`: the partial report is written
/// (the step that passed, the one interrupted with its latest attempt, the
/// one never reached skipped in JUnit) and the exit status is 143 / 130.
#[test]
fn an_interrupted_local_run_writes_its_partial_report() {
    let (_moto, moto) = start_moto();
    ddb(
        &moto,
        "CreateTable",
        json!({
            "TableName": "Jobs", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]
        }),
    );
    ddb(
        &moto,
        "PutItem",
        json!({"TableName": "Jobs", "Item": {"id": {"S": "j-1"}, "status": {"S": "RUNNING"}}}),
    );
    let dir = std::env::temp_dir().join(format!("vigil-interrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let suite = dir.join("s.yaml");
    std::fs::write(
        &suite,
        "suite: slow\nscenarios:\n  job:\n    steps:\n      - id: listed\n        call: {kind: aws, service: dynamodb, operation: ListTables}\n        expect: {TableNames: {$arrayWith: [Jobs]}}\n      - id: done\n        call: {kind: aws, service: dynamodb, operation: GetItem, params: {TableName: Jobs, Key: {id: {S: j-1}}}}\n        expect: {Item: {status: {S: DONE}}}\n        poll: {timeout: 10m, min_delay: 1s, max_delay: 1s, micro_poll: 0s}\n      - id: after\n        call: {kind: aws, service: dynamodb, operation: ListTables}\n",
    )
    .unwrap();
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let json_file = dir.join(format!("report{signal}.json"));
        let junit_file = dir.join(format!("junit{signal}.xml"));
        let child = vigil()
            .arg("local")
            .arg(&suite)
            .arg("--json")
            .arg(&json_file)
            .arg("--junit")
            .arg(&junit_file)
            .env("AWS_ENDPOINT_URL", &moto)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Let the poll get going: two attempts of `done`, a second apart.
        std::thread::sleep(Duration::from_secs(3));
        let sent = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let started = Instant::now();
        let out = child.wait_with_output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stdout}\n{stderr}");
        assert!(stdout.starts_with("suite slow: INTERRUPTED"), "{stdout}");
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
        assert_eq!(report["interrupted"], json!(true));
        let job = &report["scenarios"][0];
        assert_eq!(job["status"], json!("interrupted"));
        assert_eq!(job["failed_step"], json!("done"));
        assert_eq!(job["steps"]["s0"]["step"], json!("listed"));
        assert!(
            job["summary"]
                .as_str()
                .unwrap()
                .starts_with("job/done: interrupted after "),
            "{job}"
        );
        assert!(
            job["report"]["summary"]
                .as_str()
                .unwrap()
                .contains("RUNNING"),
            "{job}"
        );
        let junit = std::fs::read_to_string(&junit_file).unwrap();
        assert!(junit.contains("<error"), "{junit}");
        assert!(
            junit.contains("not run: the run was interrupted"),
            "{junit}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
