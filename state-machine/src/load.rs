//! Reading suite files, with errors that point at the file, line and column
//! (YAML and JSON syntax and shape errors) or at the path inside the suite.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil_protocol::poll_params::{self, DurationParams};

use crate::names::ParamName;
use crate::suite::{Param, Suite};

/// A suite file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when the format tells it.
    pub line: Option<u64>,
    /// 1-based column, when the format tells it.
    pub column: Option<u64>,
    /// Where in the suite (e.g. `scenarios.completed.steps[2].expect`).
    pub path: Option<String>,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(path) = self.path.as_deref().filter(|p| !p.is_empty() && *p != ".") {
            write!(f, ": at {path}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The formats a suite can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.yaml` / `.yml`
    Yaml,
    /// `.json`
    Json,
}

impl Format {
    /// By file extension; YAML unless the name ends in `.json`.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Yaml,
        }
    }
}

/// Where parameter values come from while a suite is loaded (for
/// `${Param}` in poll durations, [`vigil_protocol::poll_params`]): values
/// given on the command line, then each parameter's `env` variable (read
/// through `env`, so a library never reads the process environment), then
/// its `default`.
pub struct LoadParams<'a> {
    /// `--param NAME=VALUE` values.
    pub given: &'a BTreeMap<String, Value>,
    /// Reads an environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl LoadParams<'_> {
    /// Defaults only: no `--param`, no environment.
    pub fn defaults() -> LoadParams<'static> {
        static NONE: BTreeMap<String, Value> = BTreeMap::new();
        LoadParams {
            given: &NONE,
            env: &|_| None,
        }
    }
}

/// Only the `params` section of a suite, read before the rest.
#[derive(serde::Deserialize)]
struct ParamsSection {
    #[serde(default)]
    params: BTreeMap<ParamName, Param>,
}

fn as_duration_text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("its value {other} is not a duration text")),
    }
}

/// Each declared parameter's value for poll durations, or why it has none
/// when the suite is loaded. A section that does not parse gives no
/// values: the full parse reports the error.
fn duration_params(text: &str, format: Format, params: &LoadParams<'_>) -> DurationParams {
    let section = match format {
        Format::Json => serde_json::from_str::<ParamsSection>(text).ok(),
        Format::Yaml => crate::yaml::from_str::<ParamsSection>(text).ok(),
    };
    let Some(section) = section else {
        return DurationParams::new();
    };
    section
        .params
        .into_iter()
        .map(|(name, p)| {
            let value = params
                .given
                .get(name.as_str())
                .map(as_duration_text)
                .or_else(|| p.env.as_deref().and_then(params.env).map(Ok))
                .or_else(|| p.default.as_ref().map(as_duration_text))
                .unwrap_or_else(|| {
                    Err(match &p.stack_output {
                        Some(o) => format!(
                            "it is bound to the stack output `{o}`, known only at deploy; give it \
                             a default or pass --param {name}=..."
                        ),
                        None => format!("it has no default; pass --param {name}=..."),
                    })
                });
            (name.to_string(), value)
        })
        .collect()
}

/// Reads and parses a suite file (not yet validated: see [`crate::validate`]);
/// `${Param}` in poll durations takes the parameter's default.
pub fn load_file(path: &Path) -> Result<Suite, LoadError> {
    load_file_with(path, &LoadParams::defaults())
}

/// [`load_file`] with `--param` values and the environment for `${Param}`
/// in poll durations.
pub fn load_file_with(path: &Path, params: &LoadParams<'_>) -> Result<Suite, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: path.to_owned(),
        line: None,
        column: None,
        path: None,
        message: format!("cannot read the file: {e}"),
    })?;
    parse_with(&text, Format::of(path), path, params)
}

/// Parses suite text in a format; `file` names it in errors. `${Param}` in
/// poll durations takes the parameter's default.
pub fn parse(text: &str, format: Format, file: &Path) -> Result<Suite, LoadError> {
    parse_with(text, format, file, &LoadParams::defaults())
}

/// [`parse`] with `--param` values and the environment for `${Param}` in
/// poll durations.
pub fn parse_with(
    text: &str,
    format: Format,
    file: &Path,
    params: &LoadParams<'_>,
) -> Result<Suite, LoadError> {
    let values = duration_params(text, format, params);
    poll_params::with_values(values, || parse_now(text, format, file))
}

fn parse_now(text: &str, format: Format, file: &Path) -> Result<Suite, LoadError> {
    match format {
        Format::Json => {
            let de = &mut serde_json::Deserializer::from_str(text);
            let mut track = serde_path_to_error::Track::new();
            let tracked = serde_path_to_error::Deserializer::new(de, &mut track);
            serde::Deserialize::deserialize(tracked).map_err(|e: serde_json::Error| LoadError {
                file: file.to_owned(),
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                path: Some(track.path().to_string()),
                message: strip_position(&e.to_string()),
            })
        }
        Format::Yaml => crate::yaml::from_str::<Suite>(text).map_err(|e| {
            let position = crate::yaml::position(&e);
            LoadError {
                file: file.to_owned(),
                line: position.map(|(l, _)| l),
                column: position.map(|(_, c)| c),
                path: None,
                message: crate::yaml::message(&e),
            }
        }),
    }
}

/// serde_json appends " at line L column C", which the error already has.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
