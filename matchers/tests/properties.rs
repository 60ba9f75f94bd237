//! Property tests of the wire format (docs/DESIGN.md invariants 1-3): arbitrary
//! matcher trees and arbitrary JSON — `null`, empty containers, `$` keys,
//! `.$` keys, intrinsic- and JSONPath-looking strings, unicode, integers
//! beyond 2^53 — survive every encoding vigil puts them through, with the
//! same verdict and the same report.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};
use time::OffsetDateTime;
use vigil_matchers::{
    CaptureRef, EvalContext, JsonType, Matcher, NumericBounds, NumericRange, RegexPattern, TimeRef,
    TimestampSpec, ValuePath, Within, authoring, schema, wire,
};

const TRICKY: &[&str] = &[
    "",
    "$",
    "$regex",
    "$literal",
    "$exact",
    "$absent",
    "Payload.$",
    "a.$",
    "$.a.b",
    "$['a']",
    "States.Format('{}')",
    "States.StringToJson($.x)",
    "{}",
    "null",
    "ünï€ 🙂",
    "it's",
    "back\\slash",
    "line\nbreak",
    "\u{0}\u{1f}",
    "\"quoted\"",
    "2026-11-23T10:00:00Z",
];

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(TRICKY).prop_map(str::to_owned),
        2 => "\\PC{0,12}",
        1 => "[a-z$.]{0,6}",
    ]
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        // Around 2^53, where doubles stop counting by one.
        (0u64..1000).prop_map(|d| Number::from((1u64 << 53) - 500 + d)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Number::from_f64(f).unwrap()),
        Just(Number::from_f64(1.0).unwrap()),
        Just(Number::from_f64(-0.0).unwrap()),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number().prop_map(Value::Number),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(arb_string(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn arb_capture() -> impl Strategy<Value = CaptureRef> {
    proptest::sample::select(
        &[
            "create.task_id",
            "create.created_at",
            "login.token",
            "s-1.x_y",
        ][..],
    )
    .prop_map(|s| s.parse().unwrap())
}

fn arb_instant() -> impl Strategy<Value = OffsetDateTime> {
    (0i64..4_000_000_000, 0u32..1_000_000_000, -720i16..720).prop_map(|(secs, nanos, off_min)| {
        let offset = time::UtcOffset::from_whole_seconds(i32::from(off_min) * 60).unwrap();
        (OffsetDateTime::from_unix_timestamp(secs).unwrap()
            + time::Duration::nanoseconds(i64::from(nanos)))
        .to_offset(offset)
    })
}

fn arb_time_ref() -> impl Strategy<Value = TimeRef> {
    prop_oneof![
        Just(TimeRef::Now),
        arb_instant().prop_map(TimeRef::At),
        arb_capture().prop_map(TimeRef::Capture),
    ]
}

fn arb_timestamp() -> impl Strategy<Value = TimestampSpec> {
    (
        proptest::option::of(arb_time_ref()),
        proptest::option::of(arb_time_ref()),
        proptest::option::of((0u64..400_000, arb_time_ref())),
    )
        .prop_map(|(before, after, within)| TimestampSpec {
            before,
            after,
            within: within.map(|(secs, of)| Within {
                duration: Duration::from_millis(secs * 250),
                of,
            }),
        })
}

fn arb_range() -> impl Strategy<Value = NumericRange> {
    (-1000i64..1000, 0i64..100, 0u8..9, any::<bool>()).prop_map(|(lo, width, shape, float)| {
        let n = |x: i64| {
            if float {
                Number::from_f64(x as f64 + 0.5).unwrap()
            } else {
                Number::from(x)
            }
        };
        let hi = lo + width + 1;
        let mut b = NumericBounds::default();
        match shape % 3 {
            0 => b.gt = Some(n(lo)),
            1 => b.gte = Some(n(lo)),
            _ => {}
        }
        match shape / 3 {
            0 => b.lt = Some(n(hi)),
            1 => b.lte = Some(n(hi)),
            _ if b.gt.is_none() && b.gte.is_none() => b.lte = Some(n(hi)),
            _ => {}
        }
        NumericRange::new(b).unwrap()
    })
}

const REGEXES: &[&str] = &[
    r"^\d{4}-",
    "COMPLETED|FAILED",
    "^$",
    r"\$\.a",
    "(?i)task",
    ".*",
    "ü+",
];

fn arb_leaf_matcher() -> impl Strategy<Value = Matcher> {
    prop_oneof![
        4 => arb_json().prop_map(Matcher::Exact),
        1 => proptest::sample::select(REGEXES)
            .prop_map(|r| Matcher::StringLikeRegexp(RegexPattern::new(r).unwrap())),
        1 => arb_string().prop_map(Matcher::StringContains),
        1 => Just(Matcher::Present),
        1 => arb_range().prop_map(Matcher::Numeric),
        1 => proptest::sample::select(&JsonType::ALL[..]).prop_map(Matcher::IsType),
        1 => arb_timestamp().prop_map(Matcher::Timestamp),
        1 => arb_capture().prop_map(Matcher::EqualsCapture),
    ]
}

/// Matcher trees that pass `validate` by construction: `absent` appears
/// only as an object member (possibly under `not`/`anyOf`/`allOf`).
fn arb_matcher() -> impl Strategy<Value = Matcher> {
    arb_leaf_matcher().prop_recursive(5, 48, 4, |inner| {
        let member = prop_oneof![
            4 => inner.clone(),
            1 => Just(Matcher::Absent),
            1 => inner.clone().prop_map(|m| Matcher::any_of([Matcher::Absent, m])),
        ];
        let members = prop::collection::btree_map(arb_string(), member, 0..4).boxed();
        let list = prop::collection::vec(inner.clone(), 0..4);
        prop_oneof![
            members.clone().prop_map(Matcher::ObjectLike),
            members.prop_map(Matcher::ObjectEquals),
            list.clone().prop_map(Matcher::ArrayWith),
            list.clone().prop_map(Matcher::ArrayEquals),
            list.clone().prop_map(Matcher::ArrayContaining),
            list.clone().prop_map(Matcher::AllOf),
            prop::collection::vec(inner.clone(), 1..4).prop_map(Matcher::AnyOf),
            inner.clone().prop_map(Matcher::every),
            inner.clone().prop_map(Matcher::length),
            inner.clone().prop_map(Matcher::not),
            inner.prop_map(Matcher::serialized_json),
        ]
    })
}

/// A value that the matcher is likely (not certain) to accept, so the
/// verdict comparisons see passes as well as failures.
fn example(m: &Matcher) -> Option<Value> {
    Some(match m {
        Matcher::Exact(v) => v.clone(),
        Matcher::ObjectLike(map) | Matcher::ObjectEquals(map) => Value::Object(
            map.iter()
                .filter_map(|(k, m)| example(m).map(|v| (k.clone(), v)))
                .collect(),
        ),
        Matcher::ArrayWith(l) | Matcher::ArrayEquals(l) | Matcher::ArrayContaining(l) => {
            Value::Array(l.iter().filter_map(example).collect())
        }
        Matcher::Every(i) => Value::Array(example(i).into_iter().collect()),
        Matcher::Length(i) => {
            Value::Array(vec![Value::Null; example(i)?.as_u64()?.min(50) as usize])
        }
        Matcher::StringLikeRegexp(_) => json!("2026-11-23 COMPLETED task"),
        Matcher::StringContains(s) => json!(format!("<{s}>")),
        Matcher::Present => json!(1),
        Matcher::Absent => return None,
        Matcher::Not(_) => json!("something else"),
        Matcher::AllOf(l) => l.iter().find_map(example)?,
        Matcher::AnyOf(l) => l.iter().find_map(example)?,
        Matcher::Numeric(r) => {
            let b = r.bounds();
            let n = b
                .gte
                .clone()
                .or(b.lte.clone())
                .or(b.gt.clone())
                .or(b.lt.clone())?;
            Value::Number(n)
        }
        Matcher::IsType(t) => match t {
            JsonType::Null => Value::Null,
            JsonType::Boolean => json!(true),
            JsonType::Number => json!(1.5),
            JsonType::String => json!(""),
            JsonType::Array => json!([]),
            JsonType::Object => json!({}),
        },
        Matcher::SerializedJson(i) => Value::String(example(i)?.to_string()),
        Matcher::Timestamp(_) => json!("2026-11-23T10:00:00Z"),
        Matcher::EqualsCapture(_) => json!("t-123"),
    })
}

fn captures() -> BTreeMap<CaptureRef, Value> {
    [
        ("create.task_id", json!("t-123")),
        ("create.created_at", json!("2026-11-23T09:59:00Z")),
        ("login.token", json!({"nested": [1, null]})),
    ]
    .into_iter()
    .map(|(k, v)| (k.parse().unwrap(), v))
    .collect()
}

fn now() -> OffsetDateTime {
    vigil_matchers::parse_rfc3339("2026-11-23T10:00:00Z").unwrap()
}

/// What the compiler does to a step (invariant 3): the step request, with
/// its matcher, becomes a JSON *string* inside the ASL definition; Step
/// Functions hands that string to the Lambda, which parses it back.
fn through_asl(m: &Matcher) -> Matcher {
    let step = json!({"id": "s", "expect": wire::encode_value(m)});
    let definition = json!({
        "StartAt": "scenario · s",
        "States": {
            "scenario · s": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": "vigil-provider",
                    "Payload": {"step": step.to_string(), "captures.$": "$.captures"}
                },
                "End": true
            }
        }
    });
    let asl_text = serde_json::to_string_pretty(&definition).unwrap();
    let parsed: Value = serde_json::from_str(&asl_text).unwrap();
    let step_text = parsed["States"]["scenario · s"]["Parameters"]["Payload"]["step"]
        .as_str()
        .unwrap();
    let step: Value = serde_json::from_str(step_text).unwrap();
    wire::decode_value(&step["expect"]).unwrap()
}

fn validator(schema_text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema_text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn canonical_round_trip(m in arb_matcher()) {
        let text = wire::encode(&m);
        prop_assert_eq!(wire::decode(&text).unwrap(), m);
    }

    #[test]
    fn authoring_round_trip(m in arb_matcher()) {
        let authored = authoring::emit(&m);
        prop_assert_eq!(authoring::parse(&authored).unwrap(), m);
    }

    #[test]
    fn asl_embedding_keeps_matcher_and_verdicts(m in arb_matcher(), other in arb_json()) {
        let back = through_asl(&m);
        prop_assert_eq!(&back, &m);
        let caps = captures();
        let ctx = EvalContext::new(now()).with_captures(&caps);
        for actual in example(&m).into_iter().chain([other]) {
            let before = m.evaluate(&actual, &ctx);
            let after = back.evaluate(&actual, &ctx);
            prop_assert_eq!(before.is_match(), m.matches(&actual, &ctx));
            prop_assert_eq!(before, after);
        }
    }

    #[test]
    fn authoring_parse_never_panics_and_round_trips(v in arb_json()) {
        if let Ok(m) = authoring::parse(&v) {
            prop_assert_eq!(authoring::parse(&authoring::emit(&m)).unwrap(), m);
        }
    }

    #[test]
    fn literal_escape_is_never_read_as_a_matcher(v in arb_json()) {
        let escaped = authoring::parse(&json!({"$literal": v.clone()})).unwrap();
        prop_assert_eq!(&escaped, &Matcher::literal(&v));
        let ctx = EvalContext::new(now());
        prop_assert!(escaped.matches(&v, &ctx));
        prop_assert!(Matcher::exact(v.clone()).matches(&v, &ctx));
    }

    #[test]
    fn verdict_and_report_agree(m in arb_matcher(), actual in arb_json()) {
        let caps = captures();
        let ctx = EvalContext::new(now()).with_captures(&caps);
        let report = m.evaluate(&actual, &ctx);
        prop_assert_eq!(report.is_match(), m.matches(&actual, &ctx));
        // The compact JSON report round-trips too (it crosses the same
        // Lambda -> Step Functions boundary).
        let back: vigil_matchers::Report = serde_json::from_value(report.to_json()).unwrap();
        prop_assert_eq!(back, report);
    }

    #[test]
    fn encodings_satisfy_the_committed_schemas(m in arb_matcher()) {
        thread_local! {
            static CANONICAL: jsonschema::Validator = validator(&schema::canonical_matcher());
            static AUTHORING: jsonschema::Validator = validator(&schema::authoring_pattern());
        }
        let canonical = wire::encode_value(&m);
        CANONICAL.with(|v| {
            let errors: Vec<String> = v.iter_errors(&canonical).map(|e| e.to_string()).collect();
            prop_assert!(errors.is_empty(), "{} -> {:?}", canonical, errors);
            Ok(())
        })?;
        let authored = authoring::emit(&m);
        AUTHORING.with(|v| {
            let errors: Vec<String> = v.iter_errors(&authored).map(|e| e.to_string()).collect();
            prop_assert!(errors.is_empty(), "{} -> {:?}", authored, errors);
            Ok(())
        })?;
    }

    #[test]
    fn value_paths_print_and_parse(keys in prop::collection::vec(prop_oneof![
        arb_string().prop_map(Ok), any::<u16>().prop_map(|i| Err(i as usize))], 0..6)) {
        let mut p = ValuePath::root();
        for k in keys {
            p = match k { Ok(k) => p.key(k), Err(i) => p.index(i) };
        }
        prop_assert_eq!(p.to_string().parse::<ValuePath>().unwrap(), p);
    }
}

/// Guards the properties above against going vacuous: if the generators
/// stopped producing matching examples (or stopped producing failures), the
/// verdict comparisons would only ever compare one outcome.
#[test]
fn generators_exercise_both_verdicts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let caps = captures();
    let ctx = EvalContext::new(now()).with_captures(&caps);
    let (mut pass, mut total) = (0, 0);
    for _ in 0..1000 {
        let m = arb_matcher().new_tree(&mut runner).unwrap().current();
        if let Some(a) = example(&m) {
            total += 1;
            pass += usize::from(m.matches(&a, &ctx));
        }
    }
    assert!(total > 500, "only {total} examples");
    assert!(pass * 5 > total, "only {pass}/{total} examples match");
    assert!(
        (total - pass) * 10 > total,
        "only {} of {total} examples fail",
        total - pass
    );
}
