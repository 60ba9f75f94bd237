//! Typed CloudFormation templates for vigil.
//!
//! `vigil synth` writes the CloudFormation template that deploys a suite's
//! state machine, its assertion-provider Lambda and their IAM roles. This
//! crate is how it writes it, with three guarantees a `serde_json::json!`
//! blob cannot give:
//!
//! - **Typed properties.** [`resources`] has one struct per property set of
//!   the resource types vigil emits, generated from the CloudFormation
//!   resource provider schemas (by `scripts/gen-cfn-types.py`, from the
//!   schemas cfn-lint ships), so a misspelt or misplaced property does not
//!   compile and reading a template back rejects unknown properties.
//! - **Intrinsic functions are types.** `Ref`, `Fn::GetAtt`, `Fn::Sub`,
//!   `Fn::ImportValue` and `Fn::Join` are variants of [`Expr`], not strings
//!   that happen to look like JSON; numbers and booleans are [`Value`]s,
//!   a literal or an intrinsic.
//! - **No wildcard IAM actions.** Every policy is an
//!   [`iam::PolicyDocument`] whose actions are [`iam::IamAction`]s, which
//!   refuse `*` and `?`.
//!
//! And the output is deterministic: all maps are `BTreeMap`s, so the same
//! [`Template`] always serializes to the same bytes
//! ([`Template::to_json_pretty`]), and templates diff cleanly.
//!
//! ```
//! use vigil_cfn::resources::logs;
//! use vigil_cfn::{Expr, LogicalId, Output, Resource, Template, Value};
//!
//! let logs_id = LogicalId::new("ProviderLogs")?;
//! let mut template = Template::new();
//! template.insert_resource(
//!     logs_id.clone(),
//!     Resource::new(logs::LogGroup {
//!         retention_in_days: Some(Value::Lit(30)),
//!         ..Default::default()
//!     }),
//! );
//! template.outputs.insert(
//!     "ProviderLogsArn".into(),
//!     Output::new(Expr::get_att(logs_id.as_str(), "Arn")),
//! );
//!
//! assert_eq!(
//!     template.to_json_pretty(),
//!     r#"{
//!   "AWSTemplateFormatVersion": "2010-09-09",
//!   "Resources": {
//!     "ProviderLogs": {
//!       "Type": "AWS::Logs::LogGroup",
//!       "Properties": {
//!         "RetentionInDays": 30
//!       }
//!     }
//!   },
//!   "Outputs": {
//!     "ProviderLogsArn": {
//!       "Value": {
//!         "Fn::GetAtt": [
//!           "ProviderLogs",
//!           "Arn"
//!         ]
//!       }
//!     }
//!   }
//! }
//! "#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod iam;
pub mod intrinsic;
mod one_or_many;
pub mod resources;
pub mod template;

pub use intrinsic::{Expr, Value};
pub use resources::{PropertiesError, ResourceProperties};
pub use template::{
    Condition, DeletionPolicy, Export, LogicalId, LogicalIdError, Output, Parameter, Resource,
    Template,
};

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use crate::resources::lambda::{self, function};
    use crate::{Expr, Resource, ResourceProperties, Value};

    /// A generated struct round trip: a Lambda function as vigil deploys it.
    #[test]
    fn lambda_function_round_trips() {
        let f = lambda::Function {
            code: function::Code {
                s3_bucket: Some(Expr::reference("ArtifactBucket")),
                s3_key: Some(Expr::sub("vigil/${Version}/bootstrap.zip")),
                ..Default::default()
            },
            role: Expr::get_att("ProviderRole", "Arn"),
            runtime: Some("provided.al2023".into()),
            handler: Some("bootstrap".into()),
            architectures: Some(vec!["x86_64".into()]),
            memory_size: Some(Value::Lit(256)),
            timeout: Some(Value::Lit(60)),
            environment: Some(function::Environment {
                variables: Some(BTreeMap::from([
                    ("RUST_LOG".to_owned(), Expr::from("info")),
                    ("STACK".to_owned(), Expr::reference("AWS::StackName")),
                ])),
            }),
            ..Default::default()
        };
        let expected = json!({
            "Architectures": ["x86_64"],
            "Code": {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": {"Fn::Sub": "vigil/${Version}/bootstrap.zip"}},
            "Environment": {"Variables": {"RUST_LOG": "info", "STACK": {"Ref": "AWS::StackName"}}},
            "Handler": "bootstrap",
            "MemorySize": 256,
            "Role": {"Fn::GetAtt": ["ProviderRole", "Arn"]},
            "Runtime": "provided.al2023",
            "Timeout": 60,
        });
        assert_eq!(serde_json::to_value(&f).unwrap(), expected);
        assert_eq!(
            serde_json::from_value::<lambda::Function>(expected.clone()).unwrap(),
            f
        );

        let resource: Resource = serde_json::from_value(json!({
            "Type": "AWS::Lambda::Function",
            "Properties": expected,
        }))
        .unwrap();
        assert_eq!(resource.properties, ResourceProperties::from(f));
    }

    #[test]
    fn generated_structs_reject_unknown_and_missing_properties() {
        let err = serde_json::from_value::<lambda::Function>(json!({
            "Code": {}, "Role": "arn", "MemorySizeMb": 1,
        }))
        .unwrap_err();
        assert!(err.to_string().contains("MemorySizeMb"), "{err}");
        let err = serde_json::from_value::<lambda::Function>(json!({"Code": {}})).unwrap_err();
        assert!(err.to_string().contains("`Role`"), "{err}");
    }

    #[test]
    fn every_type_name_dispatches_to_its_variant() {
        for &name in ResourceProperties::TYPE_NAMES {
            // Properties are irrelevant to the dispatch; an error must still
            // be about properties, never an unknown type.
            match ResourceProperties::from_json(name, json!({})) {
                Ok(p) => assert_eq!(p.type_name(), name),
                Err(e) => assert!(
                    matches!(e, crate::PropertiesError::Invalid { type_name, .. } if type_name == name)
                ),
            }
        }
    }
}
