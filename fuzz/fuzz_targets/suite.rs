//! The suite parser on arbitrary text, as YAML and as JSON: `parse` (the
//! function `vigil validate`, `synth` and `deploy` read suite files with),
//! then `ValidSuite::with_source` (validation, errors with line and column), and for a
//! valid suite `compile` to the Step Functions definition, with and
//! without CloudFormation escaping, and `synthesize`, the whole stack
//! `vigil synth` writes (least-privilege IAM derived from the calls,
//! provider sizing). Beyond "no panic", it checks:
//!
//! * a parsed suite written back as JSON parses to the same suite;
//! * a suite that validates compiles (the compiler takes only a
//!   `ValidSuite` and cannot fail; a panic would be the bug);
//! * the definition is well formed: every state name is unique and at most
//!   80 characters, every transition names a state of its own `States`,
//!   and each branch holds all the states its steps need (none overwritten
//!   by a name clash);
//! * every step string embedded in the definition decodes to that step
//!   (docs/DESIGN.md invariant 3), escaped or not, and the same holds for the
//!   definition inside the synthesized stack, whose template serializes.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use vigil_protocol::StepSpec;
use vigil_stack::{SynthOptions, synthesize};
use vigil_state_machine::branches::branches;
use vigil_state_machine::compile::{CompileOptions, compile};
use vigil_state_machine::limits::MAX_STATE_NAME_CHARS;
use vigil_state_machine::{Format, Suite, ValidSuite, parse};

/// States a branch has besides its steps' (start and done), states per
/// step (task, verdict, wait, record, passed, failed, crashed) and the
/// top-level states around the Parallel.
const STATES_PER_BRANCH: usize = 2;
const STATES_PER_STEP: usize = 7;
const TOP_LEVEL_STATES: usize = 9;

fn next_targets(state: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = ["Next", "Default"]
        .iter()
        .filter_map(|k| state.get(*k).and_then(Value::as_str))
        .collect();
    for list in ["Choices", "Catch"] {
        if let Some(items) = state.get(list).and_then(Value::as_array) {
            out.extend(
                items
                    .iter()
                    .filter_map(|c| c.get("Next").and_then(Value::as_str)),
            );
        }
    }
    out
}

/// Walks one `States` map (and the branches nested in it), collecting
/// every state name and every embedded step string.
fn walk<'d>(
    machine: &'d Value,
    names: &mut Vec<&'d str>,
    steps: &mut Vec<&'d str>,
    branch_sizes: &mut Vec<usize>,
) {
    let states: &Map<String, Value> = machine
        .get("States")
        .and_then(Value::as_object)
        .expect("a state machine has States");
    let start = machine.get("StartAt").and_then(Value::as_str);
    assert!(
        start.is_some_and(|s| states.contains_key(s)),
        "StartAt {start:?} is not a state"
    );
    for (name, state) in states {
        names.push(name);
        assert!(
            name.chars().count() <= MAX_STATE_NAME_CHARS,
            "state name over {MAX_STATE_NAME_CHARS} characters: {name}"
        );
        for target in next_targets(state) {
            assert!(
                states.contains_key(target),
                "{name} goes to {target}, which is not a state here"
            );
        }
        if let Some(step) = state.pointer("/Parameters/Payload/step") {
            steps.push(step.as_str().expect("the step is embedded as a string"));
        }
        for branch in state
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let size = branch
                .get("States")
                .and_then(Value::as_object)
                .map_or(0, Map::len);
            branch_sizes.push(size);
            walk(branch, names, steps, branch_sizes);
        }
    }
}

fn check_definition(suite: &Suite, definition: &Value) {
    let mut names = Vec::new();
    let mut embedded = Vec::new();
    let mut branch_sizes = Vec::new();
    walk(definition, &mut names, &mut embedded, &mut branch_sizes);
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "duplicate state names: {names:?}"
    );

    // Nothing overwritten: each branch has all the states its steps need.
    let plan = branches(suite);
    let mut expected: Vec<usize> = plan
        .iter()
        .map(|b| STATES_PER_BRANCH + STATES_PER_STEP * b.steps.len())
        .collect();
    expected.sort_unstable();
    branch_sizes.sort_unstable();
    assert_eq!(branch_sizes, expected, "branch state counts");
    let top = definition
        .get("States")
        .and_then(Value::as_object)
        .map_or(0, Map::len);
    assert_eq!(top, TOP_LEVEL_STATES, "top-level state count");

    // Every step runs exactly once, and its embedded string is the step.
    let mut want: BTreeMap<String, StepSpec> = BTreeMap::new();
    for scenario in suite.scenarios.values() {
        for step in &scenario.steps {
            want.insert(step.id.to_string(), step.spec());
        }
    }
    let planned: usize = plan.iter().map(|b| b.steps.len()).sum();
    assert_eq!(planned, want.len(), "branches plan {planned} of the steps");
    assert_eq!(embedded.len(), want.len(), "embedded step count");
    for text in embedded {
        let got = match StepSpec::from_wire(text) {
            Ok(s) => s,
            Err(e) => panic!("embedded step {text} does not decode: {e}"),
        };
        assert_eq!(
            want.get(got.id.as_str()),
            Some(&got),
            "embedded step {text} is not its step"
        );
    }
}

fn check_suite(suite: &Suite, text: &str) {
    // Written back as JSON (the authoring form for matchers), a suite
    // reads back the same.
    let json = serde_json::to_string(suite).expect("a suite serializes");
    match parse(&json, Format::Json, Path::new("back.json")) {
        Ok(back) => assert_eq!(&back, suite, "suite {json} reads back differently"),
        Err(e) => panic!("suite {json} does not read back: {e}"),
    }

    // Validated once; only a valid suite reaches the compiler, which
    // cannot fail on one (it has no error type), only panic.
    let valid = match ValidSuite::with_source(suite.clone(), text) {
        Ok(valid) => valid,
        Err(invalid) => {
            assert!(
                !invalid.problems.is_empty(),
                "an invalid suite names its problems"
            );
            for e in &invalid.problems {
                let _ = e.to_string();
            }
            return;
        }
    };
    check_definition(suite, &compile(&valid, &CompileOptions::default()));
    let escaped = CompileOptions {
        escape_templates: true,
        ..CompileOptions::default()
    };
    check_definition(suite, &compile(&valid, &escaped));
    // The stack: a valid suite may still lack derivable IAM (a typed
    // error); what synthesizes must carry a well-formed definition.
    match synthesize(&valid, &SynthOptions::default()) {
        Ok(stack) => {
            check_definition(suite, &stack.definition);
            serde_json::to_string(&stack.template).expect("a template serializes");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (format, file) in [(Format::Yaml, "fuzz.yaml"), (Format::Json, "fuzz.json")] {
        match parse(text, format, Path::new(file)) {
            Ok(suite) => check_suite(&suite, text),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
