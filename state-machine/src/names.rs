//! Names of suites, scenarios and parameters.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{name}` must be 1 to {max} ASCII letters, digits, `_` or `-`")]
pub struct BadName {
    what: &'static str,
    name: String,
    max: usize,
}

fn check(what: &'static str, name: &str, max: usize) -> Result<(), BadName> {
    let ok = !name.is_empty()
        && name.chars().count() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(BadName {
            what,
            name: name.to_owned(),
            max,
        })
    }
}

macro_rules! name {
    ($(#[$doc:meta])* $ty:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schemars(with = "String")]
        pub struct $ty(String);

        impl $ty {
            /// Validates a name.
            pub fn new(name: impl Into<String>) -> Result<Self, BadName> {
                let name = name.into();
                check($what, &name, $max)?;
                Ok(Self(name))
            }
            /// The name.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $ty {
            type Error = BadName;
            fn try_from(s: String) -> Result<Self, BadName> {
                Self::new(s)
            }
        }
        impl From<$ty> for String {
            fn from(n: $ty) -> String {
                n.0
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name!(
    /// A suite's name: it names the state machine and the stack.
    SuiteName,
    "suite name",
    40
);
name!(
    /// A scenario's name, the first half of its state names.
    ScenarioName,
    "scenario name",
    32
);
name!(
    /// A run parameter's name, as `${name}` templates use it.
    ParamName,
    "parameter name",
    64
);
