//! How big and how long the provider function is, from the suite.
//!
//! One invocation is one attempt of one step, plus the short in-invocation
//! re-polls (`micro_poll`) the provider does before handing the wait back
//! to the state machine. Its timeout must cover the longest of those plus
//! one call, or Lambda kills an attempt that would have answered.

use std::time::Duration;

use vigil_state_machine::Suite;

/// Memory for the provider. The binary needs ~20 MB; a response is capped
/// (200 KiB out) but the call's answer may be several MB of JSON that is
/// parsed and matched in memory, and Lambda's CPU share grows with memory.
pub const PROVIDER_MEMORY_MB: i64 = 256;

/// The provider's own time limit for one call (its `VIGIL_CALL_TIMEOUT`).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The margin the provider keeps before its deadline (see
/// `assertion_provider::provider::INVOCATION_MARGIN`), counted twice: once
/// for the last call's answer, once for the reply.
pub const MARGIN: Duration = Duration::from_secs(10);

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
    let secs = (window + CALL_TIMEOUT + MARGIN).as_secs();
    secs.clamp(60, 900) as i64
}
