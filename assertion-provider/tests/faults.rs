//! Injected faults: the provider runs suites against moto and a stand-in
//! HTTP service through loopback fault proxies that throttle (429 and
//! `ThrottlingException`), answer 500/503, stall past the call timeout,
//! reset connections, truncate bodies and answer slowly, at fixed rates.
//!
//! The condition each polled step waits for becomes true 1.5 s into a run,
//! well before its 8 s deadline. Over many runs:
//! * a passing suite always passes (no false failure);
//! * a suite waiting for a value that never comes always fails, and fails
//!   for the right reason: the mismatch at the exact path, not a blip
//!   (no false pass, no wrong red);
//! * every fault that cost an attempt is counted in the step reports'
//!   `transient_errors` (on a quiet machine exactly as many as the proxies
//!   injected; a loaded one may add real timeouts of its own).
//!
//! `VIGIL_FAULT_RUNS` sets the runs per kind (default 10; the figures in
//! docs/RELIABILITY.md come from a longer run).

use vigil_test_support as support;
use vigil_test_support::fault_proxy;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assertion_provider::clock::SystemClock;
use assertion_provider::sealing::KeySource;
use fault_proxy::{Fault, FaultPlan, FaultProxy};
use serde_json::{Value, json};
use support::{Moto, Reply, Stub, aws, aws_client, provider, request};
use vigil_protocol::{CaptureTable, StepOutcome, Verdict};

/// When the awaited condition becomes true, after the run starts.
const READY_AFTER: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    /// Every condition comes true in time: must pass.
    Passes,
    /// The item never reaches the expected state: must fail at `state.S`.
    FailsOnAws,
    /// The job never reaches the expected state: must fail at `body.state`.
    FailsOnHttp,
}

fn aws_plan(seed: u64) -> FaultPlan {
    FaultPlan {
        rates: vec![
            (Fault::Throttle429, 0.04),
            (Fault::ThrottleException400, 0.04),
            (Fault::Error500, 0.03),
            (Fault::Error503, 0.03),
            (Fault::Timeout, 0.02),
            (Fault::Reset, 0.03),
            (Fault::Truncated, 0.03),
            (Fault::Slow, 0.05),
        ],
        seed,
        slow: Duration::from_millis(300),
        hang: Duration::from_millis(3500),
    }
}

/// An HTTP application answers 400 and 500 for itself (those are results
/// to match), so the HTTP side gets the faults a client must retry.
fn http_plan(seed: u64) -> FaultPlan {
    FaultPlan {
        rates: vec![
            (Fault::Throttle429, 0.05),
            (Fault::Error503, 0.05),
            (Fault::Timeout, 0.02),
            (Fault::Reset, 0.04),
            (Fault::Truncated, 0.04),
            (Fault::Slow, 0.05),
        ],
        seed,
        slow: Duration::from_millis(300),
        hang: Duration::from_millis(3500),
    }
}

fn steps(job: &str, http: &str, kind: Kind) -> Vec<Value> {
    let poll =
        json!({"timeout": "8s", "min_delay": "250ms", "max_delay": "1s", "micro_poll": "60s"});
    let item_state = if kind == Kind::FailsOnAws {
        "cancelled"
    } else {
        "done"
    };
    let job_state = if kind == Kind::FailsOnHttp {
        "archived"
    } else {
        "done"
    };
    vec![
        json!({"id": "table-active",
               "call": {"kind": "aws", "service": "dynamodb", "operation": "DescribeTable", "params": {"TableName": "jobs"}},
               "select": "$.Table.TableStatus", "expect": {"exact": "ACTIVE"}}),
        json!({"id": "item-done",
               "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                        "params": {"TableName": "jobs", "Key": {"id": {"S": job}}, "ConsistentRead": true}},
               "expect": {"objectLike": {"Item": {"objectLike": {"state": {"objectLike": {"S": {"exact": item_state}}}}}}},
               "poll": poll}),
        json!({"id": "job-done",
               "call": {"kind": "http", "method": "GET", "url": format!("{http}/jobs/{job}")},
               "expect": {"objectLike": {"status": {"exact": 200}, "body": {"objectLike": {"state": {"exact": job_state}}}}},
               "poll": poll}),
        json!({"id": "healthy",
               "call": {"kind": "http", "method": "GET", "url": format!("{http}/health")},
               "expect": {"objectLike": {"status": {"exact": 200}}}}),
    ]
}

/// What one run came to.
#[derive(Debug)]
struct RunResult {
    kind: Kind,
    passed: bool,
    /// The failing step's id and one-line summary.
    failure: Option<(String, String)>,
    /// Whether the failure is the mismatch the kind expects.
    right_reason: bool,
    /// Σ transient_errors over the steps' final reports.
    counted: u32,
    /// Faults the proxies injected that cost an attempt.
    injected: u32,
    by_fault: BTreeMap<Fault, u32>,
    /// Requests that reached a proxy (faulted or forwarded).
    requests: u32,
    attempts: u32,
    invocations: u32,
}

async fn one_run(i: u64, kind: Kind, moto: &str, stub: &str, ready: &Readiness) -> RunResult {
    let job = format!("job-{i}");
    let setup = aws_client(moto);
    aws(
        &setup,
        "dynamodb",
        "PutItem",
        json!({"TableName": "jobs", "Item": {"id": {"S": job}, "state": {"S": "pending"}}}),
    )
    .await;
    ready
        .lock()
        .unwrap()
        .insert(job.clone(), Instant::now() + READY_AFTER);
    let flip = {
        let (setup, job) = (setup.clone(), job.clone());
        tokio::spawn(async move {
            tokio::time::sleep(READY_AFTER).await;
            aws(
                &setup,
                "dynamodb",
                "PutItem",
                json!({"TableName": "jobs", "Item": {"id": {"S": job}, "state": {"S": "done"}}}),
            )
            .await;
        })
    };
    let aws_proxy = FaultProxy::start(moto, aws_plan(i)).await;
    let http_proxy = FaultProxy::start(stub, http_plan(10_000 + i)).await;
    let p = provider(
        &aws_proxy.url,
        &aws_proxy.url,
        Arc::new(SystemClock),
        KeySource::Unconfigured,
        Duration::from_secs(3),
    );
    let (mut counted, mut attempts, mut invocations) = (0, 0, 0);
    let mut failure = None;
    // A run that passes is right only if it was meant to.
    let mut right_reason = kind == Kind::Passes;
    let mut captures = CaptureTable::default();
    // The state machine's loop: invoke, Wait what the provider asks, invoke
    // again with its poll state, until pass or fail.
    for step in steps(&job, &http_proxy.url, kind) {
        let mut poll = None;
        let last = loop {
            invocations += 1;
            let r = p
                .handle(request(step.clone(), captures.clone(), poll), None)
                .await;
            if r.verdict != Verdict::Retry {
                break r;
            }
            tokio::time::sleep(Duration::from_secs(r.wait_seconds.unwrap_or(0))).await;
            poll = Some(r.poll);
        };
        counted += last.report.transient_errors;
        attempts += last.report.attempt;
        captures.merge(last.captures.clone());
        if last.verdict == Verdict::Fail {
            let expected_path = match kind {
                Kind::FailsOnAws => Some(("item-done", "$['Item']['state']['S']")),
                Kind::FailsOnHttp => Some(("job-done", "$['body']['state']")),
                Kind::Passes => None,
            };
            right_reason = match (expected_path, &last.report.outcome) {
                (Some((id, path)), StepOutcome::Mismatched { report, timed_out }) => {
                    *timed_out
                        && last.report.step.as_str() == id
                        && report
                            .mismatches()
                            .iter()
                            .any(|m| m.path.to_string() == path)
                }
                _ => false,
            };
            failure = Some((last.report.step.to_string(), last.report.summary.clone()));
            break;
        }
    }
    flip.await.ok();
    RunResult {
        kind,
        passed: failure.is_none(),
        failure,
        right_reason,
        counted,
        injected: aws_proxy.attempt_costing() + http_proxy.attempt_costing(),
        by_fault: merged(&aws_proxy, &http_proxy),
        requests: requests(&aws_proxy, &http_proxy),
        attempts,
        invocations,
    }
}

fn merged(a: &FaultProxy, b: &FaultProxy) -> BTreeMap<Fault, u32> {
    let mut all = a.injected();
    for (f, n) in b.injected() {
        *all.entry(f).or_default() += n;
    }
    all
}

fn requests(a: &FaultProxy, b: &FaultProxy) -> u32 {
    a.forwarded() + b.forwarded() + merged(a, b).values().sum::<u32>()
}

type Readiness = Arc<Mutex<HashMap<String, Instant>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faults_never_flip_a_verdict_and_every_retried_fault_is_counted() {
    let runs: u64 = std::env::var("VIGIL_FAULT_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let moto = Moto::start().await;
    let setup = aws_client(&moto.url);
    aws(
        &setup,
        "dynamodb",
        "CreateTable",
        json!({"TableName": "jobs", "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}),
    )
    .await;
    let ready: Readiness = Arc::default();
    let jobs = ready.clone();
    // The stand-in service: a job is pending (404) until its time, then
    // done; /health always answers.
    let stub = Stub::start(move |seen| {
        if seen.path == "/health" {
            return Reply::json(200, json!({"ok": true}));
        }
        let job = seen.path.trim_start_matches("/jobs/");
        match jobs.lock().unwrap().get(job) {
            Some(at) if Instant::now() >= *at => Reply::json(200, json!({"state": "done"})),
            Some(_) => Reply::json(404, json!({"state": "pending"})),
            None => Reply::json(404, json!({"error": "no such job"})),
        }
    })
    .await;

    let started = Instant::now();
    let mut tasks = Vec::new();
    // One moto serves every run; more than a dozen at once and it answers
    // after the call timeout, which would be the machine's fault, not ours.
    let slots = Arc::new(tokio::sync::Semaphore::new(12));
    for i in 0..runs * 3 {
        let kind = [Kind::Passes, Kind::FailsOnAws, Kind::FailsOnHttp][(i % 3) as usize];
        let (moto, stub, ready) = (moto.url.clone(), stub.url.clone(), ready.clone());
        let slots = slots.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire().await.expect("the semaphore stays open");
            one_run(i, kind, &moto, &stub, &ready).await
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("a run panicked"));
    }

    // The table for the report and docs/RELIABILITY.md.
    let mut by_fault: BTreeMap<Fault, u32> = BTreeMap::new();
    for r in &results {
        for (f, n) in &r.by_fault {
            *by_fault.entry(*f).or_default() += n;
        }
    }
    let requests: u32 = results.iter().map(|r| r.requests).sum();
    let faults: u32 = by_fault.values().sum();
    eprintln!(
        "{} runs in {:.1}s: {} attempts in {} invocations; {requests} requests, {faults} faults \
         ({:.1}%): {by_fault:?}",
        results.len(),
        started.elapsed().as_secs_f64(),
        results.iter().map(|r| r.attempts).sum::<u32>(),
        results.iter().map(|r| r.invocations).sum::<u32>(),
        100.0 * f64::from(faults) / f64::from(requests.max(1))
    );
    for kind in [Kind::Passes, Kind::FailsOnAws, Kind::FailsOnHttp] {
        let of: Vec<&RunResult> = results.iter().filter(|r| r.kind == kind).collect();
        eprintln!(
            "{kind:?}: {} runs, {} passed, {} failed for the right reason, {} faults injected, {} counted",
            of.len(),
            of.iter().filter(|r| r.passed).count(),
            of.iter().filter(|r| !r.passed && r.right_reason).count(),
            of.iter().map(|r| r.injected).sum::<u32>(),
            of.iter().map(|r| r.counted).sum::<u32>()
        );
    }

    for kind in [Kind::FailsOnAws, Kind::FailsOnHttp] {
        if let Some((step, summary)) = results
            .iter()
            .find(|r| r.kind == kind)
            .and_then(|r| r.failure.as_ref())
        {
            eprintln!("{kind:?}, e.g.: {step}: {summary}");
        }
    }
    let false_failures: Vec<&RunResult> = results
        .iter()
        .filter(|r| r.kind == Kind::Passes && !r.passed)
        .collect();
    assert!(
        false_failures.is_empty(),
        "false failures: {false_failures:#?}"
    );
    let false_passes: Vec<&RunResult> = results
        .iter()
        .filter(|r| r.kind != Kind::Passes && r.passed)
        .collect();
    assert!(false_passes.is_empty(), "false passes: {false_passes:#?}");
    let wrong_reds: Vec<&RunResult> = results.iter().filter(|r| !r.right_reason).collect();
    assert!(
        wrong_reds.is_empty(),
        "failed for the wrong reason: {wrong_reds:#?}"
    );
    // Every injected fault is counted. More can be counted than injected
    // only when the machine itself produced a transient error (a loaded
    // moto answering after the call timeout): real, so counted, and shown.
    let uncounted: Vec<&RunResult> = results.iter().filter(|r| r.counted < r.injected).collect();
    assert!(
        uncounted.is_empty(),
        "injected faults missing from the reports' transient_errors: {uncounted:#?}"
    );
    eprintln!(
        "runs whose reports counted exactly the injected faults: {}/{}",
        results.iter().filter(|r| r.counted == r.injected).count(),
        results.len()
    );
    // Not vacuous: faults of every kind were injected and retried.
    for f in [
        Fault::Throttle429,
        Fault::ThrottleException400,
        Fault::Error500,
        Fault::Error503,
        Fault::Timeout,
        Fault::Reset,
        Fault::Truncated,
        Fault::Slow,
    ] {
        assert!(
            by_fault.get(&f).copied().unwrap_or(0) > 0 || runs < 10,
            "no {f:?} was injected; raise the rate or the runs"
        );
    }
    assert!(results.iter().map(|r| r.counted).sum::<u32>() > 0);
}
