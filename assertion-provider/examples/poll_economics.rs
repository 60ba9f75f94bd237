//! What polling costs: the real provider's poll decisions, on virtual time.
//!
//! A condition becomes true at time T (an HTTP endpoint starts answering
//! `{"done": true}`). The state machine's loop is replayed against the real
//! `Provider::handle` with a `FakeClock`: each invocation is one Task (its
//! in-invocation re-polls sleep on the fake clock, so they cost Lambda
//! time, not transitions), and each `retry` is a trip round Task -> Choice
//! -> Wait. The example prints, per policy and T, the detection latency,
//! invocations, state transitions, history events and Lambda GB-seconds,
//! and the same for the anchor's waiter computed from its Retry settings.
//!
//! `cargo run --release -p assertion-provider --example poll_economics -- [--json]`

use vigil_test_support as support;

use std::sync::Arc;
use std::time::Duration;

use assertion_provider::clock::{Clock, FakeClock};
use assertion_provider::sealing::KeySource;
use serde_json::{Value, json};
use support::{Reply, Stub, provider};
use time::OffsetDateTime;
use vigil_protocol::{CaptureTable, Verdict};

/// Transitions per trip round the loop (Task, Choice, Wait) and history
/// events (Task: entered, scheduled, started, succeeded, exited; Choice:
/// entered, exited; Wait: entered, exited), as the compiled definition has.
const TRANSITIONS_PER_TRIP: u64 = 3;
const EVENTS_PER_TRIP: u64 = 9;
/// The final Task + Choice when the step passes.
const TRANSITIONS_FINAL: u64 = 2;
const EVENTS_FINAL: u64 = 7;
/// What one invocation costs beyond its waits (call + matching + Lambda
/// overhead), from the cold/warm measurements: a generous 50 ms.
const INVOCATION_OVERHEAD: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy)]
struct Outcome {
    latency: Duration,
    invocations: u64,
    transitions: u64,
    events: u64,
    lambda_seconds: f64,
    detected: bool,
}

/// Averages of several runs (the condition turning true at offsets within
/// one poll interval, so a loop is not flattered by T landing on a poll).
#[derive(Debug, Clone, Copy, Default)]
struct Mean {
    latency: f64,
    invocations: f64,
    transitions: f64,
    events: f64,
    lambda_seconds: f64,
    detected: bool,
}

/// Offsets added to T: 0 to 4.5 s in half seconds.
const OFFSETS: u32 = 10;

fn mean(outcomes: &[Outcome]) -> Mean {
    let n = outcomes.len() as f64;
    let sum = |f: &dyn Fn(&Outcome) -> f64| outcomes.iter().map(f).sum::<f64>() / n;
    Mean {
        latency: sum(&|o| o.latency.as_secs_f64()),
        invocations: sum(&|o| o.invocations as f64),
        transitions: sum(&|o| o.transitions as f64),
        events: sum(&|o| o.events as f64),
        lambda_seconds: sum(&|o| o.lambda_seconds),
        detected: outcomes.iter().all(|o| o.detected),
    }
}

async fn simulate(policy: Value, true_at: Duration, lambda_timeout: Duration) -> Outcome {
    let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let clock = Arc::new(FakeClock::new(start));
    let seen_clock = clock.clone();
    let stub = Stub::start(move |_| {
        let done = seen_clock.now() - start >= true_at;
        Reply::json(200, json!({"done": done}))
    })
    .await;
    let p = provider(
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        clock.clone() as Arc<dyn Clock>,
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let step = json!({
        "id": "wait-for-done",
        "call": {"kind": "http", "url": format!("{}/status", stub.url)},
        "select": "$.body",
        "expect": {"objectLike": {"done": {"exact": true}}},
        "poll": policy,
    });
    let mut poll = None;
    let (mut invocations, mut transitions, mut events) = (0, 0, 0);
    let mut lambda_seconds = 0.0;
    loop {
        invocations += 1;
        let before = clock.now();
        let req = support::request(step.clone(), CaptureTable::default(), poll.clone());
        let resp = p.handle(req, Some(lambda_timeout)).await;
        lambda_seconds +=
            ((clock.now() - before).unsigned_abs() + INVOCATION_OVERHEAD).as_secs_f64();
        match resp.verdict {
            Verdict::Retry => {
                transitions += TRANSITIONS_PER_TRIP;
                events += EVENTS_PER_TRIP;
                clock.advance(Duration::from_secs(resp.wait_seconds.unwrap_or(0)));
                poll = Some(resp.poll);
            }
            verdict => {
                transitions += TRANSITIONS_FINAL;
                events += EVENTS_FINAL;
                let elapsed = (clock.now() - start).unsigned_abs();
                return Outcome {
                    latency: elapsed.saturating_sub(true_at),
                    invocations,
                    transitions,
                    events,
                    lambda_seconds,
                    detected: verdict == Verdict::Pass,
                };
            }
        }
    }
}

/// The anchor's waiter: a Task on its isComplete function whose "not yet"
/// is an error retried by `Retry` (IntervalSeconds, BackoffRate,
/// MaxAttempts), each retry one transition and three history events
/// (scheduled, started, failed).
fn anchor(interval: f64, backoff: f64, max_attempts: u32, true_at: f64, invoke_s: f64) -> Outcome {
    let (mut t, mut wait) = (0.0, interval);
    let mut invocations = 0u64;
    for attempt in 0..=max_attempts {
        invocations += 1;
        t += invoke_s;
        if t >= true_at {
            return Outcome {
                latency: Duration::from_secs_f64(t - true_at),
                invocations,
                transitions: invocations + 1,
                events: 3 * invocations + 4,
                lambda_seconds: invocations as f64 * invoke_s,
                detected: true,
            };
        }
        if attempt < max_attempts {
            t += wait;
            wait *= backoff;
        }
    }
    Outcome {
        latency: Duration::from_secs_f64(t),
        invocations,
        transitions: invocations + 1,
        events: 3 * invocations + 4,
        lambda_seconds: invocations as f64 * invoke_s,
        detected: false,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let json_out = std::env::args().any(|a| a == "--json");
    let policies = [
        (
            "vigil default (2-30 s backoff, 10 s micro-poll)",
            json!({"timeout": "30m"}),
        ),
        (
            "vigil 5 s latency (5 s delays, 55 s micro-poll)",
            json!({"timeout": "30m", "min_delay": "5s", "max_delay": "5s", "micro_poll": "55s"}),
        ),
        (
            "vigil 5 s latency, no micro-poll",
            json!({"timeout": "30m", "min_delay": "5s", "max_delay": "5s", "micro_poll": "0s"}),
        ),
    ];
    let times = [30u64, 180, 600];
    let mut rows = Vec::new();
    let offset = |k: u32| Duration::from_millis(500 * u64::from(k));
    for (name, policy) in &policies {
        for &t in &times {
            let mut runs = Vec::new();
            for k in 0..OFFSETS {
                let at = Duration::from_secs(t) + offset(k);
                runs.push(simulate(policy.clone(), at, Duration::from_secs(95)).await);
            }
            rows.push((name.to_string(), t, mean(&runs)));
        }
    }
    // The anchor's waiter with its defaults: 30 min total, 5 s interval.
    for (name, backoff, attempts) in [
        ("anchor waiter, backoff 1 (MaxAttempts 360)", 1.0, 360u32),
        ("anchor waiter, backoff 2 (MaxAttempts 5)", 2.0, 5u32),
    ] {
        for &t in &times {
            let runs: Vec<Outcome> = (0..OFFSETS)
                .map(|k| {
                    anchor(
                        5.0,
                        backoff,
                        attempts,
                        t as f64 + offset(k).as_secs_f64(),
                        0.1,
                    )
                })
                .collect();
            rows.push((name.to_string(), t, mean(&runs)));
        }
    }
    if json_out {
        let v: Vec<Value> = rows
            .iter()
            .map(|(name, t, o)| {
                json!({"policy": name, "true_at_s": t, "detected": o.detected,
                       "latency_s": o.latency, "invocations": o.invocations,
                       "transitions": o.transitions, "events": o.events,
                       "lambda_s": o.lambda_seconds})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap());
        return;
    }
    println!(
        "| loop | condition true at | detected after | invocations | transitions | per polled minute | history events | Lambda s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, t, o) in rows {
        let minutes = (t as f64 + o.latency) / 60.0;
        let detected = if o.detected {
            format!("+{:.1} s", o.latency)
        } else {
            format!("never (gave up at {:.0} s)", o.latency)
        };
        println!(
            "| {name} | {t} s | {detected} | {:.1} | {:.1} | {:.1} | {:.0} | {:.1} |",
            o.invocations,
            o.transitions,
            o.transitions / minutes,
            o.events,
            o.lambda_seconds
        );
    }
}
