//! HTTP calls (plain, Cognito, bearer-from-capture, SigV4) and Lambda
//! invocations, end to end through `Provider::handle`.

use vigil_test_support as support;

use std::sync::Arc;
use std::time::Duration;

use assertion_provider::clock::FakeClock;
use assertion_provider::sealing::KeySource;
use serde_json::{Value, json};
use support::*;
use vigil_protocol::{CaptureTable, ErrorKind, ProviderResponse, StepOutcome, Verdict};

fn t0() -> time::OffsetDateTime {
    vigil_matchers::parse_rfc3339("2026-11-23T10:00:00Z").unwrap()
}

fn text(r: &ProviderResponse) -> String {
    serde_json::to_string_pretty(&r.report).unwrap()
}

/// Echoes what it received, as JSON (or as text for /text).
async fn echo() -> Stub {
    Stub::start(|seen| {
        if seen.path.starts_with("/text") {
            return Reply {
                status: 200,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: "plain words".into(),
                delay: Duration::ZERO,
            };
        }
        let status = if seen.method == "POST" { 201 } else { 200 };
        Reply::json(
            status,
            json!({
                "method": seen.method,
                "path": seen.path,
                "authorization": seen.header("authorization"),
                "x_trace": seen.header("x-trace"),
                "body": serde_json::from_slice::<Value>(&seen.body).ok(),
            }),
        )
        .with_header("x-request-id", "req-1")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_calls_send_and_shape_the_answer() {
    let stub = echo().await;
    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(
        &stub.url,
        &stub.url,
        clock,
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let mut req = request(
        json!({
            "id": "create",
            "call": {"kind": "http", "method": "post", "url": "${ApiUrl}/tasks",
                     "query": {"dry": "no"}, "headers": {"x-trace": "t-${run}"},
                     "body": {"json": {"task_description": "write docs", "max_turns": "${turns}"}}},
            "expect": {"objectLike": {
                "status": {"exact": 201},
                "headers": {"objectLike": {"x-request-id": {"exact": "req-1"}, "content-type": {"stringContains": "json"}}},
                "body": {"objectLike": {"method": {"exact": "POST"}, "path": {"exact": "/tasks?dry=no"}, "x_trace": {"exact": "t-7"},
                                         "body": {"objectEquals": {"task_description": {"exact": "write docs"}, "max_turns": {"exact": 50}}}}}
            }},
            "capture": {"path": {"path": "$.body.path"}}
        }),
        CaptureTable::default(),
        None,
    );
    req.params.insert("ApiUrl".into(), json!(stub.url));
    req.params.insert("run".into(), json!(7));
    req.params.insert("turns".into(), json!(50));
    let r = p.handle(req, None).await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));

    // Non-JSON bodies are text; statuses are results, not errors.
    let r = p.handle(request(json!({
        "id": "text", "call": {"kind": "http", "url": format!("{}/text", stub.url)},
        "expect": {"objectLike": {"status": {"exact": 200}, "body": {"exact": "plain words"}}}
    }), CaptureTable::default(), None), None).await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
    let r = p
        .handle(
            request(
                json!({
                    "id": "bad-url", "call": {"kind": "http", "url": "not a url"}
                }),
                CaptureTable::default(),
                None,
            ),
            None,
        )
        .await;
    let StepOutcome::Error { error } = &r.report.outcome else {
        panic!()
    };
    assert_eq!(error.kind, ErrorKind::InvalidStep);
}

/// A user pool and an app client that allows USER_PASSWORD_AUTH.
async fn user_pool(c: &assertion_provider::calls::aws::AwsClient, name: &str) -> (String, String) {
    let pool = aws(
        c,
        "cognito-idp",
        "CreateUserPool",
        json!({"PoolName": name}),
    )
    .await;
    let pool_id = pool["UserPool"]["Id"].as_str().unwrap().to_owned();
    let client = aws(c, "cognito-idp", "CreateUserPoolClient", json!({
        "UserPoolId": pool_id, "ClientName": "e2e", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    })).await;
    let client_id = client["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    (pool_id, client_id)
}

/// A confirmed user with a permanent password.
async fn user(
    c: &assertion_provider::calls::aws::AwsClient,
    pool_id: &str,
    name: &str,
    password: &str,
) {
    aws(
        c,
        "cognito-idp",
        "AdminCreateUser",
        json!({"UserPoolId": pool_id, "Username": name, "MessageAction": "SUPPRESS"}),
    )
    .await;
    aws(
        c,
        "cognito-idp",
        "AdminSetUserPassword",
        json!({"UserPoolId": pool_id, "Username": name, "Password": password, "Permanent": true}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_tokens_are_minted_inside_cached_and_renewed_before_expiry() {
    let moto = Moto::start().await;
    let stub = echo().await;
    let c = aws_client(&moto.url);
    let (pool_id, client_id) = user_pool(&c, "agents").await;
    user(&c, &pool_id, "alice", "Corr3ct-Horse!").await;
    aws(
        &c,
        "secretsmanager",
        "CreateSecret",
        json!({"Name": "e2e/alice", "SecretString": "{\"password\": \"Corr3ct-Horse!\"}"}),
    )
    .await;

    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(
        &moto.url,
        &moto.url,
        clock.clone(),
        KeySource::Unconfigured,
        Duration::from_secs(10),
    );
    let step = json!({
        "id": "whoami",
        "call": {"kind": "http", "url": format!("{}/me", stub.url),
                 "auth": {"kind": "cognito", "client_id": client_id, "username": "alice", "password_secret": "e2e/alice"}},
        "select": "$.body.authorization",
        "expect": {"stringLikeRegexp": "^eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"}
    });
    for _ in 0..2 {
        let r = p
            .handle(request(step.clone(), CaptureTable::default(), None), None)
            .await;
        assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
        assert!(
            !serde_json::to_string(&r).unwrap().contains("eyJ"),
            "no token in the response"
        );
    }
    assert_eq!(
        p.cognito().minted(),
        1,
        "the second call reuses the cached token"
    );
    // 56 minutes later the one-hour token is within the refresh margin.
    clock.advance(Duration::from_secs(56 * 60));
    let r = p
        .handle(request(step, CaptureTable::default(), None), None)
        .await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
    assert_eq!(p.cognito().minted(), 2);

    // A wrong password is an authorization error, not a retry.
    aws(
        &c,
        "secretsmanager",
        "CreateSecret",
        json!({"Name": "e2e/wrong", "SecretString": "nope"}),
    )
    .await;
    let r = p.handle(request(json!({
        "id": "wrong",
        "call": {"kind": "http", "url": format!("{}/me", stub.url),
                 "auth": {"kind": "cognito", "client_id": client_id, "username": "alice", "password_secret": "e2e/wrong"}},
        "poll": {"timeout": "1m"}
    }), CaptureTable::default(), None), None).await;
    let StepOutcome::Error { error } = &r.report.outcome else {
        panic!("{}", text(&r))
    };
    assert_eq!(
        (r.verdict, error.kind),
        (Verdict::Fail, ErrorKind::Authorization),
        "{}",
        text(&r)
    );
}

/// A suite that makes its own Cognito user (as ABCA's lifecycle test does)
/// signs in with the password it captured secret: the provider unseals it
/// for `AdminSetUserPassword` and for the login, and nothing it answers
/// holds the password or the token, also when the login is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_login_with_a_password_from_a_secret_capture() {
    const PASSWORD: &str = "Gener4ted-Pass+word";
    let stub = Stub::start(|seen| {
        if seen.path == "/password" {
            Reply::json(200, json!({"password": PASSWORD}))
        } else {
            Reply::json(200, json!({"authorization": seen.header("authorization")}))
        }
    })
    .await;
    let moto = Moto::start().await;
    let c = aws_client(&moto.url);
    let (pool_id, client_id) = user_pool(&c, "own-users").await;
    let path = std::env::temp_dir().join(format!("vigil-seal-cognito-{}.key", std::process::id()));
    std::fs::write(&path, [9u8; 32]).unwrap();
    let p = provider(
        &moto.url,
        &moto.url,
        Arc::new(FakeClock::new(t0())),
        KeySource::from_file(path.to_str().unwrap()).unwrap(),
        Duration::from_secs(10),
    );
    let mut captures = CaptureTable::default();
    let mut answers = String::new();
    let mut run = async |step: Value| {
        let r = p.handle(request(step, captures.clone(), None), None).await;
        captures.merge(r.captures.clone());
        answers.push_str(&serde_json::to_string(&r).unwrap());
        r
    };
    let steps = [
        json!({"id": "pw", "call": {"kind": "http", "url": format!("{}/password", stub.url)},
               "capture": {"value": {"path": "$.body.password", "secret": true}}}),
        json!({"id": "user", "call": {"kind": "aws", "service": "cognito-idp", "operation": "AdminCreateUser",
               "params": {"UserPoolId": pool_id, "Username": "carol", "MessageAction": "SUPPRESS"}}}),
        json!({"id": "set", "call": {"kind": "aws", "service": "cognito-idp", "operation": "AdminSetUserPassword",
               "params": {"UserPoolId": pool_id, "Username": "carol", "Password": "${pw.value}", "Permanent": true}}}),
    ];
    for step in steps {
        let r = run(step).await;
        assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
    }
    let me = |username: &str| {
        json!({
            "id": "me",
            "call": {"kind": "http", "url": format!("{}/me", stub.url),
                     "auth": {"kind": "cognito", "client_id": client_id, "username": username, "password": "${pw.value}"}},
            "select": "$.body.authorization",
            "expect": {"stringLikeRegexp": "^eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"}
        })
    };
    let r = run(me("carol")).await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
    let r = run(me("carol")).await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
    assert_eq!(
        p.cognito().minted(),
        1,
        "the second login comes from the cache"
    );

    // A user whose password is another is refused at once (not retried).
    user(&c, &pool_id, "mallory", "0ther-Pass+word").await;
    let r = run(me("mallory")).await;
    let StepOutcome::Error { error } = &r.report.outcome else {
        panic!("{}", text(&r))
    };
    assert_eq!(
        (r.verdict, error.kind),
        (Verdict::Fail, ErrorKind::Authorization),
        "{}",
        text(&r)
    );
    assert!(
        !answers.contains(PASSWORD),
        "the password leaked: {answers}"
    );
    assert!(!answers.contains("eyJ"), "a token leaked: {answers}");
    std::fs::remove_file(path).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_from_a_secret_capture_and_sigv4() {
    let stub = Stub::start(|seen| {
        if seen.path == "/login" {
            Reply::json(200, json!({"token": "tok-SECRET-123"}))
        } else {
            Reply::json(200, json!({"authorization": seen.header("authorization")}))
        }
    })
    .await;
    let path = std::env::temp_dir().join(format!("vigil-seal-http-{}.key", std::process::id()));
    std::fs::write(&path, [7u8; 32]).unwrap();
    let key = KeySource::from_file(path.to_str().unwrap()).unwrap();
    let clock = Arc::new(FakeClock::new(t0()));
    let p = provider(&stub.url, &stub.url, clock, key, Duration::from_secs(5));
    let login = p
        .handle(
            request(
                json!({
                    "id": "login", "call": {"kind": "http", "url": format!("{}/login", stub.url)},
                    "capture": {"token": {"path": "$.body.token", "secret": true}}
                }),
                CaptureTable::default(),
                None,
            ),
            None,
        )
        .await;
    assert_eq!(login.verdict, Verdict::Pass, "{}", text(&login));
    assert!(!serde_json::to_string(&login).unwrap().contains("SECRET"));

    let r = p.handle(request(json!({
        "id": "use", "call": {"kind": "http", "url": format!("{}/me", stub.url), "auth": {"kind": "bearer", "token": "${login.token}"}},
        "select": "$.body.authorization", "expect": {"exact": "Bearer nope"}
    }), login.captures.clone(), None), None).await;
    // The mismatch report hides the secret the header was made from.
    assert_eq!(r.verdict, Verdict::Fail);
    let wire = serde_json::to_string(&r).unwrap();
    assert!(!wire.contains("SECRET"), "{wire}");
    assert!(wire.contains(r#""actual":{"state":"redacted"}"#), "{wire}");

    let r = p.handle(request(json!({
        "id": "iam", "call": {"kind": "http", "method": "GET", "url": format!("{}/prod/tasks", stub.url), "auth": {"kind": "sigv4"}},
        "select": "$.body.authorization",
        "expect": {"stringLikeRegexp": "^AWS4-HMAC-SHA256 Credential=testing/\\d{8}/us-east-1/execute-api/aws4_request, SignedHeaders=[a-z;-]+, Signature=[0-9a-f]{64}$"}
    }), CaptureTable::default(), None), None).await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
    std::fs::remove_file(path).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_invocations_report_payloads_and_function_errors() {
    let stub = Stub::start(|seen| {
        let payload: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
        match seen.path.as_str() {
            "/2015-03-31/functions/echo/invocations" => Reply::json(200, json!({"echo": payload})),
            "/2015-03-31/functions/text/invocations" => Reply {
                status: 200,
                headers: vec![],
                body: "not json".into(),
                delay: Duration::ZERO,
            },
            "/2015-03-31/functions/boom/invocations" => Reply::json(
                200,
                json!({"errorType": "ValueError", "errorMessage": "bad input: max_turns"}),
            )
            .with_header("x-amz-function-error", "Unhandled"),
            _ => Reply::json(
                404,
                json!({"Type": "User", "message": "Function not found"}),
            )
            .with_header("x-amzn-errortype", "ResourceNotFoundException"),
        }
    })
    .await;
    let p = provider(
        &stub.url,
        &stub.url,
        Arc::new(FakeClock::new(t0())),
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let r = p.handle(request(json!({
        "id": "echo", "call": {"kind": "lambda", "function": "echo", "payload": {"task": {"id": 1}}},
        "expect": {"objectEquals": {"echo": {"objectEquals": {"task": {"objectEquals": {"id": {"exact": 1}}}}}}}
    }), CaptureTable::default(), None), None).await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
    let r = p.handle(request(json!({
        "id": "text", "call": {"kind": "lambda", "function": "text"}, "expect": {"exact": "not json"}
    }), CaptureTable::default(), None), None).await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));

    let r = p
        .handle(
            request(
                json!({"id": "boom", "call": {"kind": "lambda", "function": "boom"}}),
                CaptureTable::default(),
                None,
            ),
            None,
        )
        .await;
    let StepOutcome::Error { error } = &r.report.outcome else {
        panic!("{}", text(&r))
    };
    assert_eq!(
        (error.kind, error.code.as_deref()),
        (ErrorKind::FunctionError, Some("ValueError"))
    );
    assert_eq!(error.message, "bad input: max_turns");

    let r = p
        .handle(
            request(
                json!({"id": "ghost", "call": {"kind": "lambda", "function": "ghost"}}),
                CaptureTable::default(),
                None,
            ),
            None,
        )
        .await;
    let StepOutcome::Error { error } = &r.report.outcome else {
        panic!("{}", text(&r))
    };
    assert_eq!(
        (error.kind, error.code.as_deref(), error.status),
        (
            ErrorKind::Client,
            Some("ResourceNotFoundException"),
            Some(404)
        )
    );
}

/// Header names are case-insensitive: an expectation, a selector and a
/// capture that write them as a server does still find the answer's
/// (lower-case) headers. They used to be "(missing)".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_names_match_whatever_their_case() {
    let stub =
        Stub::start(|_| Reply::json(200, json!({"ok": true})).with_header("X-Request-Id", "r-7"))
            .await;
    let p = provider(
        &stub.url,
        &stub.url,
        Arc::new(FakeClock::new(t0())),
        KeySource::Unconfigured,
        Duration::from_secs(5),
    );
    let r = p
        .handle(
            request(
                json!({
                    "id": "h", "call": {"kind": "http", "url": format!("{}/x", stub.url)},
                    "expect": {"objectLike": {"headers": {"objectLike": {
                        "Content-Type": {"stringContains": "json"}, "X-REQUEST-ID": {"exact": "r-7"}
                    }}}},
                    "capture": {"id": {"path": "$.headers['X-Request-Id']"}}
                }),
                CaptureTable::default(),
                None,
            ),
            None,
        )
        .await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", text(&r));
    let captured = serde_json::to_string(&r.captures).unwrap();
    assert!(captured.contains("r-7"), "{captured}");
    let r = p
        .handle(
            request(
                json!({
                    "id": "h", "call": {"kind": "http", "url": format!("{}/x", stub.url)},
                    "select": "$.headers['X-Request-Id']", "expect": {"exact": "r-8"}
                }),
                CaptureTable::default(),
                None,
            ),
            None,
        )
        .await;
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(
        r.report.summary.contains("expected \"r-8\", got \"r-7\""),
        "the mismatch shows the header's value: {}",
        text(&r)
    );
}
