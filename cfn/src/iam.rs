//! IAM policy documents, typed so that a wildcard action cannot be written.
//!
//! vigil derives least-privilege policies from the steps of a suite and
//! promises never to grant a wildcard action (`s3:*`, `dynamodb:Get*`).
//! [`IamAction`] checks that promise when it is built *and* when it is read
//! back, so neither generated code nor an edited template can break it.
//! Resources, by contrast, may be `"*"` where a service has no resource-level
//! permissions (e.g. `xray:PutTraceSegments`).
//!
//! The same [`PolicyDocument`] serves every place CloudFormation takes a
//! policy: role trust policies, inline role policies, `AWS::IAM::Policy`,
//! KMS key policies and S3 bucket policies.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Expr;
use crate::one_or_many;

/// An IAM policy document (`{"Version": "2012-10-17", "Statement": [...]}`).
///
/// Fields this type does not model (`Id`, `NotAction`, `NotResource`,
/// `NotPrincipal`) are rejected when reading rather than dropped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Always `2012-10-17`, the only version with policy variables.
    #[serde(rename = "Version")]
    pub version: PolicyVersion,
    /// The statements, in order.
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    /// A version `2012-10-17` document with these statements.
    pub fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: PolicyVersion::V2012_10_17,
            statement,
        }
    }
}

/// The policy language version. Only `2012-10-17` exists for vigil: the
/// older `2008-10-17` lacks policy variables and is never what one wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PolicyVersion {
    /// `2012-10-17`.
    #[default]
    #[serde(rename = "2012-10-17")]
    V2012_10_17,
}

/// One statement of a policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Optional statement id.
    #[serde(rename = "Sid", default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Allow or deny.
    #[serde(rename = "Effect")]
    pub effect: Effect,
    /// Who the statement applies to; only in resource policies and trust
    /// policies.
    #[serde(rename = "Principal", default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// The actions, each an exact `service:Action` (never a wildcard).
    #[serde(rename = "Action", deserialize_with = "one_or_many::deserialize")]
    pub action: Vec<IamAction>,
    /// The resources (ARNs, usually built with `Fn::Sub` or `Fn::GetAtt`);
    /// empty in trust policies, where it is omitted.
    #[serde(
        rename = "Resource",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many::deserialize"
    )]
    pub resource: Vec<Expr>,
    /// Condition block, kept as JSON: its operators and keys are open-ended.
    #[serde(rename = "Condition", default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<serde_json::Value>,
}

impl Statement {
    /// An `Allow` statement for these actions on these resources.
    pub fn allow(action: Vec<IamAction>, resource: Vec<Expr>) -> Self {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            action,
            resource,
            condition: None,
        }
    }

    /// A `Deny` statement for these actions on these resources.
    pub fn deny(action: Vec<IamAction>, resource: Vec<Expr>) -> Self {
        Statement {
            effect: Effect::Deny,
            ..Statement::allow(action, resource)
        }
    }

    /// Sets the statement id.
    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Sets the principal.
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Sets the condition block.
    pub fn with_condition(mut self, condition: serde_json::Value) -> Self {
        self.condition = Some(condition);
        self
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Effect {
    /// Grants the actions.
    Allow,
    /// Denies the actions, overriding any allow.
    Deny,
}

/// A statement's principal: AWS principals (accounts, roles) and/or service
/// principals. The anonymous `"*"` principal is deliberately not expressible.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// `{"AWS": [...]}`: account ids, account root ARNs or role ARNs.
    #[serde(
        rename = "AWS",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many::deserialize"
    )]
    pub aws: Vec<Expr>,
    /// `{"Service": [...]}`: e.g. `lambda.amazonaws.com`.
    #[serde(
        rename = "Service",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many::deserialize"
    )]
    pub service: Vec<Expr>,
}

impl Principal {
    /// Service principals, e.g. `Principal::service(["states.amazonaws.com"])`.
    pub fn service<I: IntoIterator<Item = E>, E: Into<Expr>>(services: I) -> Self {
        Principal {
            service: services.into_iter().map(Into::into).collect(),
            ..Principal::default()
        }
    }

    /// AWS principals (account ids or ARNs).
    pub fn aws<I: IntoIterator<Item = E>, E: Into<Expr>>(principals: I) -> Self {
        Principal {
            aws: principals.into_iter().map(Into::into).collect(),
            ..Principal::default()
        }
    }
}

/// An exact IAM action, `service:ActionName`, validated on construction.
///
/// The service prefix is lowercase ASCII letters, digits and `-`
/// (`execute-api`); the action name is ASCII letters and digits. `*` and `?`
/// are rejected everywhere: vigil never grants a wildcard action.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IamAction(String);

impl IamAction {
    /// Validates `action` as an exact `service:ActionName`.
    pub fn new(action: impl Into<String>) -> Result<Self, IamActionError> {
        let action = action.into();
        if action.contains(['*', '?']) {
            return Err(IamActionError::Wildcard(action));
        }
        let Some((prefix, name)) = action.split_once(':') else {
            return Err(IamActionError::MissingPrefix(action));
        };
        let prefix_ok = !prefix.is_empty()
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !prefix_ok {
            return Err(IamActionError::InvalidPrefix(action));
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(IamActionError::InvalidName(action));
        }
        Ok(IamAction(action))
    }

    /// The whole action, e.g. `dynamodb:GetItem`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The service prefix, e.g. `dynamodb`.
    pub fn service(&self) -> &str {
        self.0.split_once(':').map_or("", |(prefix, _)| prefix)
    }

    /// The action name, e.g. `GetItem`.
    pub fn name(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, name)| name)
    }
}

impl fmt::Display for IamAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for IamAction {
    type Err = IamActionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IamAction::new(s)
    }
}

impl TryFrom<String> for IamAction {
    type Error = IamActionError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        IamAction::new(s)
    }
}

impl From<IamAction> for String {
    fn from(action: IamAction) -> String {
        action.0
    }
}

impl AsRef<str> for IamAction {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a string is not an [`IamAction`]. Each variant holds the string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamActionError {
    /// Contains `*` or `?`.
    #[error("IAM action `{0}` contains a wildcard (`*` or `?`); vigil grants only exact actions")]
    Wildcard(String),
    /// No `service:` prefix.
    #[error("IAM action `{0}` has no service prefix; expected `service:ActionName`")]
    MissingPrefix(String),
    /// The prefix is empty or has characters other than `a-z`, `0-9`, `-`.
    #[error(
        "IAM action `{0}` has an invalid service prefix; expected lowercase letters, digits and `-` before the `:`"
    )]
    InvalidPrefix(String),
    /// The name is empty or has characters other than ASCII letters and digits.
    #[error(
        "IAM action `{0}` has an invalid action name; expected ASCII letters and digits after the `:`"
    )]
    InvalidName(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(s: &str) -> IamAction {
        IamAction::new(s).unwrap()
    }

    #[test]
    fn exact_actions_are_accepted() {
        for ok in [
            "dynamodb:GetItem",
            "execute-api:Invoke",
            "s3:GetObject",
            "ec2:DescribeInstances",
            "sts:AssumeRole",
        ] {
            let a = action(ok);
            assert_eq!(a.as_str(), ok);
        }
        let a = action("execute-api:Invoke");
        assert_eq!((a.service(), a.name()), ("execute-api", "Invoke"));
    }

    #[test]
    fn wildcards_and_malformed_actions_are_rejected() {
        use IamActionError::*;
        let cases = [
            ("dynamodb:*", Wildcard("dynamodb:*".into())),
            ("dynamodb:Get*", Wildcard("dynamodb:Get*".into())),
            ("*", Wildcard("*".into())),
            ("s3:Get?bject", Wildcard("s3:Get?bject".into())),
            ("GetItem", MissingPrefix("GetItem".into())),
            ("", MissingPrefix(String::new())),
            (":GetItem", InvalidPrefix(":GetItem".into())),
            ("DynamoDB:GetItem", InvalidPrefix("DynamoDB:GetItem".into())),
            ("dynamodb:", InvalidName("dynamodb:".into())),
            ("dynamodb:Get-Item", InvalidName("dynamodb:Get-Item".into())),
            ("a:b:c", InvalidName("a:b:c".into())),
        ];
        for (input, expected) in cases {
            assert_eq!(IamAction::new(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn deserialize_validates_actions() {
        let err = serde_json::from_value::<Statement>(json!({
            "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:*"], "Resource": ["*"],
        }))
        .unwrap_err();
        assert!(err.to_string().contains("wildcard"), "{err}");
        // The single-string form too, with the same message.
        let err = serde_json::from_value::<Statement>(json!({
            "Effect": "Allow", "Action": "s3:*", "Resource": "*",
        }))
        .unwrap_err();
        assert!(
            err.to_string().contains("`s3:*` contains a wildcard"),
            "{err}"
        );
    }

    #[test]
    fn policy_document_uses_iam_field_names() {
        let doc = PolicyDocument::new(vec![
            Statement::allow(
                vec![action("dynamodb:GetItem"), action("dynamodb:Query")],
                vec![Expr::get_att("Table", "Arn")],
            )
            .with_sid("ReadTable"),
            Statement::allow(vec![action("sts:AssumeRole")], vec![])
                .with_principal(Principal::service(["lambda.amazonaws.com"]))
                .with_condition(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}})),
        ]);
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            json,
            json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ReadTable",
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                        "Resource": [{"Fn::GetAtt": ["Table", "Arn"]}],
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": ["lambda.amazonaws.com"]},
                        "Action": ["sts:AssumeRole"],
                        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                    },
                ],
            })
        );
        assert_eq!(serde_json::from_value::<PolicyDocument>(json).unwrap(), doc);
    }

    #[test]
    fn single_values_and_principals_are_read() {
        let st: Statement = serde_json::from_value(json!({
            "Effect": "Deny",
            "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}, "Service": "states.amazonaws.com"},
            "Action": "kms:Decrypt",
            "Resource": {"Ref": "Key"},
        }))
        .unwrap();
        assert_eq!(st.effect, Effect::Deny);
        assert_eq!(
            st.principal,
            Some(Principal {
                aws: vec![Expr::sub("arn:aws:iam::${AWS::AccountId}:root")],
                service: vec!["states.amazonaws.com".into()],
            })
        );
        assert_eq!(st.action, vec![action("kms:Decrypt")]);
        assert_eq!(st.resource, vec![Expr::reference("Key")]);
    }

    #[test]
    fn unmodelled_fields_and_versions_are_rejected() {
        assert!(
            serde_json::from_value::<PolicyDocument>(
                json!({"Version": "2008-10-17", "Statement": []})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<Statement>(
                json!({"Effect": "Allow", "NotAction": ["s3:GetObject"], "Action": []})
            )
            .is_err()
        );
        assert!(serde_json::from_value::<Principal>(json!("*")).is_err());
    }
}
