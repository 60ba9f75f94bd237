//! Reading an answer's body with a ceiling.
//!
//! The provider runs in a Lambda of fixed memory (256 MB by default), and a
//! parsed JSON document takes several times its text. An unbounded read of
//! an unexpectedly large answer (a `Scan` without `Limit`, a log dump) would
//! end the invocation with an out-of-memory crash that says nothing about
//! the step. Past the ceiling the step fails instead, saying how large the
//! answer was and how to narrow the call.

use std::sync::OnceLock;

use vigil_protocol::{ErrorKind, StepError};

use crate::errors::network_error;

/// The default ceiling: 16 MiB of text. Parsed, JSON takes several times
/// its size (a 10 MiB answer of small DynamoDB items peaks near 100 MB, see
/// `bench/run`'s answer-memory table), so this keeps the default 256 MB
/// function clear of its limit.
pub const DEFAULT_MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The ceiling in force: `VIGIL_MAX_ANSWER_BYTES` (bytes) when set and
/// valid, else [`DEFAULT_MAX_ANSWER_BYTES`]. Read once per container.
pub fn max_answer_bytes() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var(vigil_protocol::environment::MAX_ANSWER_BYTES)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_MAX_ANSWER_BYTES)
    })
}

fn too_large(what: &str, seen: u64, limit: usize) -> StepError {
    StepError {
        kind: ErrorKind::InvalidStep,
        code: Some("AnswerTooLarge".into()),
        message: format!(
            "{what}: the answer is at least {seen} bytes, more than the {limit} vigil reads; \
             narrow the call (a Limit, a filter, one page) or raise VIGIL_MAX_ANSWER_BYTES \
             together with the provider's memory"
        ),
        status: None,
    }
}

/// The whole body, or an error once it passes `limit` bytes (checked
/// against Content-Length first, so an announced large answer is not read
/// at all).
pub async fn read_limited(
    mut resp: reqwest::Response,
    what: &str,
    limit: usize,
) -> Result<Vec<u8>, StepError> {
    if let Some(announced) = resp.content_length()
        && announced > limit as u64
    {
        return Err(too_large(what, announced, limit));
    }
    let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(|e| network_error(what, &e))? {
        if body.len() + chunk.len() > limit {
            return Err(too_large(what, (body.len() + chunk.len()) as u64, limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
