//! A suite that passed validation, as its own type.
//!
//! The compiler and the stack accept only a [`ValidSuite`], so a suite is
//! validated once however many artefacts are built from it, and a check
//! cannot be skipped on one path and run on another. It keeps the source's
//! positions, so a problem found later (a binding, an IAM derivation) is
//! reported at its line and column like a validation problem.

use std::ops::Deref;

use crate::source_map::SourceMap;
use crate::suite::Suite;
use crate::validate::{SuiteError, validate};

/// A suite with no problems (see [`validate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSuite {
    suite: Suite,
    source: Option<SourceMap>,
}

/// A suite that did not pass, with every problem (located when the source
/// was given); the suite is handed back, not lost.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the suite is not valid:\n{}", .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
pub struct InvalidSuite {
    /// The suite as given (boxed: a suite is large, and the error travels).
    pub suite: Box<Suite>,
    /// Every problem, in suite order.
    pub problems: Vec<SuiteError>,
}

impl ValidSuite {
    /// Validates a suite built in memory (no source to locate problems in).
    pub fn new(suite: Suite) -> Result<ValidSuite, InvalidSuite> {
        ValidSuite::check(suite, None)
    }

    /// Validates a suite read from `source`; its problems, and those found
    /// later through [`ValidSuite::locate`], get their line and column.
    pub fn with_source(suite: Suite, source: &str) -> Result<ValidSuite, InvalidSuite> {
        ValidSuite::check(suite, Some(SourceMap::index(source)))
    }

    fn check(suite: Suite, source: Option<SourceMap>) -> Result<ValidSuite, InvalidSuite> {
        let mut problems = validate(&suite);
        if problems.is_empty() {
            return Ok(ValidSuite { suite, source });
        }
        if let Some(map) = &source {
            for p in &mut problems {
                p.position = map.locate(&p.path);
            }
        }
        Err(InvalidSuite {
            suite: Box::new(suite),
            problems,
        })
    }

    /// The suite.
    pub fn suite(&self) -> &Suite {
        &self.suite
    }

    /// The suite, giving up the proof that it is valid.
    pub fn into_suite(self) -> Suite {
        self.suite
    }

    /// Fills in the line and column of problems found after validation
    /// (nothing when the suite was built in memory).
    pub fn locate(&self, problems: &mut [SuiteError]) {
        if let Some(map) = &self.source {
            for p in problems {
                p.position = map.locate(&p.path);
            }
        }
    }
}

impl Deref for ValidSuite {
    type Target = Suite;

    fn deref(&self) -> &Suite {
        &self.suite
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{Format, parse};

    #[test]
    fn problems_keep_their_positions_and_the_suite_is_handed_back() {
        let text = "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: http, url: \"http://h/\"}\n      - id: x\n        call: {kind: http, url: \"http://h/\"}\n";
        let suite = parse(text, Format::Yaml, Path::new("t.yaml")).unwrap();
        let invalid = ValidSuite::with_source(suite.clone(), text).unwrap_err();
        assert_eq!(*invalid.suite, suite);
        assert_eq!(invalid.problems.len(), 1, "{:?}", invalid.problems);
        assert_eq!(invalid.problems[0].path, "scenarios.a.steps[1].id");
        assert_eq!(invalid.problems[0].position, Some((7, 9)));
        // Built in memory: the same problem, without a place.
        let unplaced = ValidSuite::new(suite).unwrap_err();
        assert_eq!(unplaced.problems[0].position, None);
    }

    #[test]
    fn later_problems_are_located_in_the_valid_suites_source() {
        let text = "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: http, url: \"http://h/\"}\n";
        let suite = parse(text, Format::Yaml, Path::new("t.yaml")).unwrap();
        let valid = ValidSuite::with_source(suite, text).unwrap();
        let mut later = vec![SuiteError::at(
            "scenarios.a.steps[0].call",
            "cannot derive IAM",
        )];
        valid.locate(&mut later);
        assert_eq!(later[0].position, Some((6, 9)));
        assert_eq!(valid.suite, *valid.suite());
    }
}
