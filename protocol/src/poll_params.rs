//! `${Param}` in a poll duration (`poll: {timeout: "${GateTimeout}"}`),
//! resolved while a suite file is read.
//!
//! A real stack needs minutes-long polls (ABCA's own lifecycle test waits
//! 12 minutes for a terminal status and 8 for an approval gate); a local
//! run of the same suite wants seconds. Poll durations are fixed when the
//! suite is loaded — the compiler sizes the history budget and the
//! provider's timeout from them — so a parameter there takes the value it
//! has at that moment (`--param`, then its `env` variable, then its
//! `default`), not one given later in an execution's input.
//!
//! The values live in a thread-local for the duration of one
//! deserialization ([`with_values`]); anywhere else (a step decoded from
//! the wire, say) `${...}` in a duration is an error.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};
use vigil_matchers::duration_text;

use crate::template::{self, Piece};

/// Each parameter's value when the suite is loaded, or why it has none
/// then (e.g. it comes from a stack output).
pub type DurationParams = BTreeMap<String, Result<String, String>>;

thread_local! {
    static VALUES: RefCell<Option<DurationParams>> = const { RefCell::new(None) };
}

/// Runs `f` (a deserialization) with `values` for `${Param}` in poll
/// durations; the previous values are back afterwards, even on panic.
pub fn with_values<R>(values: DurationParams, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<DurationParams>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            VALUES.with(|v| *v.borrow_mut() = previous);
        }
    }
    let _restore = Restore(VALUES.with(|v| v.borrow_mut().replace(values)));
    f()
}

fn resolve(text: &str) -> Result<Duration, String> {
    let reference = match template::parse(text.trim()) {
        Ok(pieces) => match pieces.as_slice() {
            [Piece::Param(p)] => Some(p.clone()),
            _ => None,
        },
        Err(_) => None,
    };
    let Some(name) = reference else {
        return humantime::parse_duration(text).map_err(|e| {
            format!(
                "`{text}` is not a duration ({e}); write e.g. \"500ms\", \"90s\", \"10m\" or \
                 \"1h 30m\", or `${{Param}}` for a parameter's value"
            )
        });
    };
    let value = VALUES.with(|v| match v.borrow().as_ref() {
        None => Err(format!(
            "`{text}`: a poll duration can name a parameter only in a suite file, where it \
             takes the parameter's value when the suite is loaded"
        )),
        Some(values) => match values.get(&name) {
            None => Err(format!("`{text}` names no parameter of this suite")),
            Some(Err(why)) => Err(format!(
                "`{text}` has no value when the suite is loaded: {why}"
            )),
            Some(Ok(value)) => Ok(value.clone()),
        },
    })?;
    humantime::parse_duration(&value).map_err(|e| {
        format!("`{text}` is `{value}`, which is not a duration ({e}); e.g. \"90s\" or \"10m\"")
    })
}

/// `#[serde(with = "poll_duration")]`: a duration, or `${Param}` while a
/// suite file is loaded. Written back as the duration.
pub mod poll_duration {
    use super::*;

    /// Writes `"1m 30s"` (the value, never the parameter).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        duration_text::serialize(d, s)
    }

    /// Reads `"90s"`, or `"${Param}"` inside [`with_values`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        resolve(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PollPolicy;

    fn values() -> DurationParams {
        BTreeMap::from([
            ("Gate".to_owned(), Ok("90s".to_owned())),
            ("Bad".to_owned(), Ok("soon".to_owned())),
            (
                "Api".to_owned(),
                Err("it is bound to the stack output `ApiUrl`".to_owned()),
            ),
        ])
    }

    #[test]
    fn a_parameter_gives_its_value_while_a_suite_is_loaded() {
        let p: PollPolicy = with_values(values(), || {
            serde_json::from_str(r#"{"timeout": "${Gate}", "max_delay": "${ Gate }"}"#)
        })
        .unwrap();
        assert_eq!(p.timeout, Duration::from_secs(90));
        assert_eq!(p.max_delay, Duration::from_secs(90));
        // Written back as the value.
        assert_eq!(
            serde_json::to_value(&p).unwrap()["timeout"],
            serde_json::json!("1m 30s")
        );
    }

    #[test]
    fn every_way_a_parameter_can_fail_says_which_and_why() {
        let e = |text: &str| {
            with_values(values(), || {
                serde_json::from_str::<PollPolicy>(&format!(r#"{{"timeout": "{text}"}}"#))
            })
            .unwrap_err()
            .to_string()
        };
        assert!(
            e("${Nope}").contains("`${Nope}` names no parameter of this suite"),
            "{}",
            e("${Nope}")
        );
        assert!(e("${Bad}").contains("`${Bad}` is `soon`, which is not a duration"));
        assert!(
            e("${Api}")
                .contains("has no value when the suite is loaded: it is bound to the stack output")
        );
        assert!(e("in ${Gate}").contains("is not a duration"));
    }

    #[test]
    fn outside_a_suite_file_a_parameter_is_refused() {
        let e = serde_json::from_str::<PollPolicy>(r#"{"timeout": "${Gate}"}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("a poll duration can name a parameter only in a suite file"),
            "{e}"
        );
        // And the values do not outlive their scope.
        with_values(values(), || ());
        assert!(serde_json::from_str::<PollPolicy>(r#"{"timeout": "${Gate}"}"#).is_err());
    }
}
