//! Evaluation on arbitrary JSON: a matcher against an actual value, with
//! captures and a clock, then every rendering of the report. Must not panic
//! or hang, the verdict must agree with the report, and the report must be
//! valid JSON that reads back (see `vigil_fuzz::checks::evaluate`).
//!
//! An input that is a JSON array `[pattern, actual]` or `[pattern, actual,
//! captures]` (pattern in the authoring form, captures as
//! `{"step.name": value}`) is read as such, so the committed seeds are the
//! matchers' own test cases, readable and editable. Any other input drives
//! the structured generators in `vigil_fuzz::generate`, which build a valid
//! matcher tree, an actual value, captures (plain or secret) and a clock
//! from the raw bytes.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vigil_fuzz::checks;
use vigil_fuzz::generate::{self, FuzzCaptures};
use vigil_matchers::{EvalContext, authoring, parse_rfc3339};

fn from_json(items: &[Value]) {
    let [pattern, actual, rest @ ..] = items else {
        return;
    };
    let Ok(m) = authoring::parse(pattern) else {
        return;
    };
    let captures = rest
        .first()
        .map(FuzzCaptures::from_json)
        .unwrap_or_default();
    let Ok(now) = parse_rfc3339("2026-11-23T10:00:00Z") else {
        return;
    };
    let ctx = EvalContext::new(now).with_captures(&captures);
    checks::evaluate(&m, Some(actual), &ctx);
    checks::evaluate(&m, None, &ctx);
}

fn generated(data: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let m = generate::matcher(&mut u, 0, true)?;
    let actual = generate::value(&mut u, 0)?;
    let captures = FuzzCaptures::generate(&mut u)?;
    let now = generate::instant(&mut u)?;
    let ctx = EvalContext::new(now).with_captures(&captures);
    // Valid by construction, so it must also survive the trip through the
    // state machine the compiler sends it on (as text only: regex
    // compilation dominates this target, and matcher_decode checks the
    // value form).
    if let Err(e) = m.validate() {
        panic!("generated matcher {m:?} does not validate: {e}");
    }
    checks::wire_round_trip(&m);
    checks::evaluate(&m, Some(&actual), &ctx);
    checks::evaluate(&m, None, &ctx);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(data) {
        from_json(&items);
    } else {
        let _ = generated(data);
    }
});
