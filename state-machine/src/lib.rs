//! vigil suites: the model, read from YAML/JSON files or built in Rust,
//! and its validation.
//!
//! The compiler to a Step Functions definition joins this crate next
//! (issue 4, in progress): see the README's status section.

mod aws_calls;
pub mod builder;
pub mod compile;
mod load;
mod names;
pub mod partial_run;
pub mod run_report;
pub mod schema;
mod shape_errors;
mod source_map;
mod suite;
pub mod validate;
pub mod yaml;

pub use load::{
    Format, LoadError, LoadParams, LoadProblem, load_file, load_file_with, parse, parse_with,
};
pub use names::{BadName, ParamName, ScenarioName, SuiteName};
pub use source_map::SourceMap;
pub use suite::{Param, ParamType, Permission, Scenario, Step, Suite};
pub use validate::{SuiteError, locate, validate};
