//! The Lambda entry point: one event = one attempt of one step.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use vigil_protocol::{ProviderRequest, ProviderResponse};

// One invocation at a time is all Lambda ever gives a process, so one
// thread runs it: no worker pool (each worker costs stack and wakeups), which
// keeps peak RSS and cold start down.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let provider = assertion_provider::provider_from_env()
        .await
        .map_err(|e| Error::from(e.message))?;
    let provider = &provider;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ProviderRequest>| async move {
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            // Lambda always sends a deadline in the future; a missing or past
            // one (local runtime emulators send 0) means "unknown", not
            // "no time left", which would forbid every in-process wait.
            let left = (event.context.deadline > now_ms)
                .then(|| Duration::from_millis(event.context.deadline - now_ms));
            let response: ProviderResponse = provider.handle(event.payload, left).await;
            // One line per invocation, never a value: step, attempt, verdict.
            tracing::info!(
                time_left_ms = left.map_or(0, |l| l.as_millis() as u64),
                step = %response.report.step,
                attempt = response.report.attempt,
                verdict = ?response.verdict,
                wait_seconds = response.wait_seconds.unwrap_or(0),
                "attempt done"
            );
            Ok::<_, Error>(response)
        },
    ))
    .await
}
