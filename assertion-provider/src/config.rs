//! Building a provider from the environment: `aws-config`'s default chain
//! for credentials and region (so endpoint overrides and profiles work as
//! for any AWS SDK), the sealing key, and the call timeout.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use vigil_protocol::StepError;

use crate::calls::aws::AwsClient;
use crate::calls::lambda::LambdaInvoker;
use crate::clock::SystemClock;
use crate::provider::Provider;
use crate::sealing::{KeySource, Sealer};
use crate::signing::Signer;

/// An AWS JSON client configured from the environment (credentials,
/// region, endpoint overrides), for tools that read Step Functions.
pub async fn aws_client_from_env() -> Result<AwsClient, StepError> {
    Ok(provider_parts().await?.1)
}

/// A provider configured from the environment.
pub async fn provider_from_env() -> Result<Provider, StepError> {
    let (sdk, aws, http) = provider_parts().await?;
    let sealer = Sealer::new(KeySource::from_env()?, aws.clone());
    Ok(Provider::new(
        aws,
        LambdaInvoker::new(&sdk),
        http,
        sealer,
        Arc::new(SystemClock),
        None,
    ))
}

async fn provider_parts() -> Result<(aws_config::SdkConfig, AwsClient, reqwest::Client), StepError>
{
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let region = sdk
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_else(|| "us-east-1".to_owned());
    // The stack sizes the function for vigil_protocol::CALL_TIMEOUT; a
    // different limit is for `vigil local` and tests.
    let timeout = std::env::var(vigil_protocol::environment::CALL_TIMEOUT)
        .ok()
        .and_then(|t| humantime::parse_duration(&t).ok())
        .unwrap_or(vigil_protocol::CALL_TIMEOUT);
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!(
            "vigil-assertion-provider/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .map_err(|e| StepError {
            kind: vigil_protocol::ErrorKind::Provider,
            code: None,
            message: format!("HTTP client cannot start: {e}"),
            status: None,
        })?;
    let aws = AwsClient::new(
        http.clone(),
        Signer::new(sdk.credentials_provider(), region),
    );
    Ok((sdk, aws, http))
}
