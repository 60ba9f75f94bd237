//! The anchor's documented semantics (`aws-cdk-lib/assertions` `Match`, as
//! used by `@aws-cdk/integ-tests-alpha`), reproduced case by case, and the
//! cases where the anchor is broken and vigil is right.
//!
//! Each row: a pattern in the authoring form, an actual value, and the
//! expected outcome — a pass, or the exact list of (path, kind) mismatches.

use serde_json::{Value, json};
use vigil_matchers::{EvalContext, MismatchKind as K, authoring, wire};

enum Outcome {
    Pass,
    Fail(&'static [(&'static str, K)]),
}
use Outcome::{Fail, Pass};

struct Row {
    case: &'static str,
    pattern: Value,
    actual: Value,
    outcome: Outcome,
}

fn row(case: &'static str, pattern: Value, actual: Value, outcome: Outcome) -> Row {
    Row {
        case,
        pattern,
        actual,
        outcome,
    }
}

fn check(rows: Vec<Row>) {
    let ctx = EvalContext::new(vigil_matchers::parse_rfc3339("2026-11-23T10:00:00Z").unwrap());
    let mut failures = Vec::new();
    for r in rows {
        let m = match authoring::parse(&r.pattern) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}: pattern does not decode: {e}", r.case));
                continue;
            }
        };
        // Every row also goes through the canonical wire format, as it does
        // on its way through the state machine.
        let m = wire::decode(&wire::encode(&m)).unwrap();
        let report = m.evaluate(&r.actual, &ctx);
        let got: Vec<(String, K)> = report
            .mismatches()
            .iter()
            .map(|x| (x.path.to_string(), x.kind))
            .collect();
        let want: Vec<(String, K)> = match r.outcome {
            Pass => vec![],
            Fail(list) => list.iter().map(|(p, k)| ((*p).to_owned(), *k)).collect(),
        };
        if got != want {
            failures.push(format!(
                "{}:\n  want {want:?}\n  got  {got:?}\n{}",
                r.case,
                report.render_human()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn object_like_follows_the_anchor() {
    check(vec![
        row(
            "extra keys are allowed",
            json!({"a": 1}),
            json!({"a": 1, "b": 2}),
            Pass,
        ),
        row(
            "a missing key fails",
            json!({"a": 1, "c": 3}),
            json!({"a": 1}),
            Fail(&[("$['c']", K::Missing)]),
        ),
        row(
            "nested literal objects are partial too",
            json!({"a": {"b": 1}}),
            json!({"a": {"b": 1, "z": 0}}),
            Pass,
        ),
        row(
            "nested arrays are exact",
            json!({"a": [1, 2]}),
            json!({"a": [1, 2, 3]}),
            Fail(&[("$['a']", K::LengthDiffers)]),
        ),
        row(
            "absent key passes when missing",
            json!({"a": {"$absent": true}}),
            json!({"b": 1}),
            Pass,
        ),
        row(
            "absent key fails when present",
            json!({"a": {"$absent": true}}),
            json!({"a": null}),
            Fail(&[("$['a']", K::ShouldBeAbsent)]),
        ),
        row(
            "not an object",
            json!({"a": 1}),
            json!([1]),
            Fail(&[("$", K::WrongType)]),
        ),
        row(
            "empty pattern matches any object",
            json!({}),
            json!({"x": 1}),
            Pass,
        ),
        row(
            "every mismatch, not only the first",
            json!({"a": 1, "b": "x", "c": true}),
            json!({"a": 2, "b": "y", "c": true}),
            Fail(&[("$['a']", K::NotEqual), ("$['b']", K::NotEqual)]),
        ),
    ]);
}

#[test]
fn array_with_follows_the_anchor() {
    check(vec![
        row(
            "ordered subsequence",
            json!({"$arrayWith": [1, 3]}),
            json!([1, 2, 3]),
            Pass,
        ),
        row(
            "order matters",
            json!({"$arrayWith": [3, 1]}),
            json!([1, 2, 3]),
            Fail(&[("$", K::NoMatchingElement)]),
        ),
        row(
            "objects inside are partial",
            json!({"$arrayWith": [{"id": 2}]}),
            json!([{"id": 1, "x": 0}, {"id": 2, "x": 0}]),
            Pass,
        ),
        row(
            "greedy choice leaves room",
            json!({"$arrayWith": [{"$type": "number"}, 2]}),
            json!([1, 2]),
            Pass,
        ),
        row(
            "not an array",
            json!({"$arrayWith": [1]}),
            json!({"0": 1}),
            Fail(&[("$", K::WrongType)]),
        ),
        row(
            "empty array",
            json!({"$arrayWith": [1]}),
            json!([]),
            Fail(&[("$", K::NoMatchingElement)]),
        ),
        row(
            "empty pattern matches any array",
            json!({"$arrayWith": []}),
            json!([]),
            Pass,
        ),
    ]);
}

#[test]
fn string_like_regexp_follows_the_anchor() {
    check(vec![
        row(
            "searches, not anchored",
            json!({"$regex": "DONE"}),
            json!("state: DONE."),
            Pass,
        ),
        row(
            "anchors when asked",
            json!({"$regex": "^DONE$"}),
            json!("state: DONE"),
            Fail(&[("$", K::RegexNoMatch)]),
        ),
        row(
            "multi-line like new RegExp(p, 'gm')",
            json!({"$regex": "^DONE$"}),
            json!("state:\nDONE\n"),
            Pass,
        ),
        row(
            "a non-string fails",
            json!({"$regex": "1"}),
            json!(1),
            Fail(&[("$", K::WrongType)]),
        ),
    ]);
}

#[test]
fn serialized_json_follows_the_anchor_and_is_partial_when_asked() {
    check(vec![
        row(
            "parses then matches",
            json!({"$json": {"$objectEquals": {"a": 1}}}),
            json!("{\"a\":1}"),
            Pass,
        ),
        row(
            "invalid JSON",
            json!({"$json": {"a": 1}}),
            json!("{a:1}"),
            Fail(&[("$", K::InvalidJson)]),
        ),
        row(
            "not a string",
            json!({"$json": {"a": 1}}),
            json!({"a": 1}),
            Fail(&[("$", K::WrongType)]),
        ),
        // The anchor's serializedJson(literal) was exact-only; ours follows
        // the inner pattern, so a literal object is partial.
        row(
            "literal inner pattern is partial",
            json!({"$json": {"a": 1}}),
            json!("{\"a\":1,\"b\":2}"),
            Pass,
        ),
        row(
            "paths continue inside",
            json!({"Body": {"$json": {"status": "DONE"}}}),
            json!({"Body": "{\"status\":\"RUNNING\"}"}),
            Fail(&[("$['Body'] (parsed JSON) $['status']", K::NotEqual)]),
        ),
    ]);
}

#[test]
fn exact_follows_the_anchor() {
    check(vec![
        row(
            "deep equality",
            json!({"$exact": {"a": [1, {"b": null}]}}),
            json!({"a": [1, {"b": null}]}),
            Pass,
        ),
        row(
            "no extra keys at any depth",
            json!({"$exact": {"a": {"b": 1}}}),
            json!({"a": {"b": 1, "c": 2}}),
            Fail(&[("$['a']['c']", K::UnexpectedKey)]),
        ),
        row(
            "1 equals 1.0",
            json!({"$exact": {"n": 1}}),
            json!({"n": 1.0}),
            Pass,
        ),
        row(
            "scalars are exact",
            json!("a"),
            json!("A"),
            Fail(&[("$", K::NotEqual)]),
        ),
        row(
            "types differ",
            json!(1),
            json!("1"),
            Fail(&[("$", K::WrongType)]),
        ),
        row(
            "$ keys inside exact are literal",
            json!({"$exact": {"$regex": "x"}}),
            json!({"$regex": "x"}),
            Pass,
        ),
    ]);
}

/// The anchor's measured defects (docs/DESIGN.md, "What vigil fixes in the anchor"), each a case
/// that vigil gets right.
#[test]
fn where_the_anchor_is_broken_vigil_is_right() {
    check(vec![
        // Nested Match objects serialized as {name, partial, pattern} and every
        // poll failed with "Missing key 'name'"; check() above sends every
        // pattern through the wire format first, as a polled step does.
        row(
            "nested matchers inside objectLike survive serialization",
            json!({"Item": {"status": {"S": {"$regex": "^(COMPLETED|FAILED)$"}}, "task_id": {"S": {"$present": true}}, "tags": {"L": {"$arrayWith": [{"S": "e2e"}]}}}}),
            json!({"Item": {"status": {"S": "COMPLETED"}, "task_id": {"S": "t-1"}, "tags": {"L": [{"S": "x"}, {"S": "e2e"}]}}}),
            Pass,
        ),
        // ExpectedResult.exact was never decoded.
        row(
            "exact is decoded",
            json!({"$exact": {"a": 1}}),
            json!({"a": 1, "b": 2}),
            Fail(&[("$['b']", K::UnexpectedKey)]),
        ),
        // Any null in a pattern broke decoding.
        row(
            "null in a pattern",
            json!({"error": null, "items": [null]}),
            json!({"error": null, "items": [null]}),
            Pass,
        ),
        row(
            "null in a pattern fails on non-null",
            json!({"error": null}),
            json!({"error": "boom"}),
            Fail(&[("$['error']", K::WrongType)]),
        ),
        // Only the first key was checked for a matcher tag.
        row(
            "a tag in a later key is not ignored",
            json!({"$literal": {"a": 1, "$regex": "x"}}),
            json!({"a": 1, "$regex": "x"}),
            Pass,
        ),
        row(
            "missing matchers exist: not, numeric, absent, every",
            json!({"status": {"$not": "FAILED"}, "n": {"$gte": 1, "$lt": 10}, "gone": {"$absent": true}, "items": {"$every": {"id": {"$type": "string"}}}}),
            json!({"status": "RUNNING", "n": "5", "items": [{"id": "a"}, {"id": 2}]}),
            Fail(&[("$['items'][1]['id']", K::WrongType)]),
        ),
    ]);
    // And the first-key check, from the other side: a second `$` key is an
    // error, not silently ignored.
    let err = authoring::parse(&json!({"a": 1, "$regex": "x"})).unwrap_err();
    assert!(err.to_string().contains("`$regex`"), "{err}");
}

#[test]
fn vigil_only_matchers() {
    check(vec![
        row(
            "arrayContaining any order, distinct elements",
            json!({"$arrayContaining": [2, 1]}),
            json!([1, 2]),
            Pass,
        ),
        row(
            "arrayContaining needs two ones",
            json!({"$arrayContaining": [1, 1]}),
            json!([1, 2]),
            Fail(&[("$", K::ElementAlreadyUsed)]),
        ),
        row(
            "arrayContaining no match",
            json!({"$arrayContaining": [{"id": 9}]}),
            json!([{"id": 1}]),
            Fail(&[("$", K::NoMatchingElement)]),
        ),
        row(
            "every element",
            json!({"$every": {"$gt": 0}}),
            json!([1, 0, -1]),
            Fail(&[("$[1]", K::OutOfRange), ("$[2]", K::OutOfRange)]),
        ),
        row("length", json!({"$length": 2}), json!("ab"), Pass),
        row(
            "length range",
            json!({"$length": {"$gte": 1}}),
            json!([]),
            Fail(&[("$", K::LengthDiffers)]),
        ),
        row(
            "contains",
            json!({"$contains": "Pre-flight check failed:"}),
            json!("Pre-flight check failed: no repo"),
            Pass,
        ),
        row(
            "present includes null",
            json!({"a": {"$present": true}}),
            json!({"a": null}),
            Pass,
        ),
        row(
            "present fails when missing",
            json!({"a": {"$present": true}}),
            json!({}),
            Fail(&[("$['a']", K::Missing)]),
        ),
        row(
            "anyOf",
            json!({"$anyOf": ["A", "B"]}),
            json!("C"),
            Fail(&[("$", K::NoAlternativeMatched)]),
        ),
        row(
            "allOf reports each",
            json!({"$allOf": [{"$contains": "x"}, {"$length": 1}]}),
            json!("ab"),
            Fail(&[("$", K::SubstringMissing), ("$", K::LengthDiffers)]),
        ),
        row(
            "not",
            json!({"$not": {"$regex": "^t-"}}),
            json!("t-1"),
            Fail(&[("$", K::UnexpectedMatch)]),
        ),
        row(
            "numeric on DynamoDB N strings",
            json!({"N": {"$between": [1, 3]}}),
            json!({"N": "4"}),
            Fail(&[("$['N']", K::OutOfRange)]),
        ),
        row(
            "numeric rejects non-numeric strings",
            json!({"$gt": 1}),
            json!("abc"),
            Fail(&[("$", K::WrongType)]),
        ),
        row(
            "isType",
            json!({"$type": "array"}),
            json!({}),
            Fail(&[("$", K::WrongType)]),
        ),
        row(
            "timestamp within of now",
            json!({"$timestamp": {"within": "5m"}}),
            json!("2026-11-23T09:57:00Z"),
            Pass,
        ),
        row(
            "timestamp too old",
            json!({"$timestamp": {"within": "1m"}}),
            json!("2026-11-23T09:57:00Z"),
            Fail(&[("$", K::TimestampOutOfRange)]),
        ),
        row(
            "timestamp before/after",
            json!({"$timestamp": {"after": "2026-01-01T00:00:00Z", "before": "now"}}),
            json!("2026-11-23T11:00:00+02:00"),
            Pass,
        ),
        row(
            "timestamp invalid",
            json!({"$timestamp": true}),
            json!("2026-11-23 10:00"),
            Fail(&[("$", K::InvalidTimestamp)]),
        ),
        row(
            "capture unknown",
            json!({"$capture": "create.task_id"}),
            json!("t-1"),
            Fail(&[("$", K::UnknownCapture)]),
        ),
        row(
            "objectEquals",
            json!({"$objectEquals": {"a": 1, "b": {"$absent": true}}}),
            json!({"a": 1, "c": 2}),
            Fail(&[("$['c']", K::UnexpectedKey)]),
        ),
        row(
            "arrayEquals length and elements",
            json!([1, {"$type": "string"}]),
            json!([2, 3, 4]),
            Fail(&[
                ("$[0]", K::NotEqual),
                ("$[1]", K::WrongType),
                ("$", K::LengthDiffers),
            ]),
        ),
        row(
            "selection may be missing at top level",
            json!({"$absent": true}),
            json!(null),
            Fail(&[("$", K::ShouldBeAbsent)]),
        ),
    ]);
}

#[test]
fn captures_compare_and_secrets_stay_hidden() {
    use std::collections::BTreeMap;
    use vigil_matchers::{Actual, CaptureLookup, CaptureRef, Captured};

    struct Secret(Value);
    impl CaptureLookup for Secret {
        fn lookup(&self, _: &CaptureRef) -> Option<Captured<'_>> {
            Some(Captured {
                value: &self.0,
                secret: true,
            })
        }
    }
    let now = vigil_matchers::parse_rfc3339("2026-11-23T10:00:00Z").unwrap();
    let m = authoring::parse(&json!({"token": {"$capture": "login.token"}, "at": {"$timestamp": {"after": {"$capture": "create.at"}}}})).unwrap();

    let plain: BTreeMap<CaptureRef, Value> = [
        ("login.token".parse().unwrap(), json!("abc")),
        ("create.at".parse().unwrap(), json!("2026-11-23T09:00:00Z")),
    ]
    .into_iter()
    .collect();
    let ctx = EvalContext::new(now).with_captures(&plain);
    assert!(m.matches(&json!({"token": "abc", "at": "2026-11-23T09:30:00Z"}), &ctx));
    let r = m.evaluate(&json!({"token": "abd", "at": "2026-11-23T08:00:00Z"}), &ctx);
    assert_eq!(r.mismatches().len(), 2, "{r}");
    assert!(
        r.mismatches()[0]
            .reason
            .contains("capture create.at (2026-11-23T09:00:00Z)"),
        "{r}"
    );

    let secret = Secret(json!("s3cr3t-value"));
    let ctx = EvalContext::new(now).with_captures(&secret);
    let r = authoring::parse(&json!({"$capture": "login.token"}))
        .unwrap()
        .evaluate(&json!("s3cr3t-valuX"), &ctx);
    let text = format!("{r}{}", r.to_json());
    assert!(!text.contains("s3cr3t"), "{text}");
    assert_eq!(r.mismatches()[0].actual, Actual::Redacted);
}
