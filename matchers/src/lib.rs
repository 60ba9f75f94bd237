//! vigil's matcher language.
//!
//! A [`Matcher`] says what a JSON value must look like — `objectLike`,
//! `arrayWith`, `stringLikeRegexp`, `numeric`, `timestamp`, … nested to any
//! depth. It has one canonical wire format (its serde form, see [`wire`]),
//! a concise [authoring form](authoring) for suite files, and JSON Schemas of
//! both ([`schema`]). [`Matcher::evaluate`] returns a [`Report`] that lists
//! **every** mismatch with its RFC 9535 normalized path, the expectation,
//! the (truncated) actual value and the reason.
//!
//! This crate is shared by the compiler (`state-machine`), which embeds
//! matchers in the state machine, and the `assertion-provider` Lambda, which
//! evaluates them; it has no AWS dependency, so both sides agree on the
//! format by construction.
//!
//! ```
//! use vigil_matchers::{authoring, EvalContext};
//! use serde_json::json;
//!
//! let pattern = authoring::parse(&json!({
//!     "Items": {"$arrayWith": [{"status": {"S": "COMPLETED"}}]},
//!     "Count": {"$gte": 1}
//! })).unwrap();
//! let actual = json!({"Items": [{"status": {"S": "RUNNING"}}], "Count": 1});
//! let report = pattern.evaluate(&actual, &EvalContext::at_system_time());
//! assert!(!report.is_match());
//! println!("{}", report.render_human());
//! ```

pub mod authoring;
mod captures;
pub mod duration_text;
mod eval;
mod ids;
mod json_type;
mod matcher;
mod number;
mod numeric;
mod path;
mod pattern_error;
mod regex_pattern;
mod render;
mod report;
pub mod schema;
pub mod suggest;
pub mod template;
mod timestamp;
pub mod wire;

pub use authoring::AuthoredMatcher;
pub use captures::{CaptureLookup, Captured, NoCaptures};
pub use eval::EvalContext;
pub use ids::{CaptureName, CaptureRef, MAX_NAME_LEN, NameError, StepId};
pub use json_type::JsonType;
pub use matcher::Matcher;
pub use numeric::{NumericBounds, NumericRange, RangeError};
pub use path::{PARSED_JSON_MARKER, PathParseError, Segment, ValuePath};
pub use pattern_error::PatternError;
pub use regex_pattern::RegexPattern;
pub use render::{EXPECTED_MAX_CHARS, describe, describe_value};
pub use report::{ACTUAL_PREVIEW_BYTES, Actual, MAX_DETAIL_DEPTH, Mismatch, MismatchKind, Report};
pub use timestamp::{
    TimeRef, TimestampSpec, Within, format_rfc3339, parse_duration, parse_rfc3339,
};
