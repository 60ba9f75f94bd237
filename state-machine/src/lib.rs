//! vigil suites: the model, read from YAML/JSON files or built in Rust,
//! its validation (once: a [`ValidSuite`] is what everything downstream
//! takes), and its compilation to a Step Functions definition.

mod aws_calls;
pub mod branches;
pub mod builder;
pub mod compile;
pub mod limits;
mod load;
mod names;
pub mod partial_run;
pub mod provider_timeout;
pub mod run_report;
pub mod schema;
mod shape_errors;
mod source_map;
pub mod state_names;
mod suite;
mod valid_suite;
pub mod validate;
pub mod yaml;

pub use load::{
    Format, LoadError, LoadParams, LoadProblem, load_file, load_file_with, parse, parse_with,
};
pub use names::{BadName, ParamName, ScenarioName, SuiteName};
pub use source_map::SourceMap;
pub use suite::{Param, ParamType, Permission, Scenario, Step, Suite};
pub use valid_suite::{InvalidSuite, ValidSuite};
pub use validate::{SuiteError, validate};
