//! The provider's IAM statements, derived from every step of a suite.

use std::collections::{BTreeMap, BTreeSet};

use vigil_protocol::Call;
use vigil_state_machine::Suite;
use vigil_state_machine::validate::{SuiteError, iam_action_problem};

use crate::SynthError;
use crate::bindings::Bindings;
use crate::narrow::{self, Derived};
use crate::resource_arn::ResourceArn;
use crate::underivable::Underivable;

/// Actions granted on resources, merged over all steps: one entry per
/// action, its resources sorted and deduplicated (`*` absorbs the rest).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants {
    /// Action -> resources.
    pub by_action: BTreeMap<String, BTreeSet<ResourceArn>>,
    /// Grants wider than a call, for the synth output.
    pub notes: Vec<String>,
    /// True when a step captures a secret (the provider then needs a KMS
    /// key to seal it).
    pub seals: bool,
}

impl Grants {
    fn add(&mut self, action: &str, resource: impl Into<ResourceArn>) {
        let resource = resource.into();
        let set = self.by_action.entry(action.to_owned()).or_default();
        if resource.is_wildcard() {
            set.clear();
            set.insert(resource);
        } else if !set.iter().any(ResourceArn::is_wildcard) {
            set.insert(resource);
        }
    }

    /// Statements grouped so that actions with the same resources share
    /// one statement: the policy stays short and reads well.
    pub fn statements(&self) -> Vec<(Vec<String>, Vec<ResourceArn>)> {
        let mut by_resources: BTreeMap<Vec<ResourceArn>, Vec<String>> = BTreeMap::new();
        for (action, resources) in &self.by_action {
            by_resources
                .entry(resources.iter().cloned().collect())
                .or_default()
                .push(action.clone());
        }
        let mut out: Vec<(Vec<String>, Vec<ResourceArn>)> =
            by_resources.into_iter().map(|(r, a)| (a, r)).collect();
        out.sort();
        out
    }
}

/// Derives the grants of every step and adds the suite's `permissions`.
/// A call whose grant cannot be derived is an error, unless the suite's
/// permissions already hold an action for it.
pub fn derive(suite: &Suite, bindings: &Bindings) -> Result<Grants, SynthError> {
    let mut grants = Grants::default();
    let mut problems = Vec::new();
    let manual: BTreeSet<&str> = suite
        .permissions
        .iter()
        .flat_map(|p| p.actions.iter().map(String::as_str))
        .collect();
    for (scenario, sc) in &suite.scenarios {
        for (i, step) in sc.steps.iter().enumerate() {
            let path = format!("scenarios.{scenario}.steps[{i}].call");
            let derived: Result<Derived, Underivable> = match &step.call {
                Call::Aws {
                    service,
                    operation,
                    params,
                } => narrow::aws_call(service, operation, params, bindings),
                Call::Lambda { function, .. } => Ok(narrow::lambda_call(function, bindings)),
                Call::Http(h) => narrow::http_call(h, bindings),
            };
            match derived {
                Ok(d) => {
                    for n in d.needs {
                        grants.add(&n.action, n.resource);
                    }
                    grants
                        .notes
                        .extend(d.notes.into_iter().map(|n| format!("{path}: {n}")));
                }
                Err(e) => {
                    let covered = match &step.call {
                        Call::Http(_) => manual.iter().any(|a| {
                            a.starts_with("execute-api:")
                                || a.starts_with("lambda:InvokeFunctionUrl")
                        }),
                        Call::Aws { service, .. } => {
                            vigil_aws_model::actions::covered_by(service, manual.iter().copied())
                        }
                        Call::Lambda { .. } => false,
                    };
                    if !covered {
                        problems.push(SuiteError::at(path.clone(), e.to_string()));
                    }
                }
            }
            if step.capture.values().any(|c| c.secret) {
                grants.seals = true;
            }
        }
    }
    for (i, p) in suite.permissions.iter().enumerate() {
        for (k, a) in p.actions.iter().enumerate() {
            if let Some(problem) = iam_action_problem(a) {
                problems.push(SuiteError::at(
                    format!("permissions[{i}].actions[{k}]"),
                    problem,
                ));
                continue;
            }
            for r in &p.resources {
                grants.add(a, bindings.render(r));
            }
        }
    }
    if problems.is_empty() {
        Ok(grants)
    } else {
        Err(SynthError::Permissions(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sub_text::SubText;
    use std::path::Path;
    use vigil_state_machine::{Format, parse};

    fn grants(yaml: &str) -> Result<Grants, SynthError> {
        let suite = parse(yaml, Format::Yaml, Path::new("s.yaml")).unwrap();
        let b = Bindings::new(&suite, &BTreeMap::new(), &|_| None, &BTreeSet::new()).unwrap();
        derive(&suite, &b)
    }

    #[test]
    fn steps_merge_into_few_statements() {
        let g = grants(
            "suite: s\nparams: {T: Tasks}\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: GetItem, params: {TableName: \"${T}\"}}}\n      - {id: y, call: {kind: aws, service: dynamodb, operation: Query, params: {TableName: \"${T}\"}}, capture: {tok: {path: $.Items, secret: true}}}\n  b:\n    steps:\n      - {id: z, call: {kind: aws, service: dynamodb, operation: GetItem, params: {TableName: Other}}}\n",
        )
        .unwrap();
        let st = g.statements();
        assert_eq!(st.len(), 2, "{st:?}");
        assert_eq!(st[0].0, ["dynamodb:GetItem"]);
        assert_eq!(st[0].1.len(), 2);
        assert_eq!(st[1].0, ["dynamodb:Query"]);
        assert!(g.seals);
    }

    #[test]
    fn underivable_calls_are_errors_unless_permissions_cover_them() {
        let base = "scenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: http, url: \"${Api}/tasks\", auth: {kind: sigv4}}}\n";
        let e = grants(&format!(
            "suite: s\nparams: {{Api: {{stack_output: ApiUrl}}}}\n{base}"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("scenarios.a.steps[0].call: cannot derive the API's ARN"),
            "{e}"
        );
        let g = grants(&format!(
            "suite: s\nparams: {{Api: {{stack_output: ApiUrl}}, ApiId: abc}}\npermissions:\n  - actions: [execute-api:Invoke]\n    resources: [\"arn:aws:execute-api:eu-west-1:1:${{ApiId}}/prod/*\"]\n{base}"
        ))
        .unwrap();
        assert_eq!(
            g.statements(),
            [(
                vec!["execute-api:Invoke".to_owned()],
                vec![ResourceArn::Fixed(SubText::raw(
                    "arn:aws:execute-api:eu-west-1:1:abc/prod/*"
                ))]
            )]
        );
    }

    #[test]
    fn a_permission_of_the_services_iam_prefix_covers_an_underivable_operation() {
        let step = "scenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: ExecuteStatement}}\n";
        assert!(grants(&format!("suite: s\n{step}")).is_err());
        let g = grants(&format!(
            "suite: s\npermissions: [{{actions: [dynamodb:PartiQLSelect], resources: [\"arn:aws:dynamodb:eu-west-1:1:table/T\"]}}]\n{step}"
        ))
        .unwrap();
        assert_eq!(
            g.by_action.keys().collect::<Vec<_>>(),
            ["dynamodb:PartiQLSelect"]
        );
    }

    #[test]
    fn run_time_names_stay_within_the_resource_type() {
        let g = grants(
            "suite: s\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: GetItem, params: {TableName: A}}, capture: {t: {path: $.Item.t.S}}}\n      - {id: y, call: {kind: aws, service: dynamodb, operation: GetItem, params: {TableName: \"${x.t}\"}}}\n",
        )
        .unwrap();
        let r: Vec<String> = g.by_action["dynamodb:GetItem"]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r.iter().any(|a| a.ends_with("table/*")), "{r:?}");
        assert!(r.iter().any(|a| a.ends_with("table/A")), "{r:?}");
    }

    #[test]
    fn star_absorbs_narrower_resources() {
        let mut g = Grants::default();
        g.add("a:B", SubText::raw("arn:x"));
        g.add("a:B", SubText::raw("*"));
        g.add("a:B", SubText::raw("arn:y"));
        assert_eq!(g.by_action["a:B"].len(), 1);
        assert!(g.by_action["a:B"].iter().all(ResourceArn::is_wildcard));
    }

    /// A table or secret named by a stack output may be a name or an ARN:
    /// the grant holds both forms for CloudFormation to pick from; a
    /// literal is decided here.
    #[test]
    fn a_stack_output_may_hold_a_name_or_an_arn() {
        let g = grants(
            "suite: s
params:
  Table: {stack_output: TaskTableName}
  Token: {stack_output: GitHubTokenSecretArn}
scenarios:
  a:
    steps:
      - {id: x, call: {kind: aws, service: dynamodb, operation: Query, params: {TableName: \"${Table}\", IndexName: ByUser}}}
      - {id: y, call: {kind: aws, service: secretsmanager, operation: GetSecretValue, params: {SecretId: \"${Token}\"}}}
      - {id: z, call: {kind: aws, service: secretsmanager, operation: DescribeSecret, params: {SecretId: \"arn:aws:secretsmanager:eu-west-1:1:secret:gh-AbCdEf\"}}}
",
        )
        .unwrap();
        let show = |action: &str| -> Vec<String> {
            g.by_action[action]
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            show("dynamodb:Query"),
            [
                "${Table}/index/ByUser if it holds an ARN, else arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}/index/ByUser"
            ]
        );
        assert_eq!(
            show("secretsmanager:GetSecretValue"),
            [
                "${Token} if it holds an ARN, else arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Token}-??????"
            ]
        );
        assert_eq!(
            show("secretsmanager:DescribeSecret"),
            ["arn:aws:secretsmanager:eu-west-1:1:secret:gh-AbCdEf"]
        );
    }
}
