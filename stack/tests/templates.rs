//! Every example suite synthesizes into a cfn-lint-clean, deterministic
//! template whose IAM grants exact actions, on the resources the steps
//! name wherever they name one.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use vigil_stack::{SynthOptions, synthesize};
use vigil_state_machine::{Format, ValidSuite, load_file, parse};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    assert!(v.len() >= 3, "{v:?}");
    v
}

fn venv() -> PathBuf {
    std::env::var_os("VIGIL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/vigil/venv"))
}

/// Every (action, resource) pair of every policy in the template.
fn grants(template: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(o) => {
                if let (Some(Value::Array(actions)), Some(Value::Array(resources))) =
                    (o.get("Action"), o.get("Resource"))
                {
                    for a in actions {
                        for r in resources {
                            out.push((a.as_str().unwrap().to_owned(), r.clone()));
                        }
                    }
                }
                o.values().for_each(|c| walk(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    walk(template, &mut out);
    out
}

/// Actions IAM accepts only on `*`: log delivery (state machine logging)
/// and, inside a KMS key policy, `*` means "this key".
const STAR_ONLY: [&str; 8] = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
];

#[test]
fn example_templates_are_deterministic_lint_clean_and_least_privilege() {
    let dir = std::env::temp_dir().join(format!("vigil-templates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for path in examples() {
        let suite = ValidSuite::new(load_file(&path).unwrap()).unwrap();
        let a = synthesize(&suite, &SynthOptions::default()).unwrap();
        let b = synthesize(&suite, &SynthOptions::default()).unwrap();
        let text = a.template.to_json_pretty();
        assert_eq!(text, b.template.to_json_pretty(), "{}", path.display());
        let template: Value = serde_json::from_str(&text).unwrap();
        for (action, resource) in grants(&template) {
            assert!(
                !action.contains('*') && !action.contains('?'),
                "{}: wildcard action {action}",
                path.display()
            );
            if resource == json!("*") {
                let kms_key_policy = action.starts_with("kms:");
                // Actions IAM accepts only on `*` (no resource type), from
                // the generated table (e.g. dynamodb:ListTables,
                // secretsmanager:GetRandomPassword).
                let (prefix, operation) = action.split_once(':').unwrap();
                let no_resource_type = vigil_aws_model::actions::action_of(prefix, operation)
                    .is_ok_and(|a| a.unscoped);
                let unscoped = STAR_ONLY.contains(&action.as_str()) || no_resource_type;
                assert!(
                    kms_key_policy || unscoped,
                    "{}: {action} on * although the step names its resource",
                    path.display()
                );
            }
        }
        let file = dir.join(format!(
            "{}.json",
            path.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&file, &text).unwrap();
    }
    // cfn-lint: 0 errors, 0 warnings (exit 0), schema-checking the ASL too.
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let out = Command::new(venv().join("bin/cfn-lint"))
        .args(&files)
        .output()
        .expect("cfn-lint is in the venv (./scripts/install-tools)");
    assert!(
        out.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cfn_lint_catches_a_broken_definition() {
    // The lint is only worth something if it reads the ASL inside
    // DefinitionString: break one state and expect E3601.
    let suite = ValidSuite::new(load_file(&root().join("examples/smoke.yaml")).unwrap()).unwrap();
    let s = synthesize(&suite, &SynthOptions::default()).unwrap();
    let mut template: Value = serde_json::from_str(&s.template.to_json_pretty()).unwrap();
    let props = &mut template["Resources"]["StateMachine"]["Properties"];
    let mut def: Value = serde_json::from_str(props["DefinitionString"].as_str().unwrap()).unwrap();
    def["States"]["Parameters"]["Type"] = json!("Passs");
    props["DefinitionString"] = json!(def.to_string());
    let file = std::env::temp_dir().join(format!("vigil-broken-{}.json", std::process::id()));
    std::fs::write(&file, template.to_string()).unwrap();
    let out = Command::new(venv().join("bin/cfn-lint"))
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("E3601"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// cfn-lint on one template: 0 errors, 0 warnings.
fn lint(template: &Value, name: &str) {
    let file = std::env::temp_dir().join(format!("vigil-{name}-{}.json", std::process::id()));
    std::fs::write(&file, template.to_string()).unwrap();
    let out = Command::new(venv().join("bin/cfn-lint"))
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(
        out.status.success(),
        "cfn-lint {name}:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn synth(yaml: &str) -> Result<vigil_stack::Synthesized, vigil_stack::SynthError> {
    let suite = ValidSuite::new(parse(yaml, Format::Yaml, Path::new("s.yaml")).unwrap()).unwrap();
    synthesize(&suite, &SynthOptions::default())
}

#[test]
fn stack_outputs_become_parameters_substitutions_and_narrow_arns() {
    let s = synth(
        "suite: s\nparams:\n  TaskTable: {stack_output: TaskTableName}\n  Id: t-1\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: aws, service: dynamodb, operation: GetItem, params: {TableName: \"${TaskTable}\", Key: {task_id: {S: \"${Id}\"}}}}\n",
    )
    .unwrap();
    let t: Value = serde_json::from_str(&s.template.to_json_pretty()).unwrap();
    assert_eq!(t["Parameters"]["TaskTable"]["Type"], json!("String"));
    let sm = &t["Resources"]["StateMachine"]["Properties"];
    assert_eq!(
        sm["DefinitionSubstitutions"],
        json!({
            "VigilParamTaskTable": {"Ref": "TaskTable"},
            "VigilProviderFunctionArn": {"Fn::GetAtt": ["ProviderFunction", "Arn"]}
        })
    );
    let def: Value = serde_json::from_str(sm["DefinitionString"].as_str().unwrap()).unwrap();
    assert_eq!(
        def["States"]["Parameters"]["Result"],
        json!({"Id": "t-1", "TaskTable": "${VigilParamTaskTable}"})
    );
    // The step's own templates reach the provider untouched.
    let text = sm["DefinitionString"].as_str().unwrap();
    assert!(text.contains(r"\\u0024{TaskTable}"), "{text}");
    assert_eq!(
        s.stack_output_parameters(),
        [("TaskTable".to_owned(), "TaskTableName".to_owned())]
    );
    // The output may hold the table's name or its ARN (CDK apps output
    // either): CloudFormation picks the resource by the bound value.
    let statements = &t["Resources"]["ProviderPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    let get_item = statements
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"] == json!(["dynamodb:GetItem"]))
        .unwrap();
    assert_eq!(
        get_item["Resource"],
        json!([{"Fn::If": ["TaskTableIsArn",
            {"Fn::Sub": "${TaskTable}"},
            {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TaskTable}"}]}])
    );
    assert_eq!(
        t["Conditions"]["TaskTableIsArn"],
        json!({"Fn::Equals": [
            {"Fn::Select": [0, {"Fn::Split": [":", {"Ref": "TaskTable"}]}]}, "arn"]})
    );
    assert!(t["Resources"].get("SealingKey").is_none());
    lint(&t, "stack-output");
}

#[test]
fn secret_captures_get_a_key_only_the_provider_may_use() {
    let s = synth(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: aws, service: secretsmanager, operation: GetSecretValue, params: {SecretId: app/token}}\n        capture: {token: {path: $.SecretString, secret: true}}\n",
    )
    .unwrap();
    let t: Value = serde_json::from_str(&s.template.to_json_pretty()).unwrap();
    let key = &t["Resources"]["SealingKey"];
    assert_eq!(key["Type"], json!("AWS::KMS::Key"));
    assert_eq!(
        t["Resources"]["ProviderFunction"]["Properties"]["Environment"]["Variables"]["VIGIL_SEAL_KMS_KEY_ID"],
        json!({"Fn::GetAtt": ["SealingKey", "Arn"]})
    );
    let policy = t["Resources"]["ProviderPolicy"]["Properties"]["PolicyDocument"].to_string();
    assert!(policy.contains("kms:GenerateDataKey"), "{policy}");
    assert!(policy.contains("secret:app/token-??????"), "{policy}");
    let key_policy = key["Properties"]["KeyPolicy"].to_string();
    assert!(!key_policy.contains("kms:*"), "{key_policy}");
    // KMS refuses a principal it cannot see yet, and the key's handler
    // does not retry: no principal of the key policy may be a resource of
    // this template. The provider's role is named in a condition instead.
    let created: Vec<&String> = t["Resources"].as_object().unwrap().keys().collect();
    for statement in key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
    {
        let principal = statement["Principal"].to_string();
        for id in &created {
            assert!(
                !principal.contains(&format!("\"{id}\"")),
                "the key policy names `{id}`, created in the same stack, as a principal: {statement}"
            );
        }
    }
    let provider = key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == json!("ProviderSealsCaptures"))
        .unwrap();
    assert_eq!(
        provider["Principal"],
        json!({"AWS": [{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}]})
    );
    assert_eq!(
        provider["Condition"],
        json!({"ArnEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["ProviderRole", "Arn"]}}})
    );
    // What the key's CloudFormation handler uses on update and rollback.
    for a in [
        "kms:UpdateKeyDescription",
        "kms:ListResourceTags",
        "kms:UpdateAlias",
    ] {
        assert!(key_policy.contains(a), "{a}: {key_policy}");
    }
    lint(&t, "sealing");
}

#[test]
fn what_cannot_be_derived_is_an_error_naming_the_step() {
    let e = synth(
        "suite: s\nparams: {Api: {stack_output: ApiUrl}}\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: http, url: \"${Api}/tasks\", auth: {kind: sigv4}}}\n      - {id: y, call: {kind: aws, service: dynamodb, operation: ExecuteStatement, params: {Statement: s}}}\n",
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("scenarios.a.steps[0].call: cannot derive the API's ARN"),
        "{e}"
    );
    assert!(
        e.contains("scenarios.a.steps[1].call: IAM has no action `dynamodb:ExecuteStatement`"),
        "{e}"
    );
    assert!(e.contains("add the statements under `permissions:`"), "{e}");
}

#[test]
fn the_provider_timeout_covers_the_longest_micro_poll() {
    let s = synth(
        "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: ListTables}, poll: {timeout: 10m, micro_poll: 2m}}\n",
    )
    .unwrap();
    let t: Value = serde_json::from_str(&s.template.to_json_pretty()).unwrap();
    let timeout = t["Resources"]["ProviderFunction"]["Properties"]["Timeout"]
        .as_i64()
        .unwrap();
    assert_eq!(timeout, 120 + 30 + 10);
}

#[test]
fn the_template_snapshot() {
    let suite = ValidSuite::new(load_file(&root().join("examples/smoke.yaml")).unwrap()).unwrap();
    let s = synthesize(&suite, &SynthOptions::default()).unwrap();
    let mut t: Value = serde_json::from_str(&s.template.to_json_pretty()).unwrap();
    // The definition has its own snapshots (state-machine/tests/compile.rs).
    t["Resources"]["StateMachine"]["Properties"]["DefinitionString"] =
        json!("<the compiled definition>");
    insta::assert_json_snapshot!(t);
}

/// The checks checkov reports failing on every suite template, each kept
/// on purpose: (check, resource, why).
const CHECKOV_KEPT: [(&str, &str, &str); 6] = [
    (
        "CKV_AWS_116",
        "AWS::Lambda::Function.ProviderFunction",
        "a dead-letter queue receives failed asynchronous invocations; Step Functions invokes \
         the provider synchronously and its Task's Retry and Catch handle every failure",
    ),
    (
        "CKV_AWS_117",
        "AWS::Lambda::Function.ProviderFunction",
        "the provider calls AWS APIs and the application's public endpoints; a VPC needs the \
         account's subnets, NAT or endpoints, which a generated stack cannot know",
    ),
    (
        "CKV_AWS_115",
        "AWS::Lambda::Function.ProviderFunction",
        "reserved concurrency is taken from the account's unreserved pool, and accounts with a \
         low concurrency quota refuse it at deploy; the Parallel state already bounds \
         concurrent invocations to the number of branches",
    ),
    (
        "CKV_AWS_173",
        "AWS::Lambda::Function.ProviderFunction",
        "the environment holds no secret (RUST_LOG and the sealing key's ARN); Lambda encrypts \
         it at rest with an AWS managed key",
    ),
    (
        "CKV_AWS_158",
        "AWS::Logs::LogGroup.ProviderLogGroup",
        "the provider logs step, attempt and verdict, never a value; CloudWatch Logs encrypts \
         at rest, and a customer key would add a key policy and a monthly cost for no secret",
    ),
    (
        "CKV_AWS_158",
        "AWS::Logs::LogGroup.StateMachineLogGroup",
        "the state machine logs at level ERROR without execution data",
    ),
];

fn checkov() -> PathBuf {
    std::env::var_os("VIGIL_CHECKOV_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/vigil/checkov-venv")
        })
        .join("bin/checkov")
}

/// checkov on every example's template: what fails is exactly the
/// justified list (a new failure fails the test; so does a kept check that
/// passes now, so the list stays true).
#[test]
fn checkov_finds_only_the_justified_failures() {
    let dir = std::env::temp_dir().join(format!("vigil-checkov-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for path in examples() {
        let suite = ValidSuite::new(load_file(&path).unwrap()).unwrap();
        let s = synthesize(&suite, &SynthOptions::default()).unwrap();
        let file = dir.join(format!(
            "{}.json",
            path.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&file, s.template.to_json_pretty()).unwrap();
        let out = Command::new(checkov())
            .args([
                "--framework",
                "cloudformation",
                "-o",
                "json",
                "--quiet",
                "-f",
            ])
            .arg(&file)
            .output()
            .expect("checkov (./scripts/install-tools installs it)");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "checkov answered no JSON ({e}):\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let mut failed: Vec<(String, String)> = report["results"]["failed_checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["check_id"].as_str().unwrap().to_owned(),
                    c["resource"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        failed.sort();
        let mut kept: Vec<(String, String)> = CHECKOV_KEPT
            .iter()
            .map(|(id, resource, _)| ((*id).to_owned(), (*resource).to_owned()))
            .collect();
        kept.sort();
        assert_eq!(
            failed,
            kept,
            "{}: checkov's failing checks differ from the justified list",
            path.display()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
