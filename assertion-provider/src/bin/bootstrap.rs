//! The Lambda entry point: one event = one attempt of one step.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use vigil_protocol::{ProviderRequest, ProviderResponse};

#[tokio::main]
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
            let left = Duration::from_millis(event.context.deadline.saturating_sub(now_ms));
            let response: ProviderResponse = provider.handle(event.payload, Some(left)).await;
            // One line per invocation, never a value: step, attempt, verdict.
            tracing::info!(
                step = %response.report.step,
                attempt = response.report.attempt,
                verdict = ?response.verdict,
                wait_seconds = response.wait_seconds,
                "attempt done"
            );
            Ok::<_, Error>(response)
        },
    ))
    .await
}
