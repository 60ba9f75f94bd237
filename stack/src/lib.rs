//! A suite's CloudFormation stack.
//!
//! `vigil synth` turns a suite into two files: the state machine definition
//! and `template.json`, the stack that `vigil deploy` creates next to the
//! application. The stack holds the assertion provider (a Rust Lambda), its
//! role with least-privilege IAM derived from the suite's calls, the state
//! machine and its role, two log groups with retention, and a KMS key when
//! a step captures a secret.
//!
//! The template starts from the repository's `template.json.tmpl` (shared
//! parameters and outputs) and is built from typed CloudFormation
//! ([`vigil_cfn`]), so the same suite always gives the same bytes.

pub mod bindings;
pub mod contract;
pub mod grants;
pub mod narrow;
pub mod resource_arn;
pub mod sizing;
pub mod skeleton;
pub mod sub_text;
pub mod template;
pub mod underivable;

pub use bindings::{Binding, Bindings};
pub use grants::Grants;
pub use sub_text::SubText;
pub use template::{SynthOptions, Synthesized, synthesize};

use vigil_state_machine::validate::SuiteError;

/// Why a suite's stack cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynthError {
    /// Parameters cannot be bound (unknown `--param`, clashing names).
    #[error("parameters cannot be bound:\n{}", indent(.0))]
    Params(Vec<SuiteError>),
    /// IAM cannot be derived for some calls.
    #[error(
        "IAM permissions cannot be derived:\n{}\n(add the statements under `permissions:` in the suite)",
        indent(.0)
    )]
    Permissions(Vec<SuiteError>),
    /// The skeleton `template.json.tmpl` is broken.
    #[error("template.json.tmpl: {0}")]
    Skeleton(String),
}

impl SynthError {
    /// The problems with their paths in the suite, for the CLI to locate
    /// (`Skeleton` is vigil's own fault and has none).
    pub fn problems(&self) -> Vec<SuiteError> {
        match self {
            SynthError::Params(p) | SynthError::Permissions(p) => p.clone(),
            SynthError::Skeleton(_) => Vec::new(),
        }
    }
}

fn indent(lines: &[impl std::fmt::Display]) -> String {
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
