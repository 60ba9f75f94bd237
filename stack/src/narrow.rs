//! Which resources a call touches, as ARNs: the "least" in least privilege.
//!
//! A call that names its resource (a table, a secret, a state machine, a
//! queue, a function) is granted on that resource only. Parts known only at
//! run time (captures) become `*` inside the ARN, so the grant still stays
//! within the resource type (`...:table/*`, `...:execution:*`). Services
//! vigil has no narrowing for are granted on `*` with a note; operations
//! IAM cannot scope at all (e.g. `dynamodb:ListTables`) are `*` by nature.

use serde_json::Value;
use vigil_protocol::{HttpAuth, HttpCall};

use crate::bindings::Bindings;
use crate::resource_arn::ResourceArn;
use crate::sub_text::{HERE, SubText};
use crate::underivable::Underivable;
use vigil_aws_model::actions::action_of;

/// One action on one resource that a call needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Exact IAM action.
    pub action: String,
    /// ARN (Sub text, or a name-or-ARN choice), or `*`.
    pub resource: ResourceArn,
}

/// What a call needs, and anything a reviewer should know about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Derived {
    /// The grants.
    pub needs: Vec<Need>,
    /// Grants wider than the call (e.g. `*` for a service with no narrowing).
    pub notes: Vec<String>,
}

impl Derived {
    fn need(&mut self, action: impl Into<String>, resource: impl Into<ResourceArn>) {
        self.needs.push(Need {
            action: action.into(),
            resource: resource.into(),
        });
    }
}

fn star() -> SubText {
    SubText::raw("*")
}

/// A resource named by `value` (a name or an ARN): ARNs are used as they
/// are; names go into `name_arn`; unknown values leave the name `*`; a
/// stack parameter may be either, and CloudFormation picks the form by the
/// value it is given ([`ResourceArn::NameOrArn`]).
fn named(value: Option<SubText>, name_arn: impl Fn(&SubText) -> SubText) -> ResourceArn {
    match value {
        Some(v) if v.starts_with_literal("arn:") => ResourceArn::Fixed(v),
        Some(v) => match v.whole_ref() {
            Some(param) => ResourceArn::NameOrArn {
                param: param.to_owned(),
                as_name: name_arn(&v),
                as_arn: v,
            },
            None => ResourceArn::Fixed(name_arn(&v)),
        },
        None => ResourceArn::Fixed(name_arn(&star())),
    }
}

fn regional(service: &str, resource: &str, name: &SubText) -> SubText {
    let mut r = SubText::literal(resource);
    r.push(name);
    SubText::regional_arn(service, &r)
}

fn str_at<'a>(params: &'a Value, key: &str) -> Option<&'a Value> {
    params.get(key)
}

/// An `awsJson` operation.
pub fn aws_call(
    service: &str,
    operation: &str,
    params: &Value,
    b: &Bindings,
) -> Result<Derived, Underivable> {
    let mut d = Derived::default();
    if service == "dynamodb"
        && let Some(done) = dynamodb_multi(operation, params, b, &mut d)
    {
        return done.map(|()| d);
    }
    let op = action_of(service, operation)?;
    if op.unscoped {
        d.need(op.action, star());
        return Ok(d);
    }
    let get = |k: &str| b.render_value(str_at(params, k));
    let resources: Vec<ResourceArn> = match service {
        "dynamodb" => {
            let table = named(get("TableName").or_else(|| get("TableArn")), |n| {
                regional("dynamodb", "table/", n)
            });
            match get("IndexName") {
                Some(index) => vec![table.map(|mut arn| {
                    arn.push_literal("/index/");
                    arn.push(&index);
                    arn
                })],
                None => vec![table],
            }
        }
        "secretsmanager" => vec![named(get("SecretId"), secret_arn)],
        "stepfunctions" => {
            if let Some(v) = get("executionArn") {
                vec![named(Some(v), |_| {
                    regional("states", "execution:", &star())
                })]
            } else if let Some(v) = get("stateMachineArn") {
                vec![named(Some(v), |_| {
                    regional("states", "stateMachine:", &star())
                })]
            } else if let Some(v) = get("activityArn") {
                vec![named(Some(v), |_| regional("states", "activity:", &star()))]
            } else {
                vec![regional("states", "", &star()).into()]
            }
        }
        "sqs" => vec![match get("QueueUrl") {
            Some(url) => queue_arn(&url).into(),
            None => named(get("QueueName"), |n| regional("sqs", "", n)),
        }],
        "logs" => {
            let group = get("logGroupIdentifier").or_else(|| get("logGroupName"));
            let arn = named(group, |n| regional("logs", "log-group:", n));
            vec![arn.clone().map(|a| a.then(":*")), arn]
        }
        "ssm" => {
            let names: Vec<SubText> = match params.get("Names").and_then(Value::as_array) {
                Some(list) => list
                    .iter()
                    .map(|v| b.render_value(Some(v)).unwrap_or_else(star))
                    .collect(),
                None => vec![get("Name").unwrap_or_else(star)],
            };
            names
                .into_iter()
                .map(|n| named(Some(n), parameter_arn))
                .collect()
        }
        "cognito-idp" => vec![named(get("UserPoolId"), |n| {
            regional("cognito-idp", "userpool/", n)
        })],
        "kinesis" => vec![match get("StreamARN") {
            Some(arn) => arn.into(),
            None => named(get("StreamName"), |n| regional("kinesis", "stream/", n)),
        }],
        "events" => {
            let bus = get("EventBusName").unwrap_or_else(|| SubText::literal("default"));
            vec![named(Some(bus), |n| regional("events", "event-bus/", n))]
        }
        "kms" => vec![named(get("KeyId"), |n| {
            if n.starts_with_literal("alias/") {
                // Grants on an alias name do not cover the key behind it.
                regional("kms", "key/", &star())
            } else {
                regional("kms", "key/", n)
            }
        })],
        _ => {
            d.notes.push(format!(
                "`{}` is granted on `*`: vigil does not know how `{service}` names its resources; \
                 narrow it by hand if your policy requires",
                op.action
            ));
            vec![star().into()]
        }
    };
    for r in resources {
        d.need(op.action.clone(), r);
    }
    Ok(d)
}

/// DynamoDB operations authorised per item or per table they name.
fn dynamodb_multi(
    operation: &str,
    params: &Value,
    b: &Bindings,
    d: &mut Derived,
) -> Option<Result<(), Underivable>> {
    let table =
        |name: Option<&Value>| named(b.render_value(name), |n| regional("dynamodb", "table/", n));
    match operation {
        "TransactGetItems" | "TransactWriteItems" => {
            let Some(items) = params.get("TransactItems").and_then(Value::as_array) else {
                return Some(Err(Underivable::NoTransactItems {
                    operation: operation.to_owned(),
                }));
            };
            for item in items {
                let Some((kind, body)) = item.as_object().and_then(|o| o.iter().next()) else {
                    continue;
                };
                let action = match kind.as_str() {
                    "Get" => "dynamodb:GetItem",
                    "Put" => "dynamodb:PutItem",
                    "Update" => "dynamodb:UpdateItem",
                    "Delete" => "dynamodb:DeleteItem",
                    "ConditionCheck" => "dynamodb:ConditionCheckItem",
                    other => {
                        return Some(Err(Underivable::UnknownTransactItem {
                            operation: operation.to_owned(),
                            kind: other.to_owned(),
                        }));
                    }
                };
                d.need(action, table(body.get("TableName")));
            }
            Some(Ok(()))
        }
        "BatchGetItem" | "BatchWriteItem" => {
            let Some(items) = params.get("RequestItems").and_then(Value::as_object) else {
                return Some(Err(Underivable::NoRequestItems {
                    operation: operation.to_owned(),
                }));
            };
            for name in items.keys() {
                d.need(
                    format!("dynamodb:{operation}"),
                    table(Some(&Value::String(name.clone()))),
                );
            }
            Some(Ok(()))
        }
        _ => None,
    }
}

/// Secrets Manager adds six random characters to a secret's ARN.
fn secret_arn(name: &SubText) -> SubText {
    let arn = regional("secretsmanager", "secret:", name);
    if name.is_wildcard() {
        arn
    } else {
        arn.then("-??????")
    }
}

/// SSM parameter ARNs drop the name's leading slash.
fn parameter_arn(name: &SubText) -> SubText {
    let trimmed = match name.plain() {
        Some(p) => SubText::literal(p.trim_start_matches('/')),
        None => name.clone(),
    };
    regional("ssm", "parameter/", &trimmed)
}

/// `https://sqs.<region>.amazonaws.com/<account>/<name>` -> the queue's ARN.
fn queue_arn(url: &SubText) -> SubText {
    if let Some(plain) = url.plain() {
        let parts: Vec<&str> = plain.trim_end_matches('/').rsplitn(3, '/').collect();
        let host = plain
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or("");
        let region = host
            .strip_prefix("sqs.")
            .and_then(|h| h.split('.').next())
            .filter(|r| !r.is_empty() && *r != "amazonaws");
        if let ([name, account, _], Some(region)) = (parts.as_slice(), region) {
            let mut s = SubText::raw(HERE);
            s.push_literal(&format!("sqs:{region}:{account}:{name}"));
            return s;
        }
    }
    // A URL from a stack output or a capture: the last segment is the name,
    // but Sub cannot split it, so the grant covers this account's queues.
    regional("sqs", "", &star())
}

/// Invoking a Lambda function (a `lambda` step).
pub fn lambda_call(function: &str, b: &Bindings) -> Derived {
    let mut d = Derived::default();
    let f = b.render(function);
    let arn = named(Some(f), |n| regional("lambda", "function:", n));
    d.need("lambda:InvokeFunction", arn);
    d
}

/// An HTTP step: what its authentication needs.
pub fn http_call(call: &HttpCall, b: &Bindings) -> Result<Derived, Underivable> {
    let mut d = Derived::default();
    match &call.auth {
        None | Some(HttpAuth::Bearer { .. }) => {}
        Some(HttpAuth::Cognito {
            password_secret, ..
        }) => {
            // InitiateAuth with USER_PASSWORD_AUTH is a public API: no IAM.
            // A password from a secret capture needs nothing more; one in
            // Secrets Manager needs read access to that secret.
            if let Some(password_secret) = password_secret {
                let secret = b.render(password_secret);
                d.need(
                    "secretsmanager:GetSecretValue",
                    named(Some(secret), secret_arn),
                );
            }
        }
        Some(HttpAuth::Sigv4 { service }) if service == "execute-api" => {
            let url = b.render(&call.url);
            match execute_api_arn(&url, &call.method) {
                Some(arn) => d.need("execute-api:Invoke", arn),
                None => {
                    return Err(Underivable::ApiArn {
                        url: call.url.clone(),
                    });
                }
            }
        }
        Some(HttpAuth::Sigv4 { service }) => {
            return Err(Underivable::SigV4Service {
                service: service.clone(),
                url: call.url.clone(),
            });
        }
    }
    Ok(d)
}

/// `https://<id>.execute-api.<region>.amazonaws.com/<stage>/<path>` ->
/// `arn:<partition>:execute-api:<region>:<account>:<id>/<stage>/<METHOD>/<path>`.
fn execute_api_arn(url: &SubText, method: &str) -> Option<SubText> {
    let plain = url.plain()?;
    let rest = plain.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut labels = host.split('.');
    let id = labels.next()?;
    if labels.next()? != "execute-api" {
        return None;
    }
    let region = labels.next()?;
    let path = path.split(['?', '#']).next().unwrap_or("");
    let (stage, resource) = path.split_once('/').unwrap_or((path, ""));
    if stage.is_empty() {
        return None;
    }
    let mut s = SubText::raw(HERE);
    s.push_literal(&format!("execute-api:{region}:"));
    let mut s = s.then("${AWS::AccountId}:");
    s.push_literal(&format!(
        "{id}/{stage}/{}/{resource}",
        method.to_ascii_uppercase()
    ));
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;
    use vigil_state_machine::{Format, parse};

    fn bindings() -> Bindings {
        let suite = parse(
            "suite: s\nparams:\n  Table: {stack_output: TaskTableName}\n  Fixed: Tasks\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: GetItem}}\n",
            Format::Yaml,
            Path::new("s.yaml"),
        )
        .unwrap();
        Bindings::new(&suite, &BTreeMap::new(), &|_| None, &BTreeSet::new()).unwrap()
    }

    fn arns(d: &Derived) -> Vec<(String, String)> {
        d.needs
            .iter()
            .map(|n| (n.action.clone(), n.resource.to_string()))
            .collect()
    }

    const T: &str = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/";

    #[test]
    fn dynamodb_tables_and_indexes() {
        let b = bindings();
        let d = aws_call("dynamodb", "GetItem", &json!({"TableName": "${Table}"}), &b).unwrap();
        assert_eq!(
            arns(&d),
            [(
                "dynamodb:GetItem".into(),
                format!("${{Table}} if it holds an ARN, else {T}${{Table}}")
            )]
        );
        let d = aws_call(
            "dynamodb",
            "Query",
            &json!({"TableName": "${Fixed}", "IndexName": "${x.i}"}),
            &b,
        )
        .unwrap();
        assert_eq!(
            arns(&d),
            [("dynamodb:Query".into(), format!("{T}Tasks/index/*"))]
        );
        let d = aws_call(
            "dynamodb",
            "TransactWriteItems",
            &json!({"TransactItems": [{"Put": {"TableName": "A"}}, {"ConditionCheck": {"TableName": "B"}}]}),
            &b,
        )
        .unwrap();
        assert_eq!(
            arns(&d),
            [
                ("dynamodb:PutItem".into(), format!("{T}A")),
                ("dynamodb:ConditionCheckItem".into(), format!("{T}B"))
            ]
        );
        let d = aws_call("dynamodb", "ListTables", &json!({}), &b).unwrap();
        assert_eq!(arns(&d), [("dynamodb:ListTables".into(), "*".into())]);
    }

    #[test]
    fn arns_pass_through_and_names_get_their_type() {
        let b = bindings();
        let d = aws_call(
            "stepfunctions",
            "DescribeExecution",
            &json!({"executionArn": "${run.arn}"}),
            &b,
        )
        .unwrap();
        assert_eq!(
            arns(&d)[0].1,
            "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:*"
        );
        let d = aws_call(
            "secretsmanager",
            "GetSecretValue",
            &json!({"SecretId": "app/password"}),
            &b,
        )
        .unwrap();
        assert_eq!(
            arns(&d)[0].1,
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:app/password-??????"
        );
        let d = aws_call(
            "secretsmanager",
            "GetSecretValue",
            &json!({"SecretId": "arn:aws:secretsmanager:eu-west-1:1:secret:x-AbCdEf"}),
            &b,
        )
        .unwrap();
        assert_eq!(
            arns(&d)[0].1,
            "arn:aws:secretsmanager:eu-west-1:1:secret:x-AbCdEf"
        );
        let d = aws_call(
            "sqs",
            "ReceiveMessage",
            &json!({"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"}),
            &b,
        )
        .unwrap();
        assert_eq!(
            arns(&d)[0].1,
            "arn:${AWS::Partition}:sqs:eu-west-1:123456789012:jobs"
        );
        let d = aws_call("ssm", "GetParameter", &json!({"Name": "/app/url"}), &b).unwrap();
        assert_eq!(
            arns(&d)[0].1,
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/url"
        );
    }

    #[test]
    fn unknown_services_get_star_with_a_note() {
        let d = aws_call("acm", "DescribeCertificate", &json!({}), &bindings()).unwrap();
        assert_eq!(arns(&d), [("acm:DescribeCertificate".into(), "*".into())]);
        assert_eq!(d.notes.len(), 1);
    }

    #[test]
    fn lambda_and_http() {
        let b = bindings();
        let d = lambda_call("worker:live", &b);
        assert_eq!(
            arns(&d),
            [(
                "lambda:InvokeFunction".into(),
                "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:worker:live"
                    .into()
            )]
        );
        let call: HttpCall = serde_json::from_value(json!({
            "method": "post",
            "url": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/tasks/${x.id}",
            "auth": {"kind": "sigv4"}
        }))
        .unwrap();
        let d = http_call(&call, &b).unwrap();
        assert_eq!(
            arns(&d)[0].1,
            "arn:${AWS::Partition}:execute-api:eu-west-1:${AWS::AccountId}:abc123/prod/POST/tasks/*"
        );
        let call: HttpCall = serde_json::from_value(json!({
            "url": "${Table}/tasks",
            "auth": {"kind": "sigv4"}
        }))
        .unwrap();
        let e = http_call(&call, &b).unwrap_err().to_string();
        assert!(
            e.contains("add a permission with action `execute-api:Invoke`"),
            "{e}"
        );
    }

    #[test]
    fn a_cognito_password_from_secrets_manager_is_read_one_from_a_capture_needs_nothing() {
        let b = bindings();
        let login = |source: serde_json::Value| -> HttpCall {
            let mut auth = json!({"kind": "cognito", "client_id": "c", "username": "u"});
            auth.as_object_mut()
                .unwrap()
                .extend(source.as_object().unwrap().clone());
            serde_json::from_value(json!({"url": "https://api.example.com/", "auth": auth}))
                .unwrap()
        };
        let d = http_call(&login(json!({"password_secret": "team/ci-user"})), &b).unwrap();
        assert_eq!(
            arns(&d),
            [(
                "secretsmanager:GetSecretValue".into(),
                "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:team/ci-user-??????"
                    .into()
            )]
        );
        let d = http_call(&login(json!({"password": "${pw.value}"})), &b).unwrap();
        assert!(arns(&d).is_empty(), "{:?}", arns(&d));
    }
}
