//! How long one invocation of the provider may take: the function's
//! timeout in the stack and the bound on each Task of the definition come
//! from this one formula, so they cannot drift apart.
//!
//! One invocation is one attempt of one step plus the short re-polls
//! inside it (`micro_poll`). The function's timeout covers the longest of
//! those plus one call and the margins, or Lambda would kill an attempt
//! that was about to answer. The Task's `TimeoutSeconds` sits a little
//! above it: on AWS, Lambda's own timeout ends a stuck invocation first
//! (with its error in the report); where nothing enforces a function
//! timeout (`cargo lambda watch` in the local chain) or the Invoke itself
//! hangs, the Task's timeout ends it, as `States.Timeout`, which the
//! step's `Catch` reports as "the provider could not run".

use std::time::Duration;

use vigil_protocol::{CALL_TIMEOUT, INVOCATION_MARGINS, LAMBDA_MAX_TIMEOUT};

use crate::Suite;

/// The least timeout the function gets.
pub const MIN_PROVIDER_TIMEOUT: Duration = Duration::from_secs(60);

/// How much longer a Task waits than the function may run: Lambda's
/// start-up (a cold start of the provider takes well under a second) and
/// the Invoke's own round trip.
pub const TASK_TIMEOUT_MARGIN: Duration = Duration::from_secs(30);

/// The provider function's timeout: the longest micro-poll window of any
/// step plus one call and the margins, at least a minute, at most
/// Lambda's 15 minutes.
pub fn provider_timeout(suite: &Suite) -> Duration {
    let window = suite
        .scenarios
        .values()
        .flat_map(|s| s.steps.iter())
        .filter_map(|s| s.poll.as_ref().map(|p| p.micro_poll))
        .max()
        .unwrap_or_default();
    // Saturating: the result is clamped to 15 minutes anyway, and a
    // micro-poll of ~2^64 seconds (a valid duration) made `+` panic.
    let secs = window
        .saturating_add(CALL_TIMEOUT)
        .saturating_add(INVOCATION_MARGINS)
        .as_secs();
    Duration::from_secs(secs.clamp(MIN_PROVIDER_TIMEOUT.as_secs(), LAMBDA_MAX_TIMEOUT.as_secs()))
}

/// Each Task's `TimeoutSeconds`.
pub fn task_timeout(suite: &Suite) -> Duration {
    provider_timeout(suite) + TASK_TIMEOUT_MARGIN
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{Format, parse};

    fn with_micro_poll(micro_poll: &str) -> Suite {
        let text = format!(
            "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {{kind: aws, service: dynamodb, operation: ListTables}}\n        poll: {{timeout: 10m, micro_poll: {micro_poll}}}\n"
        );
        parse(&text, Format::Yaml, Path::new("t.yaml")).unwrap()
    }

    /// Found with the `suite` fuzz target (which synthesizes the stack of
    /// every valid suite) on a crafted micro-poll: `vigil synth` panicked
    /// with "overflow when adding durations".
    #[test]
    fn a_huge_micro_poll_gets_the_longest_timeout_without_overflow() {
        let secs = |m: &str| provider_timeout(&with_micro_poll(m)).as_secs();
        assert_eq!(secs("18446744073709551600s"), 900);
        assert_eq!(secs("3s"), 60);
        assert_eq!(secs("2m"), 160);
        assert_eq!(task_timeout(&with_micro_poll("2m")).as_secs(), 190);
    }
}
