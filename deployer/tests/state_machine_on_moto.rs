//! The generated definition executed by moto's Step Functions engine, with
//! the release provider (from bootstrap.zip) under `cargo lambda watch`,
//! compared with `vigil local` on the same data: same outcomes, same
//! attempts, same mismatch paths. Also measures the poll loop's cost in
//! history events per attempt.

use vigil_test_support as support;
use vigil_test_support::chain;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chain::{root, start_chain, start_chain_with};
use serde_json::{Value, json};
use support::{aws, aws_client, create_tasks_table};
use vigil_state_machine::compile::{CompileOptions, compile};
use vigil_state_machine::load_file;

/// Creates the state machine, runs it, and returns (status, output or
/// cause, error, history events).
async fn execute(moto: &str, suite_file: &Path, name: &str) -> (String, Value, Value, Vec<Value>) {
    execute_with(moto, suite_file, name, "{}").await
}

async fn execute_with(
    moto: &str,
    suite_file: &Path,
    name: &str,
    input: &str,
) -> (String, Value, Value, Vec<Value>) {
    let provider = "arn:aws:lambda:us-east-1:123456789012:function:vigil-provider";
    execute_calling(moto, suite_file, name, input, provider).await
}

/// The suite compiled to call `provider`, created as state machine `name`
/// and run to its end: status, output, failure details, history.
async fn execute_calling(
    moto: &str,
    suite_file: &Path,
    name: &str,
    input: &str,
    provider: &str,
) -> (String, Value, Value, Vec<Value>) {
    let c = aws_client(moto);
    let suite = vigil_state_machine::ValidSuite::new(load_file(suite_file).unwrap()).unwrap();
    let def = compile(
        &suite,
        &CompileOptions {
            provider_function: provider.into(),
            ..CompileOptions::default()
        },
    );
    let sm = aws(&c, "stepfunctions", "CreateStateMachine", json!({
        "name": name, "definition": def.to_string(), "roleArn": "arn:aws:iam::123456789012:role/vigil"
    })).await;
    let arn = sm["stateMachineArn"].as_str().unwrap().to_owned();
    let ex = aws(
        &c,
        "stepfunctions",
        "StartExecution",
        json!({"stateMachineArn": arn, "name": format!("{name}-1"), "input": input}),
    )
    .await;
    let ex_arn = ex["executionArn"].as_str().unwrap().to_owned();
    let started = Instant::now();
    let d = loop {
        let d = aws(
            &c,
            "stepfunctions",
            "DescribeExecution",
            json!({"executionArn": ex_arn}),
        )
        .await;
        if d["status"] != json!("RUNNING") {
            break d;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "execution still running"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // Every page (the chain pages the history as Step Functions does).
    let mut events: Vec<Value> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = json!({"executionArn": ex_arn, "maxResults": 1000});
        if let Some(t) = &token {
            params["nextToken"] = json!(t);
        }
        let page = aws(&c, "stepfunctions", "GetExecutionHistory", params).await;
        events.extend(page["events"].as_array().cloned().unwrap_or_default());
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let status = d["status"].as_str().unwrap().to_owned();
    let output: Value = d["output"]
        .as_str()
        .and_then(|o| serde_json::from_str(o).ok())
        .unwrap_or(Value::Null);
    let failure = events
        .iter()
        .find(|e| e["type"] == json!("ExecutionFailed"))
        .map(|e| e["executionFailedEventDetails"].clone())
        .unwrap_or(Value::Null);
    (status, output, failure, events)
}

/// A failed execution carries no output; its report is the `Report`
/// state's output, read from the history.
fn report_from_history(events: &[Value]) -> Value {
    events
        .iter()
        .rev()
        .find(|e| e["stateExitedEventDetails"]["name"] == json!("Report"))
        .and_then(|e| serde_json::from_str(e["stateExitedEventDetails"]["output"].as_str()?).ok())
        .expect("the history has the Report state's output")
}

fn vigil_local(moto: &str, suite_file: &Path, extra_env: &[(&str, &str)]) -> Value {
    let report = std::env::temp_dir().join(format!(
        "vigil-local-{}-{}.json",
        std::process::id(),
        suite_file.file_stem().unwrap().to_string_lossy()
    ));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.arg("local")
        .arg(suite_file)
        .arg("--json")
        .arg(&report)
        .env("AWS_ENDPOINT_URL", moto)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.status().unwrap();
    let v = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    std::fs::remove_file(report).ok();
    v
}

/// The `local.yaml` fixture with its ApiUrl set to `api`: `vigil local`
/// reads it from the environment, the state machine gets it as a default
/// through the execution input instead.
fn local_suite(api: &str, name: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("deployer/tests/fixtures/local.yaml"))
        .unwrap()
        .replace("env: VIGIL_TEST_API_URL", &format!("default: {api}"));
    let suite = std::env::temp_dir().join(format!("vigil-sfn-{name}-{}.yaml", std::process::id()));
    std::fs::write(&suite, text).unwrap();
    suite
}

/// The parts of a run report that must not depend on where it ran (times
/// and the execution-only `error` field left out).
fn essence(report: &Value) -> Value {
    let step = |s: &Value| {
        json!({
            "step": s["step"], "attempt": s["attempt"], "outcome": s["outcome"],
            "summary": s["summary"], "transient_errors": s["transient_errors"]
        })
    };
    let scenarios: Vec<Value> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| json!({
            "branch": b["branch"], "status": b["status"], "summary": b["summary"], "failed_step": b["failed_step"],
            "report": if b["report"].is_null() { Value::Null } else { step(&b["report"]) },
            "steps": b["steps"].as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), step(v))).collect::<serde_json::Map<_, _>>()),
        }))
        .collect();
    json!({"suite": report["suite"], "failed": report["failed"], "scenarios": scenarios})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_definition_runs_on_moto_and_reports_like_vigil_local() {
    let chain = start_chain(&[]).await;
    let c = aws_client(&chain.moto);
    create_tasks_table(&c).await;
    let api = support::Stub::start(|_| support::Reply::json(200, json!({"ok": true}))).await;
    let suite = local_suite(&api.url, "suite");

    // 1. Passing.
    aws(
        &c,
        "dynamodb",
        "PutItem",
        json!({"TableName": "Tasks", "Item": {
            "task_id": {"S": "t-1"}, "status": {"S": "COMPLETED"}, "owner": {"S": "sub-1"},
            "events": {"L": [{"S": "created"}, {"S": "done"}]}
        }}),
    )
    .await;
    let (status, output, _, events) = execute(&chain.moto, &suite, "pass").await;
    assert_eq!(status, "SUCCEEDED", "{output:#}");
    let local = vigil_local(&chain.moto, &suite, &[]);
    assert_eq!(essence(&output), essence(&local));
    eprintln!("passing run: {} history events", events.len());

    // `vigil run` starts an execution named for suite, commit and attempt;
    // run again with the same three, it follows that execution instead of
    // starting another.
    let vigil_run = || {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args([
                "run",
                "--state-machine-arn",
                "arn:aws:states:us-east-1:123456789012:stateMachine:pass",
            ])
            .arg("--suite")
            .arg(&suite)
            .args(["--commit", "0123456789abcdef", "--attempt", "1"])
            .env("AWS_ENDPOINT_URL", &chain.moto)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    };
    for expected in [
        "started execution local-e2e-0123456789ab-1",
        "following the existing execution local-e2e-0123456789ab-1",
    ] {
        let out = vigil_run();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("suite local-e2e: passed"));
    }
    let listed = aws(
        &c,
        "stepfunctions",
        "ListExecutions",
        json!({
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:pass"
        }),
    )
    .await;
    let names: Vec<&str> = listed["executions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == "local-e2e-0123456789ab-1")
            .count(),
        1,
        "{names:?}"
    );

    // 2. A nested mismatch inside a polled step times out; the other
    // scenario completes; the execution fails with a readable cause.
    aws(
        &c,
        "dynamodb",
        "PutItem",
        json!({"TableName": "Tasks", "Item": {
            "task_id": {"S": "t-1"}, "status": {"S": "RUNNING"}, "owner": {"S": "sub-1"},
            "events": {"L": [{"S": "created"}]}
        }}),
    )
    .await;
    let (status, output, failure, events) = execute(&chain.moto, &suite, "fail").await;
    assert_eq!(status, "FAILED");
    assert_eq!(failure["error"], json!("vigil.AssertionFailed"));
    let cause = failure["cause"].as_str().unwrap_or_default();
    assert!(cause.contains("table/task-done: timed out"), "{cause}");
    assert!(cause.contains("$['status']['S']"), "{cause}");
    assert!(cause.contains("http: passed"), "{cause}");
    let report = report_from_history(&events);
    let local = vigil_local(&chain.moto, &suite, &[]);
    assert_eq!(essence(&report), essence(&local));
    assert_eq!(output, Value::Null);

    // `vigil report` reads the same execution back: report, JUnit (the
    // step that did not run is skipped), the GitHub step summary.
    let dir = std::env::temp_dir().join(format!("vigil-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("report")
        .arg("arn:aws:states:us-east-1:123456789012:execution:fail:fail-1")
        .arg("--suite")
        .arg(&suite)
        .arg("--junit")
        .arg(dir.join("junit.xml"))
        .arg("--json")
        .arg(dir.join("report.json"))
        .env("AWS_ENDPOINT_URL", &chain.moto)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn:aws:states:"), "{stdout}");
    let read: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(essence(&read), essence(&report));
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        xml.contains(r#"<testcase name="task-done" classname="local-e2e.table""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testcase name="owner-again" classname="local-e2e.table""#),
        "{xml}"
    );
    assert!(xml.contains("<skipped"), "{xml}");
    assert!(xml.contains("timed out after 4 attempts"), "{xml}");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        md.contains("### vigil: suite `local-e2e` ❌ failed"),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).ok();

    // The execution input overrides parameter defaults.
    let (status, _, failure, _) = execute_with(
        &chain.moto,
        &suite,
        "override",
        r#"{"params": {"Table": "Elsewhere"}}"#,
    )
    .await;
    assert_eq!(status, "FAILED");
    let cause = failure["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("table/task-done: Client error ResourceNotFoundException"),
        "{cause}"
    );

    // Poll-loop economics: events per polled attempt, measured.
    let entered = |name: &str| {
        events
            .iter()
            .filter(|e| e["stateEnteredEventDetails"]["name"] == json!(name))
            .count()
    };
    // Attempts at 0, 1 and 2 s are invocations with a Wait between them; the
    // last, at exactly 3 s, is slept inside the third invocation (a Wait
    // cannot express the sub-second remainder).
    let invocations = entered("table · task-done");
    let waits = entered("table · task-done · wait");
    assert_eq!((invocations, waits), (3, 2));
    assert_eq!(report["scenarios"][1]["report"]["attempt"], json!(4));
    // Events per trip round the loop: every Task entry brings exactly one
    // TaskScheduled, TaskStarted and TaskSucceeded (checked over the whole
    // history), plus the Task's, the Choice's and the Wait's entered/exited
    // pairs: the figure the validator's worst case uses.
    let count = |t: &str| events.iter().filter(|e| e["type"] == json!(t)).count();
    let tasks = count("TaskStateEntered");
    for t in [
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
    ] {
        assert_eq!(count(t), tasks, "{t}");
    }
    let per_loop = (3 + 2 + 2 + 2) as u64;
    assert_eq!(per_loop, vigil_state_machine::limits::EVENTS_PER_ATTEMPT);
    eprintln!(
        "failing run: {} history events; task-done: 4 attempts in {invocations} invocations with {waits} waits; \
         {per_loop} events and 3 state transitions per trip round the poll loop",
        events.len()
    );
    std::fs::remove_file(suite).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_fail_fast_and_throttling_recovers_the_same_way() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    // SSM answers ThrottlingException twice, then the parameter. Only the
    // calls count: `vigil local`'s pre-flight HEAD (is the endpoint up?)
    // must not use up a throttle.
    let calls = Arc::new(AtomicU32::new(0));
    let n = calls.clone();
    let ssm = support::Stub::start(move |req| {
        if req.method != "POST" {
            support::Reply::json(200, json!({}))
        } else if n.fetch_add(1, Ordering::SeqCst) < 2 {
            support::Reply::json(
                400,
                json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
            )
        } else {
            support::Reply::json(200, json!({"Parameter": {"Name": "flag", "Value": "on"}}))
        }
    })
    .await;
    let env = [("AWS_ENDPOINT_URL_SSM", ssm.url.as_str())];
    let chain = start_chain(&env).await;
    let suite = root().join("deployer/tests/fixtures/errors.yaml");

    let (status, _, failure, events) = execute(&chain.moto, &suite, "errors").await;
    assert_eq!(status, "FAILED");
    let cause = failure["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("missing/no-table: Client error ResourceNotFoundException"),
        "{cause}"
    );
    assert!(cause.contains("throttled: passed"), "{cause}");
    let report = report_from_history(&events);
    let missing = &report["scenarios"][0];
    assert_eq!(
        (&missing["failed_step"], &missing["report"]["attempt"]),
        (&json!("no-table"), &json!(1))
    );
    let flag = &report["scenarios"][1]["steps"]["s0"];
    assert_eq!(
        (&flag["attempt"], &flag["transient_errors"]),
        (&json!(3), &json!(2))
    );

    calls.store(0, Ordering::SeqCst);
    let local = vigil_local(&chain.moto, &suite, &env);
    assert_eq!(essence(&report), essence(&local));
}

/// Per branch: status, failing step, and the failing step's outcome with
/// its mismatch paths; what faults must never change.
fn verdicts(report: &Value) -> Vec<Value> {
    report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let paths: Vec<&Value> = b["report"]["outcome"]["report"]["mismatches"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| &m["path"])
                .collect();
            json!({
                "branch": b["branch"], "status": b["status"], "failed_step": b["failed_step"],
                "outcome": b["report"]["outcome"]["status"],
                "timed_out": b["report"]["outcome"]["timed_out"], "paths": paths,
            })
        })
        .collect()
}

/// Σ `invocation_retries` over every step report of a run report.
fn reported_invocation_retries(report: &Value) -> u64 {
    report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["steps"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .chain(std::iter::once(&b["report"]))
        })
        .map(|s| s["invocation_retries"].as_u64().unwrap_or(0))
        .sum()
}

async fn invoke_faults_so_far(proxy: &str) -> u64 {
    let counts: Value = reqwest::get(format!("{proxy}/__vigil/invoke-faults"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    counts
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum()
}

/// Lambda throttling and service errors on the provider's invocations
/// (injected by the Lambda proxy in front of `cargo lambda watch`, at 30%):
/// the Task's Retry absorbs every one, the verdicts and mismatch paths are
/// those of a clean run, and each retried invocation is counted in the
/// report of the step it belonged to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_invocations_are_retried_by_the_state_machine_and_counted() {
    let chain = start_chain_with(&[], &[("VIGIL_INVOKE_FAULTS", "0.3:1")]).await;
    let c = aws_client(&chain.moto);
    create_tasks_table(&c).await;
    let api = support::Stub::start(|_| support::Reply::json(200, json!({"ok": true}))).await;
    let suite = local_suite(&api.url, "faults-suite");
    let item = |status: &str, events: Value| {
        json!({"TableName": "Tasks", "Item": {
            "task_id": {"S": "t-1"}, "status": {"S": status}, "owner": {"S": "sub-1"},
            "events": events
        }})
    };
    let retried_in_history = |events: &[Value]| {
        events
            .iter()
            .filter(|e| {
                e["type"] == json!("TaskFailed")
                    && e["taskFailedEventDetails"]["error"]
                        .as_str()
                        .is_some_and(|err| err.starts_with("Lambda."))
            })
            .count() as u64
    };

    let mut injected_total = 0;
    for (name, status, events) in [
        (
            "faulty-pass",
            "COMPLETED",
            json!({"L": [{"S": "created"}, {"S": "done"}]}),
        ),
        ("faulty-fail", "RUNNING", json!({"L": [{"S": "created"}]})),
    ] {
        aws(&c, "dynamodb", "PutItem", item(status, events)).await;
        let before = invoke_faults_so_far(&chain.proxy).await;
        let (exec_status, output, failure, history) = execute(&chain.moto, &suite, name).await;
        let injected = invoke_faults_so_far(&chain.proxy).await - before;
        injected_total += injected;
        let report = if exec_status == "SUCCEEDED" {
            output
        } else {
            assert!(
                history
                    .iter()
                    .any(|e| e["stateExitedEventDetails"]["name"] == json!("Report")),
                "{name}: {exec_status} without a report: {failure:#}\n{:#}",
                Value::Array(history.clone())
            );
            report_from_history(&history)
        };
        // The same verdicts and mismatch paths as without faults (attempt
        // counts may differ: a retried invocation spends some of the poll's
        // time).
        let local = vigil_local(&chain.moto, &suite, &[]);
        assert_eq!(verdicts(&report), verdicts(&local), "{name}: {failure:#}");
        assert_eq!(
            exec_status,
            if name == "faulty-pass" {
                "SUCCEEDED"
            } else {
                "FAILED"
            }
        );
        let reported = reported_invocation_retries(&report);
        eprintln!(
            "{name}: {injected} invocation faults injected, {} retried in the history, {reported} in the report",
            retried_in_history(&history)
        );
        assert_eq!(retried_in_history(&history), injected, "{name}");
        assert_eq!(reported, injected, "{name}: {report:#}");
    }
    assert!(
        injected_total > 0,
        "no invocation fault was injected: the check would prove nothing"
    );
}

/// A capture of 150 KiB, more than half the 256 KiB state, flows through
/// later steps: the state holds each capture once (a response brings only
/// its step's captures, and the state machine merges them). Echoed back
/// whole, it sat in the state twice after the next Task, and moto's engine,
/// like Step Functions, failed the execution with the uncatchable
/// `States.DataLimitExceeded` and no report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_near_the_state_limit_is_held_once() {
    let blob = "x".repeat(150 * 1024);
    let api = support::Stub::start(move |req| {
        if req.path == "/big" {
            support::Reply::json(200, json!({"blob": blob}))
        } else {
            support::Reply::json(200, json!({"ok": true}))
        }
    })
    .await;
    let chain = start_chain(&[]).await;
    let suite = std::env::temp_dir().join(format!("vigil-sfn-big-{}.yaml", std::process::id()));
    std::fs::write(
        &suite,
        format!(
            "suite: big\nscenarios:\n  one:\n    steps:\n      - id: fetch\n        call: {{kind: http, url: \"{0}/big\"}}\n        capture: {{blob: {{path: $.body.blob}}}}\n      - id: check\n        call: {{kind: http, url: \"{0}/ok\"}}\n        expect: {{status: 200, body: {{ok: true}}}}\n      - id: again\n        call: {{kind: http, url: \"{0}/ok\"}}\n        expect: {{body: {{ok: true}}}}\n",
            api.url
        ),
    )
    .unwrap();
    let (status, output, failure, events) = execute(&chain.moto, &suite, "big").await;
    assert_eq!(status, "SUCCEEDED", "{failure:#}");
    assert_eq!(output["failed"], json!(false), "{output:#}");
    // The largest state the run went through stays under the limit with
    // the capture in it once.
    let largest = events
        .iter()
        .filter_map(|e| e["stateExitedEventDetails"]["output"].as_str())
        .map(str::len)
        .max()
        .unwrap();
    assert!(
        (150 * 1024..200 * 1024).contains(&largest),
        "largest state: {largest} bytes"
    );
    std::fs::remove_file(suite).ok();
}

/// A history longer than a page: the chain's moto pages GetExecutionHistory
/// as Step Functions does (at most 1,000 events a call), and `vigil run`
/// still shows every step's attempt and finds the report at the end. On
/// moto as it ships (`VIGIL_MOTO_UNPATCHED=history-paging`) every event
/// comes back in one answer whatever `maxResults` says: the patch is still
/// needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histories_longer_than_a_page_are_read_whole() {
    let unpatched = start_chain_with(&[], &[("VIGIL_MOTO_UNPATCHED", "history-paging")]).await;
    let chain = start_chain(&[]).await;
    let steps: String = (1..=100)
        .map(|i| {
            let expect = if i == 100 {
                ", expect: {TableNames: [nope]}"
            } else {
                ""
            };
            format!(
                "      - {{id: s{i}, call: {{kind: aws, service: dynamodb, operation: ListTables}}{expect}}}\n"
            )
        })
        .collect();
    let suite = std::env::temp_dir().join(format!("vigil-sfn-long-{}.yaml", std::process::id()));
    std::fs::write(
        &suite,
        format!("suite: long\nscenarios:\n  one:\n    steps:\n{steps}"),
    )
    .unwrap();

    let page = |moto: String, params: Value| async move {
        aws(
            &aws_client(&moto),
            "stepfunctions",
            "GetExecutionHistory",
            params,
        )
        .await
    };
    // moto as it ships ignores maxResults.
    let (_, _, _, events) = execute(&unpatched.moto, &suite, "long").await;
    assert!(events.len() > 1000, "{}", events.len());
    let ex_arn = "arn:aws:states:us-east-1:123456789012:execution:long:".to_owned();
    let first_execution = |moto: String| async move {
        let listed = aws(
            &aws_client(&moto),
            "stepfunctions",
            "ListExecutions",
            json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:long"}),
        )
        .await;
        listed["executions"][0]["executionArn"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first = first_execution(unpatched.moto.clone()).await;
    assert!(first.starts_with(&ex_arn), "{first}");
    let all = page(
        unpatched.moto.clone(),
        json!({"executionArn": first, "maxResults": 5}),
    )
    .await;
    assert!(
        all["events"].as_array().unwrap().len() > 1000 && all.get("nextToken").is_none(),
        "moto pages the history by itself now: drop tests/support/moto_history_paging.py"
    );
    drop(unpatched);

    // The chain's moto pages: 5 a call, newest first on request, tokens
    // that resume where they stopped, a foreign token refused.
    let (status, _, failure, events) = execute(&chain.moto, &suite, "long").await;
    assert_eq!(status, "FAILED", "{failure:#}");
    assert!(events.len() > 1000, "{}", events.len());
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    let arn = first_execution(chain.moto.clone()).await;
    let p1 = page(
        chain.moto.clone(),
        json!({"executionArn": arn, "maxResults": 5, "reverseOrder": true}),
    )
    .await;
    let newest: Vec<i64> = p1["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    let n = ids.len() as i64;
    assert_eq!(newest, [n, n - 1, n - 2, n - 3, n - 4]);
    let p2 = page(
        chain.moto.clone(),
        json!({"executionArn": arn, "maxResults": 5, "reverseOrder": true, "nextToken": p1["nextToken"]}),
    )
    .await;
    assert_eq!(p2["events"][0]["id"], json!(n - 5));
    let bad = aws_client(&chain.moto)
        .call(
            "stepfunctions",
            "GetExecutionHistory",
            &json!({"executionArn": arn, "nextToken": "bm90LWEtdG9rZW4="}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code.as_deref(), Some("InvalidToken"), "{bad:?}");

    // `vigil run` follows an execution of more than a page: the first
    // step's attempt (on the last page back) and the failing one are both
    // shown, and the report is the one the history holds.
    let report_file = std::env::temp_dir().join(format!("vigil-long-{}.json", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "run",
            "--state-machine-arn",
            "arn:aws:states:us-east-1:123456789012:stateMachine:long",
        ])
        .arg("--suite")
        .arg(&suite)
        .args(["--commit", "0123456789abcdef", "--attempt", "1", "--json"])
        .arg(&report_file)
        .env("AWS_ENDPOINT_URL", &chain.moto)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("  s1 attempt 1: matched"), "{stderr}");
    assert!(stderr.contains("  s100 attempt 1: "), "{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    assert_eq!(
        report["scenarios"][0]["failed_step"],
        json!("s100"),
        "{report}"
    );
    assert_eq!(
        report["scenarios"][0]["steps"].as_object().unwrap().len(),
        99
    );
    std::fs::remove_file(report_file).ok();
    std::fs::remove_file(suite).ok();
}

/// A definition that names a function that does not exist fails as on
/// AWS: the chain's Lambda route answers 404 ResourceNotFoundException
/// instead of handing every Invoke to the one provider, and the step
/// reports the provider could not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_definition_naming_no_function_fails_as_on_aws() {
    let chain = start_chain(&[]).await;
    let suite = std::env::temp_dir().join(format!("vigil-sfn-nofn-{}.yaml", std::process::id()));
    std::fs::write(
        &suite,
        "suite: wrong-function\nscenarios:\n  one:\n    steps:\n      - {id: list, call: {kind: aws, service: dynamodb, operation: ListTables}}\n",
    )
    .unwrap();
    let wrong = "arn:aws:lambda:us-east-1:123456789012:function:no-such-provider";
    let (status, _, failure, _) =
        execute_calling(&chain.moto, &suite, "wrong-function", "{}", wrong).await;
    assert_eq!(status, "FAILED", "{failure:#}");
    let cause = failure["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("one/list: the provider could not run: Lambda.ResourceNotFoundException"),
        "{cause}"
    );
    assert!(cause.contains("no-such-provider"), "{cause}");
    std::fs::remove_file(suite).ok();
}
