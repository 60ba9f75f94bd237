//! CloudFormation intrinsic functions as Rust values.
//!
//! A property that CloudFormation documents as a string can hold a literal
//! *or* a function CloudFormation evaluates at deploy time (`Ref`,
//! `Fn::GetAtt`, ...). Writing those functions as hand-made JSON strings or
//! maps is how typos reach a deploy; [`Expr`] makes each one a variant with
//! exactly the arguments it takes, and its serde impls read and write the
//! one JSON shape CloudFormation expects. [`Value`] does the same for
//! numbers and booleans, which are literals or an intrinsic.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A CloudFormation string: a literal or an intrinsic function yielding one.
///
/// Serialized as CloudFormation JSON: `"text"`, `{"Ref": "Id"}`,
/// `{"Fn::GetAtt": ["Id", "Attr"]}`, `{"Fn::Sub": "..."}` or
/// `{"Fn::Sub": ["...", {"Var": ...}]}`, `{"Fn::ImportValue": ...}`,
/// `{"Fn::Join": ["sep", [...]]}`. Reading also accepts the `"Id.Attr"`
/// string form of `Fn::GetAtt`; any other function is an error, never a
/// silently kept blob.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A literal string.
    Str(String),
    /// `{"Ref": name}`: a parameter's value, a resource's primary id, or a
    /// pseudo parameter such as `AWS::Region`.
    Ref(String),
    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    GetAtt(String, String),
    /// `{"Fn::Sub": template}`: `${Name}` placeholders resolve like `Ref`
    /// (or `Fn::GetAtt` for `${Id.Attr}`). Escape literal text with
    /// [`Expr::sub_escape`].
    Sub(String),
    /// `{"Fn::Sub": [template, variables]}`: placeholders may also name the
    /// given variables.
    SubWith(String, BTreeMap<String, Expr>),
    /// `{"Fn::ImportValue": export_name}`: another stack's exported output.
    ImportValue(Box<Expr>),
    /// `{"Fn::Join": [separator, parts]}`.
    Join(String, Vec<Expr>),
    /// `{"Fn::Split": [separator, text]}`: a list of strings.
    Split(String, Box<Expr>),
    /// `{"Fn::Select": [index, list]}`: one element of a list.
    Select(u32, Box<Expr>),
    /// `{"Fn::If": [condition, then, else]}`: one of two values, by a
    /// condition of the template's `Conditions` section.
    If(String, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// `{"Ref": name}`.
    pub fn reference(name: impl Into<String>) -> Self {
        Expr::Ref(name.into())
    }

    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    pub fn get_att(logical_id: impl Into<String>, attribute: impl Into<String>) -> Self {
        Expr::GetAtt(logical_id.into(), attribute.into())
    }

    /// `{"Fn::Sub": template}`.
    pub fn sub(template: impl Into<String>) -> Self {
        Expr::Sub(template.into())
    }

    /// `{"Fn::Sub": [template, variables]}`.
    pub fn sub_with(template: impl Into<String>, variables: BTreeMap<String, Expr>) -> Self {
        Expr::SubWith(template.into(), variables)
    }

    /// `{"Fn::ImportValue": export_name}`.
    pub fn import_value(export_name: impl Into<Expr>) -> Self {
        Expr::ImportValue(Box::new(export_name.into()))
    }

    /// `{"Fn::Join": [separator, parts]}`.
    pub fn join(separator: impl Into<String>, parts: Vec<Expr>) -> Self {
        Expr::Join(separator.into(), parts)
    }

    /// `{"Fn::Split": [separator, text]}`.
    pub fn split(separator: impl Into<String>, text: Expr) -> Self {
        Expr::Split(separator.into(), Box::new(text))
    }

    /// `{"Fn::Select": [index, list]}`.
    pub fn select(index: u32, list: Expr) -> Self {
        Expr::Select(index, Box::new(list))
    }

    /// `{"Fn::If": [condition, then, otherwise]}`.
    pub fn if_(condition: impl Into<String>, then: Expr, otherwise: Expr) -> Self {
        Expr::If(condition.into(), Box::new(then), Box::new(otherwise))
    }

    /// Escapes `text` so that inside an `Fn::Sub` template it stays literal.
    ///
    /// `Fn::Sub` reads every `${` as the start of a placeholder and writes
    /// `${!` as a literal `${`, so each `${` becomes `${!`. Any text a user
    /// wrote (a test name, a JSON payload) goes through this before it is
    /// spliced into a template.
    pub fn sub_escape(text: &str) -> String {
        text.replace("${", "${!")
    }

    /// The literal string, if this is one.
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Expr::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The empty literal string (so generated property structs can derive `Default`).
impl Default for Expr {
    fn default() -> Self {
        Expr::Str(String::new())
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::Str(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::Str(s)
    }
}

impl From<&String> for Expr {
    fn from(s: &String) -> Self {
        Expr::Str(s.clone())
    }
}

fn single_key<S: Serializer, V: Serialize + ?Sized>(
    serializer: S,
    key: &str,
    value: &V,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, value)?;
    map.end()
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::Str(s) => serializer.serialize_str(s),
            Expr::Ref(name) => single_key(serializer, "Ref", name),
            Expr::GetAtt(id, attribute) => single_key(serializer, "Fn::GetAtt", &[id, attribute]),
            Expr::Sub(template) => single_key(serializer, "Fn::Sub", template),
            Expr::SubWith(template, variables) => {
                single_key(serializer, "Fn::Sub", &(template, variables))
            }
            Expr::ImportValue(name) => single_key(serializer, "Fn::ImportValue", name),
            Expr::Join(separator, parts) => single_key(serializer, "Fn::Join", &(separator, parts)),
            Expr::Split(separator, text) => single_key(serializer, "Fn::Split", &(separator, text)),
            Expr::Select(index, list) => single_key(serializer, "Fn::Select", &(index, list)),
            Expr::If(condition, then, otherwise) => {
                single_key(serializer, "Fn::If", &(condition, then, otherwise))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ExprVisitor)
    }
}

struct ExprVisitor;

impl<'de> Visitor<'de> for ExprVisitor {
    type Value = Expr;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or an intrinsic function object (Ref, Fn::GetAtt, Fn::Sub, Fn::ImportValue, Fn::Join, Fn::Split, Fn::Select, Fn::If)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Expr, E> {
        Ok(Expr::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Expr, E> {
        Ok(Expr::Str(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Expr, A::Error> {
        let Some(function) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                "an empty object is not an intrinsic function",
            ));
        };
        let expr = match function.as_str() {
            "Ref" => Expr::Ref(map.next_value()?),
            "Fn::GetAtt" => {
                let GetAttArgs(id, attribute) = map.next_value()?;
                Expr::GetAtt(id, attribute)
            }
            "Fn::Sub" => match map.next_value()? {
                SubArgs::Plain(template) => Expr::Sub(template),
                SubArgs::With(template, variables) => Expr::SubWith(template, variables),
            },
            "Fn::ImportValue" => Expr::ImportValue(map.next_value()?),
            "Fn::Join" => {
                let (separator, parts): (String, Vec<Expr>) = map.next_value()?;
                Expr::Join(separator, parts)
            }
            "Fn::Split" => {
                let (separator, text): (String, Expr) = map.next_value()?;
                Expr::split(separator, text)
            }
            "Fn::Select" => {
                // CloudFormation takes the index as a number or its text.
                let (index, list): (crate::template::scalar_text::Text, Expr) = map.next_value()?;
                let index = index.0.parse::<u32>().map_err(|_| {
                    de::Error::custom(format_args!(
                        "Fn::Select takes a non-negative index, not `{}`",
                        index.0
                    ))
                })?;
                Expr::select(index, list)
            }
            "Fn::If" => {
                let (condition, then, otherwise): (String, Expr, Expr) = map.next_value()?;
                Expr::if_(condition, then, otherwise)
            }
            other => {
                return Err(de::Error::custom(format_args!(
                    "unsupported intrinsic function `{other}` (vigil-cfn reads Ref, Fn::GetAtt, Fn::Sub, Fn::ImportValue, Fn::Join, Fn::Split, Fn::Select, Fn::If)"
                )));
            }
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format_args!(
                "an intrinsic function object has exactly one key; `{function}` came with `{extra}`"
            )));
        }
        Ok(expr)
    }
}

/// The argument of `Fn::GetAtt`: `[id, attribute]` or `"id.attribute"`.
struct GetAttArgs(String, String);

impl<'de> Deserialize<'de> for GetAttArgs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GetAttArgs;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("Fn::GetAtt arguments: [\"LogicalId\", \"Attribute\"] or \"LogicalId.Attribute\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<GetAttArgs, E> {
                // Logical ids are alphanumeric, so the first dot ends the id;
                // attributes may contain dots (`Endpoint.Address`).
                match v.split_once('.') {
                    Some((id, attribute)) if !id.is_empty() && !attribute.is_empty() => {
                        Ok(GetAttArgs(id.to_owned(), attribute.to_owned()))
                    }
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<GetAttArgs, A::Error> {
                let id: String = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let attribute: String = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                Ok(GetAttArgs(id, attribute))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The argument of `Fn::Sub`: `"template"` or `["template", {variables}]`.
enum SubArgs {
    Plain(String),
    With(String, BTreeMap<String, Expr>),
}

impl<'de> Deserialize<'de> for SubArgs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SubArgs;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("Fn::Sub arguments: \"template\" or [\"template\", {variables}]")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<SubArgs, E> {
                Ok(SubArgs::Plain(v.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SubArgs, A::Error> {
                let template: String = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let variables: BTreeMap<String, Expr> = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                Ok(SubArgs::With(template, variables))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A CloudFormation number or boolean: a literal `T` or an intrinsic.
///
/// The schemas allow an intrinsic wherever a scalar goes (`"MemorySize":
/// {"Ref": "Memory"}`). A literal is written as the plain JSON value, an
/// intrinsic as its object; reading takes a JSON object as an [`Expr`] and
/// anything else as `T`. Meant for scalar `T`: a `T` that is itself a JSON
/// object would be read as an `Expr`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<T> {
    /// A literal value.
    Lit(T),
    /// An intrinsic function CloudFormation evaluates to the value.
    Expr(Expr),
}

impl<T: Default> Default for Value<T> {
    fn default() -> Self {
        Value::Lit(T::default())
    }
}

impl<T> From<T> for Value<T> {
    fn from(v: T) -> Self {
        Value::Lit(v)
    }
}

impl<T: Serialize> Serialize for Value<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Lit(v) => v.serialize(serializer),
            Value::Expr(e) => e.serialize(serializer),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Value<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        if json.is_object() {
            Expr::deserialize(json)
                .map(Value::Expr)
                .map_err(de::Error::custom)
        } else {
            T::deserialize(json)
                .map(Value::Lit)
                .map_err(de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(expr: Expr, expected: serde_json::Value) {
        assert_eq!(serde_json::to_value(&expr).unwrap(), expected);
        assert_eq!(serde_json::from_value::<Expr>(expected).unwrap(), expr);
    }

    #[test]
    fn split_select_and_if() {
        let first = Expr::select(0, Expr::split(":", Expr::reference("Secret")));
        round_trip(
            first.clone(),
            json!({"Fn::Select": [0, {"Fn::Split": [":", {"Ref": "Secret"}]}]}),
        );
        // The index may be written as text, as CloudFormation allows.
        assert_eq!(
            serde_json::from_value::<Expr>(
                json!({"Fn::Select": ["0", {"Fn::Split": [":", {"Ref": "Secret"}]}]})
            )
            .unwrap(),
            first
        );
        let bad = serde_json::from_value::<Expr>(json!({"Fn::Select": ["-1", {"Ref": "L"}]}))
            .unwrap_err();
        assert!(bad.to_string().contains("non-negative index"), "{bad}");
        round_trip(
            Expr::if_(
                "SecretIsArn",
                Expr::sub("${Secret}"),
                Expr::sub("arn:x:${Secret}"),
            ),
            json!({"Fn::If": ["SecretIsArn", {"Fn::Sub": "${Secret}"}, {"Fn::Sub": "arn:x:${Secret}"}]}),
        );
    }

    #[test]
    fn literal_is_a_plain_string() {
        round_trip(Expr::from("text"), json!("text"));
        assert_eq!(Expr::from(String::from("x")), Expr::Str("x".into()));
    }

    #[test]
    fn ref_and_get_att() {
        round_trip(Expr::reference("Bucket"), json!({"Ref": "Bucket"}));
        round_trip(
            Expr::get_att("Role", "Arn"),
            json!({"Fn::GetAtt": ["Role", "Arn"]}),
        );
    }

    #[test]
    fn get_att_dotted_form_is_read() {
        let e: Expr = serde_json::from_value(json!({"Fn::GetAtt": "Db.Endpoint.Address"})).unwrap();
        assert_eq!(e, Expr::get_att("Db", "Endpoint.Address"));
        for bad in [
            json!("NoDot"),
            json!(".Arn"),
            json!("Role."),
            json!(["Role"]),
            json!(["A", "B", "C"]),
        ] {
            let err = serde_json::from_value::<Expr>(json!({"Fn::GetAtt": bad})).unwrap_err();
            assert!(err.to_string().contains("Fn::GetAtt"), "{err}");
        }
    }

    #[test]
    fn sub_plain_and_with_variables() {
        round_trip(
            Expr::sub("arn:aws:s3:::${Bucket}/*"),
            json!({"Fn::Sub": "arn:aws:s3:::${Bucket}/*"}),
        );
        let vars = BTreeMap::from([
            ("Name".to_owned(), Expr::reference("Param")),
            ("Arn".to_owned(), Expr::get_att("Fn", "Arn")),
        ]);
        round_trip(
            Expr::sub_with("${Name}-${Arn}", vars),
            json!({"Fn::Sub": ["${Name}-${Arn}", {
                "Arn": {"Fn::GetAtt": ["Fn", "Arn"]},
                "Name": {"Ref": "Param"},
            }]}),
        );
    }

    #[test]
    fn import_value_and_join() {
        round_trip(
            Expr::import_value(Expr::sub("${Stage}-TableName")),
            json!({"Fn::ImportValue": {"Fn::Sub": "${Stage}-TableName"}}),
        );
        round_trip(
            Expr::join(":", vec!["a".into(), Expr::reference("AWS::Region")]),
            json!({"Fn::Join": [":", ["a", {"Ref": "AWS::Region"}]]}),
        );
    }

    #[test]
    fn unknown_or_malformed_functions_are_errors() {
        let err = serde_json::from_value::<Expr>(json!({"Fn::Base64": "a"})).unwrap_err();
        assert!(err.to_string().contains("`Fn::Base64`"), "{err}");
        let err = serde_json::from_value::<Expr>(json!({"Ref": "A", "Fn::Sub": "b"})).unwrap_err();
        assert!(err.to_string().contains("exactly one key"), "{err}");
        assert!(serde_json::from_value::<Expr>(json!({})).is_err());
        assert!(serde_json::from_value::<Expr>(json!(5)).is_err());
        assert!(serde_json::from_value::<Expr>(json!({"Ref": 5})).is_err());
    }

    #[test]
    fn sub_escape_keeps_user_text_literal() {
        assert_eq!(Expr::sub_escape("plain"), "plain");
        assert_eq!(Expr::sub_escape("${AWS::Region}"), "${!AWS::Region}");
        assert_eq!(
            Expr::sub_escape(r#"{"a":"${x}","b":"$ {y}","c":"${!z}"}"#),
            r#"{"a":"${!x}","b":"$ {y}","c":"${!!z}"}"#
        );
    }

    #[test]
    fn value_literal_or_intrinsic() {
        let lit: Value<i64> = 512.into();
        assert_eq!(serde_json::to_value(&lit).unwrap(), json!(512));
        let by_ref: Value<i64> = Value::Expr(Expr::reference("Memory"));
        assert_eq!(
            serde_json::to_value(&by_ref).unwrap(),
            json!({"Ref": "Memory"})
        );
        assert_eq!(
            serde_json::from_value::<Value<i64>>(json!(512)).unwrap(),
            lit
        );
        assert_eq!(
            serde_json::from_value::<Value<i64>>(json!({"Ref": "Memory"})).unwrap(),
            by_ref
        );
        assert_eq!(
            serde_json::from_value::<Value<bool>>(json!(true)).unwrap(),
            Value::Lit(true)
        );
        assert_eq!(
            serde_json::from_value::<Value<f64>>(json!(0.1)).unwrap(),
            Value::Lit(0.1)
        );
        assert!(serde_json::from_value::<Value<i64>>(json!("512")).is_err());
        assert!(serde_json::from_value::<Value<bool>>(json!({"Fn::If": []})).is_err());
    }
}
