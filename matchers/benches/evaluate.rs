//! Evaluation speed on the shape vigil meets most: a nested pattern
//! (objectLike holding arrayWith and stringLikeRegexp) against a 1 MB
//! DynamoDB Query response whose only matching item is the last one, so the
//! search visits every item.
//!
//! Run: `cargo bench -p vigil-matchers --bench evaluate`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use vigil_matchers::{EvalContext, Matcher, authoring, wire};

/// A Query response of roughly `target_bytes` of compact JSON.
fn query_response(target_bytes: usize, last_status: &str) -> Value {
    let item = |i: usize, status: &str| {
        json!({
            "task_id": {"S": format!("t-{i:08x}")},
            "user_id": {"S": "3f1c2e9a-58b4-4c3e-9d51-0a7c2b6e4f10"},
            "status": {"S": status},
            "created_at": {"S": format!("2026-11-23T10:{:02}:{:02}Z", (i / 60) % 60, i % 60)},
            "updated_at": {"S": "2026-11-23T10:59:59.123Z"},
            "max_turns": {"N": "50"},
            "task_description": {"S": "Refactor the billing module and add tests for the new rounding rules."},
            "events": {"L": [
                {"M": {"event_type": {"S": "task_created"}, "timestamp": {"S": "2026-11-23T10:00:00Z"}}},
                {"M": {"event_type": {"S": "hydrated"}, "timestamp": {"S": "2026-11-23T10:00:05Z"}}}
            ]}
        })
    };
    let one = item(0, "RUNNING").to_string().len() + 1;
    let n = target_bytes / one;
    let mut items: Vec<Value> = (0..n - 1).map(|i| item(i, "RUNNING")).collect();
    items.push(item(n - 1, last_status));
    json!({"Items": items, "Count": n, "ScannedCount": n})
}

fn pattern() -> Matcher {
    authoring::parse(&json!({
        "Items": {"$arrayWith": [{
            "status": {"S": "COMPLETED"},
            "task_id": {"S": {"$regex": "^t-[0-9a-f]{8}$"}},
            "created_at": {"S": {"$regex": "^\\d{4}-\\d{2}-\\d{2}T"}},
            "events": {"L": {"$arrayWith": [{"M": {"event_type": {"S": "task_created"}}}]}}
        }]},
        "Count": {"$gte": 1}
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let pass = query_response(1 << 20, "COMPLETED");
    let fail = query_response(1 << 20, "FAILED");
    let bytes = pass.to_string().len() as u64;
    let m = pattern();
    let ctx = EvalContext::at_system_time();
    assert!(m.matches(&pass, &ctx));
    assert!(!m.matches(&fail, &ctx));
    let canonical = wire::encode(&m);

    let mut g = c.benchmark_group("1MB DynamoDB Query");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("verdict, match at the last item", |b| {
        b.iter(|| m.matches(black_box(&pass), &ctx))
    });
    g.bench_function("evaluate, match at the last item", |b| {
        b.iter(|| m.evaluate(black_box(&pass), &ctx))
    });
    g.bench_function("evaluate, no match (full report)", |b| {
        b.iter(|| m.evaluate(black_box(&fail), &ctx))
    });
    g.finish();
    c.bench_function("decode canonical pattern", |b| {
        b.iter(|| wire::decode(black_box(&canonical)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
