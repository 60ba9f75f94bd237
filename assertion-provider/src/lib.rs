//! vigil's assertion provider: the Lambda that runs one attempt of one test
//! step inside the account.
//!
//! An invocation receives a [`ProviderRequest`](vigil_protocol::ProviderRequest)
//! (the step as an opaque JSON string, the run's parameters, the captures so
//! far, the poll state), resolves `${...}` templates, calls (AWS JSON API,
//! Lambda, HTTP), selects, matches, captures (sealing secrets), and answers
//! `pass`, `retry` with a wait, or `fail`, with a compact report that lists
//! every mismatch. The `bootstrap` binary runs it on `lambda_runtime`.

pub mod backoff;
pub mod calls;
pub mod clock;
pub mod cognito;
mod config;
pub mod errors;
pub mod provider;
mod redact;
pub mod sealing;
pub mod signing;
mod size;

pub use config::{aws_client_from_env, provider_from_env};
pub use provider::Provider;
