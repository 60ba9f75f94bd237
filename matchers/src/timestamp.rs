//! The `timestamp` matcher's constraints: RFC 3339 instants compared with
//! "now", with a fixed instant, or with a value captured by an earlier step.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ids::CaptureRef;

/// What an actual timestamp must satisfy. All given constraints must hold;
/// with none, any valid RFC 3339 timestamp matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimestampSpec {
    /// Strictly before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<TimeRef>,
    /// Strictly after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<TimeRef>,
    /// No further than a duration from an instant, in either direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
}

/// "Within `duration` of `of`".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Within {
    /// The largest allowed distance, e.g. `"10m"`.
    #[serde(with = "crate::duration_text")]
    #[schemars(with = "DurationText")]
    pub duration: Duration,
    /// The instant to measure from.
    pub of: TimeRef,
}

/// An instant to compare with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TimeRef {
    /// The time of the attempt that evaluates the matcher.
    Now,
    /// A fixed instant (RFC 3339).
    At(
        #[serde(with = "time::serde::rfc3339")]
        #[schemars(with = "Rfc3339Text")]
        OffsetDateTime,
    ),
    /// A timestamp captured by an earlier step.
    Capture(CaptureRef),
}

impl fmt::Display for TimeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeRef::Now => f.write_str("now"),
            TimeRef::At(t) => f.write_str(&format_rfc3339(*t)),
            TimeRef::Capture(c) => write!(f, "capture {c}"),
        }
    }
}

impl fmt::Display for TimestampSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(b) = &self.before {
            parts.push(format!("before {b}"));
        }
        if let Some(a) = &self.after {
            parts.push(format!("after {a}"));
        }
        if let Some(w) = &self.within {
            parts.push(format!(
                "within {} of {}",
                crate::duration_text::format(w.duration),
                w.of
            ));
        }
        if parts.is_empty() {
            f.write_str("any RFC 3339 timestamp")
        } else {
            f.write_str(&parts.join(" and "))
        }
    }
}

/// Parses an RFC 3339 timestamp strictly (no ISO 8601 extensions).
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text, &Rfc3339)
}

/// Prints an instant as RFC 3339; instants outside years 0-9999 (which RFC
/// 3339 cannot express) fall back to the `time` crate's own notation.
pub fn format_rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Parses a duration such as `90s`, `10m` or `1h 30m`.
pub fn parse_duration(text: &str) -> Result<Duration, humantime::DurationError> {
    humantime::parse_duration(text)
}

/// Schema stand-in for a duration string.
pub(crate) struct DurationText;

impl JsonSchema for DurationText {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration such as \"90s\", \"10m\" or \"1h 30m\".",
            "pattern": "^\\s*[0-9]+\\s*[a-zA-Zµ]+(\\s*[0-9]+\\s*[a-zA-Zµ]+)*\\s*$"
        })
    }
}

/// Schema stand-in for an RFC 3339 string.
pub(crate) struct Rfc3339Text;

impl JsonSchema for Rfc3339Text {
    fn schema_name() -> Cow<'static, str> {
        "Rfc3339".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "date-time"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_reads_well() {
        let spec = TimestampSpec {
            after: Some(TimeRef::Capture("create.created_at".parse().unwrap())),
            within: Some(Within {
                duration: Duration::from_secs(600),
                of: TimeRef::Now,
            }),
            ..TimestampSpec::default()
        };
        let text = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            text,
            r#"{"after":{"capture":"create.created_at"},"within":{"duration":"10m","of":"now"}}"#
        );
        assert_eq!(serde_json::from_str::<TimestampSpec>(&text).unwrap(), spec);
        assert_eq!(
            spec.to_string(),
            "after capture create.created_at and within 10m of now"
        );
    }

    #[test]
    fn bad_durations_and_instants_are_explained() {
        let err = serde_json::from_str::<Within>(r#"{"duration": "ten", "of": "now"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`ten` is not a duration"), "{err}");
        assert!(serde_json::from_str::<TimeRef>(r#"{"at": "2026-13-01T00:00:00Z"}"#).is_err());
        assert!(parse_rfc3339("2026-11-23 10:00:00").is_err());
        assert!(parse_rfc3339("2026-11-23T10:00:00.123+02:00").is_ok());
    }
}
