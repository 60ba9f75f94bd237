//! Step Functions' limits, what the compiled definition costs against
//! them, and the one budget both the compiler and validation use.
//!
//! A leaf module: validation checks a suite against these numbers before
//! anything is compiled, and the compiler emits what they describe, so
//! neither imports the other.

use crate::suite::Suite;

/// Step Functions keeps at most this many events in one execution's history.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;
/// Step Functions' limit on one state's input or output.
pub const MAX_STATE_BYTES: usize = 256 * 1024;
/// Step Functions' limit on a state name.
pub const MAX_STATE_NAME_CHARS: usize = 80;
/// History events per polled attempt in the compiled loop: the Task
/// (entered, scheduled, started, succeeded, exited), the Choice (entered,
/// exited) and the Wait (entered, exited).
pub const EVENTS_PER_ATTEMPT: u64 = 9;
/// Events per step besides its attempts (the two Pass states that record it).
pub const EVENTS_PER_STEP: u64 = 4;
/// Events of the execution's own frame (start, init, parallel, report, end).
pub const EVENTS_PER_EXECUTION: u64 = 16;
/// Events per scenario branch (its start and end states).
pub const EVENTS_PER_SCENARIO: u64 = 6;
/// The smallest share of the 256 KiB state a scenario's report may get.
pub const MIN_REPORT_BYTES: usize = 8 * 1024;
/// What the joined state holds besides the branches' reports: the
/// execution's frame, names, statuses, summaries.
pub const BOOKKEEPING_BYTES: usize = 16 * 1024;

/// Bytes the parameters take in the state: each default's JSON text (4 for
/// none, `null`) and 16 for its key and punctuation.
pub fn params_bytes(suite: &Suite) -> usize {
    suite
        .params
        .values()
        .map(|p| p.default.as_ref().map_or(4, |v| v.to_string().len()) + 16)
        .sum()
}

/// Each of `branches` Parallel branches' share of the 256 KiB the joined
/// state may take: what a step's answer may hold. The compiler writes it
/// into every Task; validation refuses a suite whose share is under
/// [`MIN_REPORT_BYTES`]; `vigil local` enforces the same number.
pub fn response_share(suite: &Suite, branches: usize) -> usize {
    MAX_STATE_BYTES.saturating_sub(params_bytes(suite) + BOOKKEEPING_BYTES) / branches.max(1)
}
