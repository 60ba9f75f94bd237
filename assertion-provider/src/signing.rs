//! SigV4 for every request the provider signs itself (AWS JSON calls, IAM
//! authorised HTTP), with credentials and region from `aws-config`'s default
//! chain — the Lambda's role in the cloud, the usual environment locally.

use std::time::SystemTime;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use vigil_protocol::{ErrorKind, StepError};

/// Signs requests for one region.
#[derive(Debug, Clone)]
pub struct Signer {
    credentials: Option<SharedCredentialsProvider>,
    region: String,
}

fn provider_error(message: String) -> StepError {
    StepError {
        kind: ErrorKind::Authorization,
        code: None,
        message,
        status: None,
    }
}

impl Signer {
    /// A signer from a loaded SDK configuration.
    pub fn new(credentials: Option<SharedCredentialsProvider>, region: String) -> Self {
        Signer {
            credentials,
            region,
        }
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Adds the SigV4 headers (and the session token, if any) to `req`.
    pub async fn sign(&self, req: &mut reqwest::Request, service: &str) -> Result<(), StepError> {
        let provider = self.credentials.as_ref().ok_or_else(|| {
            provider_error(
                "no AWS credentials are configured (the default credential chain found none)"
                    .into(),
            )
        })?;
        let credentials = provider.provide_credentials().await.map_err(|e| {
            provider_error(format!(
                "AWS credentials could not be loaded: {}",
                crate::errors::with_causes(&e)
            ))
        })?;
        let identity: Identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| provider_error(format!("cannot build SigV4 parameters: {e}")))?
            .into();
        let body: &[u8] = req.body().and_then(|b| b.as_bytes()).unwrap_or_default();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let signable = SignableRequest::new(
            req.method().as_str(),
            req.url().as_str(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| provider_error(format!("request cannot be signed: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| provider_error(format!("SigV4 signing failed: {e}")))?
            .into_parts();
        for (name, value) in instructions.headers() {
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| provider_error(format!("bad signed header: {e}")))?;
            let value = http::HeaderValue::from_str(value)
                .map_err(|e| provider_error(format!("bad signed header: {e}")))?;
            req.headers_mut().insert(name, value);
        }
        Ok(())
    }
}
