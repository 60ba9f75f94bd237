//! What AWS refused, and how to fix it, in one message.
//!
//! The SDK's `Display` for a failed call is often just `service error`, and
//! an answer it cannot parse (a proxy's page, an XML error where it expected
//! another shape) leaves it no code at all. People then cannot tell a typo
//! in a stack name from expired credentials. Every AWS error the CLI shows
//! goes through [`explain`]: the operation, the service's code and message
//! (read from the raw answer when the SDK could not), the HTTP status, and
//! for credential and permission problems what to check.

use assertion_provider::errors::classify_aws;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use serde_json::Value;
use vigil_aws_model::auth_errors::AuthProblem;

/// The fix to suggest for an error code or status, if it is about
/// credentials or permissions.
pub(crate) fn hint(code: Option<&str>, status: Option<u16>) -> Option<&'static str> {
    match (code.map(AuthProblem::of), status) {
        (Some(Some(AuthProblem::RejectedCredentials)), _) => Some(
            "AWS did not accept these credentials. Check which ones are in use (AWS_PROFILE, or \
             AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; \
             `aws sts get-caller-identity` shows them) and that a temporary session has not \
             expired (`aws sso login`, or refresh the role session in CI)",
        ),
        (Some(Some(AuthProblem::Denied)), _) => Some(
            "the credentials are valid but not allowed to do this: grant the action the message \
             names to the role or user running vigil",
        ),
        (None, Some(401 | 403)) => Some(
            "AWS refused the request without saying why: usually credentials that are wrong, \
             expired, or for another account (`aws sts get-caller-identity` shows which are in use)",
        ),
        _ => None,
    }
}

/// Code and message from an error body the SDK could not read, by the
/// provider's own AWS error reader (JSON `__type`/`code`/`message`, or XML
/// `<Code>`/`<Message>`, else the start of the body).
fn from_body(status: u16, body: &str) -> (Option<String>, String) {
    let value = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    let e = classify_aws(status, None, &value);
    (e.code, e.message)
}

/// An AWS SDK error as one clear message: `what` (the operation and its
/// subject), the service's code and message, the HTTP status when the code
/// is unknown, and a fix for credential and permission problems.
pub(crate) fn explain<E>(what: &str, e: SdkError<E, HttpResponse>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let body = e
        .raw_response()
        .and_then(|r| r.body().bytes())
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let (mut code, mut message) = match e.as_service_error() {
        Some(s) => (s.code().map(str::to_owned), s.message().map(str::to_owned)),
        None => (None, None),
    };
    if let Some(body) = body.as_deref().filter(|b| !b.is_empty())
        && (code.is_none() || message.is_none())
    {
        let (c, m) = from_body(status.unwrap_or(0), body);
        code = code.or(c);
        message = message.or(Some(m));
    }
    if e.as_service_error().is_none() && code.is_none() {
        // No answer at all (connection, timeout, no credentials found):
        // the SDK's cause chain says why.
        let mut text = format!("{what}: {}", assertion_provider::errors::with_causes(&e));
        if text.contains("credentials") {
            text.push_str(
                "\nhint: no AWS credentials were found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY (and AWS_REGION)",
            );
        }
        return anyhow::anyhow!(text);
    }
    let mut text = format!(
        "{what}: {}: {}",
        code.as_deref().unwrap_or("error"),
        message.as_deref().unwrap_or("(no message)")
    );
    if code.is_none()
        && let Some(s) = status
    {
        text.push_str(&format!(" (HTTP {s})"));
    }
    if let Some(h) = hint(code.as_deref(), status) {
        text.push_str("\nhint: ");
        text.push_str(h);
    }
    anyhow::anyhow!(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_any_error_body() {
        let xml = "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>\
                   <Message>The security token included in the request is invalid.</Message>\
                   </Error></Errors></ErrorResponse>";
        assert_eq!(
            from_body(403, xml),
            (
                Some("InvalidClientTokenId".into()),
                "The security token included in the request is invalid.".into()
            )
        );
        assert_eq!(
            from_body(
                400,
                r#"{"__type":"com.amazon#UnrecognizedClientException","message":"bad"}"#
            ),
            (Some("UnrecognizedClientException".into()), "bad".into())
        );
        // No code: the body itself says what answered.
        assert_eq!(
            from_body(502, "<html>gateway</html>"),
            (None, "<html>gateway</html>".into())
        );
    }

    #[test]
    fn credential_and_permission_problems_get_a_fix() {
        assert!(
            hint(Some("ExpiredToken"), Some(400))
                .unwrap()
                .contains("aws sso login")
        );
        assert!(
            hint(Some("AccessDenied"), Some(403))
                .unwrap()
                .contains("grant the action")
        );
        assert!(
            hint(None, Some(403))
                .unwrap()
                .contains("get-caller-identity")
        );
        assert_eq!(hint(Some("ValidationError"), Some(400)), None);
        assert_eq!(hint(None, Some(500)), None);
    }
}
