//! Poll policy (what the suite asks for) and poll state (what travels
//! between attempts through the state machine).

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use vigil_matchers::duration_text;

use crate::poll_params::poll_duration;

/// How a polled step repeats: Smithy-waiter backoff between `min_delay` and
/// `max_delay` (exponential, with jitter), until `timeout` after the first
/// attempt. In a suite file each duration may be `${Param}`, the
/// parameter's value when the suite is loaded ([`crate::poll_params`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PollPolicy {
    /// Give up this long after the first attempt (e.g. `"5m"`).
    #[serde(with = "poll_duration")]
    #[schemars(with = "String")]
    pub timeout: Duration,
    /// Shortest wait between attempts.
    #[serde(with = "poll_duration", default = "default_min_delay")]
    #[schemars(with = "String")]
    pub min_delay: Duration,
    /// Longest wait between attempts.
    #[serde(with = "poll_duration", default = "default_max_delay")]
    #[schemars(with = "String")]
    pub max_delay: Duration,
    /// Randomise each wait between `min_delay` and its backoff value, so
    /// parallel scenarios do not poll in lockstep.
    #[serde(default = "yes")]
    pub jitter: bool,
    /// How long one invocation may keep polling by itself: a wait that
    /// still ends inside this window (counted from the invocation's start)
    /// is slept in the provider instead of a Wait state, so fast conditions
    /// cost fewer state transitions. `"0s"` turns it off.
    #[serde(with = "poll_duration", default = "default_micro_poll")]
    #[schemars(with = "String")]
    pub micro_poll: Duration,
}

/// The longest a poll may last: a Standard Step Functions execution runs at
/// most one year, so a longer timeout can never be reached; 365 days is a
/// year's lower bound. The cap also keeps `first attempt + timeout` a
/// representable instant: the provider computes that deadline, and a
/// timeout of a billion years overflowed it.
pub const MAX_POLL_TIMEOUT: Duration = Duration::from_secs(365 * 86_400);

/// Lambda runs one invocation for at most 15 minutes.
pub const LAMBDA_MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// The provider's own time limit for one call (its `VIGIL_CALL_TIMEOUT`).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The margin the provider keeps before its deadline
/// (`assertion_provider::provider::INVOCATION_MARGIN`), counted twice: once
/// for the last call's answer, once for the reply.
pub const INVOCATION_MARGINS: Duration = Duration::from_secs(10);

/// The longest `micro_poll` that can take effect: one invocation polls at
/// most Lambda's limit less one call and the margins (14m 20s). A longer
/// window would be cut by Lambda, so it is refused rather than promised.
pub const MAX_MICRO_POLL: Duration = Duration::from_secs(
    LAMBDA_MAX_TIMEOUT.as_secs() - CALL_TIMEOUT.as_secs() - INVOCATION_MARGINS.as_secs(),
);

fn default_min_delay() -> Duration {
    Duration::from_secs(2)
}
fn default_max_delay() -> Duration {
    Duration::from_secs(30)
}
fn default_micro_poll() -> Duration {
    Duration::from_secs(3)
}
fn yes() -> bool {
    true
}

impl PollPolicy {
    /// A policy with the defaults (2 s .. 30 s, jitter, 3 s micro-poll).
    pub fn with_timeout(timeout: Duration) -> Self {
        PollPolicy {
            timeout,
            min_delay: default_min_delay(),
            max_delay: default_max_delay(),
            jitter: true,
            micro_poll: default_micro_poll(),
        }
    }

    /// Rejects policies that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if self.min_delay.is_zero() {
            return Err("min_delay must be greater than 0s".into());
        }
        if self.min_delay > self.max_delay {
            return Err(format!(
                "min_delay ({}) is longer than max_delay ({})",
                duration_text::format(self.min_delay),
                duration_text::format(self.max_delay)
            ));
        }
        if self.timeout > MAX_POLL_TIMEOUT {
            return Err(format!(
                "timeout ({}) is longer than a Step Functions execution can run ({})",
                duration_text::format(self.timeout),
                duration_text::format(MAX_POLL_TIMEOUT)
            ));
        }
        if self.micro_poll > MAX_MICRO_POLL {
            return Err(format!(
                "micro_poll ({}) is longer than one provider invocation can poll ({}: Lambda's \
                 {} limit less {} for the last call and {} of margins); shorten it, the state \
                 machine's waits take over after that anyway",
                duration_text::format(self.micro_poll),
                duration_text::format(MAX_MICRO_POLL),
                duration_text::format(LAMBDA_MAX_TIMEOUT),
                duration_text::format(CALL_TIMEOUT),
                duration_text::format(INVOCATION_MARGINS),
            ));
        }
        if self.timeout < self.min_delay {
            return Err(format!(
                "timeout ({}) is shorter than min_delay ({}): there would be a single attempt; drop `poll` for that",
                duration_text::format(self.timeout),
                duration_text::format(self.min_delay)
            ));
        }
        Ok(())
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Where a polled step stands between attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PollState {
    /// Attempts made so far (1 after the first).
    pub attempt: u32,
    /// When the first attempt started.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub first_attempt_at: OffsetDateTime,
    /// When the step gives up.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub deadline: OffsetDateTime,
    /// Throttling, 5xx and network errors retried so far.
    #[serde(default)]
    pub transient_errors: u32,
    /// Failed invocations of the provider Step Functions retried so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub invocation_retries: u32,
    /// The one-line summary of the latest attempt that got an answer and
    /// did not match. A poll whose final attempt hits a transient error
    /// (throttled, reset, timed out) still reports what it was waiting for,
    /// even when that mismatch was seen in an earlier invocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_mismatch: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let p: PollPolicy = serde_json::from_str(r#"{"timeout": "5m"}"#).unwrap();
        assert_eq!(p, PollPolicy::with_timeout(Duration::from_secs(300)));
        assert!(p.validate().is_ok());
        let bad: PollPolicy =
            serde_json::from_str(r#"{"timeout": "5m", "min_delay": "1m", "max_delay": "10s"}"#)
                .unwrap();
        assert!(
            bad.validate()
                .unwrap_err()
                .contains("longer than max_delay")
        );
        let year: PollPolicy = serde_json::from_str(r#"{"timeout": "365d"}"#).unwrap();
        assert!(year.validate().is_ok());
        let e = serde_json::from_str::<PollPolicy>(r#"{"timeout": "soon"}"#).unwrap_err();
        assert!(e.to_string().contains("`soon` is not a duration"), "{e}");
    }

    /// Found with the `suite` fuzz target (a crafted poll of a billion
    /// years): such a suite validated, and the provider's deadline
    /// (`first attempt + timeout`) overflowed the time type and panicked.
    #[test]
    fn timeouts_longer_than_an_execution_are_refused() {
        let p: PollPolicy = serde_json::from_str(
            r#"{"timeout": "1000000000y", "min_delay": "100000000y", "max_delay": "100000000y"}"#,
        )
        .unwrap();
        let e = p.validate().unwrap_err();
        assert!(
            e.starts_with(
                "timeout (365250000000d) is longer than a Step Functions execution can run (365d)"
            ),
            "{e}"
        );
        let just_over = PollPolicy::with_timeout(MAX_POLL_TIMEOUT + Duration::from_secs(1));
        assert!(just_over.validate().is_err());
        // As written, not as "1year 1month 4days 7h 26m 24s".
        let p = PollPolicy::with_timeout(Duration::from_secs(400 * 86_400));
        assert_eq!(
            p.validate().unwrap_err(),
            "timeout (400d) is longer than a Step Functions execution can run (365d)"
        );
    }

    /// A micro-poll longer than one invocation can last would be cut by
    /// Lambda: refused, with the longest that works.
    #[test]
    fn micro_polls_longer_than_an_invocation_are_refused() {
        let mut p = PollPolicy::with_timeout(Duration::from_secs(3600));
        p.micro_poll = MAX_MICRO_POLL;
        assert!(p.validate().is_ok());
        p.micro_poll = Duration::from_secs(20 * 60);
        assert_eq!(
            p.validate().unwrap_err(),
            "micro_poll (20m) is longer than one provider invocation can poll (14m 20s: Lambda's \
             15m limit less 30s for the last call and 10s of margins); shorten it, the state \
             machine's waits take over after that anyway"
        );
    }
}
