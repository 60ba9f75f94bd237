//! Redaction through the provider, end to end: a scripted loopback server
//! plays Secrets Manager, Cognito and an API that echoes what it was sent,
//! and every credential the provider used or saw stays out of its answer
//! (what the state machine, the history and every report get).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use assertion_provider::Provider;
use assertion_provider::clock::SystemClock;
use assertion_provider::sealing::KeySource;
use serde_json::{Value, json};
use vigil_protocol::{CaptureTable, ProviderRequest, ProviderResponse, StepOutcome, Verdict};
use vigil_test_support::{Reply, Seen, Stub, provider};

const PASSWORD: &str = "Pa55-word-0001!";
const ID_TOKEN: &str = "eyJraWQiOiJrMSJ9.eyJzdWIiOiJhbGljZSJ9.SIGNATURE-of-the-id-token";
const API_KEY: &str = "vk_live_0123456789abcdef";
const SESSION: &str = "session=S3SS10N-0123456789; HttpOnly";
const LOGIN_TOKEN: &str = "tok-SEALED-0123456789";

/// The server's answer to one request, from its target header and path.
fn answer(req: &Seen) -> Reply {
    let target = req.header("x-amz-target").unwrap_or_default();
    let body = String::from_utf8_lossy(&req.body);
    match (target, req.path.as_str()) {
        ("secretsmanager.GetSecretValue", _) => Reply::json(
            200,
            json!({"SecretString": json!({"password": PASSWORD}).to_string()}),
        ),
        // A careless identity provider that repeats what it was sent.
        ("AWSCognitoIdentityProviderService.InitiateAuth", _) if body.contains("mallory") => {
            Reply::json(
                400,
                json!({"__type": "NotAuthorizedException", "message": format!("wrong password {PASSWORD} for mallory")}),
            )
        }
        ("AWSCognitoIdentityProviderService.InitiateAuth", _) => Reply::json(
            200,
            json!({"AuthenticationResult": {"IdToken": ID_TOKEN, "AccessToken": "eyJhY2Nlc3M.e30.c2ln", "ExpiresIn": 3600}}),
        ),
        (_, "/login") => {
            Reply::json(200, json!({"token": LOGIN_TOKEN})).with_header("set-cookie", SESSION)
        }
        // Everything else echoes the request's headers, like httpbin.
        _ => {
            let headers: BTreeMap<String, String> = req
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect();
            Reply::json(200, json!({"headers": headers}))
        }
    }
}

/// The scripted server and a provider whose AWS calls go to it.
async fn server_and_provider() -> (Stub, Provider) {
    let stub = Stub::start(answer).await;
    let p = provider(
        &stub.url,
        &stub.url,
        Arc::new(SystemClock),
        KeySource::Local(Box::new([7; 32])),
        Duration::from_secs(5),
    );
    (stub, p)
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
    let (stub, p) = server_and_provider().await;
    let url = stub.url.clone();
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
    let (stub, p) = server_and_provider().await;
    let url = stub.url.clone();
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
    let (stub, p) = server_and_provider().await;
    let url = stub.url.clone();
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
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
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
