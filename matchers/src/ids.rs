//! Names that tie a matcher to the rest of a suite: step ids and capture
//! references.
//!
//! They are validated newtypes rather than strings because they end up in
//! three places that must agree byte for byte: the suite file, the state
//! machine (as part of state names) and the provider's capture table. A
//! typo caught here is a typo that never reaches a deployed stack.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// Longest step id or capture name; keeps `<scenario> · <step>` state names
/// inside Step Functions' 80-character limit with room for the scenario.
pub const MAX_NAME_LEN: usize = 48;

/// Why a step id, capture name or capture reference was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name was empty.
    #[error("{what} is empty")]
    Empty {
        /// "step id" or "capture name".
        what: &'static str,
    },
    /// The name was longer than [`MAX_NAME_LEN`].
    #[error("{what} `{name}` is {len} characters long; at most {MAX_NAME_LEN} are allowed")]
    TooLong {
        /// "step id" or "capture name".
        what: &'static str,
        /// The offending name.
        name: String,
        /// Its length in characters.
        len: usize,
    },
    /// The name held a character outside `[A-Za-z0-9_-]`.
    #[error(
        "{what} `{name}` contains {found:?}; only ASCII letters, digits, `_` and `-` are allowed"
    )]
    BadChar {
        /// "step id" or "capture name".
        what: &'static str,
        /// The offending name.
        name: String,
        /// The first character that is not allowed.
        found: char,
    },
    /// A capture reference without the `step.name` dot.
    #[error("capture reference `{0}` must have the form `<step>.<capture>`")]
    NoDot(String),
}

fn check_name(what: &'static str, name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { what });
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(NameError::TooLong {
            what,
            name: name.to_owned(),
            len,
        });
    }
    if let Some(found) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(NameError::BadChar {
            what,
            name: name.to_owned(),
            found,
        });
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $ty(String);

        impl $ty {
            /// Validates and wraps a name.
            pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
                let name = name.into();
                check_name($what, &name)?;
                Ok(Self(name))
            }

            /// The name as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $ty {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> Self {
                value.0
            }
        }

        impl FromStr for $ty {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "description": concat!("A ", $what, ": ASCII letters, digits, `_` and `-`."),
                    "pattern": "^[A-Za-z0-9_-]{1,48}$"
                })
            }
        }
    };
}

name_type!(
    /// The id of a step, unique inside its suite (e.g. `create-task`).
    StepId,
    "step id"
);
name_type!(
    /// The name under which a step keeps a captured value (e.g. `task_id`).
    CaptureName,
    "capture name"
);

/// A reference to a value captured by an earlier step, written `step.name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaptureRef {
    /// The step that captured the value.
    pub step: StepId,
    /// The name it was captured under.
    pub name: CaptureName,
}

impl CaptureRef {
    /// Builds a reference from its two parts.
    pub fn new(step: StepId, name: CaptureName) -> Self {
        Self { step, name }
    }
}

impl FromStr for CaptureRef {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (step, name) = s
            .split_once('.')
            .ok_or_else(|| NameError::NoDot(s.to_owned()))?;
        Ok(Self {
            step: step.parse()?,
            name: name.parse()?,
        })
    }
}

impl TryFrom<String> for CaptureRef {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<CaptureRef> for String {
    fn from(value: CaptureRef) -> Self {
        value.to_string()
    }
}

impl fmt::Display for CaptureRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.step, self.name)
    }
}

impl JsonSchema for CaptureRef {
    fn schema_name() -> Cow<'static, str> {
        "CaptureRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A value captured by an earlier step, as `<step>.<capture>`.",
            "pattern": "^[A-Za-z0-9_-]{1,48}\\.[A-Za-z0-9_-]{1,48}$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_refs_parse_and_print_the_same() {
        let r: CaptureRef = "create-task.task_id".parse().unwrap();
        assert_eq!(r.step.as_str(), "create-task");
        assert_eq!(r.name.as_str(), "task_id");
        assert_eq!(r.to_string(), "create-task.task_id");
    }

    #[test]
    fn bad_names_say_what_is_wrong() {
        assert_eq!(
            "task id".parse::<StepId>().unwrap_err().to_string(),
            "step id `task id` contains ' '; only ASCII letters, digits, `_` and `-` are allowed"
        );
        assert_eq!(
            "nodot".parse::<CaptureRef>().unwrap_err().to_string(),
            "capture reference `nodot` must have the form `<step>.<capture>`"
        );
        assert!(matches!(
            "a.".parse::<CaptureRef>(),
            Err(NameError::Empty {
                what: "capture name"
            })
        ));
        assert!(matches!(
            "x".repeat(49).parse::<StepId>(),
            Err(NameError::TooLong { len: 49, .. })
        ));
    }

    #[test]
    fn serde_rejects_invalid_names() {
        let err = serde_json::from_str::<StepId>("\"a b\"").unwrap_err();
        assert!(err.to_string().contains("only ASCII letters"), "{err}");
    }
}
