//! The Lambda event the state machine sends for one attempt, and the answer.

/// The version of the contract between a compiled definition and the
/// provider: the request, the response and the run report carry it. A
/// definition and a provider from different vigil builds that disagree on
/// it fail the step at once, saying so, instead of with a confusing
/// "unknown field" or — worse — running with different meanings.
///
/// 1: before versions were sent (a request without `protocol`).
/// 2: a response carries only its step's captures (the state machine
///    merges them); steps may say `view`.
pub const PROTOCOL_VERSION: u32 = 2;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_matchers::{Report, StepId};

use crate::captures::CaptureTable;
use crate::poll::PollState;

/// One attempt of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderRequest {
    /// The protocol the definition was compiled for ([`PROTOCOL_VERSION`];
    /// absent means 1, from before versions were sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u32>,
    /// The step, as the opaque JSON string the definition embeds (see
    /// [`StepSpec::from_wire`](crate::StepSpec::from_wire)).
    pub step: String,
    /// The run's parameters (defaults merged with the execution input).
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// Captures of earlier steps.
    #[serde(default)]
    pub captures: CaptureTable,
    /// Absent (or `null`) on a step's first attempt.
    #[serde(default)]
    pub poll: Option<PollState>,
    /// The most this step's response may take, set by the compiler so that
    /// all parallel branches together stay under Step Functions' 256 KiB
    /// (the provider's own ceiling applies when absent or larger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_bytes: Option<usize>,
    /// How many times Step Functions retried this invocation (the Task's
    /// `$$.State.RetryCount`): Lambda throttling or service errors that
    /// never reached the provider, counted so the report shows them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retry_count: u32,
}

/// What the provider decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The step is done and passed.
    Pass,
    /// Not yet: call again after `wait_seconds`.
    Retry,
    /// The step is done and failed (mismatch at the deadline, or an error
    /// that retrying cannot fix).
    Fail,
}

/// The answer to one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderResponse {
    /// The provider's protocol ([`PROTOCOL_VERSION`]).
    #[serde(default = "protocol_one")]
    pub protocol: u32,
    /// What to do next.
    pub verdict: Verdict,
    /// For `retry`: whole seconds to wait (Step Functions' Wait takes
    /// integers); the provider already clamped it to the deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_seconds: Option<u64>,
    /// This step's own captures (sealed where secret), nothing else: the
    /// state machine merges them into the captures it holds
    /// (`States.JsonMerge`), so each capture sits in the 256 KiB state
    /// once. Echoing the whole table back held every earlier capture twice
    /// between the Task and the next state, and a state over the limit
    /// fails the execution with `States.DataLimitExceeded`, which no
    /// `Catch` can handle.
    pub captures: CaptureTable,
    /// State for the next attempt.
    pub poll: PollState,
    /// What happened, compactly.
    pub report: StepReport,
}

/// The compact record of an attempt, shown per poll in the console and
/// collected into the run report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepReport {
    /// The step.
    pub step: StepId,
    /// Attempts so far (micro-polls inside one invocation included).
    pub attempt: u32,
    /// Milliseconds since the first attempt started.
    pub elapsed_ms: u64,
    /// How the last attempt ended.
    pub outcome: StepOutcome,
    /// The outcome in one line, for the console and the execution's failure
    /// cause: `matched`, or the first mismatches with their paths, or the error.
    #[serde(default)]
    pub summary: String,
    /// Throttling, 5xx and network errors retried so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub transient_errors: u32,
    /// Invocations of the provider for this step that failed before it
    /// could answer (Lambda throttled or erred) and that Step Functions
    /// retried.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub invocation_retries: u32,
    /// Set when the report was shortened to keep the response small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

fn protocol_one() -> u32 {
    1
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl StepReport {
    /// What was retried on the way to this outcome, for people (`2
    /// transient errors and 1 failed invocation retried`); `None` when
    /// nothing was. A green step that needed retries is worth knowing about.
    pub fn retried(&self) -> Option<String> {
        let plural =
            |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = Vec::new();
        if self.transient_errors > 0 {
            parts.push(plural(
                self.transient_errors,
                "transient error",
                "transient errors",
            ));
        }
        if self.invocation_retries > 0 {
            parts.push(plural(
                self.invocation_retries,
                "failed invocation",
                "failed invocations",
            ));
        }
        (!parts.is_empty()).then(|| format!("{} retried", parts.join(" and ")))
    }
}

impl StepOutcome {
    /// One line for people: the first mismatches with their paths (at most
    /// three, then a count), or the error with its code.
    pub fn summary(&self) -> String {
        match self {
            StepOutcome::Matched => "matched".to_owned(),
            StepOutcome::Mismatched { report, timed_out } => {
                let all = report.mismatches();
                let mut parts: Vec<String> = all
                    .iter()
                    .take(3)
                    .map(|m| {
                        format!(
                            "{}: expected {}, got {} ({})",
                            m.path, m.expected, m.actual, m.reason
                        )
                    })
                    .collect();
                if all.len() > 3 {
                    parts.push(format!("and {} more", all.len() - 3));
                }
                let head = if *timed_out {
                    "timed out; last attempt: "
                } else {
                    ""
                };
                let mut text = format!(
                    "{head}{} mismatch{}: {}",
                    all.len(),
                    if all.len() == 1 { "" } else { "es" },
                    parts.join("; ")
                );
                if text.chars().count() > 1000 {
                    text = text.chars().take(999).collect::<String>() + "…";
                }
                text
            }
            StepOutcome::Error { error } => format!(
                "{:?} error{}: {}",
                error.kind,
                error
                    .code
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default(),
                error.message
            ),
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepOutcome {
    /// The expectation matched (or there was none and the call succeeded).
    Matched,
    /// The selection did not match (yet); every mismatch with its path.
    Mismatched {
        /// The mismatches.
        report: Report,
        /// Set on the final attempt: the step timed out.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        timed_out: bool,
    },
    /// The call (or the step itself) failed.
    Error {
        /// What went wrong.
        error: StepError,
    },
}

/// A failed call or an unusable step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StepError {
    /// The class of error, which decides retry or fail.
    pub kind: ErrorKind,
    /// The service's error code (`ResourceNotFoundException`, `FORBIDDEN`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The service's (or vigil's) message.
    pub message: String,
    /// HTTP status, when there was a response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// Error classes. Throttling, server and network errors are transient and
/// retried within the poll deadline; everything else fails the step at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 429 or a throttling error code.
    Throttled,
    /// 5xx.
    Server,
    /// Connection refused, reset, DNS, TLS, timeout.
    Network,
    /// 401/403, expired or missing credentials, access denied.
    Authorization,
    /// A 4xx the request itself caused (validation, not found, conflict).
    Client,
    /// The Lambda function raised an error.
    FunctionError,
    /// The step cannot run as written (unknown service, bad template, ...).
    InvalidStep,
    /// The provider itself could not work (sealing key, configuration).
    Provider,
}

impl std::fmt::Display for ErrorKind {
    /// What people read in the CLI and reports: the same words as the JSON
    /// form (`throttled`, `function_error`, ...), with spaces.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorKind::Throttled => "throttled",
            ErrorKind::Server => "server error",
            ErrorKind::Network => "network error",
            ErrorKind::Authorization => "authorization error",
            ErrorKind::Client => "client error",
            ErrorKind::FunctionError => "function error",
            ErrorKind::InvalidStep => "invalid step",
            ErrorKind::Provider => "provider error",
        })
    }
}

impl ErrorKind {
    /// Whether another attempt may succeed.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Server | ErrorKind::Network
        )
    }
}

#[cfg(test)]
mod protocol_version_tests {
    use super::PROTOCOL_VERSION;

    /// The cold-start benchmark sends requests by hand: it must speak this
    /// protocol, or it would time a refusal instead of an attempt.
    #[test]
    fn the_benchmark_speaks_this_protocol() {
        let script = include_str!("../../bench/vigil_cold.py");
        assert!(
            script.contains(&format!("\nPROTOCOL = {PROTOCOL_VERSION}\n")),
            "bench/vigil_cold.py sends another protocol than {PROTOCOL_VERSION}"
        );
    }
}
