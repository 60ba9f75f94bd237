//! The suite's stack template: skeleton + typed resources.
//!
//! Resources (logical ids are stable, so updates change resources in place):
//!
//! | id | what |
//! |---|---|
//! | `ProviderRole`, `ProviderPolicy` | the provider's role; the policy holds the statements derived from the suite |
//! | `ProviderLogGroup` | the provider's logs, with retention |
//! | `ProviderFunction` | the provider (`bootstrap.zip` from the artifact bucket) |
//! | `StateMachineRole`, `StateMachineLogGroup`, `StateMachine` | the suite's state machine, logging without execution data |
//! | `SealingKey`, `SealingKeyAlias` | only when a step captures a secret |
//!
//! The definition goes in as a plain `DefinitionString` (JSON text), with
//! `DefinitionSubstitutions` for the provider's ARN and the parameters bound
//! to stack outputs. A plain string, not a `Definition` object: the ASL has
//! `null`s (e.g. a poll state that starts empty), which CloudFormation does
//! not allow as template values, and `cfn-lint` still checks a plain
//! string against the ASL schema. Substitution keys start with `Vigil` and
//! never match a `${...}` template of the steps, which CloudFormation
//! leaves alone.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use vigil_cfn::iam::{Effect, IamAction, PolicyDocument, Principal, Statement};
use vigil_cfn::resources::{iam, kms, lambda, logs, stepfunctions};
use vigil_cfn::{DeletionPolicy, Expr, LogicalId, Parameter, Resource, Template};
use vigil_state_machine::compile::{CompileOptions, compile};
use vigil_state_machine::validate::SuiteError;
use vigil_state_machine::{ParamName, Suite, ValidSuite};

use crate::bindings::{Binding, Bindings};
use crate::grants::{Grants, derive};
use crate::resource_arn::ResourceArn;
use crate::sizing::{PROVIDER_MEMORY_MB, provider_timeout_seconds};
use crate::{SynthError, contract, skeleton};

/// The substitution key of the provider function's ARN.
pub const PROVIDER_ARN_KEY: &str = "VigilProviderFunctionArn";

/// The substitution key of a parameter bound at deploy time.
pub fn param_key(template_param: &str) -> String {
    format!("VigilParam{template_param}")
}

/// What synth needs besides the suite. Everything comes in here, nothing
/// from the process environment, so the same suite and options give the
/// same bytes (docs/DESIGN.md invariant 8).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynthOptions {
    /// `--param NAME=VALUE` values: fixed in the definition and in IAM.
    pub params: BTreeMap<String, Value>,
    /// The environment variables a parameter's `env:` names may read (the
    /// CLI passes its process environment).
    pub environment: BTreeMap<String, String>,
}

/// A synthesized stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthesized {
    /// The CloudFormation template.
    pub template: Template,
    /// The state machine definition, with placeholders (as in the template).
    pub definition: Value,
    /// How each parameter was bound.
    pub bindings: Bindings,
    /// The provider's grants.
    pub grants: Grants,
}

impl Synthesized {
    /// Template parameters that the application stack's outputs fill, as
    /// (template parameter, stack output name).
    pub fn stack_output_parameters(&self) -> Vec<(String, String)> {
        self.bindings
            .iter()
            .filter_map(|(_, b)| match b {
                Binding::Deployed {
                    template_param,
                    stack_output,
                    ..
                } => Some((template_param.clone(), stack_output.clone())),
                _ => None,
            })
            .collect()
    }
}

fn id(s: &str) -> LogicalId {
    LogicalId::new(s).expect("vigil's own logical ids are alphanumeric")
}

fn action(a: &str) -> IamAction {
    IamAction::new(a).expect("vigil's own actions are exact")
}

fn allow(actions: &[&str], resources: Vec<Expr>) -> Statement {
    Statement {
        sid: None,
        effect: Effect::Allow,
        principal: None,
        action: actions.iter().map(|a| action(a)).collect(),
        resource: resources,
        condition: None,
    }
}

fn trust(service: &str) -> PolicyDocument {
    PolicyDocument::new(vec![Statement {
        sid: None,
        effect: Effect::Allow,
        principal: Some(Principal::service([service])),
        action: vec![action("sts:AssumeRole")],
        resource: Vec::new(),
        condition: None,
    }])
}

/// The stack's tags as one resource type's tag list.
fn tag_list_of<T>(list: &[(String, String)], make: impl Fn(Expr, Expr) -> T) -> Vec<T> {
    list.iter()
        .map(|(k, v)| make(Expr::Str(k.clone()), Expr::Str(v.clone())))
        .collect()
}

/// Builds the stack for a suite.
pub fn synthesize(valid: &ValidSuite, options: &SynthOptions) -> Result<Synthesized, SynthError> {
    let suite: &Suite = valid;
    let (mut template, tags) = skeleton::load()?;
    let reserved: BTreeSet<String> = template.parameters.keys().cloned().collect();
    let env = |k: &str| options.environment.get(k).cloned();
    let bindings = Bindings::new(suite, &options.params, &env, &reserved)?;
    let grants = derive(suite, &bindings)?;

    // The definition: fixed values inline, deploy-time ones as placeholders.
    let mut param_values: BTreeMap<ParamName, Value> = BTreeMap::new();
    let mut substitutions: BTreeMap<String, Expr> = BTreeMap::new();
    substitutions.insert(
        PROVIDER_ARN_KEY.to_owned(),
        Expr::get_att(contract::PROVIDER_FUNCTION, "Arn"),
    );
    for (name, binding) in bindings.iter() {
        match binding {
            Binding::Fixed(v) => {
                param_values.insert(name.clone(), v.clone());
            }
            Binding::Deployed {
                template_param,
                default,
                stack_output,
            } => {
                let key = param_key(template_param);
                if suite.params.keys().any(|k| k.as_str() == key) {
                    return Err(SynthError::Params(vec![SuiteError::at(
                        format!("params.{key}"),
                        format!("the name is vigil's placeholder for `{name}`; rename it"),
                    )]));
                }
                param_values.insert(name.clone(), Value::String(format!("${{{key}}}")));
                substitutions.insert(key, Expr::reference(template_param.clone()));
                template.parameters.insert(
                    template_param.clone(),
                    Parameter {
                        r#type: "String".into(),
                        default: default.clone(),
                        description: Some(format!(
                            "Suite parameter `{name}`: the application stack's output `{stack_output}`."
                        )),
                        ..Parameter::default()
                    },
                );
            }
            Binding::Unknown => {}
        }
    }
    let compile_options = CompileOptions {
        provider_function: format!("${{{PROVIDER_ARN_KEY}}}"),
        param_values,
        escape_templates: true,
    };
    let definition = compile(valid, &compile_options);

    template.description = Some(format!(
        "vigil assertion stack for suite `{}`{}",
        suite.suite,
        suite
            .description
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default()
    ));
    let mut tag_list: Vec<(String, String)> = tags.into_iter().collect();
    tag_list.push((contract::SUITE_TAG.into(), suite.suite.to_string()));
    tag_list.sort();

    let r = &mut template.resources;
    let log_group = |name: &str| logs::LogGroup {
        log_group_name: Some(Expr::sub(name)),
        retention_in_days: Some(vigil_cfn::Value::Expr(Expr::reference("LogRetentionDays"))),
        tags: Some(tag_list_of(&tag_list, |key, value| logs::log_group::Tag {
            key,
            value,
        })),
        ..logs::LogGroup::default()
    };
    fn disposable(props: impl Into<vigil_cfn::resources::ResourceProperties>) -> Resource {
        let mut res = Resource::new(props);
        res.deletion_policy = Some(DeletionPolicy::Delete);
        res.update_replace_policy = Some(DeletionPolicy::Delete);
        res
    }

    r.insert(
        id("ProviderLogGroup"),
        disposable(log_group("/vigil/${AWS::StackName}/provider")),
    );
    r.insert(
        id("StateMachineLogGroup"),
        disposable(log_group("/aws/vendedlogs/states/${AWS::StackName}")),
    );

    // The provider's role and its derived policy.
    r.insert(
        id("ProviderRole"),
        Resource::new(iam::Role {
            assume_role_policy_document: trust("lambda.amazonaws.com"),
            description: Some(Expr::Str(format!(
                "vigil provider of suite {}: the calls of its steps, nothing else",
                suite.suite
            ))),
            tags: Some(tag_list_of(&tag_list, |key, value| iam::role::Tag {
                key,
                value,
            })),
            ..iam::Role::default()
        }),
    );
    let mut statements = vec![allow(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![Expr::get_att("ProviderLogGroup", "Arn")],
    )];
    for (actions, resources) in grants.statements() {
        for param in ResourceArn::conditions(&resources) {
            template.conditions.insert(
                ResourceArn::condition_name(&param),
                ResourceArn::condition(&param),
            );
        }
        statements.push(Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            action: actions.iter().map(|a| action(a)).collect(),
            resource: resources.iter().map(ResourceArn::to_expr).collect(),
            condition: None,
        });
    }
    if grants.seals {
        statements.push(allow(
            &["kms:Decrypt", "kms:GenerateDataKey"],
            vec![Expr::get_att("SealingKey", "Arn")],
        ));
    }
    r.insert(
        id("ProviderPolicy"),
        Resource::new(iam::Policy {
            policy_document: PolicyDocument::new(statements),
            policy_name: Expr::sub("${AWS::StackName}-provider"),
            roles: Some(vec![Expr::reference("ProviderRole")]),
            ..iam::Policy::default()
        }),
    );

    if grants.seals {
        let root = Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root");
        let mut key_policy = vec![Statement {
            sid: Some("AccountAdministersTheKey".into()),
            effect: Effect::Allow,
            principal: Some(Principal::aws([root.clone()])),
            action: KEY_ADMIN_ACTIONS.iter().map(|a| action(a)).collect(),
            resource: vec![Expr::Str("*".into())],
            condition: None,
        }];
        // The provider's role is created in this same stack, seconds
        // before the key. KMS refuses a key policy whose principal it
        // cannot see yet (MalformedPolicyDocumentException), and the key's
        // CloudFormation handler does not retry that, so naming the role
        // as principal can fail a first deploy. The principal is the
        // account instead (which makes the role's own IAM policy count),
        // and a condition on the calling principal's ARN keeps the use to
        // the provider's role: condition values are not checked for
        // existence, so nothing races.
        let provider_role = serde_json::to_value(Expr::get_att("ProviderRole", "Arn"))
            .unwrap_or(serde_json::Value::Null);
        key_policy.push(Statement {
            sid: Some("ProviderSealsCaptures".into()),
            effect: Effect::Allow,
            principal: Some(Principal::aws([root.clone()])),
            action: vec![action("kms:Decrypt"), action("kms:GenerateDataKey")],
            resource: vec![Expr::Str("*".into())],
            condition: Some(serde_json::json!({
                "ArnEquals": {"aws:PrincipalArn": provider_role}
            })),
        });
        r.insert(
            id("SealingKey"),
            disposable(kms::Key {
                description: Some(Expr::Str(format!(
                    "vigil suite {}: seals secret captures on their way through the state machine",
                    suite.suite
                ))),
                enable_key_rotation: Some(vigil_cfn::Value::Lit(true)),
                key_policy: Some(PolicyDocument::new(key_policy)),
                pending_window_in_days: Some(vigil_cfn::Value::Lit(7)),
                tags: Some(tag_list_of(&tag_list, |key, value| kms::key::Tag {
                    key,
                    value,
                })),
                ..kms::Key::default()
            }),
        );
        r.insert(
            id("SealingKeyAlias"),
            Resource::new(kms::Alias {
                alias_name: Expr::sub("alias/vigil/${AWS::StackName}"),
                target_key_id: Expr::reference("SealingKey"),
            }),
        );
    }

    let mut env: BTreeMap<String, Expr> = BTreeMap::new();
    env.insert("RUST_LOG".into(), Expr::Str("info".into()));
    if grants.seals {
        env.insert(
            vigil_protocol::environment::SEAL_KMS_KEY_ID.into(),
            Expr::get_att("SealingKey", "Arn"),
        );
    }
    let mut function = Resource::new(lambda::Function {
        architectures: Some(vec![Expr::Str("x86_64".into())]),
        code: lambda::function::Code {
            s3_bucket: Some(Expr::reference(contract::ARTIFACT_BUCKET_PARAM)),
            s3_key: Some(Expr::reference(contract::ARTIFACT_KEY_PARAM)),
            ..lambda::function::Code::default()
        },
        description: Some(Expr::Str(format!(
            "vigil assertion provider of suite {}",
            suite.suite
        ))),
        environment: Some(lambda::function::Environment {
            variables: Some(env),
        }),
        handler: Some(Expr::Str("bootstrap".into())),
        logging_config: Some(lambda::function::LoggingConfig {
            log_format: Some(Expr::Str("JSON".into())),
            log_group: Some(Expr::reference("ProviderLogGroup")),
            ..lambda::function::LoggingConfig::default()
        }),
        memory_size: Some(vigil_cfn::Value::Lit(PROVIDER_MEMORY_MB)),
        role: Expr::get_att("ProviderRole", "Arn"),
        runtime: Some(Expr::Str("provided.al2023".into())),
        tags: Some(tag_list_of(&tag_list, |key, value| lambda::function::Tag {
            key,
            value: Some(value),
        })),
        timeout: Some(vigil_cfn::Value::Lit(provider_timeout_seconds(suite))),
        ..lambda::Function::default()
    });
    function.depends_on = vec![id("ProviderPolicy")];
    r.insert(id(contract::PROVIDER_FUNCTION), function);

    r.insert(
        id("StateMachineRole"),
        Resource::new(iam::Role {
            assume_role_policy_document: trust("states.amazonaws.com"),
            description: Some(Expr::Str(format!(
                "vigil state machine of suite {}: invokes its provider, writes its logs",
                suite.suite
            ))),
            policies: Some(vec![iam::role::Policy {
                policy_name: Expr::Str("invoke-provider-and-log".into()),
                policy_document: PolicyDocument::new(vec![
                    allow(
                        &["lambda:InvokeFunction"],
                        vec![
                            Expr::get_att(contract::PROVIDER_FUNCTION, "Arn"),
                            Expr::sub("${ProviderFunction.Arn}:*"),
                        ],
                    ),
                    // Log delivery actions take no resource ARN: IAM
                    // accepts only `*` for them.
                    allow(&LOG_DELIVERY_ACTIONS, vec![Expr::Str("*".into())]),
                ]),
            }]),
            tags: Some(tag_list_of(&tag_list, |key, value| iam::role::Tag {
                key,
                value,
            })),
            ..iam::Role::default()
        }),
    );

    r.insert(
        id("StateMachine"),
        Resource::new(stepfunctions::StateMachine {
            definition_string: Some(Expr::Str(definition.to_string())),
            definition_substitutions: Some(substitutions),
            logging_configuration: Some(stepfunctions::state_machine::LoggingConfiguration {
                destinations: Some(vec![stepfunctions::state_machine::LogDestination {
                    cloud_watch_logs_log_group: Some(
                        stepfunctions::state_machine::CloudWatchLogsLogGroup {
                            log_group_arn: Some(Expr::get_att("StateMachineLogGroup", "Arn")),
                        },
                    ),
                }]),
                // Inputs and outputs carry captures; they stay in the
                // execution history (sealed when secret), never in logs.
                include_execution_data: Some(vigil_cfn::Value::Lit(false)),
                level: Some(Expr::reference("StateMachineLogLevel")),
            }),
            role_arn: Expr::get_att("StateMachineRole", "Arn"),
            state_machine_name: Some(Expr::sub("${AWS::StackName}")),
            state_machine_type: Some(Expr::Str("STANDARD".into())),
            tags: Some(tag_list_of(&tag_list, |key, value| {
                stepfunctions::state_machine::TagsEntry { key, value }
            })),
            ..stepfunctions::StateMachine::default()
        }),
    );

    Ok(Synthesized {
        template,
        definition,
        bindings,
        grants,
    })
}

/// What the account root needs to keep administering the sealing key,
/// listed one by one (no `kms:*`): every key-level action the
/// CloudFormation handlers of `AWS::KMS::Key` and `AWS::KMS::Alias` use to
/// create, read, update and delete them (their resource schemas'
/// `handlers.*.permissions`) — an update, and the rollback of one, needs
/// `UpdateKeyDescription` and `ListResourceTags` too — plus
/// `CancelKeyDeletion` to undo a deletion by hand. `CreateKey`,
/// `ListKeys` and `ListAliases` are not actions on a key.
pub const KEY_ADMIN_ACTIONS: [&str; 17] = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
];

/// What Step Functions needs to deliver logs to CloudWatch Logs.
const LOG_DELIVERY_ACTIONS: [&str; 8] = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
];
