//! The `timestamp` matcher's constraints: instants (RFC 3339, dates, epoch
//! seconds or milliseconds) compared with "now", with a fixed instant, or
//! with a value captured by an earlier step.

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
            f.write_str("any timestamp")
        } else {
            f.write_str(&parts.join(" and "))
        }
    }
}

/// Epoch numbers at or above this are milliseconds, below it seconds:
/// 10^11 seconds is the year 5138, 10^11 milliseconds is March 1973.
pub(crate) const EPOCH_MILLIS_FROM: f64 = 1e11;

/// An instant as services write them: an RFC 3339 timestamp, a date
/// (`2026-12-02`, midnight UTC), or epoch seconds or milliseconds as a
/// number or as text holding one (DynamoDB's `N`, a `ttl`, a Step Functions
/// `startDate`). Numbers of [`EPOCH_MILLIS_FROM`] or more are milliseconds.
pub(crate) fn read_instant(v: &serde_json::Value) -> Result<OffsetDateTime, String> {
    use serde_json::Value;
    let epoch = |n: f64| -> Result<OffsetDateTime, String> {
        let nanos = if n.abs() >= EPOCH_MILLIS_FROM {
            n * 1e6
        } else {
            n * 1e9
        };
        if !nanos.is_finite() || nanos.abs() > 2.5e26 {
            return Err(format!("{n} is too far from 1970 to be an instant"));
        }
        OffsetDateTime::from_unix_timestamp_nanos(nanos as i128)
            .map_err(|e| format!("{n} is not an instant: {e}"))
    };
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{n} is not a number of seconds"))
            .and_then(epoch),
        Value::String(s) => {
            if let Ok(t) = parse_rfc3339(s) {
                return Ok(t);
            }
            if let Ok(d) =
                time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
            {
                return Ok(d.midnight().assume_utc());
            }
            match s.trim().parse::<f64>() {
                Ok(n)
                    if s.trim()
                        .chars()
                        .all(|c| c.is_ascii_digit() || ".-+eE".contains(c)) =>
                {
                    epoch(n)
                }
                _ => Err(format!(
                    "`{s}` is not a timestamp: expected RFC 3339 (`2026-12-02T10:00:00Z`), a date \
                     (`2026-12-02`) or epoch seconds or milliseconds"
                )),
            }
        }
        other => Err(format!(
            "expected a timestamp (RFC 3339 text, a date, or epoch seconds or milliseconds), got {}",
            crate::JsonType::of(other)
        )),
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

#[cfg(test)]
mod reading {
    use serde_json::json;

    use super::*;

    /// Instants as services write them all read the same.
    #[test]
    fn instants_read_from_text_dates_and_epoch_numbers() {
        let noon = parse_rfc3339("2026-12-02T12:00:00Z").unwrap();
        for v in [
            json!("2026-12-02T12:00:00Z"),
            json!("2026-12-02T13:00:00+01:00"),
            json!(1_796_212_800),
            json!("1796212800"),
            json!(1_796_212_800_000_i64),
            json!("1796212800000"),
            json!(1_796_212_800.0),
        ] {
            assert_eq!(read_instant(&v), Ok(noon), "{v}");
        }
        assert_eq!(
            read_instant(&json!("2026-12-02")).unwrap(),
            parse_rfc3339("2026-12-02T00:00:00Z").unwrap()
        );
        assert_eq!(
            read_instant(&json!(1.5)).unwrap(),
            parse_rfc3339("1970-01-01T00:00:01.5Z").unwrap()
        );
        assert!(
            read_instant(&json!("soon"))
                .unwrap_err()
                .contains("`soon` is not a timestamp")
        );
        assert!(read_instant(&json!(true)).is_err());
        assert!(read_instant(&json!(1e300)).is_err());
    }

    /// A DynamoDB `N` holding epoch seconds is checked like RFC 3339 text.
    #[test]
    fn the_matcher_takes_epoch_text_and_dates() {
        let now = parse_rfc3339("2026-12-02T12:00:00Z").unwrap();
        let ctx = crate::EvalContext::new(now);
        let m = crate::authoring::parse(&json!({
            "ttl": {"N": {"$timestamp": {"after": "2026-12-01", "within": "2d", "of": 1_796_212_800}}}
        }))
        .unwrap();
        assert!(
            m.evaluate(&json!({"ttl": {"N": "1796299200"}}), &ctx)
                .is_match()
        );
        let r = m.evaluate(&json!({"ttl": {"N": "1796990400"}}), &ctx);
        assert!(
            r.render_human()
                .contains("it is 9d from 2026-12-02T12:00:00Z, more than 2d"),
            "{}",
            r.render_human()
        );
    }
}
