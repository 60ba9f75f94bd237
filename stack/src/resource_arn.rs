//! The resource a grant names, when a stack parameter may hold a name or
//! an ARN.
//!
//! A narrowed grant builds an ARN from a name (`table/${TaskTable}`,
//! `secret:${PasswordSecret}-??????`). That is right only when the value
//! is a name; CDK apps often output ARNs (ABCA's `GitHubTokenSecretArn`),
//! and the ARN built around an ARN matches nothing, so the provider gets
//! AccessDenied on a real account (moto does not enforce it). A value
//! known at synth is decided at synth ([`crate::narrow`]); a value bound
//! at deploy (a stack parameter) becomes an `Fn::If` on a condition that
//! CloudFormation evaluates with the bound value: the parameter's text up
//! to its first `:` is `arn`.

use std::collections::BTreeSet;

use vigil_cfn::{Condition, Expr};

use crate::sub_text::SubText;

/// What a grant is on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceArn {
    /// One ARN (or `*`), as Sub text.
    Fixed(SubText),
    /// The stack parameter `param` used as an ARN when it holds one
    /// (`as_arn`), else built into one from a name (`as_name`).
    NameOrArn {
        /// The template parameter.
        param: String,
        /// The resource when the parameter holds an ARN.
        as_arn: SubText,
        /// The resource when it holds a name.
        as_name: SubText,
    },
}

impl From<SubText> for ResourceArn {
    fn from(s: SubText) -> Self {
        ResourceArn::Fixed(s)
    }
}

impl ResourceArn {
    /// True for `*`.
    pub fn is_wildcard(&self) -> bool {
        matches!(self, ResourceArn::Fixed(s) if s.is_wildcard())
    }

    /// The same change to both forms (e.g. a DynamoDB index below its
    /// table).
    pub fn map(self, f: impl Fn(SubText) -> SubText) -> ResourceArn {
        match self {
            ResourceArn::Fixed(s) => ResourceArn::Fixed(f(s)),
            ResourceArn::NameOrArn {
                param,
                as_arn,
                as_name,
            } => ResourceArn::NameOrArn {
                param,
                as_arn: f(as_arn),
                as_name: f(as_name),
            },
        }
    }

    /// The name of the template condition that tells the forms apart.
    pub fn condition_name(param: &str) -> String {
        format!("{param}IsArn")
    }

    /// The condition: the parameter's text before its first `:` is `arn`
    /// (a name of any resource vigil narrows cannot contain `:`).
    pub fn condition(param: &str) -> Condition {
        Condition::Equals(
            Expr::select(0, Expr::split(":", Expr::reference(param))),
            Expr::Str("arn".into()),
        )
    }

    /// The policy's `Resource` entry.
    pub fn to_expr(&self) -> Expr {
        let sub = |s: &SubText| match s.plain() {
            Some(p) => Expr::Str(p),
            None => Expr::sub(s.as_str()),
        };
        match self {
            ResourceArn::Fixed(s) => sub(s),
            ResourceArn::NameOrArn {
                param,
                as_arn,
                as_name,
            } => Expr::if_(
                ResourceArn::condition_name(param),
                sub(as_arn),
                sub(as_name),
            ),
        }
    }

    /// The parameters whose condition a set of resources needs.
    pub fn conditions<'a>(
        resources: impl IntoIterator<Item = &'a ResourceArn>,
    ) -> BTreeSet<String> {
        resources
            .into_iter()
            .filter_map(|r| match r {
                ResourceArn::NameOrArn { param, .. } => Some(param.clone()),
                ResourceArn::Fixed(_) => None,
            })
            .collect()
    }
}

impl std::fmt::Display for ResourceArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResourceArn::Fixed(s) => write!(f, "{s}"),
            ResourceArn::NameOrArn {
                as_arn, as_name, ..
            } => write!(f, "{as_arn} if it holds an ARN, else {as_name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_parameter_becomes_an_if_on_its_own_condition() {
        let secret = ResourceArn::NameOrArn {
            param: "PasswordSecret".into(),
            as_arn: SubText::raw("${PasswordSecret}"),
            as_name: SubText::raw(
                "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${PasswordSecret}-??????",
            ),
        };
        assert_eq!(
            serde_json::to_value(secret.to_expr()).unwrap(),
            json!({"Fn::If": ["PasswordSecretIsArn",
                {"Fn::Sub": "${PasswordSecret}"},
                {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${PasswordSecret}-??????"}]})
        );
        assert_eq!(
            serde_json::to_value(ResourceArn::condition("PasswordSecret")).unwrap(),
            json!({"Fn::Equals": [{"Fn::Select": [0, {"Fn::Split": [":", {"Ref": "PasswordSecret"}]}]}, "arn"]})
        );
        let index = secret.map(|s| s.then("/index/*"));
        let ResourceArn::NameOrArn {
            as_arn, as_name, ..
        } = &index
        else {
            panic!("{index:?}")
        };
        assert!(
            as_arn.as_str().ends_with("}/index/*") && as_name.as_str().ends_with("-??????/index/*")
        );
        assert_eq!(
            ResourceArn::conditions([&index, &ResourceArn::Fixed(SubText::raw("*"))]),
            BTreeSet::from(["PasswordSecret".to_owned()])
        );
        assert!(ResourceArn::Fixed(SubText::raw("*")).is_wildcard() && !index.is_wildcard());
    }
}
