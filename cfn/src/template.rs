//! A CloudFormation template: parameters, resources and outputs.
//!
//! Every map is a `BTreeMap`, so a template serializes with its keys
//! sorted: the same template gives the same bytes, and a diff of two
//! synthesized templates shows only what changed. The template also reads
//! back (deserializes) so `vigil synth` can start from a skeleton file and
//! tests can compare parsed templates; sections this crate does not model
//! (`Mappings`, `Transform`, `Rules`, conditions other than `Fn::Equals`)
//! are rejected rather than dropped.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::Expr;
use crate::one_or_many;
use crate::resources::ResourceProperties;

/// The only template format version CloudFormation has.
pub const TEMPLATE_FORMAT_VERSION: &str = "2010-09-09";

fn default_format_version() -> String {
    TEMPLATE_FORMAT_VERSION.to_owned()
}

/// A whole CloudFormation template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// `AWSTemplateFormatVersion`, always written; `2010-09-09`.
    #[serde(
        rename = "AWSTemplateFormatVersion",
        default = "default_format_version"
    )]
    pub aws_template_format_version: String,
    /// `Description`.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// `Metadata`, free-form.
    #[serde(rename = "Metadata", default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// `Parameters` by name; omitted when empty.
    #[serde(
        rename = "Parameters",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub parameters: BTreeMap<String, Parameter>,
    /// `Resources` by logical id; always written (CloudFormation requires it).
    #[serde(rename = "Resources")]
    pub resources: BTreeMap<LogicalId, Resource>,
    /// `Outputs` by name; omitted when empty.
    #[serde(
        rename = "Outputs",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub outputs: BTreeMap<String, Output>,
    /// `Conditions` by name (what `Fn::If` refers to); omitted when empty.
    #[serde(
        rename = "Conditions",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub conditions: BTreeMap<String, Condition>,
}

/// A condition of the template's `Conditions` section, evaluated when the
/// stack is created or updated. Only what vigil writes is modelled.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `{"Fn::Equals": [a, b]}`: the two values are the same text.
    Equals(Expr, Expr),
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Condition::Equals(a, b) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("Fn::Equals", &(a, b))?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Equals {
            #[serde(rename = "Fn::Equals")]
            equals: (Expr, Expr),
        }
        let Equals { equals: (a, b) } = Equals::deserialize(deserializer).map_err(|e| {
            de::Error::custom(format_args!(
                "a condition vigil-cfn reads is {{\"Fn::Equals\": [a, b]}}: {e}"
            ))
        })?;
        Ok(Condition::Equals(a, b))
    }
}

impl Template {
    /// An empty template of format version `2010-09-09`.
    pub fn new() -> Self {
        Template {
            aws_template_format_version: default_format_version(),
            description: None,
            metadata: None,
            parameters: BTreeMap::new(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            conditions: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) a resource; returns the one it replaced.
    pub fn insert_resource(
        &mut self,
        id: LogicalId,
        resource: impl Into<Resource>,
    ) -> Option<Resource> {
        self.resources.insert(id, resource.into())
    }

    /// The template as pretty-printed JSON ending in a newline. The same
    /// template always gives the same bytes.
    pub fn to_json_pretty(&self) -> String {
        // Serializing cannot fail: every map key is a string and no Serialize
        // impl in this crate returns an error.
        let mut json = serde_json::to_string_pretty(self)
            .expect("a Template always serializes to JSON (string keys, infallible impls)");
        json.push('\n');
        json
    }
}

impl Default for Template {
    fn default() -> Self {
        Template::new()
    }
}

/// A template parameter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// `Type`, e.g. `String`, `Number`, `AWS::SSM::Parameter::Value<String>`.
    #[serde(rename = "Type")]
    pub r#type: String,
    /// `Default`. Parameter values are strings to CloudFormation; a JSON
    /// number or boolean here (`"Default": 14`) is read as its text.
    #[serde(
        rename = "Default",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "scalar_text::option"
    )]
    pub default: Option<String>,
    /// `Description`.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// `AllowedPattern`, a Java regular expression.
    #[serde(
        rename = "AllowedPattern",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_pattern: Option<String>,
    /// `AllowedValues`; omitted when empty. Numbers and booleans are read as
    /// their text, like [`Parameter::default`].
    #[serde(
        rename = "AllowedValues",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "scalar_text::list"
    )]
    pub allowed_values: Vec<String>,
    /// `ConstraintDescription`: the message shown when a constraint fails.
    #[serde(
        rename = "ConstraintDescription",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub constraint_description: Option<String>,
    /// `NoEcho`: mask the value in the console and API.
    #[serde(rename = "NoEcho", default, skip_serializing_if = "Option::is_none")]
    pub no_echo: Option<bool>,
    /// `MinLength` (for `String`).
    #[serde(rename = "MinLength", default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// `MaxLength` (for `String`).
    #[serde(rename = "MaxLength", default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// `MinValue` (for `Number`).
    #[serde(rename = "MinValue", default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<f64>,
    /// `MaxValue` (for `Number`).
    #[serde(rename = "MaxValue", default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<f64>,
}

impl Parameter {
    /// A parameter of this `Type` with nothing else set.
    pub fn new(r#type: impl Into<String>) -> Self {
        Parameter {
            r#type: r#type.into(),
            ..Parameter::default()
        }
    }
}

/// Reading parameter values written as JSON strings, numbers or booleans.
pub(crate) mod scalar_text {
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, Visitor};

    /// A JSON scalar, as the text CloudFormation would pass as the value.
    pub(crate) struct Text(pub(crate) String);

    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Text;

                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a string, number or boolean")
                }

                fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                    Ok(Text(v.to_owned()))
                }

                fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                    Ok(Text(v.to_string()))
                }

                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                    Ok(Text(v.to_string()))
                }

                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                    Ok(Text(v.to_string()))
                }

                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                    serde_json::Number::from_f64(v)
                        .map(|n| Text(n.to_string()))
                        .ok_or_else(|| E::custom("a parameter value must be a finite number"))
                }
            }
            deserializer.deserialize_any(V)
        }
    }

    pub(super) fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Text>::deserialize(d)?.map(|t| t.0))
    }

    pub(super) fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(Vec::<Text>::deserialize(d)?
            .into_iter()
            .map(|t| t.0)
            .collect())
    }
}

/// A template output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// `Value`.
    #[serde(rename = "Value")]
    pub value: Expr,
    /// `Description`.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// `Export`: makes the value importable by other stacks.
    #[serde(rename = "Export", default, skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
}

impl Output {
    /// An output with this value and nothing else.
    pub fn new(value: impl Into<Expr>) -> Self {
        Output {
            value: value.into(),
            description: None,
            export: None,
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Exports the value under `name`.
    pub fn with_export(mut self, name: impl Into<Expr>) -> Self {
        self.export = Some(Export { name: name.into() });
        self
    }
}

/// An output's `Export`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// `Name`, unique in the account and region.
    #[serde(rename = "Name")]
    pub name: Expr,
}

/// What CloudFormation does with a resource's physical resource when the
/// resource leaves the stack (`DeletionPolicy`) or is replaced
/// (`UpdateReplacePolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeletionPolicy {
    /// Delete it (the default for most types).
    Delete,
    /// Keep it.
    Retain,
    /// Keep it unless the whole stack is being deleted.
    RetainExceptOnDelete,
    /// Snapshot it, then delete it (types that support snapshots).
    Snapshot,
}

/// One resource: its typed properties plus the resource attributes.
///
/// Written as `{"Type": ..., "Properties": {...}, "DependsOn": [...],
/// "DeletionPolicy": ..., "UpdateReplacePolicy": ..., "Metadata": ...}`;
/// reading dispatches on `Type`, and an unknown `Type` is an error naming
/// it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The properties; their variant decides the `Type`.
    pub properties: ResourceProperties,
    /// `DependsOn`, for ordering that no `Ref`/`Fn::GetAtt` implies; omitted
    /// when empty.
    pub depends_on: Vec<LogicalId>,
    /// `DeletionPolicy`.
    pub deletion_policy: Option<DeletionPolicy>,
    /// `UpdateReplacePolicy`.
    pub update_replace_policy: Option<DeletionPolicy>,
    /// `Metadata`, free-form.
    pub metadata: Option<serde_json::Value>,
}

impl Resource {
    /// A resource with these properties and no attributes.
    pub fn new(properties: impl Into<ResourceProperties>) -> Self {
        Resource {
            properties: properties.into(),
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
            metadata: None,
        }
    }

    /// The resource type, e.g. `AWS::Lambda::Function`.
    pub fn type_name(&self) -> &'static str {
        self.properties.type_name()
    }

    /// Adds a `DependsOn` entry.
    pub fn depends_on(mut self, id: LogicalId) -> Self {
        self.depends_on.push(id);
        self
    }

    /// Sets both `DeletionPolicy` and `UpdateReplacePolicy`, which is what
    /// keeping (or deleting) data safely usually needs.
    pub fn with_policies(mut self, policy: DeletionPolicy) -> Self {
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }
}

impl From<ResourceProperties> for Resource {
    fn from(properties: ResourceProperties) -> Self {
        Resource::new(properties)
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Type", self.type_name())?;
        map.serialize_entry("Properties", &self.properties)?;
        if !self.depends_on.is_empty() {
            map.serialize_entry("DependsOn", &self.depends_on)?;
        }
        if let Some(policy) = &self.deletion_policy {
            map.serialize_entry("DeletionPolicy", policy)?;
        }
        if let Some(policy) = &self.update_replace_policy {
            map.serialize_entry("UpdateReplacePolicy", policy)?;
        }
        if let Some(metadata) = &self.metadata {
            map.serialize_entry("Metadata", metadata)?;
        }
        map.end()
    }
}

/// The JSON shape of a resource before `Properties` is typed by `Type`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    #[serde(rename = "Type")]
    type_name: String,
    #[serde(rename = "Properties", default)]
    properties: Option<serde_json::Value>,
    #[serde(
        rename = "DependsOn",
        default,
        deserialize_with = "one_or_many::deserialize"
    )]
    depends_on: Vec<LogicalId>,
    #[serde(rename = "DeletionPolicy", default)]
    deletion_policy: Option<DeletionPolicy>,
    #[serde(rename = "UpdateReplacePolicy", default)]
    update_replace_policy: Option<DeletionPolicy>,
    #[serde(rename = "Metadata", default)]
    metadata: Option<serde_json::Value>,
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawResource::deserialize(deserializer)?;
        let properties = raw
            .properties
            .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
        let properties =
            ResourceProperties::from_json(&raw.type_name, properties).map_err(de::Error::custom)?;
        Ok(Resource {
            properties,
            depends_on: raw.depends_on,
            deletion_policy: raw.deletion_policy,
            update_replace_policy: raw.update_replace_policy,
            metadata: raw.metadata,
        })
    }
}

/// A resource's logical id: 1 to 255 ASCII letters and digits, as
/// CloudFormation requires. Checked when built and when read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LogicalId(String);

impl LogicalId {
    /// The longest logical id CloudFormation accepts.
    pub const MAX_LEN: usize = 255;

    /// Validates `id`.
    pub fn new(id: impl Into<String>) -> Result<Self, LogicalIdError> {
        let id = id.into();
        if id.is_empty() {
            return Err(LogicalIdError::Empty);
        }
        if let Some(c) = id.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(LogicalIdError::InvalidChar { id, c });
        }
        if id.len() > Self::MAX_LEN {
            return Err(LogicalIdError::TooLong { len: id.len(), id });
        }
        Ok(LogicalId(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{"Ref": id}`.
    pub fn reference(&self) -> Expr {
        Expr::reference(&self.0)
    }

    /// `{"Fn::GetAtt": [id, attribute]}`.
    pub fn get_att(&self, attribute: impl Into<String>) -> Expr {
        Expr::get_att(&self.0, attribute)
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for LogicalId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LogicalId {
    type Error = LogicalIdError;

    fn try_from(id: String) -> Result<Self, Self::Error> {
        LogicalId::new(id)
    }
}

impl TryFrom<&str> for LogicalId {
    type Error = LogicalIdError;

    fn try_from(id: &str) -> Result<Self, Self::Error> {
        LogicalId::new(id)
    }
}

impl From<LogicalId> for String {
    fn from(id: LogicalId) -> String {
        id.0
    }
}

/// Why a string is not a [`LogicalId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogicalIdError {
    /// The empty string.
    #[error("a logical id cannot be empty")]
    Empty,
    /// A character other than an ASCII letter or digit.
    #[error("logical id `{id}` contains {c:?}; only ASCII letters and digits are allowed")]
    InvalidChar {
        /// The rejected id.
        id: String,
        /// The first offending character.
        c: char,
    },
    /// Longer than [`LogicalId::MAX_LEN`].
    #[error("logical id `{id}` is {len} characters long; at most 255 are allowed")]
    TooLong {
        /// The rejected id.
        id: String,
        /// Its length.
        len: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;
    use crate::iam::{IamAction, PolicyDocument, Principal, Statement};
    use crate::resources::{iam, lambda, logs};
    use serde_json::json;

    fn id(s: &str) -> LogicalId {
        LogicalId::new(s).unwrap()
    }

    fn sample() -> Template {
        let mut t = Template::new();
        t.description = Some("vigil test".into());
        t.parameters.insert(
            "ArtifactBucket".into(),
            Parameter {
                description: Some("Where bootstrap.zip is".into()),
                min_length: Some(3),
                ..Parameter::new("String")
            },
        );
        t.insert_resource(
            id("Logs"),
            Resource::new(logs::LogGroup {
                retention_in_days: Some(Value::Lit(14)),
                ..Default::default()
            })
            .with_policies(DeletionPolicy::Retain),
        );
        let assume = PolicyDocument::new(vec![
            Statement::allow(vec![IamAction::new("sts:AssumeRole").unwrap()], vec![])
                .with_principal(Principal::service(["lambda.amazonaws.com"])),
        ]);
        t.insert_resource(
            id("Role"),
            Resource::new(iam::Role {
                assume_role_policy_document: assume,
                ..Default::default()
            }),
        );
        t.insert_resource(
            id("Provider"),
            Resource::new(lambda::Function {
                code: lambda::function::Code {
                    s3_bucket: Some(Expr::reference("ArtifactBucket")),
                    s3_key: Some("bootstrap.zip".into()),
                    ..Default::default()
                },
                role: id("Role").get_att("Arn"),
                runtime: Some("provided.al2023".into()),
                handler: Some("bootstrap".into()),
                ..Default::default()
            })
            .depends_on(id("Logs")),
        );
        t.outputs.insert(
            "ProviderArn".into(),
            Output::new(id("Provider").get_att("Arn"))
                .with_description("The assertion provider")
                .with_export(Expr::sub("${AWS::StackName}-ProviderArn")),
        );
        t
    }

    #[test]
    fn template_round_trips() {
        let t = sample();
        let json = t.to_json_pretty();
        let back: Template = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.to_json_pretty(), json);
    }

    #[test]
    fn output_is_deterministic_and_sorted() {
        let json = sample().to_json_pretty();
        assert!(json.ends_with("}\n"));
        // Building the same template again (inserting in another order) gives the same bytes.
        let mut other = sample();
        let provider = other.resources.remove(&id("Provider")).unwrap();
        let logs = other.resources.remove(&id("Logs")).unwrap();
        other.insert_resource(id("Provider"), provider);
        other.insert_resource(id("Logs"), logs);
        assert_eq!(other.to_json_pretty(), json);
        let logs_at = json.find("\"Logs\"").unwrap();
        let provider_at = json.find("\"Provider\"").unwrap();
        let role_at = json.find("\"Role\"").unwrap();
        assert!(logs_at < provider_at && provider_at < role_at);
    }

    #[test]
    fn rendered_template_snapshot() {
        insta::assert_snapshot!(sample().to_json_pretty());
    }

    #[test]
    fn empty_sections_are_omitted_but_resources_stay() {
        let json: serde_json::Value =
            serde_json::from_str(&Template::new().to_json_pretty()).unwrap();
        assert_eq!(
            json,
            json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})
        );
    }

    #[test]
    fn unknown_resource_type_is_named_in_the_error() {
        let err = serde_json::from_value::<Template>(json!({
            "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}},
        }))
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("unknown resource type `AWS::SQS::Queue`"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_properties_name_the_type() {
        let err = serde_json::from_value::<Resource>(json!({
            "Type": "AWS::Logs::LogGroup", "Properties": {"RetentionDays": 5},
        }))
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`AWS::Logs::LogGroup`") && msg.contains("RetentionDays"),
            "{msg}"
        );
    }

    #[test]
    fn resource_attributes_are_read() {
        let r: Resource = serde_json::from_value(json!({
            "Type": "AWS::Logs::LogGroup",
            "DependsOn": "Role",
            "DeletionPolicy": "Retain",
            "Metadata": {"vigil": true},
        }))
        .unwrap();
        assert_eq!(r.type_name(), "AWS::Logs::LogGroup");
        assert_eq!(r.depends_on, vec![id("Role")]);
        assert_eq!(r.deletion_policy, Some(DeletionPolicy::Retain));
        assert_eq!(r.update_replace_policy, None);
        assert_eq!(r.metadata, Some(json!({"vigil": true})));
        assert!(
            serde_json::from_value::<Resource>(
                json!({"Type": "AWS::Logs::LogGroup", "Condition": "X"})
            )
            .is_err()
        );
    }

    #[test]
    fn unmodelled_sections_are_rejected() {
        assert!(
            serde_json::from_value::<Template>(json!({"Resources": {}, "Mappings": {}})).is_err()
        );
        let missing = serde_json::from_value::<Template>(json!({})).unwrap_err();
        assert!(missing.to_string().contains("Resources"), "{missing}");
    }

    #[test]
    fn numeric_parameter_values_are_read_as_text() {
        let p: Parameter = serde_json::from_value(json!({
            "Type": "Number", "Default": 14, "AllowedValues": [1, 14, 30.5, "60"],
            "MinValue": 1, "NoEcho": false,
        }))
        .unwrap();
        assert_eq!(p.default.as_deref(), Some("14"));
        assert_eq!(p.allowed_values, ["1", "14", "30.5", "60"]);
        assert_eq!(p.min_value, Some(1.0));
        assert!(
            serde_json::from_value::<Parameter>(json!({"Type": "String", "Default": {"a": 1}}))
                .is_err()
        );
    }

    #[test]
    fn logical_ids_are_validated() {
        assert_eq!(id("Provider2").as_str(), "Provider2");
        assert_eq!(LogicalId::new(""), Err(LogicalIdError::Empty));
        assert_eq!(
            LogicalId::new("my-bucket"),
            Err(LogicalIdError::InvalidChar {
                id: "my-bucket".into(),
                c: '-'
            })
        );
        assert!(matches!(
            LogicalId::new("Ünicode"),
            Err(LogicalIdError::InvalidChar { c: 'Ü', .. })
        ));
        assert!(LogicalId::new("A".repeat(255)).is_ok());
        assert!(matches!(
            LogicalId::new("A".repeat(256)),
            Err(LogicalIdError::TooLong { len: 256, .. })
        ));
        let err = serde_json::from_value::<Template>(json!({
            "Resources": {"my_bucket": {"Type": "AWS::S3::Bucket"}},
        }))
        .unwrap_err();
        assert!(err.to_string().contains("`my_bucket`"), "{err}");
        assert!(serde_json::from_value::<LogicalId>(json!("Ok1")).is_ok());
    }
}
