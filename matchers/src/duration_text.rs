//! Durations as text, the way people write them in a suite: `400d`,
//! `1h 30m`, `14m 20s`, `250ms` — in messages, and on the wire
//! (`#[serde(with = "vigil_matchers::duration_text")]`, used by every vigil
//! type that holds a duration, so a reviewer reads them in a template).
//!
//! humantime's own rendering counts in years and months of its own length
//! (`400d` came out as "1year 1month 4days 7h 26m 24s"), which nobody
//! writes and nobody can check at a glance. This one uses days, hours,
//! minutes, seconds and sub-second units only, and what it writes reads
//! back to the same duration with `humantime::parse_duration`, so it can
//! also be a wire format.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// `d` as `400d`, `1h 30m`, `14m 20s`, `1.5s` is written `1s 500ms`; `0s`
/// for zero.
pub fn format(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_owned();
    }
    let secs = d.as_secs();
    let nanos = d.subsec_nanos();
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
        (u64::from(nanos / 1_000_000), "ms"),
        (u64::from(nanos / 1_000 % 1_000), "us"),
        (u64::from(nanos % 1_000), "ns"),
    ];
    let mut out = String::new();
    for (n, unit) in parts {
        if n > 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{n}{unit}");
        }
    }
    out
}

/// Writes `"1m 30s"`.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format(*d))
}

/// Reads `"90s"`, `"10m"`, `"1h 30m"`, with an error that shows the form.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "`{text}` is not a duration ({e}); write e.g. \"500ms\", \"90s\", \"10m\" or \"1h 30m\""
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_written() {
        for (text, expected) in [
            ("400d", "400d"),
            ("1year", "365d 6h"),
            ("90m", "1h 30m"),
            ("860s", "14m 20s"),
            ("250ms", "250ms"),
            ("1500ms", "1s 500ms"),
            ("2h 0m 5s", "2h 5s"),
            ("0s", "0s"),
        ] {
            let d = humantime::parse_duration(text).unwrap();
            assert_eq!(format(d), expected, "{text}");
        }
    }

    proptest::proptest! {
        /// What is written reads back to the same duration.
        #[test]
        fn the_text_reads_back(secs in 0u64..10_000_000_000, nanos in 0u32..1_000_000_000) {
            let d = Duration::new(secs, nanos);
            proptest::prop_assert_eq!(humantime::parse_duration(&format(d)).unwrap(), d);
        }
    }
}
