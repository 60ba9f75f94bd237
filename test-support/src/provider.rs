//! Providers and requests built the way the Lambda builds them, pointed at
//! local endpoints.

use std::sync::Arc;
use std::time::Duration;

use assertion_provider::Provider;
use assertion_provider::calls::aws::AwsClient;
use assertion_provider::calls::lambda::LambdaInvoker;
use assertion_provider::clock::Clock;
use assertion_provider::sealing::{KeySource, Sealer};
use assertion_provider::signing::Signer;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use serde_json::Value;
use vigil_protocol::{CaptureTable, PollState, ProviderRequest};

/// Credentials moto accepts.
pub fn test_credentials() -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(Credentials::new(
        "testing",
        "testing",
        None,
        None,
        "vigil-tests",
    ))
}

/// The HTTP client the provider would build, with this call timeout.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

/// An AWS JSON client signing with [`test_credentials`] for `endpoint`.
pub fn aws_client(endpoint: &str) -> AwsClient {
    AwsClient::new(
        http_client(Duration::from_secs(10)),
        Signer::new(Some(test_credentials()), "us-east-1".into()),
    )
    .with_endpoint(endpoint)
}

/// A provider whose AWS calls go to `aws_endpoint`, Lambda invocations to
/// `lambda_endpoint`.
pub fn provider(
    aws_endpoint: &str,
    lambda_endpoint: &str,
    clock: Arc<dyn Clock>,
    key: KeySource,
    call_timeout: Duration,
) -> Provider {
    let http = http_client(call_timeout);
    let aws = AwsClient::new(
        http.clone(),
        Signer::new(Some(test_credentials()), "us-east-1".into()),
    )
    .with_endpoint(aws_endpoint);
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(test_credentials())
        .endpoint_url(lambda_endpoint)
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let sealer = Sealer::new(key, aws.clone());
    Provider::new(aws, LambdaInvoker::new(&sdk), http, sealer, clock, Some(7))
}

/// The Lambda event of one attempt of `step` (this protocol version).
pub fn request(step: Value, captures: CaptureTable, poll: Option<PollState>) -> ProviderRequest {
    ProviderRequest {
        protocol: Some(vigil_protocol::PROTOCOL_VERSION),
        step: step.to_string(),
        params: Default::default(),
        captures,
        poll,
        max_response_bytes: None,
        retry_count: 0,
    }
}
