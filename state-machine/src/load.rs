//! Reading suite files, with errors that point at the file, line and column
//! (YAML and JSON syntax and shape errors) or at the path inside the suite.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil_protocol::poll_params::{self, DurationParams};

use crate::names::ParamName;
use crate::shape_errors;
use crate::source_map::SourceMap;
use crate::suite::{Param, Suite};

/// A suite file that could not be read: every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// What is wrong, in document order; never empty.
    pub problems: Vec<LoadProblem>,
}

/// One problem of a suite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// Where in the suite (e.g. `scenarios.completed.steps[2].expect`).
    pub path: Option<String>,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl LoadError {
    fn one(file: &Path, position: Option<(u64, u64)>, message: String) -> LoadError {
        LoadError {
            file: file.to_owned(),
            problems: vec![LoadProblem {
                line: position.map(|(l, _)| l),
                column: position.map(|(_, c)| c),
                path: None,
                message,
            }],
        }
    }
}

/// One problem per line: `file:line:col: at path: message`.
impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file.display())?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
                if let Some(col) = p.column {
                    write!(f, ":{col}")?;
                }
            }
            if let Some(path) = p.path.as_deref().filter(|p| !p.is_empty() && *p != ".") {
                write!(f, ": at {path}")?;
            }
            write!(f, ": {}", p.message)?;
        }
        Ok(())
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
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::one(path, None, format!("cannot read the file: {e}")))?;
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
    // Syntax first: nothing more can be read from a document that does not
    // parse.
    let document: Value = match format {
        Format::Json => serde_json::from_str(text).map_err(|e| {
            LoadError::one(
                file,
                Some((e.line() as u64, e.column() as u64)),
                strip_position(&e.to_string()),
            )
        })?,
        Format::Yaml => crate::yaml::from_str(text).map_err(|e| {
            LoadError::one(file, crate::yaml::position(&e), crate::yaml::message(&e))
        })?,
    };
    let map = SourceMap::index(text);
    // The YAML reader refuses a repeated key; JSON's would keep the last.
    if let Some((key, at)) = map.duplicates().first() {
        return Err(LoadError::one(
            file,
            Some(*at),
            format!("the key `{key}` appears twice in one object; keys are unique, keep one"),
        ));
    }
    if let Ok(suite) = serde_json::from_value::<Suite>(document.clone()) {
        return Ok(suite);
    }
    let problems: Vec<LoadProblem> = shape_errors::all(&document)
        .into_iter()
        .map(|e| {
            let at = map.locate(&e.path);
            LoadProblem {
                line: at.map(|(l, _)| l),
                column: at.map(|(_, c)| c),
                path: Some(e.path),
                message: e.message,
            }
        })
        .collect();
    let mut problems = problems;
    problems.sort_by_key(|p| (p.line, p.column));
    if problems.is_empty() {
        // Cannot happen (the document did not read); say so rather than
        // pass.
        return Err(LoadError::one(
            file,
            None,
            "the suite does not read, and vigil cannot tell why: please report it".into(),
        ));
    }
    Err(LoadError {
        file: file.to_owned(),
        problems,
    })
}

/// serde_json appends " at line L column C", which the error already has.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
