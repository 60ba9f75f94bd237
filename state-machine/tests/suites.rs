//! Suite files and the builder produce the same model; every kind of
//! mistake is reported with the file and line/column, or the path.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use vigil_matchers::{Matcher, TimeRef, TimestampSpec, authoring};
use vigil_protocol::PollPolicy;
use vigil_state_machine::builder::{StepBuilder, SuiteBuilder, aws, http};
use vigil_state_machine::{Format, Param, load_file, parse, validate};

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/smoke.yaml")
}

#[test]
fn yaml_json_and_builder_agree() {
    let from_yaml = load_file(&example()).unwrap();
    assert!(
        validate(&from_yaml).is_empty(),
        "{:?}",
        validate(&from_yaml)
    );

    let as_json = serde_json::to_string_pretty(&from_yaml).unwrap();
    let from_json = parse(&as_json, Format::Json, Path::new("smoke.json")).unwrap();
    assert_eq!(from_json, from_yaml);

    let get = aws(
        "dynamodb",
        "GetItem",
        json!({"TableName": "${TaskTable}", "Key": {"task_id": {"S": "t-1"}}}),
    );
    let mut poll = PollPolicy::with_timeout(Duration::from_secs(120));
    poll.max_delay = Duration::from_secs(10);
    let built = SuiteBuilder::new("smoke")
        .param(
            "TaskTable",
            Param {
                default: Some(json!("Tasks")),
                env: Some("TASK_TABLE".into()),
                ..Param::default()
            },
        )
        .param(
            "ApiUrl",
            Param {
                default: Some(json!("http://127.0.0.1:8080")),
                stack_output: Some("ApiUrl".into()),
                ..Param::default()
            },
        )
        .scenario(
            "read-task",
            [
                StepBuilder::new("get-task", get.clone())
                    .select("$.Item")
                    .expect(Matcher::object_like([
                        (
                            "status",
                            Matcher::object_like([(
                                "S",
                                Matcher::regex("^(COMPLETED|FAILED)$").unwrap(),
                            )]),
                        ),
                        (
                            "created_at",
                            Matcher::object_like([(
                                "S",
                                Matcher::timestamp(TimestampSpec {
                                    before: Some(TimeRef::Now),
                                    ..TimestampSpec::default()
                                }),
                            )]),
                        ),
                        ("error_message", Matcher::absent()),
                    ]))
                    .capture("status", "$.Item.status.S")
                    .poll(poll),
                StepBuilder::new("status-again", get)
                    .select("$.Item.status.S")
                    .expect(Matcher::equals_capture("get-task.status".parse().unwrap())),
            ],
        )
        .scenario(
            "api",
            [StepBuilder::new("health", http("GET", "${ApiUrl}/health"))
                .expect(authoring::parse(&json!({"status": 200, "body": {"ok": true}})).unwrap())],
        )
        .build()
        .unwrap();
    let mut built = built.into_suite();
    built.description = from_yaml.description.clone();
    assert_eq!(built, from_yaml);
}

// The example's `main` is for `cargo run --example`; only `suite()` is used here.
#[allow(dead_code)]
#[path = "../../examples/task_lifecycle.rs"]
mod task_lifecycle;

/// The first place where two JSON values differ, as a JSON pointer with
/// both sides (`None`: missing on that side).
fn first_difference(
    a: &serde_json::Value,
    b: &serde_json::Value,
    at: &str,
) -> Option<(String, Option<serde_json::Value>, Option<serde_json::Value>)> {
    use serde_json::Value;
    let key = |k: &str| format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(l), Some(r)) => first_difference(l, r, &key(k)),
                (l, r) => Some((key(k), l.cloned(), r.cloned())),
            })
        }
        (Value::Array(x), Value::Array(y)) => (0..x.len().max(y.len())).find_map(|i| {
            let here = format!("{at}/{i}");
            match (x.get(i), y.get(i)) {
                (Some(l), Some(r)) => first_difference(l, r, &here),
                (l, r) => Some((here, l.cloned(), r.cloned())),
            }
        }),
        _ if a == b => None,
        _ => Some((at.to_owned(), Some(a.clone()), Some(b.clone()))),
    }
}

#[test]
fn rust_example_equals_task_lifecycle_yaml() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/task-lifecycle.yaml");
    let from_yaml = load_file(&file).unwrap();
    let errors = validate(&from_yaml);
    assert!(errors.is_empty(), "{errors:?}");
    let built = task_lifecycle::suite().into_suite();
    if built != from_yaml {
        let rust = serde_json::to_value(&built).unwrap();
        let yaml = serde_json::to_value(&from_yaml).unwrap();
        match first_difference(&rust, &yaml, "") {
            Some((pointer, r, y)) => panic!(
                "examples/task_lifecycle.rs and examples/task-lifecycle.yaml differ first at \
                 `{pointer}` (suite as JSON, matchers in the authoring form):\n  rust: {}\n  yaml: {}",
                r.map_or("(missing)".to_owned(), |v| v.to_string()),
                y.map_or("(missing)".to_owned(), |v| v.to_string()),
            ),
            None => panic!(
                "the suites differ but serialize alike (e.g. a number's type):\nrust: {built:#?}\nyaml: {from_yaml:#?}"
            ),
        }
    }
}

fn yaml_err(text: &str) -> String {
    parse(text, Format::Yaml, Path::new("suite.yaml"))
        .unwrap_err()
        .to_string()
}

#[test]
fn file_errors_name_file_line_and_column() {
    let e = yaml_err(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: aws, service: dynamodb, operation: GetItem}\n        expct: 1\n",
    );
    assert!(e.starts_with("suite.yaml:7:"), "{e}");
    assert!(e.contains("expct"), "{e}");
    let e = yaml_err(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: aws, service: dynamodb, operation: GetItem}\n        expect: {$regex: \"(\"}\n",
    );
    assert!(e.starts_with("suite.yaml:7:"), "{e}");
    assert!(e.contains("unclosed group"), "{e}");
    let e = yaml_err(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: aws, service: dynamodb, operation: GetItem}\n        poll: {timeout: soon}\n",
    );
    assert!(e.contains("`soon` is not a duration"), "{e}");
    let e = yaml_err("suite: s\nscenarios: [\n");
    assert!(e.starts_with("suite.yaml:"), "{e}");
    let e = parse("{\"suite\": \"s\", \"scenarios\": {\"a\": {\"steps\": [{\"id\": \"x\", \"call\": {\"kind\": \"aws\", \"service\": \"d\", \"operation\": \"G\"}, \"select\": \"nope\"}]}}}", Format::Json, Path::new("s.json")).unwrap_err().to_string();
    assert!(e.starts_with("s.json:1:"), "{e}");
    assert!(e.contains("at scenarios.a.steps[0].select"), "{e}");
}

fn problems(yaml: &str) -> Vec<String> {
    let suite = parse(yaml, Format::Yaml, Path::new("s.yaml")).unwrap();
    validate(&suite).iter().map(ToString::to_string).collect()
}

const CALL: &str =
    "{kind: aws, service: dynamodb, operation: GetItem, params: {TableName: T, Key: {id: {S: x}}}}";

#[test]
fn semantic_errors_are_located_by_path() {
    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}}}\n      - {{id: x, call: {CALL}}}\n"
    ));
    assert_eq!(
        p,
        [
            "at scenarios.a.steps[1].id: step id `x` is already used at scenarios.a.steps[0]; step ids are unique in a suite"
        ]
    );

    let p = problems(
        "suite: s\nparams: {Table: T}\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: aws, service: dynamodb, operation: GetItem, params: {TableName: \"${Tabel}\", Key: {}}}\n",
    );
    assert_eq!(
        p,
        [
            "at scenarios.a.steps[0].call: `${Tabel}` names no parameter (declared: Table); did you mean `Table`?"
        ]
    );

    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}, expect: {{$capture: y.id}}}}\n      - {{id: y, call: {CALL}, capture: {{id: {{path: $.Item}}}}}}\n"
    ));
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("does not run before `x`"), "{p:?}");

    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}, capture: {{id: {{path: $.Item}}}}}}\n      - {{id: y, call: {CALL}, expect: {{$capture: x.idd}}}}\n"
    ));
    assert_eq!(
        p,
        ["at scenarios.a.steps[1].expect: `x.idd`: step `x` captures no `idd` (it captures: id)"]
    );

    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}, after: [y]}}\n  b:\n    steps:\n      - {{id: y, call: {CALL}, after: [x]}}\n"
    ));
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("cycle: "), "{p:?}");

    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}}}\n      - {{id: y, call: {CALL}, after: [x, z]}}\n"
    ));
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].contains("same scenario"));
    assert!(p[1].contains("`z` is not a step"));

    // Cross-scenario captures are fine once `after` orders them.
    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}, capture: {{id: {{path: $.Item}}}}}}\n  b:\n    steps:\n      - {{id: y, call: {CALL}, after: [x], expect: {{$capture: x.id}}}}\n"
    ));
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn permissions_take_exact_actions_and_parameters_only() {
    let p = problems(&format!(
        "suite: s\nparams: {{Api: x}}\npermissions:\n  - actions: [execute-api:Invoke, \"dynamodb:Get*\", GetItem]\n    resources: [\"arn:aws:execute-api:*:*:${{Api}}/*\", \"${{x.id}}\", \"${{Nope}}\"]\n  - {{actions: [], resources: []}}\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}, capture: {{id: {{path: $.Item}}}}}}\n"
    ));
    assert_eq!(
        p,
        [
            "at permissions[0].actions[1]: `dynamodb:Get*` has a wildcard; vigil grants exact actions only: list each action",
            "at permissions[0].actions[2]: `GetItem` is not an IAM action; write `service:Action`, e.g. `execute-api:Invoke`",
            "at permissions[0].resources[1]: `${x.id}` is a capture; IAM is fixed at deploy time, so a resource may name parameters only",
            "at permissions[0].resources[2]: `${Nope}` names no parameter",
            "at permissions[1].actions: a permission needs at least one action",
            "at permissions[1].resources: a permission needs at least one resource ARN",
        ]
    );
}

#[test]
fn semantic_errors_get_lines_from_the_source() {
    let text = format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}}}\n      - id: x\n        call: {CALL}\n"
    );
    let suite = parse(&text, Format::Yaml, Path::new("s.yaml")).unwrap();
    let errors = vigil_state_machine::ValidSuite::with_source(suite, &text)
        .unwrap_err()
        .problems;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].position, Some((6, 9)), "{errors:?}");
}

#[test]
fn limits_are_computed_with_numbers() {
    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}, poll: {{timeout: 1h, min_delay: 1s, max_delay: 1s}}}}\n"
    ));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("would record 32435 history events"), "{p:?}");
    assert!(p[0].contains("`x` 3601 attempts × 9 = 32413"), "{p:?}");

    let mut yaml = "suite: s\nscenarios:\n".to_owned();
    for i in 0..40 {
        yaml.push_str(&format!(
            "  s{i}:\n    steps:\n      - {{id: x{i}, call: {CALL}}}\n"
        ));
    }
    let p = problems(&yaml);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("40 scenarios share one 256 KiB state"),
        "{p:?}"
    );

    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: x, call: {CALL}, poll: {{timeout: 1m, min_delay: 1m, max_delay: 1s}}}}\n"
    ));
    assert!(p[0].contains("longer than max_delay"), "{p:?}");
}

#[test]
fn builder_reports_bad_names_and_paths() {
    let e = SuiteBuilder::new("bad suite")
        .scenario(
            "a",
            [StepBuilder::new("x y", aws("dynamodb", "GetItem", json!({}))).select("nope")],
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("suite name `bad suite`"), "{e}");
    assert!(e.contains("step id `x y`"), "{e}");
    assert!(
        e.contains("`nope` is not an RFC 9535 JSONPath query"),
        "{e}"
    );
}

#[test]
fn example_suites_satisfy_the_committed_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&vigil_state_machine::schema::suite()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let text = std::fs::read_to_string(example()).unwrap();
    let as_value: serde_json::Value = vigil_state_machine::yaml::from_str(&text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&as_value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// A step that signs in as a user the suite made, with the password source
/// given by `auth_password` (the rest of a Cognito login around it).
fn login_suite(capture_secret: bool, auth_password: &str) -> String {
    format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: pw, call: {CALL}, capture: {{value: {{path: $.P, secret: {capture_secret}}}}}}}\n      - id: me\n        call: {{kind: http, url: \"http://x/\", auth: {{kind: cognito, client_id: c, username: u{auth_password}}}}}\n"
    )
}

#[test]
fn a_cognito_password_is_a_secret_capture_or_a_secrets_manager_secret() {
    assert!(problems(&login_suite(true, ", password: \"${pw.value}\"")).is_empty());
    assert!(problems(&login_suite(false, ", password_secret: team/ci-user")).is_empty());
    let at = "at scenarios.a.steps[1].call.auth:";
    let shape =
        "`password` must be exactly one `${step.capture}` of a capture declared `secret: true`";
    assert_eq!(
        problems(&login_suite(false, ", password: \"${pw.value}\"")),
        [format!(
            "{at} {shape} (or use `password_secret` for a password kept in Secrets Manager); `pw.value` is not secret: add `secret: true` to step `pw`'s capture `value`"
        )]
    );
    // A literal or a parameter would put the password in the definition.
    let p = problems(&login_suite(true, ", password: hunter2-Hunter2"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("got `hunter2-Hunter2`"), "{p:?}");
    let p = problems(&login_suite(true, ", password: \"x${pw.value}\""));
    assert!(p[0].contains(shape), "{p:?}");
    assert_eq!(
        problems(&login_suite(true, "")),
        [format!(
            "{at} cognito auth needs `password_secret` (a Secrets Manager secret) or `password` (a secret capture, `${{step.capture}}`)"
        )]
    );
    assert_eq!(
        problems(&login_suite(
            true,
            ", password: \"${pw.value}\", password_secret: s"
        )),
        [format!(
            "{at} cognito auth takes `password_secret` or `password`, not both"
        )]
    );
}

fn polled(params: &str, poll: &str) -> String {
    format!(
        "suite: s\nparams: {params}\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {CALL}\n        poll: {poll}\n"
    )
}

#[test]
fn poll_durations_take_a_parameter_when_the_suite_is_loaded() {
    use std::collections::BTreeMap;
    use vigil_state_machine::{LoadParams, parse_with};
    let yaml = polled(
        "{Wait: {default: 8m, env: GATE_WAIT}, Api: {stack_output: ApiUrl}}",
        "{timeout: \"${Wait}\", min_delay: 5s}",
    );
    let timeout = |given: &BTreeMap<String, serde_json::Value>,
                   env: &dyn Fn(&str) -> Option<String>| {
        let suite = parse_with(
            &yaml,
            Format::Yaml,
            Path::new("s.yaml"),
            &LoadParams { given, env },
        )
        .unwrap();
        suite.scenarios.values().next().unwrap().steps[0]
            .poll
            .as_ref()
            .unwrap()
            .timeout
    };
    let none = BTreeMap::new();
    // The default, then the environment, then --param.
    assert_eq!(timeout(&none, &|_| None), Duration::from_secs(480));
    let env = |k: &str| (k == "GATE_WAIT").then(|| "90s".to_owned());
    assert_eq!(timeout(&none, &env), Duration::from_secs(90));
    let given = BTreeMap::from([("Wait".to_owned(), json!("20s"))]);
    assert_eq!(timeout(&given, &env), Duration::from_secs(20));

    // Each way it cannot work says where and why.
    let e = yaml_err(&polled(
        "{Api: {stack_output: ApiUrl}}",
        "{timeout: \"${Api}\"}",
    ));
    assert!(e.starts_with("suite.yaml:8:"), "{e}");
    assert!(
        e.contains("`${Api}` has no value when the suite is loaded: it is bound to the stack output `ApiUrl`, known only at deploy"),
        "{e}"
    );
    let e = yaml_err(&polled("{Wait: soon}", "{timeout: \"${Wait}\"}"));
    assert!(
        e.contains("`${Wait}` is `soon`, which is not a duration"),
        "{e}"
    );
    let e = yaml_err(&polled("{}", "{timeout: \"${Nope}\"}"));
    assert!(
        e.contains("`${Nope}` names no parameter of this suite"),
        "{e}"
    );
}

/// `expect: null` is "exactly null", never "no expectation": it used to
/// pass `select: $.Item.status.S` on "PAID".
#[test]
fn an_expectation_of_null_means_exactly_null() {
    let yaml = |expect: &str| {
        format!(
            "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {CALL}\n        select: $.Item.status.S\n{expect}"
        )
    };
    let suite = parse(
        &yaml("        expect: null\n"),
        Format::Yaml,
        Path::new("s.yaml"),
    )
    .unwrap();
    let step = &suite.scenarios.values().next().unwrap().steps[0];
    assert_eq!(step.expect, Some(Matcher::exact(serde_json::Value::Null)));
    let ctx = vigil_matchers::EvalContext::new(
        vigil_matchers::parse_rfc3339("2026-12-02T00:00:00Z").unwrap(),
    );
    let expect = step.expect.as_ref().unwrap();
    assert!(!expect.evaluate(&json!("PAID"), &ctx).is_match());
    assert!(expect.evaluate(&serde_json::Value::Null, &ctx).is_match());
    // It survives writing the suite back, and the wire form says so.
    let again: vigil_state_machine::Suite =
        serde_json::from_value(serde_json::to_value(&suite).unwrap()).unwrap();
    assert_eq!(again, suite);
    assert!(
        step.spec().to_wire().contains(r#""expect":{"exact":null}"#),
        "{}",
        step.spec().to_wire()
    );
    // Only a missing key means no expectation.
    let suite = parse(&yaml(""), Format::Yaml, Path::new("s.yaml")).unwrap();
    assert_eq!(
        suite.scenarios.values().next().unwrap().steps[0].expect,
        None
    );
}

/// `{$contains: "${create.order_id}"}` stayed literal with no warning.
/// Templates in an expectation's strings are checked like a call's.
#[test]
fn templates_in_expectations_are_checked_like_the_calls() {
    let suite = |expect: &str| {
        format!(
            "suite: s\nparams: {{Table: T}}\nscenarios:\n  a:\n    steps:\n      - {{id: create, call: {CALL}, capture: {{order_id: {{path: $.Item.id.S}}}}}}\n      - id: read\n        call: {CALL}\n        expect: {expect}\n"
        )
    };
    assert!(
        problems(&suite(
            "{note: {$contains: \"${create.order_id} in ${Table}\"}}"
        ))
        .is_empty()
    );
    assert!(problems(&suite("{note: \"$${literal}\"}")).is_empty());
    assert_eq!(
        problems(&suite("{note: {$regex: \"^${Tabel}\"}}")),
        [
            "at scenarios.a.steps[1].expect: `${Tabel}` names no parameter (declared: Table); did you mean `Table`?"
        ]
    );
    let p = problems(&suite("{note: \"${create.ordr}\"}"));
    assert_eq!(
        p,
        [
            "at scenarios.a.steps[1].expect: `create.ordr`: step `create` captures no `ordr` (it captures: order_id)"
        ]
    );
    let p = problems(&suite("{$objectLike: {\"${create.order_id}\": 1}}"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("the key `${create.order_id}` has a template, and keys are not filled in"),
        "{p:?}"
    );
}

fn aws_step(call: &str) -> String {
    format!(
        "suite: s\nparams:\n  OrderId: {{}}\n  Limit: {{type: number}}\n  Flag: {{}}\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {call}\n"
    )
}

/// Every `aws` call is checked against botocore's model at validate: the
/// service, the operation and each member of `params`, with "did you mean".
#[test]
fn aws_calls_are_checked_against_the_service_model() {
    let at = "at scenarios.a.steps[0].call";
    assert_eq!(
        problems(&aws_step(
            "{kind: aws, service: dynamo, operation: GetItem}"
        )),
        [format!(
            "{at}.service: `dynamo` is not an AWS service: an `aws` call takes the service's AWS CLI name (`dynamodb`, `stepfunctions`, `secretsmanager`, ...); did you mean `dynamodb`?"
        )]
    );
    let p = problems(&aws_step("{kind: aws, service: s3, operation: GetObject}"));
    assert!(
        p[0].starts_with(&format!("{at}.service: `s3` speaks restXml")),
        "{p:?}"
    );
    let p = problems(&aws_step(
        "{kind: aws, service: dynamodb, operation: GetItems}",
    ));
    assert!(
        p[0].starts_with(&format!(
            "{at}.operation: `dynamodb` has no operation `GetItems`; did you mean `GetItem`?"
        )),
        "{p:?}"
    );
    // The issue's `{S: 1001}`, a key without its wrapper, a misspelt member,
    // a missing required one, a text parameter where a number belongs.
    let p = problems(&aws_step(
        "{kind: aws, service: dynamodb, operation: GetItem, params: {TableNme: T, Key: {id: {S: 1001}, sk: raw}}}",
    ));
    assert_eq!(
        p,
        [
            format!("{at}.params.Key.id.S: expected a string, found the number 1001"),
            format!(
                "{at}.params.Key.sk: expected an object (`AttributeValue`), found the string \"raw\""
            ),
            format!(
                "{at}.params.TableNme: `GetItemInput` has no member `TableNme`; did you mean `TableName`?"
            ),
            format!("{at}.params: `GetItemInput` requires `TableName`, which is missing"),
        ]
    );
    let p = problems(&aws_step(
        "{kind: aws, service: stepfunctions, operation: ListExecutions, params: {stateMachineArn: a, maxResults: \"${OrderId}\", statusFilter: RUNING}}",
    ));
    assert_eq!(
        p,
        [
            format!(
                "{at}.params.maxResults: expected a whole number, found `${{OrderId}}`, which fills in text; a parameter is text unless it says otherwise: declare `OrderId` with `type: number`"
            ),
            format!(
                "{at}.params.statusFilter: `RUNING` is not one of: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE; did you mean `RUNNING`?"
            ),
        ]
    );
    // Typed parameters and captures fit; an enum waits for its value.
    assert_eq!(
        problems(&aws_step(
            "{kind: aws, service: stepfunctions, operation: ListExecutions, params: {stateMachineArn: \"${OrderId}\", maxResults: \"${Limit}\", statusFilter: \"${OrderId}\"}}",
        )),
        Vec::<String>::new()
    );
    // A number parameter where DynamoDB wants the text of `S`.
    let p = problems(&aws_step(
        "{kind: aws, service: dynamodb, operation: GetItem, params: {TableName: T, Key: {id: {S: \"${Limit}\"}}}}",
    ));
    assert_eq!(
        p,
        [format!(
            "{at}.params.Key.id.S: expected a string, found `${{Limit}}`, which fills in a number"
        )]
    );
    // Lambda speaks restJson: the `lambda` call is the way.
    let p = problems(&aws_step("{kind: aws, service: lambda, operation: Invoke}"));
    assert!(
        p[0].contains("to invoke a function, write a `lambda` call"),
        "{p:?}"
    );
}

/// The `after:` hint is given only where `after:` is allowed.
#[test]
fn a_capture_used_too_early_gets_a_fix_validate_accepts() {
    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: read, call: {{kind: aws, service: dynamodb, operation: GetItem, params: {{TableName: \"${{make.t}}\", Key: {{}}}}}}}}\n      - {{id: make, call: {CALL}, capture: {{t: {{path: $.Item.t.S}}}}}}\n"
    ));
    assert_eq!(
        p,
        [
            "at scenarios.a.steps[0].call: `make.t` is captured by step `make`, which does not run before `read`; move `make` before `read` in the scenario"
        ]
    );
    let p = problems(&format!(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {{id: read, call: {{kind: aws, service: dynamodb, operation: GetItem, params: {{TableName: \"${{make.t}}\", Key: {{}}}}}}}}\n  b:\n    steps:\n      - {{id: make, call: {CALL}, capture: {{t: {{path: $.Item.t.S}}}}}}\n"
    ));
    assert!(p[0].ends_with("add `after: [make]` to `read`"), "{p:?}");
}

/// Every shape error of a file at once, each at its line, with "did you
/// mean"; repeated keys in YAML and JSON alike; no library's own terms.
#[test]
fn every_shape_error_is_reported_at_its_line() {
    let e = parse(
        &format!(
            "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {CALL}\n        selct: $.Item\n        poll: {{timeut: 5m}}\n      - id: y\n        call: {CALL}\n        expect: {{status: {{$regx: a}}}}\n"
        ),
        Format::Yaml,
        Path::new("s.yaml"),
    )
    .unwrap_err();
    let lines: Vec<String> = e.to_string().lines().map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            "s.yaml:7:9: at scenarios.a.steps[0].selct: unknown key `selct`; did you mean `select`? (keys here: id, after, call, view, select, expect, capture, poll)",
            "s.yaml:8:16: at scenarios.a.steps[0].poll.timeut: unknown key `timeut`; did you mean `timeout`? (keys here: timeout, min_delay, max_delay, jitter, micro_poll)",
            "s.yaml:11:27: at scenarios.a.steps[1].expect.status.$regx: `$regx` is not a matcher tag; did you mean `$regex`? (To match a literal key `$regx`, wrap the object in {\"$objectLike\": {...}} or {\"$literal\": {...}})",
        ]
    );
    let e = yaml_err("suite: s\nsuite: t\nscenarios: {}\n");
    assert_eq!(
        e,
        "suite.yaml:2:1: the key `suite` appears twice in one mapping; keys are unique, keep one"
    );
    let e = parse(
        "{\"suite\": \"s\", \"scenarios\": {}, \"suite\": \"t\"}",
        Format::Json,
        Path::new("s.json"),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "s.json:1:33: the key `suite` appears twice in one object; keys are unique, keep one"
    );
}

/// `view: items` is for DynamoDB answers only; anywhere else it is refused
/// at `view`, not silently ignored.
#[test]
fn the_items_view_is_for_dynamodb_calls() {
    let step = |call: &str| {
        format!(
            "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {call}\n        view: items\n        select: $.Item.status\n        expect: DONE\n"
        )
    };
    assert_eq!(problems(&step(CALL)), Vec::<String>::new());
    assert_eq!(
        problems(&step(
            "{kind: aws, service: ssm, operation: GetParameter, params: {Name: n}}"
        )),
        [
            "at scenarios.a.steps[0].view: `view: items` reads DynamoDB attribute values (`{S: ...}`); this step does not call `service: dynamodb`, so remove `view`"
        ]
    );
    let p = parse(
        &step(CALL).replace("view: items", "view: item"),
        Format::Yaml,
        Path::new("s.yaml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        p.contains("s.yaml:7:9: at scenarios.a.steps[0].view: unknown value `item`; did you mean `items`? (one of: raw, items)"),
        "{p}"
    );
}
