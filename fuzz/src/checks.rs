//! Invariants checked on whatever a fuzz input decodes to. Each panics with
//! the values involved, which libFuzzer records as a crash.

use serde_json::Value;
use vigil_matchers::{
    ACTUAL_PREVIEW_BYTES, Actual, EXPECTED_MAX_CHARS, EvalContext, MAX_DETAIL_DEPTH, Matcher,
    Mismatch, Report, ValuePath, authoring, describe, wire,
};
use vigil_protocol::StepOutcome;

/// docs/DESIGN.md invariant 1: a matcher survives its canonical wire text
/// unchanged (what the compiler embeds and the provider decodes).
pub fn wire_round_trip(m: &Matcher) {
    let text = wire::encode(m);
    match wire::decode(&text) {
        Ok(back) => assert_eq!(&back, m, "wire text {text} decodes to another matcher"),
        Err(e) => panic!("wire text {text} of {m:?} does not decode: {e}"),
    }
}

/// The same through the wire form as a JSON value (`encode_value` /
/// `decode_value`), which must also be the text's JSON.
pub fn wire_value_round_trip(m: &Matcher) {
    let value = wire::encode_value(m);
    match wire::decode_value(&value) {
        Ok(back) => assert_eq!(&back, m, "wire value {value} decodes to another matcher"),
        Err(e) => panic!("wire value {value} of {m:?} does not decode: {e}"),
    }
    let text = wire::encode(m);
    assert_eq!(
        serde_json::from_str::<Value>(&text).ok().as_ref(),
        Some(&value),
        "encode and encode_value disagree"
    );
}

/// The authoring form's promise (`authoring::emit`): the spelling it picks
/// decodes back to exactly the same matcher.
pub fn authoring_round_trip(m: &Matcher) {
    let authored = authoring::emit(m);
    match authoring::parse(&authored) {
        Ok(back) => assert_eq!(&back, m, "authored {authored} parses to another matcher"),
        Err(e) => panic!("authored {authored} of {m:?} does not parse: {e}"),
    }
}

/// Renderings never panic, and the report's one-line form respects its cut.
pub fn render_matcher(m: &Matcher) {
    let shown = m.to_string();
    assert!(
        shown.chars().count() <= EXPECTED_MAX_CHARS + 1,
        "Display is longer than its cut: {shown}"
    );
    for limit in [0, 1, 7] {
        assert!(describe(m, limit).chars().count() <= limit + 1);
    }
    let _ = m.capture_refs();
}

fn check_mismatch(m: &Mismatch, depth: usize) {
    assert!(
        depth <= MAX_DETAIL_DEPTH,
        "mismatch details nest {depth} deep"
    );
    if let Actual::Value { preview, .. } = &m.actual {
        assert!(
            preview.len() <= ACTUAL_PREVIEW_BYTES,
            "a preview of {} bytes",
            preview.len()
        );
    }
    // A path prints as an RFC 9535 normalized path that reads back.
    let printed = m.path.to_string();
    match printed.parse::<ValuePath>() {
        Ok(back) => assert_eq!(back, m.path, "path {printed} reads back differently"),
        Err(e) => panic!("path {printed} does not read back: {e}"),
    }
    for d in &m.details {
        check_mismatch(d, depth + 1);
    }
}

/// Evaluates `m` against `actual` (and against nothing, as a selection that
/// found nothing) and checks what the provider relies on: the cheap verdict
/// agrees with the report, a failed verdict has at least one mismatch, the
/// compact JSON report is valid JSON that reads back to the same report,
/// and the human and one-line renderings work.
pub fn evaluate(m: &Matcher, actual: Option<&Value>, ctx: &EvalContext<'_>) -> Report {
    let verdict = m.matches_selection(actual, ctx);
    let report = m.evaluate_selection(actual, ctx);
    assert_eq!(
        report.is_match(),
        verdict,
        "verdict {verdict} but report {report:?} for {m:?} on {actual:?}"
    );
    let json = report.to_json();
    let text = serde_json::to_string(&json).expect("a report serializes");
    let reparsed: Value = serde_json::from_str(&text).expect("a report is valid JSON text");
    assert_eq!(reparsed, json, "report JSON changes through its text");
    let back: Report = serde_json::from_value(json).expect("a report reads back");
    assert_eq!(back, report, "report does not read back from its JSON");
    for mismatch in report.mismatches() {
        check_mismatch(mismatch, 0);
    }
    let human = report.to_string();
    assert!(!human.is_empty());
    if !report.is_match() {
        let summary = StepOutcome::Mismatched {
            report: report.clone(),
            timed_out: true,
        }
        .summary();
        assert!(summary.chars().count() <= 1000, "summary over 1000 chars");
    }
    report
}
