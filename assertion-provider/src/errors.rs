//! Deciding retry or fail: throttling, 5xx and network errors are transient;
//! authorization and validation errors fail fast with the service's code.

use serde_json::Value;
use vigil_aws_model::auth_errors::AuthProblem;
use vigil_protocol::{ErrorKind, StepError};

/// Error codes AWS services use for throttling (beyond HTTP 429).
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "SlowDown",
    "TransactionInProgressException",
    "LimitExceededException",
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
    "PriorRequestNotComplete",
];

/// `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` and
/// `ValidationException:http://internal...` both mean the short name.
fn short_code(raw: &str) -> String {
    let after_hash = raw.rsplit('#').next().unwrap_or(raw);
    after_hash
        .split(':')
        .next()
        .unwrap_or(after_hash)
        .trim()
        .to_owned()
}

/// The text between `<tag>` and `</tag>` of an XML error body (`Code`,
/// `Message`), which some front ends (and emulators) send even to JSON
/// clients, e.g. for rejected credentials.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&format!("</{tag}>"))?;
    Some(body[start..start + len].trim().to_owned()).filter(|s| !s.is_empty())
}

/// Classifies an AWS error response.
pub fn classify_aws(status: u16, error_type: Option<&str>, body: &Value) -> StepError {
    let code = error_type
        .map(short_code)
        .or_else(|| {
            ["__type", "code", "Code"]
                .iter()
                .find_map(|k| body.get(*k).and_then(Value::as_str))
                .map(short_code)
        })
        .or_else(|| body.as_str().and_then(|b| xml_tag(b, "Code")))
        .filter(|c| !c.is_empty());
    let message = ["message", "Message", "errorMessage"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
        .or_else(|| body.as_str().and_then(|b| xml_tag(b, "Message")))
        .unwrap_or_else(|| match body {
            Value::String(s) if !s.is_empty() => s.chars().take(500).collect(),
            _ => format!("HTTP {status} without a message"),
        });
    let kind = match code.as_deref() {
        Some(c) if THROTTLING.contains(&c) => ErrorKind::Throttled,
        _ if status == 429 => ErrorKind::Throttled,
        _ if status >= 500 => ErrorKind::Server,
        Some(c) if AuthProblem::of(c).is_some() => ErrorKind::Authorization,
        _ if status == 401 || status == 403 => ErrorKind::Authorization,
        _ => ErrorKind::Client,
    };
    StepError {
        kind,
        code,
        message,
        status: Some(status),
    }
}

/// HTTP statuses that mean "not now" rather than "no": throttling and an
/// unavailable gateway or upstream. A plain 500 is the application's own
/// answer and stays a result to match, with its body in the report.
pub const TRANSIENT_HTTP_STATUSES: [u16; 4] = [429, 502, 503, 504];

/// An HTTP answer the expectation rejected, when its status says the
/// service was only unavailable for a moment: the attempt counts as a
/// transient error and is retried (within the poll deadline, or the short
/// budget of a step without `poll`) instead of failing the step on a blip.
/// `None` for every other status: that answer is the application's.
pub fn transient_http_answer(result: &Value) -> Option<StepError> {
    let status = result.get("status")?.as_u64()?;
    let status = u16::try_from(status).ok()?;
    if !TRANSIENT_HTTP_STATUSES.contains(&status) {
        return None;
    }
    let retry_after = result
        .pointer("/headers/retry-after")
        .and_then(Value::as_str)
        .map(|r| format!(" (Retry-After: {r})"))
        .unwrap_or_default();
    Some(StepError {
        kind: if status == 429 {
            ErrorKind::Throttled
        } else {
            ErrorKind::Server
        },
        code: Some(format!("HTTP {status}")),
        message: format!(
            "the endpoint answered {status}{retry_after}, which the expectation does not accept; \
             a {status} means busy or unavailable, so the attempt is retried as transient"
        ),
        status: Some(status),
    })
}

/// An error with its causes: the AWS SDK keeps the useful part of an error
/// ("connection refused", "no credentials in the environment") in
/// `source()`, behind a terse `Display`.
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A request that got no (complete) answer.
pub fn network_error(what: &str, e: &reqwest::Error) -> StepError {
    let detail = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "failed".to_owned()
    };
    // The source chain says why (refused, reset, DNS, TLS).
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    StepError {
        kind: ErrorKind::Network,
        code: None,
        message: if cause.is_empty() {
            format!("{what}: request {detail}")
        } else {
            format!("{what}: request {detail}: {cause}")
        },
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_and_statuses_decide_the_class() {
        let e = classify_aws(
            400,
            None,
            &json!({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "message": "slow down"}),
        );
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (
                ErrorKind::Throttled,
                Some("ProvisionedThroughputExceededException")
            )
        );
        assert_eq!(
            classify_aws(429, None, &json!({})).kind,
            ErrorKind::Throttled
        );
        assert_eq!(classify_aws(503, None, &json!({})).kind, ErrorKind::Server);
        let e = classify_aws(
            400,
            Some("AccessDeniedException:http://internal.amazon.com/"),
            &json!({"Message": "no"}),
        );
        assert_eq!(
            (e.kind, e.code.as_deref(), e.message.as_str()),
            (
                ErrorKind::Authorization,
                Some("AccessDeniedException"),
                "no"
            )
        );
        let e = classify_aws(
            400,
            None,
            &json!({"__type": "ResourceNotFoundException", "message": "Requested resource not found"}),
        );
        assert_eq!(e.kind, ErrorKind::Client);
        assert!(!e.kind.is_transient());
        assert_eq!(classify_aws(500, None, &json!("oops")).message, "oops");
        let e = classify_aws(
            403,
            None,
            &json!(
                "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>"
            ),
        );
        assert_eq!(
            (e.kind, e.code.as_deref(), e.message.as_str()),
            (
                ErrorKind::Authorization,
                Some("InvalidClientTokenId"),
                "The security token included in the request is invalid."
            )
        );
    }

    #[test]
    fn busy_http_answers_are_transient_and_application_answers_are_not() {
        let busy = transient_http_answer(
            &json!({"status": 503, "headers": {"retry-after": "2"}, "body": null}),
        )
        .expect("503 is transient");
        assert_eq!(busy.kind, ErrorKind::Server);
        assert_eq!(busy.code.as_deref(), Some("HTTP 503"));
        assert!(busy.message.contains("Retry-After: 2"), "{}", busy.message);
        assert_eq!(
            transient_http_answer(&json!({"status": 429, "headers": {}})).map(|e| e.kind),
            Some(ErrorKind::Throttled)
        );
        for status in [200, 400, 404, 500] {
            assert!(
                transient_http_answer(&json!({"status": status, "headers": {}})).is_none(),
                "{status}"
            );
        }
        assert!(transient_http_answer(&json!({"status": "503"})).is_none());
    }
}
