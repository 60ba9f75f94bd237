//! Evaluates one pattern (authoring form) against one actual value and prints
//! the report: `cargo run -p vigil-matchers --example match -- PATTERN ACTUAL`.
//!
//! Exit status: 0 match, 1 mismatch, 2 bad input. This is the library end of
//! what becomes `vigil match`.

use std::process::ExitCode;

use serde_json::Value;
use vigil_matchers::{EvalContext, authoring};

fn read_json(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pattern_path, actual_path] = args.as_slice() else {
        eprintln!("usage: match PATTERN.json ACTUAL.json");
        return ExitCode::from(2);
    };
    let loaded = read_json(pattern_path).and_then(|p| {
        let m = authoring::parse(&p).map_err(|e| format!("{pattern_path}: {e}"))?;
        Ok((m, read_json(actual_path)?))
    });
    let (matcher, actual) = match loaded {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let report = matcher.evaluate(&actual, &EvalContext::at_system_time());
    print!("{}", report.render_human());
    if report.is_match() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
