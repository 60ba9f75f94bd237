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

/// The provider's timeout, in seconds
/// ([`vigil_state_machine::provider_timeout::provider_timeout`], which also
/// bounds each Task of the definition).
pub fn provider_timeout_seconds(suite: &Suite) -> i64 {
    vigil_state_machine::provider_timeout::provider_timeout(suite).as_secs() as i64
}
