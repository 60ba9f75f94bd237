//! How big and how long the provider function is, from the suite.
//!
//! One invocation is one attempt of one step, plus the short in-invocation
//! re-polls (`micro_poll`) the provider does before handing the wait back
//! to the state machine. Its timeout must cover the longest of those plus
//! one call, or Lambda kills an attempt that would have answered.

use vigil_state_machine::Suite;

/// Memory for the provider. The binary needs ~20 MB; a response is capped
/// (200 KiB out) but the call's answer may be several MB of JSON that is
/// parsed and matched in memory, and Lambda's CPU share grows with memory.
pub const PROVIDER_MEMORY_MB: i64 = 256;

pub use vigil_protocol::{CALL_TIMEOUT, INVOCATION_MARGINS as MARGIN};

/// The provider's timeout, in seconds: the longest micro-poll window of any
/// step plus one call and the margins, at least a minute, at most Lambda's
/// 15 minutes.
pub fn provider_timeout_seconds(suite: &Suite) -> i64 {
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
        .saturating_add(MARGIN)
        .as_secs();
    secs.clamp(60, vigil_protocol::LAMBDA_MAX_TIMEOUT.as_secs()) as i64
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use vigil_state_machine::{Format, parse};

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
        let suite = with_micro_poll("18446744073709551600s");
        assert_eq!(provider_timeout_seconds(&suite), 900);
        assert_eq!(provider_timeout_seconds(&with_micro_poll("3s")), 60);
        assert_eq!(provider_timeout_seconds(&with_micro_poll("2m")), 160);
    }
}
