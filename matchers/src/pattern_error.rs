//! Errors in a pattern, located by their path inside the pattern document.

use crate::path::ValuePath;

/// A pattern that cannot be decoded or can never be meant.
///
/// `location` is the normalized path of the offending node *inside the
/// pattern* (for the authoring form, the path a user sees in their suite
/// file, e.g. `$['Item']['status']`), so the message points at the exact
/// spot to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pattern error at {location}: {problem}")]
pub struct PatternError {
    /// Where in the pattern.
    pub location: ValuePath,
    /// What is wrong and what was expected instead.
    pub problem: String,
}

impl PatternError {
    pub(crate) fn new(location: &ValuePath, problem: impl Into<String>) -> Self {
        Self {
            location: location.clone(),
            problem: problem.into(),
        }
    }
}
