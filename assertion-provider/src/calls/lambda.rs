//! Invoking a Lambda function (`aws-sdk-lambda`, so the SDK's endpoint
//! rules, retries for its own transport, and `AWS_ENDPOINT_URL_LAMBDA`
//! apply).

use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::primitives::Blob;
use serde_json::{Value, json};
use vigil_protocol::{ErrorKind, StepError};

use crate::errors::{classify_aws, with_causes};

/// Invokes functions synchronously.
#[derive(Debug, Clone)]
pub struct LambdaInvoker {
    client: aws_sdk_lambda::Client,
}

impl LambdaInvoker {
    /// An invoker from a loaded SDK configuration.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        // The provider owns the retry policy (counted, deadline-bound); the
        // SDK's own retries would hide throttling from the report.
        let conf = aws_sdk_lambda::config::Builder::from(config)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        LambdaInvoker {
            client: aws_sdk_lambda::Client::from_conf(conf),
        }
    }

    /// Invokes `function` with `payload`: the function's answer (parsed as
    /// JSON when it is JSON), or its error reported as a function error.
    pub async fn invoke(&self, function: &str, payload: &Value) -> Result<Value, StepError> {
        let body = serde_json::to_vec(payload).unwrap_or_default();
        let out = self
            .client
            .invoke()
            .function_name(function)
            .payload(Blob::new(body))
            .send()
            .await
            .map_err(|e| sdk_error(function, e))?;
        let bytes = out
            .payload()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default();
        let parsed: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        if let Some(kind) = out.function_error() {
            return Err(StepError {
                kind: ErrorKind::FunctionError,
                code: parsed
                    .get("errorType")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| Some(kind.to_owned())),
                message: parsed
                    .get("errorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("function {function} failed ({kind})")),
                status: Some(out.status_code() as u16),
            });
        }
        Ok(parsed)
    }
}

fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    function: &str,
    e: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> StepError {
    match &e {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let err = se.err();
            let mut out = classify_aws(
                status,
                err.code(),
                &json!({"message": err.message().unwrap_or("no message")}),
            );
            out.message = format!("invoking {function}: {}", out.message);
            out
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StepError {
                kind: ErrorKind::Network,
                code: None,
                message: format!("invoking {function}: {}", with_causes(&e)),
                status: None,
            }
        }
        _ => StepError {
            kind: ErrorKind::InvalidStep,
            code: None,
            message: format!("invoking {function}: {}", with_causes(&e)),
            status: None,
        },
    }
}
