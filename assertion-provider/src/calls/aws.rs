//! Any AWS JSON-protocol operation (awsJson 1.0/1.1), by service and
//! operation, with the request in the API's own JSON shape.
//!
//! One generic client instead of an SDK crate per service: a suite can call
//! every JSON service botocore knows (DynamoDB, Step Functions, Secrets
//! Manager, Cognito, CloudWatch Logs, SSM, KMS, SQS, ...) and the Lambda
//! stays small. The wire facts per service come from botocore's models
//! (`vigil_aws_model::services`, generated).

use serde_json::Value;
use vigil_protocol::{ErrorKind, StepError};

use crate::errors::{classify_aws, network_error};
use crate::signing::Signer;
use vigil_aws_model::services::{AWS_SERVICES, AwsService, Protocol};

/// Calls AWS JSON-protocol APIs.
#[derive(Debug, Clone)]
pub struct AwsClient {
    http: reqwest::Client,
    signer: Signer,
    /// One endpoint for every service (an emulator); `None` resolves per
    /// service from the environment.
    endpoint_override: Option<String>,
}

fn invalid(message: String) -> StepError {
    StepError {
        kind: ErrorKind::InvalidStep,
        code: None,
        message,
        status: None,
    }
}

/// "Did you mean" among the JSON-protocol services, for error messages
/// (one likely name, not the ~150 there are).
fn suggestion(name: &str) -> String {
    vigil_matchers::suggest::did_you_mean(
        name,
        AWS_SERVICES
            .iter()
            .filter(|s| matches!(s.protocol, Protocol::AwsJson1_0 | Protocol::AwsJson1_1))
            .map(|s| s.name),
    )
}

/// Looks a service up by its CLI name and checks vigil can speak to it.
pub fn json_service(name: &str) -> Result<&'static AwsService, StepError> {
    let Some(service) = AWS_SERVICES.iter().find(|s| s.name == name) else {
        return Err(invalid(format!(
            "unknown AWS service `{name}`: the aws call takes a service's AWS CLI name \
             (`dynamodb`, `stepfunctions`, ...){}",
            suggestion(name)
        )));
    };
    match service.protocol {
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => Ok(service),
        other => {
            let hint = if name == "lambda" {
                "; to invoke a function, use a `lambda` call"
            } else {
                ""
            };
            Err(invalid(format!(
                "AWS service `{name}` speaks {other:?}, not awsJson 1.0/1.1, so the aws call cannot \
                 reach it{hint}"
            )))
        }
    }
}

/// The endpoint for a service: `AWS_ENDPOINT_URL_<SERVICE_ID>`, then
/// `AWS_ENDPOINT_URL`, then the regional AWS endpoint — the order the AWS
/// SDKs use, so the same environment points vigil and the SDKs at the same
/// place (an emulator, a VPC endpoint).
pub fn endpoint(
    service: &AwsService,
    region: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let var = format!(
        "AWS_ENDPOINT_URL_{}",
        service
            .service_id
            .to_ascii_uppercase()
            .replace([' ', '-'], "_")
    );
    env(&var)
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("https://{}.{region}.amazonaws.com", service.endpoint_prefix))
}

impl AwsClient {
    /// A client that signs with `signer` and sends with `http`.
    pub fn new(http: reqwest::Client, signer: Signer) -> Self {
        AwsClient {
            http,
            signer,
            endpoint_override: None,
        }
    }

    /// The same client, sending every service to `url` (tests, emulators)
    /// regardless of the environment.
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint_override = Some(url.into());
        self
    }

    /// The signer (shared with IAM-authorised HTTP calls).
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Calls `operation` of `service` with `params`; the parsed JSON answer,
    /// or the service's error, classified.
    pub async fn call(
        &self,
        service: &str,
        operation: &str,
        params: &Value,
    ) -> Result<Value, StepError> {
        let svc = json_service(service)?;
        if operation.is_empty() || !operation.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid(format!(
                "`{operation}` is not an operation name (e.g. GetItem, StartExecution)"
            )));
        }
        let url = match &self.endpoint_override {
            Some(u) => u.clone(),
            None => endpoint(svc, self.signer.region(), &|k| std::env::var(k).ok()),
        };
        let content_type = match svc.protocol {
            Protocol::AwsJson1_1 => "application/x-amz-json-1.1",
            _ => "application/x-amz-json-1.0",
        };
        let body = serde_json::to_vec(params).unwrap_or_default();
        let mut req = self
            .http
            .post(&url)
            .header("content-type", content_type)
            .header("x-amz-target", format!("{}.{operation}", svc.target_prefix))
            .body(body)
            .build()
            .map_err(|e| invalid(format!("endpoint `{url}` for {service} is not usable: {e}")))?;
        self.signer.sign(&mut req, svc.signing_name).await?;
        let resp = self
            .http
            .execute(req)
            .await
            .map_err(|e| network_error(&format!("{service} {operation}"), &e))?;
        let status = resp.status().as_u16();
        let error_type = resp
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = super::body::read_limited(
            resp,
            &format!("{service} {operation}"),
            super::body::max_answer_bytes(),
        )
        .await?;
        let json: Value = if bytes.is_empty() {
            Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        if (200..300).contains(&status) {
            return Ok(json);
        }
        Err(classify_aws(status, error_type.as_deref(), &json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_sdk_order() {
        let svc = json_service("cognito-idp").unwrap();
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER" => Some("http://127.0.0.1:1".to_owned()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:2".to_owned()),
            _ => None,
        };
        assert_eq!(endpoint(svc, "eu-west-1", &env), "http://127.0.0.1:1");
        let ddb = json_service("dynamodb").unwrap();
        assert_eq!(endpoint(ddb, "eu-west-1", &env), "http://127.0.0.1:2");
        assert_eq!(
            endpoint(ddb, "eu-west-1", &|_| None),
            "https://dynamodb.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn unsupported_services_are_explained() {
        let e = json_service("s3").unwrap_err();
        assert!(e.message.contains("`s3` speaks RestXml"), "{}", e.message);
        // One likely name, never the whole table of ~150.
        assert!(e.message.len() < 200, "{}", e.message);
        assert!(
            json_service("lambda")
                .unwrap_err()
                .message
                .contains("use a `lambda` call")
        );
        assert!(
            json_service("dynamo")
                .unwrap_err()
                .message
                .ends_with("did you mean `dynamodb`?")
        );
        for name in [
            "dynamodb",
            "stepfunctions",
            "secretsmanager",
            "cognito-idp",
            "logs",
            "ssm",
            "kms",
            "sqs",
        ] {
            assert!(json_service(name).is_ok(), "{name}");
        }
    }
}
