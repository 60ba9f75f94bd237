//! The names of the states a suite compiles to: read like the suite in the
//! console (`<scenario> · <step>`), unique, at most 80 characters.
//!
//! A leaf module: the compiler names states with it, validation checks
//! with it that no two steps would share a name.

use crate::limits::MAX_STATE_NAME_CHARS;

/// The suffixes of the states each step compiles to, in order: the Task,
/// then its Choice, Wait and the Pass states that record the outcome.
pub const STEP_STATE_SUFFIXES: [&str; 7] = [
    "",
    " · verdict",
    " · wait",
    " · record",
    " · passed",
    " · failed",
    " · crashed",
];

/// The names of a step's states (see [`STEP_STATE_SUFFIXES`]).
pub fn step_state_names(scenario: &str, step: &str) -> [String; 7] {
    STEP_STATE_SUFFIXES.map(|suffix| state_name(scenario, step, suffix))
}

/// The Pass state a branch starts with, named after its first scenario.
/// The parentheses keep it apart from every step's states: a step id is
/// letters, digits, `_` and `-`, so a step called `start` is `<scenario> ·
/// start`, not this.
pub fn branch_start_name(scenario: &str) -> String {
    format!("{scenario} · (start)")
}

/// The Pass state a branch ends with when every step passed; see
/// [`branch_start_name`] for why the parentheses.
pub fn branch_done_name(scenario: &str) -> String {
    format!("{scenario} · (done)")
}

/// A state name that fits Step Functions' 80 characters: the step part is
/// shortened (with a short hash of the full name, so names stay unique) when
/// `<scenario> · <step><suffix>` would be longer. The hash has 16 bits, so
/// two long ids can still meet; [`crate::validate`] reports that.
pub fn state_name(scenario: &str, step: &str, suffix: &str) -> String {
    let full = format!("{scenario} · {step}{suffix}");
    if full.chars().count() <= MAX_STATE_NAME_CHARS {
        return full;
    }
    let hash = full.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let tag = format!("~{:04x}", hash & 0xffff);
    let room = MAX_STATE_NAME_CHARS - format!("{scenario} · {suffix}{tag}").chars().count();
    let short: String = step.chars().take(room).collect();
    format!("{scenario} · {short}{tag}{suffix}")
}
