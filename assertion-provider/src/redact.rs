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
pub const MIN_NAMED_SECRET_BYTES: usize = 8;

/// A credential of this many bytes or more that a preview cuts off still
/// shows part of it; a shorter overlap tells nothing.
const MIN_PARTIAL_SECRET_BYTES: usize = 4;

/// Whether a header or query parameter of this name carries a credential.
pub fn is_credential_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_NAME_PARTS.iter().any(|part| name.contains(part))
}

fn named_secret(value: &str) -> Option<Value> {
    (value.len() >= MIN_NAMED_SECRET_BYTES).then(|| Value::String(value.to_owned()))
}

/// The credentials an HTTP call sends in its own headers and query
/// parameters (its `auth` is added where the provider resolves it).
pub fn request_secrets(call: &HttpCall) -> Vec<Value> {
    call.headers
        .iter()
        .chain(&call.query)
        .filter(|(name, _)| is_credential_name(name))
        .filter_map(|(_, value)| named_secret(value))
        .collect()
}

/// The credentials in an answer's headers: `headers` of an HTTP answer (or
/// of a Lambda proxy response), and `multiValueHeaders`.
pub fn response_header_secrets(result: &Value) -> Vec<Value> {
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
pub fn redact_report(report: Report, secrets: &[Value]) -> Report {
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
pub fn redact_error(mut error: StepError, secrets: &[Value]) -> StepError {
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

/// The provider end to end against a scripted loopback server that plays
/// Secrets Manager, Cognito and an API that echoes what it was sent: every
/// credential the provider used or saw stays out of the answer.
#[cfg(test)]
mod through_the_provider {
    use std::collections::BTreeMap;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;
    use std::time::Duration;

    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    use serde_json::{Value, json};
    use vigil_protocol::{CaptureTable, ProviderRequest, ProviderResponse, StepOutcome, Verdict};

    use crate::calls::aws::AwsClient;
    use crate::calls::lambda::LambdaInvoker;
    use crate::clock::SystemClock;
    use crate::provider::Provider;
    use crate::sealing::{KeySource, Sealer};
    use crate::signing::Signer;

    const PASSWORD: &str = "Pa55-word-0001!";
    const ID_TOKEN: &str = "eyJraWQiOiJrMSJ9.eyJzdWIiOiJhbGljZSJ9.SIGNATURE-of-the-id-token";
    const API_KEY: &str = "vk_live_0123456789abcdef";
    const SESSION: &str = "session=S3SS10N-0123456789; HttpOnly";
    const LOGIN_TOKEN: &str = "tok-SEALED-0123456789";

    struct Request {
        path: String,
        headers: BTreeMap<String, String>,
        body: String,
    }

    /// The server's answer to one request: status, headers, JSON body.
    fn answer(req: &Request) -> (u16, Vec<(&'static str, String)>, Value) {
        let header = |n: &str| req.headers.get(n).cloned().unwrap_or_default();
        match (header("x-amz-target").as_str(), req.path.as_str()) {
            ("secretsmanager.GetSecretValue", _) => (
                200,
                vec![],
                json!({"SecretString": json!({"password": PASSWORD}).to_string()}),
            ),
            // A careless identity provider that repeats what it was sent.
            ("AWSCognitoIdentityProviderService.InitiateAuth", _)
                if req.body.contains("mallory") =>
            {
                (
                    400,
                    vec![],
                    json!({"__type": "NotAuthorizedException", "message": format!("wrong password {PASSWORD} for mallory")}),
                )
            }
            ("AWSCognitoIdentityProviderService.InitiateAuth", _) => (
                200,
                vec![],
                json!({"AuthenticationResult": {"IdToken": ID_TOKEN, "AccessToken": "eyJhY2Nlc3M.e30.c2ln", "ExpiresIn": 3600}}),
            ),
            (_, "/login") => (
                200,
                vec![("set-cookie", SESSION.to_owned())],
                json!({"token": LOGIN_TOKEN}),
            ),
            // Everything else echoes the request's headers, like httpbin.
            _ => (200, vec![], json!({"headers": req.headers})),
        }
    }

    fn serve(stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut out = stream;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
            let mut headers = BTreeMap::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let body = String::from_utf8_lossy(&body).into_owned();
            let (status, extra, json) = answer(&Request {
                path,
                headers,
                body,
            });
            let body = json.to_string();
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                body.len()
            );
            for (k, v) in extra {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            if out
                .write_all(format!("{head}\r\n{body}").as_bytes())
                .is_err()
            {
                return;
            }
        }
    }

    /// The scripted server on a loopback port (its threads end with the
    /// test binary; it starts no process).
    fn server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        url
    }

    fn provider(url: &str) -> Provider {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let credentials = SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "tests",
        ));
        let aws = AwsClient::new(
            http.clone(),
            Signer::new(Some(credentials), "us-east-1".into()),
        )
        .with_endpoint(url);
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let sealer = Sealer::new(KeySource::Local(Box::new([7; 32])), aws.clone());
        Provider::new(
            aws,
            LambdaInvoker::new(&sdk),
            http,
            sealer,
            Arc::new(SystemClock),
            Some(1),
        )
    }

    async fn run(p: &Provider, step: Value, captures: &CaptureTable) -> ProviderResponse {
        let req: ProviderRequest = serde_json::from_value(json!({
            "protocol": vigil_protocol::PROTOCOL_VERSION,
            "step": step.to_string(),
            "captures": captures,
        }))
        .unwrap();
        // Too little time to retry inside the invocation: one attempt.
        p.handle(req, Some(Duration::from_secs(1))).await
    }

    /// The whole answer as the state machine (and every report) gets it.
    fn wire(r: &ProviderResponse) -> String {
        serde_json::to_string(r).unwrap()
    }

    fn assert_hidden(r: &ProviderResponse, secrets: &[&str]) {
        let text = wire(r);
        for s in secrets {
            assert!(!text.contains(s), "{s} leaked: {text}");
        }
        assert!(
            text.contains("<redacted>") || text.contains(r#""state":"redacted""#),
            "{text}"
        );
    }

    #[tokio::test]
    async fn echoed_request_credentials_are_redacted() {
        let url = server();
        let p = provider(&url);
        let none = CaptureTable::default();
        // A Cognito token the provider minted, echoed back by the API.
        let r = run(&p, json!({
            "id": "echo-cognito",
            "call": {"kind": "http", "url": format!("{url}/echo"),
                     "auth": {"kind": "cognito", "client_id": "c", "username": "alice", "password_secret": "pw"}},
            "select": "$.body.headers",
            "expect": {"objectLike": {"authorization": {"exact": "not this"}}}
        }), &none).await;
        assert_eq!(r.verdict, Verdict::Fail, "{}", wire(&r));
        assert_hidden(&r, &[ID_TOKEN, "SIGNATURE-of", PASSWORD]);
        // An API key the suite sends in its own header.
        let r = run(&p, json!({
            "id": "echo-key",
            "call": {"kind": "http", "url": format!("{url}/echo"), "headers": {"X-Api-Key": API_KEY}},
            "select": "$.body",
            "expect": {"objectLike": {"headers": {"objectLike": {"x-api-key": {"exact": "vk_other"}}}}}
        }), &none).await;
        assert_eq!(r.verdict, Verdict::Fail, "{}", wire(&r));
        assert_hidden(&r, &[API_KEY]);
    }

    #[tokio::test]
    async fn credential_headers_of_the_answer_are_redacted() {
        let url = server();
        let p = provider(&url);
        // A login must not set a cookie; it does, and the report says
        // where without showing the session.
        let r = run(
            &p,
            json!({
                "id": "login",
                "call": {"kind": "http", "method": "POST", "url": format!("{url}/login")},
                "select": "$.headers",
                "expect": {"objectLike": {"set-cookie": {"absent": null}}}
            }),
            &CaptureTable::default(),
        )
        .await;
        assert_eq!(r.verdict, Verdict::Fail, "{}", wire(&r));
        assert_hidden(&r, &["S3SS10N"]);
        let StepOutcome::Mismatched { report, .. } = &r.report.outcome else {
            panic!("{}", wire(&r))
        };
        assert_eq!(report.mismatches()[0].path.to_string(), "$['set-cookie']");
    }

    #[tokio::test]
    async fn errors_do_not_show_secret_captures_or_passwords() {
        let url = server();
        let p = provider(&url);
        let login = run(
            &p,
            json!({
                "id": "login",
                "call": {"kind": "http", "method": "POST", "url": format!("{url}/login")},
                "capture": {"token": {"path": "$.body.token", "secret": true}}
            }),
            &CaptureTable::default(),
        )
        .await;
        assert_eq!(login.verdict, Verdict::Pass, "{}", wire(&login));
        assert!(!wire(&login).contains(LOGIN_TOKEN));
        // The sealed token in a URL whose host is gone: the network error
        // names the URL, without the token.
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let r = run(&p, json!({
            "id": "gone",
            "call": {"kind": "http", "url": format!("http://127.0.0.1:{closed}/tasks?access_token=${{login.token}}")}
        }), &login.captures).await;
        assert_eq!(r.verdict, Verdict::Retry, "{}", wire(&r));
        let StepOutcome::Error { error } = &r.report.outcome else {
            panic!("{}", wire(&r))
        };
        assert!(
            error.message.contains("access_token=<redacted>"),
            "{}",
            error.message
        );
        assert_hidden(&r, &[LOGIN_TOKEN]);
        // The password, in what Cognito answers a failed sign-in.
        let r = run(&p, json!({
            "id": "sign-in",
            "call": {"kind": "http", "url": format!("{url}/echo"),
                     "auth": {"kind": "cognito", "client_id": "c", "username": "mallory", "password_secret": "pw"}}
        }), &CaptureTable::default()).await;
        let StepOutcome::Error { error } = &r.report.outcome else {
            panic!("{}", wire(&r))
        };
        assert_eq!(error.code.as_deref(), Some("NotAuthorizedException"));
        assert!(
            error.message.contains("wrong password <redacted>"),
            "{}",
            error.message
        );
        assert_hidden(&r, &[PASSWORD]);
    }
}
