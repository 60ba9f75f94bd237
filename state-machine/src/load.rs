//! Reading suite files, with errors that point at the file, line and column
//! (YAML and JSON syntax and shape errors) or at the path inside the suite.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::suite::Suite;

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

/// Reads and parses a suite file (not yet validated: see [`crate::validate`]).
pub fn load_file(path: &Path) -> Result<Suite, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: path.to_owned(),
        line: None,
        column: None,
        path: None,
        message: format!("cannot read the file: {e}"),
    })?;
    parse(&text, Format::of(path), path)
}

/// Parses suite text in a format; `file` names it in errors.
pub fn parse(text: &str, format: Format, file: &Path) -> Result<Suite, LoadError> {
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
        Format::Yaml => serde_saphyr::from_str::<Suite>(text).map_err(|e| {
            let location = e.location();
            LoadError {
                file: file.to_owned(),
                line: location.map(|l| l.line()),
                column: location.map(|l| l.column()),
                path: None,
                message: yaml_message(&e),
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

/// serde-saphyr's message without its source snippet (we print the
/// position ourselves, on one line, so CI logs and editors can jump to it).
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    strip_position(first.trim_start_matches("error: "))
}
