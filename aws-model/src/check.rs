//! A call's `params` against its operation's input shape.
//!
//! The provider sends `params` to the service as they are (no SDK
//! serializer in between), so what botocore's model says the service reads
//! is what the JSON must be: known members, the required ones present, a
//! union with exactly one member set, strings where the model has strings
//! (DynamoDB's `{"S": 1001}` is refused by the service), numbers where it has
//! numbers, enum values it lists. Every problem is reported, each with its
//! path, so a suite is fixed in one round.
//!
//! A `null` member counts as absent, as the awsJson protocols read it.
//! Timestamps may be epoch seconds or text; lengths and patterns are left
//! to the service.
//!
//! A string holding a `${...}` template is typed by what it can fill in
//! ([`TemplateKind`], decided by the caller, who knows the suite's
//! parameters): a number parameter where the model wants a string is an
//! error, a capture (whose type is known only at run time) is not, and an
//! enum is not checked against a value not known yet.

use std::fmt;

use serde_json::Value;

use crate::inputs::{self, Scalar, ServiceInputs, Shape, ShapeRef};

/// What a string in `params` is, as far as templates go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    /// No template: the string is sent as written.
    Literal,
    /// Text: a template inside longer text, or a whole-string template of a
    /// string parameter.
    Text,
    /// A whole-string template of a number parameter.
    Number,
    /// A whole-string template of a boolean parameter.
    Boolean,
    /// A whole-string template of a JSON parameter or of a capture: any
    /// JSON value.
    Any,
}

/// One step of a path into `params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// What the model wants at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// An object of the named structure.
    Structure(String),
    /// An array.
    List,
    /// An object with free keys.
    Map,
    /// A scalar.
    Scalar(Scalar),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Structure(name) => write!(f, "an object (`{name}`)"),
            Expected::List => f.write_str("an array"),
            Expected::Map => f.write_str("an object"),
            Expected::Scalar(s) => f.write_str(match s {
                Scalar::String => "a string",
                Scalar::Integer | Scalar::Long => "a whole number",
                Scalar::Double | Scalar::Float => "a number",
                Scalar::Boolean => "true or false",
                Scalar::Timestamp => "a timestamp (epoch seconds, or text)",
                Scalar::Blob => "base64 text",
            }),
        }
    }
}

/// What a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The operation has no input at all, and `params` has members.
    NoInput,
    /// A member the structure does not have.
    UnknownMember {
        /// The member as written.
        name: String,
        /// The structure's name.
        shape: String,
        /// The members it has, sorted.
        known: Vec<String>,
    },
    /// A required member is absent (or null).
    MissingMember {
        /// The member.
        name: String,
        /// The structure's name.
        shape: String,
    },
    /// A union with no member or several members set.
    UnionCount {
        /// The union's name.
        shape: String,
        /// The members that are set.
        set: Vec<String>,
    },
    /// A value of the wrong JSON type.
    WrongType {
        /// What the model wants.
        expected: Expected,
        /// What is there.
        found: Found,
    },
    /// A string the model's enum does not list.
    NotInEnum {
        /// The value.
        value: String,
        /// The values the model lists.
        allowed: Vec<String>,
    },
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::NoInput => f.write_str("the operation takes no parameters"),
            ProblemKind::UnknownMember { name, shape, .. } => {
                write!(f, "`{shape}` has no member `{name}`")
            }
            ProblemKind::MissingMember { name, shape } => {
                write!(f, "`{shape}` requires `{name}`, which is missing")
            }
            ProblemKind::UnionCount { shape, set } if set.is_empty() => {
                write!(f, "`{shape}` needs exactly one member, and has none")
            }
            ProblemKind::UnionCount { shape, set } => write!(
                f,
                "`{shape}` takes exactly one member, and has {}: {}",
                set.len(),
                set.join(", ")
            ),
            ProblemKind::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            ProblemKind::NotInEnum { value, allowed } => {
                write!(f, "`{value}` is not one of: {}", allowed.join(", "))
            }
        }
    }
}

/// What stands where the model wants something else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A JSON value, in words (`the number 1001`).
    Value(String),
    /// A `${...}` template and what it fills in.
    Template {
        /// The string as written.
        text: String,
        /// What it fills in.
        kind: TemplateKind,
    },
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Value(v) => f.write_str(v),
            Found::Template { text, kind } => {
                let what = match kind {
                    TemplateKind::Text => "text",
                    TemplateKind::Number => "a number",
                    TemplateKind::Boolean => "a boolean",
                    TemplateKind::Any | TemplateKind::Literal => "any value",
                };
                write!(f, "`{text}`, which fills in {what}")
            }
        }
    }
}

/// One problem with its place in `params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProblem {
    /// From `params` down; empty for `params` itself.
    pub path: Vec<PathSegment>,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// Why a call cannot be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No awsJson service by that name.
    #[error("no awsJson service `{0}`")]
    UnknownService(String),
    /// The service has no such operation.
    #[error("`{service}` has no operation `{operation}`")]
    UnknownOperation {
        /// The service.
        service: String,
        /// The operation as written.
        operation: String,
        /// The service's operations, sorted.
        known: Vec<String>,
    },
}

/// Checks `params` of `service` `operation`; `template` types each string
/// (values and keys) that may hold a `${...}` template.
pub fn check_params(
    service: &str,
    operation: &str,
    params: &Value,
    template: &dyn Fn(&str) -> TemplateKind,
) -> Result<Vec<ParamProblem>, LookupError> {
    let inputs =
        inputs::service(service).ok_or_else(|| LookupError::UnknownService(service.to_owned()))?;
    let Some(input) = inputs.operations.get(operation) else {
        return Err(LookupError::UnknownOperation {
            service: service.to_owned(),
            operation: operation.to_owned(),
            known: inputs.operations.keys().cloned().collect(),
        });
    };
    let mut checker = Checker {
        inputs,
        template,
        path: Vec::new(),
        problems: Vec::new(),
    };
    match input {
        Some(shape) => checker.value(shape, params),
        None => {
            let empty = params.is_null() || params.as_object().is_some_and(|o| o.is_empty());
            if !empty {
                checker.report(ProblemKind::NoInput);
            }
        }
    }
    Ok(checker.problems)
}

struct Checker<'a> {
    inputs: &'a ServiceInputs,
    template: &'a dyn Fn(&str) -> TemplateKind,
    path: Vec<PathSegment>,
    problems: Vec<ParamProblem>,
}

/// A JSON value in words, for "found ...".
fn describe(v: &Value) -> Found {
    Found::Value(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", Value::String(s.clone())),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    })
}

impl Checker<'_> {
    fn report(&mut self, kind: ProblemKind) {
        self.problems.push(ParamProblem {
            path: self.path.clone(),
            kind,
        });
    }

    fn wrong(&mut self, expected: Expected, found: Found) {
        self.report(ProblemKind::WrongType { expected, found });
    }

    /// `Some(kind)` when `v` is a string holding a template.
    fn templated(&self, v: &Value) -> Option<(String, TemplateKind)> {
        let Value::String(s) = v else { return None };
        match (self.template)(s) {
            TemplateKind::Literal => None,
            kind => Some((s.clone(), kind)),
        }
    }

    fn value(&mut self, shape: &ShapeRef, v: &Value) {
        if v.is_null() {
            return;
        }
        match shape {
            ShapeRef::Scalar(s) => self.scalar(*s, None, v),
            ShapeRef::Named(name) => {
                let Some(named) = self.inputs.shape(name) else {
                    return;
                };
                match named {
                    Shape::Structure {
                        members,
                        required,
                        union,
                    } => self.structure(name, members, required, *union, v),
                    Shape::List { member } => self.list(member, v),
                    Shape::Map { key, value } => self.map(key, value, v),
                    Shape::String { allowed } => self.scalar(Scalar::String, allowed.as_deref(), v),
                    Shape::Document => {}
                    Shape::Integer => self.scalar(Scalar::Integer, None, v),
                    Shape::Long => self.scalar(Scalar::Long, None, v),
                    Shape::Double => self.scalar(Scalar::Double, None, v),
                    Shape::Float => self.scalar(Scalar::Float, None, v),
                    Shape::Boolean => self.scalar(Scalar::Boolean, None, v),
                    Shape::Timestamp => self.scalar(Scalar::Timestamp, None, v),
                    Shape::Blob => self.scalar(Scalar::Blob, None, v),
                }
            }
        }
    }

    /// A container where a template stands: only a template that can be
    /// any JSON value fits.
    fn container_template(&mut self, expected: Expected, v: &Value) -> bool {
        match self.templated(v) {
            Some((_, TemplateKind::Any)) => true,
            Some((text, kind)) => {
                self.wrong(expected, Found::Template { text, kind });
                true
            }
            None => false,
        }
    }

    fn structure(
        &mut self,
        name: &str,
        members: &std::collections::BTreeMap<String, ShapeRef>,
        required: &[String],
        union: bool,
        v: &Value,
    ) {
        if self.container_template(Expected::Structure(name.to_owned()), v) {
            return;
        }
        let Value::Object(map) = v else {
            self.wrong(Expected::Structure(name.to_owned()), describe(v));
            return;
        };
        let mut templated_keys = false;
        for (key, value) in map {
            if (self.template)(key) != TemplateKind::Literal {
                templated_keys = true;
                continue;
            }
            self.path.push(PathSegment::Key(key.clone()));
            match members.get(key) {
                Some(shape) => self.value(shape, value),
                None => self.report(ProblemKind::UnknownMember {
                    name: key.clone(),
                    shape: name.to_owned(),
                    known: members.keys().cloned().collect(),
                }),
            }
            self.path.pop();
        }
        if templated_keys {
            // A member named at run time may be any of them.
            return;
        }
        for r in required {
            if map.get(r).is_none_or(Value::is_null) {
                self.report(ProblemKind::MissingMember {
                    name: r.clone(),
                    shape: name.to_owned(),
                });
            }
        }
        if union {
            let set: Vec<String> = map
                .iter()
                .filter(|(k, v)| !v.is_null() && members.contains_key(*k))
                .map(|(k, _)| k.clone())
                .collect();
            if set.len() != 1 {
                self.report(ProblemKind::UnionCount {
                    shape: name.to_owned(),
                    set,
                });
            }
        }
    }

    fn list(&mut self, member: &ShapeRef, v: &Value) {
        if self.container_template(Expected::List, v) {
            return;
        }
        let Value::Array(items) = v else {
            self.wrong(Expected::List, describe(v));
            return;
        };
        for (i, item) in items.iter().enumerate() {
            self.path.push(PathSegment::Index(i));
            self.value(member, item);
            self.path.pop();
        }
    }

    fn map(&mut self, key: &ShapeRef, value: &ShapeRef, v: &Value) {
        if self.container_template(Expected::Map, v) {
            return;
        }
        let Value::Object(map) = v else {
            self.wrong(Expected::Map, describe(v));
            return;
        };
        for (k, item) in map {
            self.path.push(PathSegment::Key(k.clone()));
            self.value(key, &Value::String(k.clone()));
            self.value(value, item);
            self.path.pop();
        }
    }

    fn scalar(&mut self, scalar: Scalar, allowed: Option<&[String]>, v: &Value) {
        if let Some((text, kind)) = self.templated(v) {
            let fits = match kind {
                TemplateKind::Any | TemplateKind::Literal => true,
                TemplateKind::Text => {
                    matches!(scalar, Scalar::String | Scalar::Blob | Scalar::Timestamp)
                }
                TemplateKind::Number => matches!(
                    scalar,
                    Scalar::Integer
                        | Scalar::Long
                        | Scalar::Double
                        | Scalar::Float
                        | Scalar::Timestamp
                ),
                TemplateKind::Boolean => scalar == Scalar::Boolean,
            };
            if !fits {
                self.wrong(Expected::Scalar(scalar), Found::Template { text, kind });
            }
            return;
        }
        let fits = match (scalar, v) {
            (Scalar::String | Scalar::Blob, Value::String(_)) => true,
            (Scalar::Timestamp, Value::String(_) | Value::Number(_)) => true,
            (Scalar::Integer | Scalar::Long, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Scalar::Double | Scalar::Float, Value::Number(_)) => true,
            (Scalar::Boolean, Value::Bool(_)) => true,
            _ => false,
        };
        if !fits {
            self.wrong(Expected::Scalar(scalar), describe(v));
            return;
        }
        if let (Some(allowed), Value::String(s)) = (allowed, v)
            && !allowed.iter().any(|a| a == s)
        {
            self.report(ProblemKind::NotInEnum {
                value: s.clone(),
                allowed: allowed.to_vec(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn literal(s: &str) -> TemplateKind {
        if !s.contains("${") {
            TemplateKind::Literal
        } else if s == "${n}" {
            TemplateKind::Number
        } else if s == "${c.v}" {
            TemplateKind::Any
        } else {
            TemplateKind::Text
        }
    }

    fn problems(service: &str, op: &str, params: Value) -> Vec<String> {
        check_params(service, op, &params, &literal)
            .unwrap()
            .into_iter()
            .map(|p| {
                let path: Vec<String> = p
                    .path
                    .iter()
                    .map(|s| match s {
                        PathSegment::Key(k) => k.clone(),
                        PathSegment::Index(i) => i.to_string(),
                    })
                    .collect();
                format!("{}: {}", path.join("/"), p.kind)
            })
            .collect()
    }

    #[test]
    fn a_good_get_item_has_no_problems() {
        let p = json!({"TableName": "T", "Key": {"id": {"S": "1"}}, "ConsistentRead": true});
        assert_eq!(problems("dynamodb", "GetItem", p), Vec::<String>::new());
        let p = json!({"TableName": "${table}", "Key": {"id": {"N": "${c.v}"}}});
        assert_eq!(problems("dynamodb", "GetItem", p), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_found_with_its_path() {
        let p = json!({
            "TableNam": "T",
            "Key": {"id": {"S": 1001}, "sk": "raw", "both": {"S": "a", "N": "1"}},
            "ConsistentRead": "yes",
            "ReturnConsumedCapacity": "ALL",
        });
        assert_eq!(
            problems("dynamodb", "GetItem", p),
            [
                "ConsistentRead: expected true or false, found the string \"yes\"",
                "Key/both: `AttributeValue` takes exactly one member, and has 2: N, S",
                "Key/id/S: expected a string, found the number 1001",
                "Key/sk: expected an object (`AttributeValue`), found the string \"raw\"",
                "ReturnConsumedCapacity: `ALL` is not one of: INDEXES, TOTAL, NONE",
                "TableNam: `GetItemInput` has no member `TableNam`",
                ": `GetItemInput` requires `TableName`, which is missing",
            ]
        );
    }

    #[test]
    fn templates_are_typed_by_what_they_fill_in() {
        // A number parameter where DynamoDB wants the string of `S`.
        let p = json!({"TableName": "T", "Key": {"id": {"S": "${n}"}}});
        assert_eq!(
            problems("dynamodb", "GetItem", p),
            ["Key/id/S: expected a string, found `${n}`, which fills in a number"]
        );
        // Text where Step Functions wants a whole number; an enum left to run time.
        let p = json!({"stateMachineArn": "a", "maxResults": "${x}", "statusFilter": "${x}"});
        assert_eq!(
            problems("stepfunctions", "ListExecutions", p),
            ["maxResults: expected a whole number, found `${x}`, which fills in text"]
        );
        // A capture may be anything, even a whole item.
        let p = json!({"TableName": "T", "Item": "${c.v}"});
        assert_eq!(problems("dynamodb", "PutItem", p), Vec::<String>::new());
    }

    #[test]
    fn unknown_services_and_operations_are_lookup_errors() {
        let none = |_: &str| TemplateKind::Literal;
        assert_eq!(
            check_params("s3", "GetObject", &json!({}), &none),
            Err(LookupError::UnknownService("s3".into()))
        );
        let Err(LookupError::UnknownOperation { known, .. }) =
            check_params("dynamodb", "GetItems", &json!({}), &none)
        else {
            panic!("GetItems");
        };
        assert!(known.iter().any(|k| k == "GetItem"));
        assert_eq!(
            problems(
                "sqs",
                "ListQueues",
                json!({"QueueNamePrefix": "a", "MaxResults": 1.5})
            ),
            ["MaxResults: expected a whole number, found the number 1.5"]
        );
    }
}
