//! Last line of defence for secrets in reports and errors: any text of a
//! mismatch or an error that contains a secret in use shows `<redacted>`
//! instead. Secrets in use are an attempt's unsealed captures, the values
//! its step captures as secret, every credential its HTTP request sends
//! (Cognito and bearer tokens, `Authorization`, `Cookie`, `X-Api-Key`, ...
//! headers and credential-like query parameters), and the credential-like
//! headers of the answer (`Set-Cookie`, an echoed `Authorization`, ...):
//! those are values to match and capture, not to print.

use serde_json::Value;
use vigil_matchers::{Actual, Mismatch, Report};
use vigil_protocol::{HttpCall, StepError};

const REDACTED: &str = "<redacted>";

/// Parts of header and query parameter names whose values are credentials
/// (`Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`,
/// `X-Api-Key`, `X-Amz-Security-Token`, `X-Auth-Token`, `X-Amz-Signature`,
/// `client_secret`, `session_id`, ...), compared without case.
const CREDENTIAL_NAME_PARTS: &[&str] = &[
    "authorization",
    "cookie",
    "token",
    "secret",
    "password",
    "passwd",
    "api-key",
    "api_key",
    "apikey",
    "session",
    "credential",
    "signature",
];

/// A value taken from a credential-like name only counts as a secret from
/// this length on: a header such as `X-Session-Count: 1` holds no
/// credential, and replacing every `1` of a report would wreck it. Values
/// known to be secret (captures, tokens) count at any length.
pub(crate) const MIN_NAMED_SECRET_BYTES: usize = 8;

/// A credential of this many bytes or more that a preview cuts off still
/// shows part of it; a shorter overlap tells nothing.
const MIN_PARTIAL_SECRET_BYTES: usize = 4;

/// Whether a header or query parameter of this name carries a credential.
pub(crate) fn is_credential_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_NAME_PARTS.iter().any(|part| name.contains(part))
}

fn named_secret(value: &str) -> Option<Value> {
    (value.len() >= MIN_NAMED_SECRET_BYTES).then(|| Value::String(value.to_owned()))
}

/// The credentials an HTTP call sends in its own headers and query
/// parameters (its `auth` is added where the provider resolves it).
pub(crate) fn request_secrets(call: &HttpCall) -> Vec<Value> {
    call.headers
        .iter()
        .chain(&call.query)
        .filter(|(name, _)| is_credential_name(name))
        .filter_map(|(_, value)| named_secret(value))
        .collect()
}

/// The credentials in an answer's headers: `headers` of an HTTP answer (or
/// of a Lambda proxy response), and `multiValueHeaders`.
pub(crate) fn response_header_secrets(result: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for key in ["headers", "multiValueHeaders"] {
        let Some(headers) = result.get(key).and_then(Value::as_object) else {
            continue;
        };
        for (name, value) in headers {
            if !is_credential_name(name) {
                continue;
            }
            match value {
                Value::String(s) => out.extend(named_secret(s)),
                Value::Array(items) => out.extend(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(named_secret),
                ),
                _ => {}
            }
        }
    }
    out
}

/// The ways a secret can appear in report text: as itself, and as it
/// appears inside JSON text (escaped, without the quotes).
fn needles(secrets: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for s in secrets {
        match s {
            Value::String(text) => {
                out.push(text.clone());
                let json = Value::String(text.clone()).to_string();
                out.push(json[1..json.len() - 1].to_owned());
            }
            other => out.push(other.to_string()),
        }
    }
    out.retain(|n| !n.is_empty());
    out.sort_by_key(|n| std::cmp::Reverse(n.len()));
    out.dedup();
    out
}

fn scrub(text: &mut String, needles: &[String]) -> bool {
    let mut hit = false;
    for n in needles {
        if text.contains(n.as_str()) {
            *text = text.replace(n.as_str(), REDACTED);
            hit = true;
        }
    }
    hit
}

/// Whether a cut text ends with the beginning of a secret: the preview
/// stopped inside it.
fn ends_inside_a_secret(text: &str, needles: &[String]) -> bool {
    needles.iter().any(|n| {
        (MIN_PARTIAL_SECRET_BYTES..n.len())
            .rev()
            .any(|k| n.is_char_boundary(k) && text.ends_with(&n[..k]))
    })
}

fn scrub_mismatch(m: &mut Mismatch, needles: &[String]) {
    scrub(&mut m.expected, needles);
    scrub(&mut m.reason, needles);
    if let Actual::Value {
        preview,
        elided_bytes,
    } = &mut m.actual
    {
        let cut = *elided_bytes > 0;
        if scrub(preview, needles) || (cut && ends_inside_a_secret(preview, needles)) {
            m.actual = Actual::Redacted;
        }
    }
    for d in &mut m.details {
        scrub_mismatch(d, needles);
    }
}

/// The report with every occurrence of the secrets replaced (an actual
/// value that holds one, or is cut inside one, is redacted whole).
pub(crate) fn redact_report(report: Report, secrets: &[Value]) -> Report {
    let needles = needles(secrets);
    if needles.is_empty() {
        return report;
    }
    let mut mismatches = report.into_mismatches();
    for m in &mut mismatches {
        scrub_mismatch(m, &needles);
    }
    Report::new(mismatches)
}

/// The error with every occurrence of the secrets in its message replaced
/// (a URL that carries a token, a service that echoes what it was sent).
pub(crate) fn redact_error(mut error: StepError, secrets: &[Value]) -> StepError {
    let needles = needles(secrets);
    scrub(&mut error.message, &needles);
    if let Some(code) = &mut error.code {
        scrub(code, &needles);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vigil_matchers::{EvalContext, authoring};
    use vigil_protocol::ErrorKind;

    fn evaluate(pattern: Value, actual: &Value) -> Report {
        let m = authoring::parse(&pattern).unwrap();
        m.evaluate(actual, &EvalContext::at_system_time())
    }

    fn text(r: &Report) -> String {
        format!("{r}{}", r.to_json())
    }

    #[test]
    fn secrets_vanish_from_every_text() {
        let actual = json!({"token": "eyJ\"secret", "user": "eyJ\"secret"});
        let r = evaluate(json!({"token": {"$regex": "^x"}, "user": "bob"}), &actual);
        let r = redact_report(r, &[json!("eyJ\"secret")]);
        let text = text(&r);
        assert!(!text.contains("secret"), "{text}");
        assert_eq!(r.mismatches().len(), 2);
        assert!(r.mismatches().iter().all(|m| m.actual == Actual::Redacted));
    }

    #[test]
    fn credential_names_are_recognised_without_case() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "Set-Cookie",
            "X-Api-Key",
            "x-amz-security-token",
            "X-Auth-Token",
            "X-Amz-Signature",
            "client_secret",
            "api_key",
            "apikey",
            "JSESSIONID",
            "password",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in [
            "content-type",
            "x-amzn-requestid",
            "retry-after",
            "author",
            "key_id",
            "etag",
        ] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

    #[test]
    fn credential_headers_of_an_answer_are_redacted_in_its_report() {
        // A logout endpoint must not set a cookie; it does, and the report
        // says where without showing the session.
        let answer = json!({
            "status": 200,
            "headers": {
                "content-type": "application/json",
                "set-cookie": "session=s3ss10n-0123456789abcdef; HttpOnly",
                "x-amz-security-token": "IQoJb3JpZ2luX2VjEFAKETOKEN",
                "authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl",
                "x-request-count": "1"
            },
            "body": {"ok": true}
        });
        let r = evaluate(
            json!({"status": 204, "headers": {"set-cookie": {"$absent": true}, "authorization": {"$absent": true}}, "body": {"$not": {"ok": true}}}),
            &answer,
        );
        // Without redaction the report shows the credentials.
        assert!(text(&r).contains("s3ss10n"), "{}", text(&r));
        let r = redact_report(r, &response_header_secrets(&answer));
        let t = text(&r);
        for secret in ["s3ss10n", "FAKETOKEN", "eyJhbGci", "c2lnbmF0dXJl"] {
            assert!(!t.contains(secret), "{secret} in {t}");
        }
        let paths: Vec<String> = r.mismatches().iter().map(|m| m.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "$['body']",
                "$['headers']['authorization']",
                "$['headers']['set-cookie']",
                "$['status']"
            ]
        );
        assert!(
            r.mismatches()[1..3]
                .iter()
                .all(|m| m.actual == Actual::Redacted),
            "{t}"
        );
        // What is no credential stays readable.
        assert!(t.contains("204") && t.contains("{\"ok\":true}"), "{t}");
    }

    #[test]
    fn lambda_proxy_responses_and_multi_value_headers_count_too() {
        let answer = json!({
            "statusCode": 200,
            "headers": {"X-Api-Key": "ak_live_0123456789"},
            "multiValueHeaders": {"Set-Cookie": ["a=first-cookie-value", "b=second-cookie-value"]}
        });
        let secrets = response_header_secrets(&answer);
        assert_eq!(
            secrets,
            [
                json!("ak_live_0123456789"),
                json!("a=first-cookie-value"),
                json!("b=second-cookie-value")
            ]
        );
        // Short values of credential-like names are no credentials.
        assert!(response_header_secrets(&json!({"headers": {"x-session-count": "1"}})).is_empty());
    }

    #[test]
    fn request_credentials_come_from_headers_and_query_parameters() {
        let call: HttpCall = serde_json::from_value(json!({
            "url": "https://api.example.com/tasks",
            "headers": {"X-Api-Key": "vk_0123456789", "Accept": "application/json", "Cookie": "sid=abcdef0123"},
            "query": {"access_token": "tok-0123456789", "page": "2"}
        }))
        .unwrap();
        let mut secrets = request_secrets(&call);
        secrets.sort_by_key(Value::to_string);
        assert_eq!(
            secrets,
            [
                json!("sid=abcdef0123"),
                json!("tok-0123456789"),
                json!("vk_0123456789")
            ]
        );
    }

    #[test]
    fn a_preview_cut_inside_a_secret_is_redacted_whole() {
        let token = format!("eyJ{}", "x".repeat(400));
        let r = evaluate(json!({"id": "other"}), &json!({"id": token}));
        let Actual::Value { elided_bytes, .. } = &r.mismatches()[0].actual else {
            panic!("{r}")
        };
        assert!(*elided_bytes > 0);
        let r = redact_report(r, &[json!(token)]);
        assert_eq!(r.mismatches()[0].actual, Actual::Redacted, "{r}");
        // A preview that merely ends like a secret begins is left alone
        // when it was not cut.
        let r = evaluate(json!({"id": "other"}), &json!({"id": "eyJx"}));
        let r = redact_report(r, &[json!(token)]);
        assert_ne!(r.mismatches()[0].actual, Actual::Redacted, "{r}");
    }

    #[test]
    fn errors_lose_the_secrets_in_their_message() {
        let e = StepError {
            kind: ErrorKind::Network,
            code: None,
            message: "GET https://api.example.com/tasks?access_token=tok-0123456789: request failed: connection refused".into(),
            status: None,
        };
        let e = redact_error(e, &[json!("tok-0123456789")]);
        assert_eq!(
            e.message,
            "GET https://api.example.com/tasks?access_token=<redacted>: request failed: connection refused"
        );
    }
}
