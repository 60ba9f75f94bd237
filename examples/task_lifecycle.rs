//! `examples/task-lifecycle.yaml`, written in Rust.
//!
//! A suite does not have to be a YAML file: [`SuiteBuilder`] and
//! [`StepBuilder`] build the same [`Suite`] value in Rust, with typed
//! matchers ([`Matcher::object_like`], [`Matcher::timestamp`],
//! [`Matcher::equals_capture`], ...) instead of `$`-tags, so a misspelt
//! matcher is a compile error rather than a load error. This file is the
//! twin of `examples/task-lifecycle.yaml`: the test
//! `rust_example_equals_task_lifecycle_yaml` in `state-machine/tests/suites.rs`
//! asserts that the two are equal, so a change to one must be made to both.
//!
//! `cargo run -p vigil-state-machine --example task_lifecycle` prints the
//! suite as JSON (matchers in the authoring form, as a suite file has them).

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};
use vigil_matchers::{Matcher, NumericRange, TimeRef, TimestampSpec, Within};
use vigil_protocol::{Call, CognitoToken, HttpAuth, HttpBody, HttpCall, PollPolicy};
use vigil_state_machine::builder::{StepBuilder, SuiteBuilder, aws, http};
use vigil_state_machine::{Param, Suite};

// ---- calls ---------------------------------------------------------------

/// A parameter bound to an output of the application stack.
fn output(name: &str) -> Param {
    Param {
        stack_output: Some(name.to_owned()),
        ..Param::default()
    }
}

/// The provider's Cognito login (ID token, raw in `Authorization`): the
/// token is fetched, cached and renewed inside the provider.
fn cognito_auth(user_param: &str, secret_param: &str) -> HttpAuth {
    HttpAuth::Cognito {
        client_id: "${ClientId}".to_owned(),
        username: format!("${{{user_param}}}"),
        password_secret: format!("${{{secret_param}}}"),
        token: CognitoToken::Id,
        header: "Authorization".to_owned(),
        prefix: String::new(),
    }
}

/// The test user (`&alice` in the YAML).
fn alice() -> HttpAuth {
    cognito_auth("UserName", "PasswordSecret")
}

/// Another user, who must not see or decide on the test user's tasks.
fn bob() -> HttpAuth {
    cognito_auth("OtherUserName", "OtherPasswordSecret")
}

/// `GET url` as `auth`.
fn get(url: &str, auth: HttpAuth) -> HttpCall {
    HttpCall {
        auth: Some(auth),
        ..http("GET", url)
    }
}

/// `POST url` with a JSON body, as `auth` (or anonymously).
fn post(url: &str, auth: Option<HttpAuth>, body: Value) -> HttpCall {
    HttpCall {
        auth,
        body: Some(HttpBody::Json(body)),
        ..http("POST", url)
    }
}

/// `GET url` with the API key captured secret by `create-key` in
/// `X-Api-Key` (the provider unseals it only to send it).
fn get_with_key(url: &str) -> HttpCall {
    let mut call = http("GET", url);
    call.headers
        .insert("X-Api-Key".to_owned(), "${create-key.key}".to_owned());
    call
}

/// Cognito `AdminGetUser` for the test user.
fn admin_get_user() -> Call {
    aws(
        "cognito-idp",
        "AdminGetUser",
        json!({"UserPoolId": "${UserPoolId}", "Username": "${UserName}"}),
    )
}

/// The test user's `sub`: a filter path, so captured `single`.
const SUB: &str = "$.UserAttributes[?@.Name=='sub'].Value";

/// DynamoDB `GetItem` of one task by id (a template), strongly consistent.
fn get_task(task_id: &str) -> Call {
    aws(
        "dynamodb",
        "GetItem",
        json!({"TableName": "${TaskTable}", "Key": {"task_id": {"S": task_id}}, "ConsistentRead": true}),
    )
}

/// DynamoDB `Query` of a task's events, oldest first.
fn task_events(task_id: &str) -> Call {
    aws(
        "dynamodb",
        "Query",
        json!({
            "TableName": "${EventsTable}",
            "KeyConditionExpression": "task_id = :t",
            "ExpressionAttributeValues": {":t": {"S": task_id}}
        }),
    )
}

/// How the polled steps wait for the agent: every 1-3 s, for 2 minutes.
fn poll_2m() -> PollPolicy {
    PollPolicy {
        min_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(3),
        ..PollPolicy::with_timeout(Duration::from_secs(120))
    }
}

// ---- matchers ------------------------------------------------------------

/// A DynamoDB string attribute: `{"S": m}`.
fn ddb_string(m: Matcher) -> Matcher {
    Matcher::object_like([("S", m)])
}

/// A DynamoDB map attribute: `{"M": {members}}`.
fn ddb_map<const N: usize>(members: [(&str, Matcher); N]) -> Matcher {
    Matcher::object_like([("M", Matcher::object_like(members))])
}

/// A DynamoDB string attribute equal to `s`.
fn s(text: &str) -> Matcher {
    ddb_string(Matcher::exact(text))
}

/// A string the regular expression finds a match in.
fn re(pattern: &str) -> Matcher {
    Matcher::regex(pattern).expect("the pattern compiles")
}

/// A UUID as the API writes them.
fn uuid() -> Matcher {
    re("^[0-9a-f-]{36}$")
}

/// Equal to the value an earlier step captured (`step.name`).
fn captured(capture: &str) -> Matcher {
    Matcher::equals_capture(capture.parse().expect("a `step.name` reference"))
}

/// An RFC 3339 timestamp no more than `minutes` from now.
fn within_minutes(minutes: u64) -> Matcher {
    Matcher::timestamp(TimestampSpec {
        within: Some(Within {
            duration: Duration::from_secs(minutes * 60),
            of: TimeRef::Now,
        }),
        ..TimestampSpec::default()
    })
}

/// An HTTP response with this status whose body matches `body`.
fn response(status: u16, body: Matcher) -> Matcher {
    Matcher::object_like([("status", Matcher::exact(status)), ("body", body)])
}

/// An HTTP response with this status, whatever the body.
fn status(status: u16) -> Matcher {
    Matcher::object_like([("status", Matcher::exact(status))])
}

/// The API's success envelope: `{"data": {members}}`.
fn data<const N: usize>(members: [(&str, Matcher); N]) -> Matcher {
    Matcher::object_like([("data", Matcher::object_like(members))])
}

/// The API's error envelope: `{"error": {members}}`.
fn error<const N: usize>(members: [(&str, Matcher); N]) -> Matcher {
    Matcher::object_like([("error", Matcher::object_like(members))])
}

/// A refusal with this status and error code.
fn refused(status: u16, code: &str) -> Matcher {
    response(status, error([("code", Matcher::exact(code))]))
}

/// An event row of this type (more members may follow in `rest`).
fn event<const N: usize>(event_type: &str, rest: [(&str, Matcher); N]) -> Matcher {
    Matcher::object_like(std::iter::once(("event_type", s(event_type))).chain(rest))
}

// ---- the suite -----------------------------------------------------------

/// `examples/task-lifecycle.yaml`, built in Rust.
pub fn suite() -> Suite {
    SuiteBuilder::new("task-lifecycle")
        .description("AgentStack task lifecycle, approvals and API guards.")
        .param(
            "ApiUrl",
            Param {
                description: Some("the Task API's base URL".to_owned()),
                ..output("ApiUrl")
            },
        )
        .param("UserPoolId", output("UserPoolId"))
        .param("ClientId", output("UserPoolClientId"))
        .param("UserName", output("TestUserName"))
        .param("PasswordSecret", output("TestUserPasswordSecret"))
        .param("OtherUserName", output("OtherUserName"))
        .param("OtherPasswordSecret", output("OtherUserPasswordSecret"))
        .param("TaskTable", output("TaskTableName"))
        .param("ApprovalsTable", output("TaskApprovalsTableName"))
        .param("EventsTable", output("TaskEventsTableName"))
        .scenario_described(
            "completed",
            "A repo-less task runs to COMPLETED; the API guards its tasks.",
            completed(),
        )
        .scenario_described(
            "failed",
            "A coding task on a repository the git host lacks fails its pre-flight check.",
            failed(),
        )
        .scenario_described(
            "approve",
            "A .env write waits for approval; approving lets the task finish.",
            approve(),
        )
        .scenario_described(
            "deny",
            "A .env write is denied; the write is blocked and the task still finishes.",
            deny(),
        )
        .build()
        .expect("the task-lifecycle suite is valid")
}

fn completed() -> Vec<StepBuilder> {
    vec![
        StepBuilder::new("whoami", admin_get_user())
            .select(SUB)
            .expect(Matcher::array_equals([uuid()]))
            .capture_single("sub", SUB),
        StepBuilder::new(
            "no-token",
            post(
                "${ApiUrl}/tasks",
                None,
                json!({"workflow_ref": "default/agent-v1", "task_description": "x", "max_turns": 5, "max_budget_usd": 1}),
            ),
        )
        .expect(response(
            401,
            error([
                ("code", Matcher::exact("UNAUTHORIZED")),
                ("request_id", Matcher::present()),
            ]),
        )),
        StepBuilder::new(
            "submit",
            post(
                "${ApiUrl}/tasks",
                Some(alice()),
                json!({"workflow_ref": "default/agent-v1", "task_description": "Summarise the open issues", "max_turns": 20, "max_budget_usd": 2.5}),
            ),
        )
        .expect(response(
            201,
            data([
                ("task_id", uuid()),
                ("status", Matcher::exact("SUBMITTED")),
                ("created_at", within_minutes(5)),
                ("user_id", Matcher::absent()),
            ]),
        ))
        .capture("id", "$.body.data.task_id")
        .capture("created_at", "$.body.data.created_at"),
        StepBuilder::new("task-completed", get_task("${submit.id}"))
            .select("$.Item")
            .expect(Matcher::object_like([
                ("task_id", ddb_string(captured("submit.id"))),
                ("user_id", ddb_string(captured("whoami.sub"))),
                ("status", s("COMPLETED")),
                ("workflow_ref", s("default/agent-v1")),
                (
                    "max_turns",
                    Matcher::object_like([(
                        "N",
                        Matcher::numeric(NumericRange::between(1, 500).expect("1 <= 500")),
                    )]),
                ),
                ("created_at", ddb_string(within_minutes(10))),
                (
                    "updated_at",
                    ddb_string(Matcher::timestamp(TimestampSpec {
                        after: Some(TimeRef::Capture(
                            "submit.created_at".parse().expect("a capture reference"),
                        )),
                        ..TimestampSpec::default()
                    })),
                ),
                ("error_message", Matcher::absent()),
                ("awaiting_approval_request_id", Matcher::absent()),
            ]))
            .poll(poll_2m()),
        StepBuilder::new("read-back", get("${ApiUrl}/tasks/${submit.id}", alice())).expect(
            response(
                200,
                data([
                    ("task_id", captured("submit.id")),
                    ("status", Matcher::exact("COMPLETED")),
                    ("user_id", Matcher::absent()),
                ]),
            ),
        ),
        StepBuilder::new(
            "create-key",
            post(
                "${ApiUrl}/api-keys",
                Some(alice()),
                json!({"name": "vigil-ci"}),
            ),
        )
        .expect(response(
            201,
            data([
                ("key_id", re("^ak-[0-9a-f-]{36}$")),
                ("name", Matcher::exact("vigil-ci")),
                ("api_key", re("^vk_[A-Za-z0-9_-]{43}$")),
            ]),
        ))
        .capture("key_id", "$.body.data.key_id")
        .capture_secret("key", "$.body.data.api_key"),
        StepBuilder::new(
            "read-with-key",
            get_with_key("${ApiUrl}/tasks/${submit.id}"),
        )
        .expect(response(
            200,
            data([
                ("task_id", captured("submit.id")),
                ("status", Matcher::exact("COMPLETED")),
            ]),
        )),
        StepBuilder::new(
            "read-with-bearer-key",
            get(
                "${ApiUrl}/tasks/${submit.id}",
                HttpAuth::Bearer {
                    token: "${create-key.key}".to_owned(),
                },
            ),
        )
        .expect(response(200, data([("task_id", captured("submit.id"))]))),
        StepBuilder::new(
            "revoke-key",
            HttpCall {
                auth: Some(alice()),
                ..http("DELETE", "${ApiUrl}/api-keys/${create-key.key_id}")
            },
        )
        .expect(response(
            200,
            data([
                ("key_id", captured("create-key.key_id")),
                ("revoked_at", within_minutes(5)),
                ("api_key", Matcher::absent()),
            ]),
        )),
        StepBuilder::new(
            "revoked-key",
            get_with_key("${ApiUrl}/tasks/${submit.id}"),
        )
        .expect(refused(401, "UNAUTHORIZED")),
        StepBuilder::new(
            "other-users-task",
            get("${ApiUrl}/tasks/${submit.id}", bob()),
        )
        .expect(refused(403, "FORBIDDEN")),
        StepBuilder::new(
            "unknown-task",
            get(
                "${ApiUrl}/tasks/00000000-0000-0000-0000-000000000000",
                alice(),
            ),
        )
        .expect(refused(404, "TASK_NOT_FOUND")),
        StepBuilder::new(
            "not-awaiting",
            post(
                "${ApiUrl}/tasks/${submit.id}/approve",
                Some(alice()),
                json!({"request_id": "req-none", "decision": "approve"}),
            ),
        )
        .expect(refused(404, "REQUEST_NOT_FOUND")),
        StepBuilder::new("events", task_events("${submit.id}"))
            .select("$.Items")
            .expect(Matcher::array_with([
                event(
                    "task_created",
                    [(
                        "metadata",
                        ddb_map([
                            ("user_id", ddb_string(captured("whoami.sub"))),
                            ("workflow_ref", s("default/agent-v1")),
                        ]),
                    )],
                ),
                event(
                    "status_changed",
                    [("metadata", ddb_map([("status", s("COMPLETED"))]))],
                ),
            ])),
    ]
}

fn failed() -> Vec<StepBuilder> {
    vec![
        StepBuilder::new(
            "not-onboarded",
            post(
                "${ApiUrl}/tasks",
                Some(alice()),
                json!({"workflow_ref": "coding/new-task-v1", "repo": "acme/legacy", "task_description": "Fix the build", "max_turns": 10, "max_budget_usd": 1}),
            ),
        )
        .expect(response(
            422,
            error([
                ("code", Matcher::exact("REPO_NOT_ONBOARDED")),
                ("message", Matcher::contains("acme/legacy")),
            ]),
        )),
        StepBuilder::new(
            "invalid",
            post(
                "${ApiUrl}/tasks",
                Some(alice()),
                json!({"workflow_ref": "coding/new-task-v1", "task_description": "No repo given", "max_turns": 0, "max_budget_usd": 1}),
            ),
        )
        .expect(response(
            400,
            error([
                ("code", Matcher::exact("VALIDATION_ERROR")),
                ("request_id", Matcher::present()),
            ]),
        )),
        StepBuilder::new(
            "submit-ghost",
            post(
                "${ApiUrl}/tasks",
                Some(alice()),
                json!({"workflow_ref": "coding/new-task-v1", "repo": "acme/ghost", "task_description": "Add a CHANGELOG", "max_turns": 10, "max_budget_usd": 1}),
            ),
        )
        .expect(response(
            201,
            data([
                ("status", Matcher::exact("SUBMITTED")),
                ("repo", Matcher::exact("acme/ghost")),
            ]),
        ))
        .capture("id", "$.body.data.task_id"),
        StepBuilder::new("task-failed", get_task("${submit-ghost.id}"))
            .select("$.Item")
            .expect(Matcher::object_like([
                ("status", s("FAILED")),
                ("repo", s("acme/ghost")),
                (
                    "error_message",
                    ddb_string(re("^Pre-flight check failed: .*acme/ghost")),
                ),
                ("updated_at", ddb_string(within_minutes(10))),
            ]))
            .poll(poll_2m()),
    ]
}

fn approve() -> Vec<StepBuilder> {
    vec![
        StepBuilder::new("approver", admin_get_user()).capture_single("sub", SUB),
        StepBuilder::new(
            "submit-env",
            post(
                "${ApiUrl}/tasks",
                Some(alice()),
                json!({"workflow_ref": "coding/new-task-v1", "repo": "acme/web", "task_description": "Write a .env file with the staging settings", "max_turns": 30, "max_budget_usd": 5}),
            ),
        )
        .expect(status(201))
        .capture("id", "$.body.data.task_id"),
        StepBuilder::new("awaiting", get_task("${submit-env.id}"))
            .select("$.Item")
            .expect(Matcher::object_like([
                ("status", s("AWAITING_APPROVAL")),
                ("awaiting_approval_request_id", ddb_string(re("^req-"))),
                ("updated_at", ddb_string(within_minutes(10))),
            ]))
            .poll(poll_2m()),
        StepBuilder::new(
            "pending-request",
            aws(
                "dynamodb",
                "Query",
                json!({
                    "TableName": "${ApprovalsTable}",
                    "KeyConditionExpression": "task_id = :t",
                    "FilterExpression": "#s = :pending",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":t": {"S": "${submit-env.id}"}, ":pending": {"S": "PENDING"}},
                    "ConsistentRead": true
                }),
            ),
        )
        .expect(Matcher::object_like([
            ("Count", Matcher::exact(1)),
            (
                "Items",
                Matcher::array_equals([Matcher::object_like([
                    ("tool_name", s("write_file")),
                    ("severity", s("high")),
                    ("reason", ddb_string(Matcher::contains(".env"))),
                ])]),
            ),
        ]))
        .capture("request_id", "$.Items[0].request_id.S"),
        StepBuilder::new(
            "row-points-at-request",
            aws(
                "dynamodb",
                "GetItem",
                json!({"TableName": "${TaskTable}", "Key": {"task_id": {"S": "${submit-env.id}"}}}),
            ),
        )
        .select("$.Item.awaiting_approval_request_id.S")
        .expect(captured("pending-request.request_id")),
        StepBuilder::new(
            "approve",
            post(
                "${ApiUrl}/tasks/${submit-env.id}/approve",
                Some(alice()),
                json!({"request_id": "${pending-request.request_id}", "decision": "approve", "scope": "this_task"}),
            ),
        )
        .expect(response(
            202,
            data([
                ("task_id", captured("submit-env.id")),
                ("request_id", captured("pending-request.request_id")),
                ("status", Matcher::exact("APPROVED")),
                ("scope", Matcher::exact("this_task")),
                ("decided_at", within_minutes(5)),
            ]),
        )),
        StepBuilder::new(
            "approve-again",
            post(
                "${ApiUrl}/tasks/${submit-env.id}/approve",
                Some(alice()),
                json!({"request_id": "${pending-request.request_id}", "decision": "approve"}),
            ),
        )
        .expect(refused(404, "REQUEST_NOT_FOUND")),
        StepBuilder::new("approved-completes", get_task("${submit-env.id}"))
            .select("$.Item")
            .expect(Matcher::object_like([
                ("status", s("COMPLETED")),
                ("error_message", Matcher::absent()),
            ]))
            .poll(poll_2m()),
        StepBuilder::new("decision-recorded", task_events("${submit-env.id}"))
            .select("$.Items")
            .expect(Matcher::array_with([
                event(
                    "approval_decision_recorded",
                    [(
                        "metadata",
                        ddb_map([
                            (
                                "request_id",
                                ddb_string(captured("pending-request.request_id")),
                            ),
                            ("status", s("APPROVED")),
                            ("decided_at", ddb_string(within_minutes(10))),
                            ("caller_user_id", ddb_string(captured("approver.sub"))),
                        ]),
                    )],
                ),
                event(
                    "tool_call_executed",
                    [("metadata", ddb_map([("tool_name", s("write_file"))]))],
                ),
            ])),
    ]
}

fn deny() -> Vec<StepBuilder> {
    vec![
        StepBuilder::new(
            "submit-deny",
            post(
                "${ApiUrl}/tasks",
                Some(alice()),
                json!({"workflow_ref": "coding/new-task-v1", "repo": "acme/web", "task_description": "Write a .env file with the production secrets", "max_turns": 30, "max_budget_usd": 5}),
            ),
        )
        .expect(status(201))
        .capture("id", "$.body.data.task_id"),
        StepBuilder::new("deny-awaiting", get_task("${submit-deny.id}"))
            .select("$.Item")
            .expect(Matcher::object_like([
                ("status", s("AWAITING_APPROVAL")),
                ("awaiting_approval_request_id", ddb_string(re("^req-"))),
            ]))
            .poll(poll_2m())
            .capture("request_id", "$.Item.awaiting_approval_request_id.S"),
        StepBuilder::new(
            "approve-wrong-user",
            post(
                "${ApiUrl}/tasks/${submit-deny.id}/approve",
                Some(bob()),
                json!({"request_id": "${deny-awaiting.request_id}", "decision": "approve"}),
            ),
        )
        .expect(refused(404, "REQUEST_NOT_FOUND")),
        StepBuilder::new(
            "deny",
            post(
                "${ApiUrl}/tasks/${submit-deny.id}/deny",
                Some(alice()),
                json!({"request_id": "${deny-awaiting.request_id}", "decision": "deny", "reason": "No secrets in files"}),
            ),
        )
        .expect(response(
            202,
            data([
                ("status", Matcher::exact("DENIED")),
                ("request_id", captured("deny-awaiting.request_id")),
                ("decided_at", within_minutes(5)),
                ("scope", Matcher::absent()),
            ]),
        )),
        StepBuilder::new(
            "approval-row",
            aws(
                "dynamodb",
                "GetItem",
                json!({
                    "TableName": "${ApprovalsTable}",
                    "Key": {"task_id": {"S": "${submit-deny.id}"}, "request_id": {"S": "${deny-awaiting.request_id}"}},
                    "ConsistentRead": true
                }),
            ),
        )
        .select("$.Item")
        .expect(Matcher::object_like([
            ("status", s("DENIED")),
            ("deny_reason", s("No secrets in files")),
            ("decided_at", ddb_string(within_minutes(10))),
            ("scope", Matcher::absent()),
        ])),
        StepBuilder::new("denied-completes", get_task("${submit-deny.id}"))
            .select("$.Item")
            .expect(Matcher::object_like([("status", s("COMPLETED"))]))
            .poll(poll_2m()),
        StepBuilder::new("write-blocked", task_events("${submit-deny.id}"))
            .select("$.Items")
            .expect(Matcher::all_of([
                Matcher::array_with([
                    event(
                        "approval_decision_recorded",
                        [(
                            "metadata",
                            ddb_map([
                                ("status", s("DENIED")),
                                (
                                    "request_id",
                                    ddb_string(captured("deny-awaiting.request_id")),
                                ),
                            ]),
                        )],
                    ),
                    event("tool_call_blocked", []),
                ]),
                Matcher::not(Matcher::array_with([event("tool_call_executed", [])])),
            ])),
    ]
}

/// Prints the suite as pretty JSON.
fn main() {
    let text = serde_json::to_string_pretty(&suite()).expect("a suite serializes");
    // `| head` closes the pipe early; that is not an error.
    if let Err(e) = writeln!(std::io::stdout().lock(), "{text}")
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        panic!("cannot write the suite: {e}");
    }
}
