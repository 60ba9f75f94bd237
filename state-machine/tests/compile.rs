//! The compiled definition: its shape (insta snapshots of the examples),
//! the branch grouping, state names within 80 characters, steps embedded
//! as strings that decode back, and `asl-validator` accepting it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vigil_protocol::StepSpec;
use vigil_state_machine::branches::branches;
use vigil_state_machine::compile::{CompileOptions, compile};
use vigil_state_machine::limits::MAX_STATE_NAME_CHARS;
use vigil_state_machine::state_names::state_name;
use vigil_state_machine::{ValidSuite, load_file};

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    out.sort();
    out
}

fn all_states(def: &Value, out: &mut Vec<(String, Value)>) {
    for (name, state) in def["States"].as_object().unwrap() {
        out.push((name.clone(), state.clone()));
        for b in state["Branches"].as_array().into_iter().flatten() {
            all_states(b, out);
        }
    }
}

#[test]
fn example_definitions_match_their_snapshots() {
    for path in examples() {
        let suite = ValidSuite::new(load_file(&path).unwrap()).unwrap();
        let def = compile(&suite, &CompileOptions::default());
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_json_snapshot!(name, def);
    }
}

#[test]
fn steps_travel_as_strings_and_names_fit() {
    for path in examples() {
        let suite = ValidSuite::new(load_file(&path).unwrap()).unwrap();
        let def = compile(&suite, &CompileOptions::default());
        let mut states = Vec::new();
        all_states(&def, &mut states);
        let mut seen = std::collections::BTreeSet::new();
        for (name, state) in &states {
            assert!(name.chars().count() <= MAX_STATE_NAME_CHARS, "{name}");
            assert!(seen.insert(name.clone()), "duplicate state name {name}");
            if state["Type"] == "Task" {
                let text = state["Parameters"]["Payload"]["step"]
                    .as_str()
                    .expect("the step is a string");
                let step = StepSpec::from_wire(text).unwrap();
                assert!(name.ends_with(step.id.as_str()), "{name} runs {}", step.id);
                // Bounded a little above the provider function's timeout
                // (a hung provider ends as States.Timeout, reported).
                let bound = vigil_state_machine::provider_timeout::provider_timeout(&suite);
                assert_eq!(
                    state["TimeoutSeconds"].as_u64(),
                    Some(bound.as_secs() + 30),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn escaped_steps_decode_to_the_same_step_and_hold_no_substitution_text() {
    for path in examples() {
        let suite = ValidSuite::new(load_file(&path).unwrap()).unwrap();
        let plain = compile(&suite, &CompileOptions::default());
        let escaped = compile(
            &suite,
            &CompileOptions {
                escape_templates: true,
                ..CompileOptions::default()
            },
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        all_states(&plain, &mut a);
        all_states(&escaped, &mut b);
        let mut templated = 0;
        for ((_, p), (name, e)) in a.iter().zip(&b) {
            if p["Type"] != "Task" {
                continue;
            }
            let p = p["Parameters"]["Payload"]["step"].as_str().unwrap();
            let e = e["Parameters"]["Payload"]["step"].as_str().unwrap();
            assert!(!e.contains("${"), "{name}: {e}");
            templated += usize::from(p.contains("${"));
            assert_eq!(
                StepSpec::from_wire(p).unwrap(),
                StepSpec::from_wire(e).unwrap(),
                "{name}"
            );
        }
        assert!(templated > 0, "{}: no step uses a template", path.display());
    }
}

#[test]
fn after_ties_scenarios_into_one_ordered_branch() {
    let suite =
        load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/cross-scenario.yaml"))
            .unwrap();
    let b = branches(&suite);
    assert_eq!(b.len(), 2);
    let order: Vec<String> = b[1]
        .steps
        .iter()
        .map(|(sc, i)| suite.scenarios[sc].steps[*i].id.to_string())
        .collect();
    assert_eq!(
        b[1].scenarios
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
        ["review", "submit"]
    );
    assert_eq!(order, ["create", "approve", "wait-approved"]);
    assert_eq!(b[0].scenarios[0].as_str(), "other");
}

#[test]
fn long_names_are_shortened_but_stay_unique() {
    let sc = "s".repeat(32);
    let a = state_name(&sc, &"a".repeat(48), " · verdict");
    let b = state_name(&sc, &format!("{}b", "a".repeat(47)), " · verdict");
    assert!(a.chars().count() <= MAX_STATE_NAME_CHARS && b.chars().count() <= MAX_STATE_NAME_CHARS);
    assert_ne!(a, b);
    assert!(a.ends_with(" · verdict"));
    assert_eq!(state_name("api", "health", ""), "api · health");
}

#[test]
fn asl_validator_accepts_every_example() {
    let npm = std::env::var_os("VIGIL_NPM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/vigil/npm")
        });
    let validator = npm.join("node_modules/.bin/asl-validator");
    assert!(
        validator.exists(),
        "{} is missing: run ./scripts/test (it installs it)",
        validator.display()
    );
    for path in examples() {
        let suite = ValidSuite::new(load_file(&path).unwrap()).unwrap();
        // A concrete ARN, as the template substitutes it.
        let options = CompileOptions {
            provider_function: "arn:aws:lambda:us-east-1:123456789012:function:vigil-provider"
                .into(),
            ..CompileOptions::default()
        };
        let def = compile(&suite, &options);
        let file = std::env::temp_dir().join(format!(
            "vigil-asl-{}-{}.json",
            std::process::id(),
            path.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&file, serde_json::to_string_pretty(&def).unwrap()).unwrap();
        let out = Command::new(&validator)
            .arg("--json-path")
            .arg(&file)
            .output()
            .unwrap();
        std::fs::remove_file(&file).ok();
        assert!(
            out.status.success(),
            "{}: asl-validator rejected the definition:\n{}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
