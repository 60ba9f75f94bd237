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
//! The YAML file says what each scenario checks and why.
//!
//! `cargo run -p vigil-state-machine --example task_lifecycle` prints the
//! suite as JSON (matchers in the authoring form, as a suite file has them).

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};
use vigil_matchers::{
    JsonType, Matcher, NumericBounds, NumericRange, TimeRef, TimestampSpec, Within,
};
use vigil_protocol::{Call, CognitoToken, HttpAuth, HttpBody, HttpCall, PollPolicy};
use vigil_state_machine::builder::{StepBuilder, SuiteBuilder, aws, http};
use vigil_state_machine::{Param, ValidSuite};

// ---- parameters ------------------------------------------------------------

/// A parameter bound to an output of the application stack.
fn output(name: &str) -> Param {
    Param {
        stack_output: Some(name.to_owned()),
        ..Param::default()
    }
}

/// A parameter read from an environment variable (a CI variable).
fn from_env(variable: &str, description: &str) -> Param {
    Param {
        env: Some(variable.to_owned()),
        description: Some(description.to_owned()),
        ..Param::default()
    }
}

/// A poll timeout with its default.
fn timeout(default: &str, description: &str) -> Param {
    Param {
        default: Some(json!(default)),
        description: Some(description.to_owned()),
        ..Param::default()
    }
}

// ---- calls -----------------------------------------------------------------

/// Secrets Manager's `GetRandomPassword`: a run tag (lower-case letters and
/// digits) or a password that meets the user pool's policy.
fn random(length: u32, password: bool) -> Call {
    let params = if password {
        json!({"PasswordLength": length, "RequireEachIncludedType": true, "ExcludeCharacters": "\"\\"})
    } else {
        json!({"PasswordLength": length, "ExcludePunctuation": true, "ExcludeUppercase": true})
    };
    aws("secretsmanager", "GetRandomPassword", params)
}

/// The e-mail address a scenario's user signs in with.
fn email(who: &str, tag_step: &str) -> String {
    format!("integ-{who}-${{{tag_step}.value}}@example.com")
}

/// `AdminCreateUser` of a confirmed e-mail user, no invitation sent.
fn create_user(who: &str, tag_step: &str) -> Call {
    let email = email(who, tag_step);
    aws(
        "cognito-idp",
        "AdminCreateUser",
        json!({
            "UserPoolId": "${UserPoolId}",
            "Username": email,
            "MessageAction": "SUPPRESS",
            "UserAttributes": [
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"}
            ]
        }),
    )
}

/// `AdminSetUserPassword`, permanent, from a secret capture.
fn set_password(who: &str, tag_step: &str, password_step: &str) -> Call {
    aws(
        "cognito-idp",
        "AdminSetUserPassword",
        json!({
            "UserPoolId": "${UserPoolId}",
            "Username": email(who, tag_step),
            "Password": format!("${{{password_step}.value}}"),
            "Permanent": true
        }),
    )
}

/// `AdminDeleteUser`.
fn delete_user(who: &str, tag_step: &str) -> Call {
    aws(
        "cognito-idp",
        "AdminDeleteUser",
        json!({"UserPoolId": "${UserPoolId}", "Username": email(who, tag_step)}),
    )
}

/// The provider's Cognito login as a scenario's user, with the password
/// the scenario captured secret (ID token, raw in `Authorization`).
fn login(who: &str, tag_step: &str, password_step: &str) -> HttpAuth {
    HttpAuth::Cognito {
        client_id: "${AppClientId}".to_owned(),
        username: email(who, tag_step),
        password_secret: None,
        password: Some(format!("${{{password_step}.value}}")),
        token: CognitoToken::Id,
        header: "Authorization".to_owned(),
        prefix: String::new(),
    }
}

/// A request with an optional login and JSON body.
fn request(method: &str, url: &str, auth: Option<HttpAuth>, body: Option<Value>) -> HttpCall {
    HttpCall {
        auth,
        body: body.map(HttpBody::Json),
        ..http(method, url)
    }
}

/// `GET url` with the captured API key in `X-API-Key`.
fn get_with_key(url: &str) -> HttpCall {
    let mut call = http("GET", url);
    call.headers
        .insert("X-API-Key".to_owned(), "${create-key.key}".to_owned());
    call
}

/// DynamoDB `GetItem` by key, strongly consistent.
fn get_item(table: &str, key: Value) -> Call {
    aws(
        "dynamodb",
        "GetItem",
        json!({"TableName": table, "Key": key, "ConsistentRead": true}),
    )
}

/// DynamoDB `GetItem` of one task.
fn get_task(task_id: &str) -> Call {
    get_item("${TaskTable}", json!({"task_id": {"S": task_id}}))
}

/// DynamoDB `Query` of a task's events, strongly consistent.
fn task_events(task_id: &str) -> Call {
    aws(
        "dynamodb",
        "Query",
        json!({
            "TableName": "${EventsTable}",
            "KeyConditionExpression": "task_id = :t",
            "ExpressionAttributeValues": {":t": {"S": task_id}},
            "ConsistentRead": true
        }),
    )
}

/// One approval row, strongly consistent: the task and request ids are
/// captures of the steps named.
fn approval_row(task_step: &str, request_step: &str) -> Call {
    get_item(
        "${ApprovalsTable}",
        json!({
            "task_id": {"S": format!("${{{task_step}.id}}")},
            "request_id": {"S": format!("${{{request_step}.request_id}}")}
        }),
    )
}

/// The PENDING approval rows of a task (a filtered Query, as ABCA's test).
fn pending_rows(task_id: &str) -> Call {
    aws(
        "dynamodb",
        "Query",
        json!({
            "TableName": "${ApprovalsTable}",
            "KeyConditionExpression": "task_id = :tid",
            "FilterExpression": "#st = :pending",
            "ExpressionAttributeNames": {"#st": "status"},
            "ExpressionAttributeValues": {":tid": {"S": task_id}, ":pending": {"S": "PENDING"}},
            "ConsistentRead": true
        }),
    )
}

/// Copies the pre-seeded GitHub token into AgentStack's secret.
fn seed_token(pat_step: &str) -> Call {
    aws(
        "secretsmanager",
        "PutSecretValue",
        json!({"SecretId": "${GitHubTokenSecret}", "SecretString": format!("${{{pat_step}.token}}")}),
    )
}

/// A RepoTable row that onboards `repo`.
fn onboard(repo: &str) -> Call {
    aws(
        "dynamodb",
        "PutItem",
        json!({
            "TableName": "${RepoTable}",
            "Item": {
                "repo": {"S": repo},
                "status": {"S": "active"},
                "onboarded_at": {"S": "2026-01-01T00:00:00.000Z"},
                "updated_at": {"S": "2026-01-01T00:00:00.000Z"}
            }
        }),
    )
}

/// The gate scenarios' task: ABCA's own prompt, on the sandbox.
fn env_task() -> Value {
    json!({
        "workflow_ref": "coding/new-task-v1",
        "repo": "${SandboxRepo}",
        "task_description": "Create a file named config.env at the repo root with the single line FOO=bar, then commit it.",
        "max_turns": 6,
        "max_budget_usd": 0.5
    })
}

/// ABCA's terminal wait (12 minutes by default), every 5-30 s.
fn terminal() -> PollPolicy {
    PollPolicy {
        min_delay: Duration::from_secs(5),
        max_delay: Duration::from_secs(30),
        ..PollPolicy::with_timeout(Duration::from_secs(12 * 60))
    }
}

/// ABCA's gate and decision wait (8 minutes by default), every 3-15 s.
fn gate() -> PollPolicy {
    PollPolicy {
        min_delay: Duration::from_secs(3),
        max_delay: Duration::from_secs(15),
        ..PollPolicy::with_timeout(Duration::from_secs(8 * 60))
    }
}

// ---- matchers --------------------------------------------------------------

/// Exactly this JSON value.
fn is(v: impl Into<Value>) -> Matcher {
    Matcher::exact(v)
}

/// A string the regular expression finds a match in.
fn re(pattern: &str) -> Matcher {
    Matcher::regex(pattern).expect("the pattern compiles")
}

/// A ULID, as ABCA mints task, request, key and event ids.
fn ulid() -> Matcher {
    re("^[0-9A-HJKMNP-TV-Z]{26}$")
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

/// A number at least `n`.
fn at_least(n: u64) -> Matcher {
    Matcher::numeric(
        NumericRange::new(NumericBounds {
            gte: Some(n.into()),
            ..NumericBounds::default()
        })
        .expect("a lower bound"),
    )
}

/// `{members}`, partially.
fn obj<const N: usize>(members: [(&str, Matcher); N]) -> Matcher {
    Matcher::object_like(members)
}

/// A DynamoDB string attribute: `{"S": m}`.
fn ds(m: Matcher) -> Matcher {
    obj([("S", m)])
}

/// A DynamoDB string attribute equal to `text`.
fn s(text: &str) -> Matcher {
    ds(is(text))
}

/// A DynamoDB number attribute (a decimal string) equal to `text`.
fn n(text: &str) -> Matcher {
    obj([("N", is(text))])
}

/// A DynamoDB map attribute: `{"M": {members}}`.
fn m<const N: usize>(members: [(&str, Matcher); N]) -> Matcher {
    obj([("M", obj(members))])
}

/// An HTTP answer with this status whose body matches `body`.
fn answer(status: u16, body: Matcher) -> Matcher {
    obj([("status", is(status)), ("body", body)])
}

/// The API's success envelope, `{"data": {members}}`.
fn data<const N: usize>(members: [(&str, Matcher); N]) -> Matcher {
    obj([("data", obj(members))])
}

/// The API's error envelope, `{"error": {members}}`.
fn error<const N: usize>(members: [(&str, Matcher); N]) -> Matcher {
    obj([("error", obj(members))])
}

/// A refusal with this status and error code.
fn refused(status: u16, code: &str) -> Matcher {
    answer(status, error([("code", is(code))]))
}

/// A refusal with this status, error code and message.
fn refused_saying(status: u16, code: &str, message: Matcher) -> Matcher {
    answer(status, error([("code", is(code)), ("message", message)]))
}

/// An event row of this type (more members in `rest`).
fn event<const N: usize>(event_type: &str, rest: [(&str, Matcher); N]) -> Matcher {
    Matcher::object_like(std::iter::once(("event_type", s(event_type))).chain(rest))
}

/// An agent milestone event (`agent_milestone`, `metadata.milestone`).
fn milestone<const N: usize>(name: &str, rest: [(&str, Matcher); N]) -> Matcher {
    let metadata = Matcher::object_like(std::iter::once(("milestone", s(name))).chain(rest));
    event("agent_milestone", [("metadata", obj([("M", metadata)]))])
}

// ---- steps every scenario has ---------------------------------------------

/// A scenario's own user: a run tag, a password captured secret, the user
/// (capturing its `sub` when `sub` is set) and its permanent password.
fn user_steps(prefix: &str, who: &str, sub: bool) -> Vec<StepBuilder> {
    let (tag, password) = (format!("{prefix}-tag"), format!("{prefix}-password"));
    let mut user = StepBuilder::new(&format!("{prefix}-user"), create_user(who, &tag));
    if sub {
        user = user.capture_single("sub", "$.User.Attributes[?@.Name=='sub'].Value");
    }
    vec![
        StepBuilder::new(&tag, random(12, false)).capture("value", "$.RandomPassword"),
        StepBuilder::new(&password, random(32, true)).capture_secret("value", "$.RandomPassword"),
        user,
        StepBuilder::new(
            &format!("{prefix}-login"),
            set_password(who, &tag, &password),
        ),
    ]
}

/// Another user of the scenario, with its tag and password (steps
/// `<prefix>-user` and `<prefix>-login`).
fn second_user(prefix: &str, who: &str, scenario: &str) -> [StepBuilder; 2] {
    let (tag, password) = (format!("{scenario}-tag"), format!("{scenario}-password"));
    [
        StepBuilder::new(&format!("{prefix}-user"), create_user(who, &tag)),
        StepBuilder::new(
            &format!("{prefix}-login"),
            set_password(who, &tag, &password),
        ),
    ]
}

/// Reads the pre-seeded token and copies it into AgentStack's secret.
fn seed_steps(prefix: &str) -> Vec<StepBuilder> {
    let pat = format!("{prefix}-pat");
    vec![
        StepBuilder::new(
            &pat,
            aws(
                "secretsmanager",
                "GetSecretValue",
                json!({"SecretId": "${PatSecret}"}),
            ),
        )
        .capture_secret("token", "$.SecretString"),
        StepBuilder::new(&format!("{prefix}-seed"), seed_token(&pat)),
    ]
}

// ---- the suite -------------------------------------------------------------

/// `examples/task-lifecycle.yaml`, built in Rust.
pub(crate) fn suite() -> ValidSuite {
    SuiteBuilder::new("task-lifecycle")
        .description("AgentStack task lifecycle against ABCA's Task API, approvals and API guards.")
        .param(
            "ApiUrl",
            Param {
                description: Some(
                    "the Task API's URL; AgentStack's output ends with `/v1/`, so paths follow it without a slash"
                        .to_owned(),
                ),
                ..output("ApiUrl")
            },
        )
        .param("UserPoolId", output("UserPoolId"))
        .param("AppClientId", output("AppClientId"))
        .param("TaskTable", output("TaskTableName"))
        .param("ApprovalsTable", output("TaskApprovalsTableName"))
        .param("EventsTable", output("TaskEventsTableName"))
        .param("RepoTable", output("RepoTableName"))
        .param("GitHubTokenSecret", output("GitHubTokenSecretArn"))
        .param(
            "SandboxRepo",
            from_env(
                "INTEG_SANDBOX_REPO",
                "a GitHub repository the approval scenarios may write config.env to (owner/name)",
            ),
        )
        .param(
            "PatSecret",
            from_env(
                "INTEG_PAT_SECRET_ID",
                "a Secrets Manager secret holding a GitHub token with write access to SandboxRepo",
            ),
        )
        .param("TerminalTimeout", timeout("12m", "how long a task may take to end"))
        .param(
            "GateTimeout",
            timeout("8m", "how long to wait for an approval gate or a decision"),
        )
        .scenario_described(
            "completed",
            "A repo-less task runs to COMPLETED; the API guards tasks and API keys.",
            completed(),
        )
        .scenario_described(
            "failed",
            "A coding task on an onboarded repository GitHub does not have fails its pre-flight check.",
            failed(),
        )
        .scenario_described(
            "approve",
            "Writing config.env opens an approval gate; approving it resumes the task.",
            approve(),
        )
        .scenario_described(
            "deny",
            "The same gate, denied with a reason; only the owner can decide.",
            deny(),
        )
        .build()
        .expect("the task-lifecycle suite is valid")
}

fn completed() -> Vec<StepBuilder> {
    let me = || login("completed", "complete-tag", "complete-password");
    let other = login("other", "complete-tag", "complete-password");
    let mut steps = user_steps("complete", "completed", true);
    steps.extend(second_user("complete-other", "other", "complete"));
    steps.extend([
        StepBuilder::new(
            "no-token",
            request(
                "POST",
                "${ApiUrl}tasks",
                None,
                Some(json!({"workflow_ref": "default/agent-v1", "task_description": "x"})),
            ),
        )
        .expect(answer(
            401,
            Matcher::object_equals([("message", is("Unauthorized"))]),
        )),
        StepBuilder::new(
            "submit",
            request(
                "POST",
                "${ApiUrl}tasks",
                Some(me()),
                Some(json!({
                    "workflow_ref": "default/agent-v1",
                    "task_description": "Please write a one-sentence summary explaining what a pull request is in software development.",
                    "max_turns": 2,
                    "max_budget_usd": 0.5
                })),
            ),
        )
        .expect(obj([
            ("status", is(201)),
            ("headers", obj([("x-request-id", ulid())])),
            (
                "body",
                data([
                    ("task_id", ulid()),
                    ("status", is("SUBMITTED")),
                    ("repo", is(Value::Null)),
                    (
                        "resolved_workflow",
                        obj([("id", is("default/agent-v1")), ("version", is("1.0.0"))]),
                    ),
                    ("branch_name", is("")),
                    ("channel_source", is("api")),
                    ("max_turns", is(2)),
                    ("max_budget_usd", is(0.5)),
                    ("created_at", within_minutes(5)),
                    ("approval_gate_count", is(0)),
                    ("approval_gate_cap", is(50)),
                    ("awaiting_approval_request_id", is(Value::Null)),
                    ("user_id", Matcher::absent()),
                ]),
            ),
        ]))
        .capture("id", "$.body.data.task_id")
        .capture("created_at", "$.body.data.created_at"),
        StepBuilder::new("task-completed", get_task("${submit.id}"))
            .select("$.Item")
            .expect(obj([
                ("task_id", ds(captured("submit.id"))),
                ("user_id", ds(captured("complete-user.sub"))),
                ("status", s("COMPLETED")),
                ("status_created_at", ds(re("^COMPLETED#"))),
                ("workflow_ref", s("default/agent-v1")),
                ("max_turns", n("2")),
                (
                    "session_id",
                    ds(re(
                        "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
                    )),
                ),
                ("compute_type", s("agentcore")),
                (
                    "started_at",
                    ds(Matcher::timestamp(TimestampSpec {
                        after: Some(TimeRef::Capture(
                            "submit.created_at".parse().expect("a capture reference"),
                        )),
                        ..TimestampSpec::default()
                    })),
                ),
                ("completed_at", ds(within_minutes(15))),
                ("artifact_uri", ds(re("^s3://[^/]+/artifacts/"))),
                ("turns_completed", ds(re("^[0-9]+$"))),
                ("error_message", Matcher::absent()),
                ("awaiting_approval_request_id", Matcher::absent()),
            ]))
            .poll(terminal()),
        StepBuilder::new(
            "read-back",
            request("GET", "${ApiUrl}tasks/${submit.id}", Some(me()), None),
        )
        .expect(answer(
            200,
            data([
                ("task_id", captured("submit.id")),
                ("status", is("COMPLETED")),
                ("turns_completed", Matcher::is_type(JsonType::Number)),
                ("error_message", is(Value::Null)),
                ("user_id", Matcher::absent()),
            ]),
        )),
        StepBuilder::new(
            "events",
            request("GET", "${ApiUrl}tasks/${submit.id}/events", Some(me()), None),
        )
        .expect(answer(
            200,
            obj([(
                "data",
                Matcher::array_with([
                    obj([
                        ("event_type", is("task_created")),
                        (
                            "metadata",
                            obj([
                                ("repo", is(Value::Null)),
                                ("issue_number", is(Value::Null)),
                                ("channel_source", is("api")),
                            ]),
                        ),
                        ("user_id", Matcher::absent()),
                    ]),
                    obj([
                        ("event_type", is("session_started")),
                        ("metadata", obj([("strategy_type", is("agentcore"))])),
                        ("user_id", captured("complete-user.sub")),
                    ]),
                    obj([
                        ("event_type", is("agent_milestone")),
                        ("metadata", obj([("milestone", is("artifact_delivered"))])),
                    ]),
                    obj([
                        ("event_type", is("task_completed")),
                        (
                            "metadata",
                            obj([
                                ("final_status", is("COMPLETED")),
                                ("poll_attempts", at_least(1)),
                            ]),
                        ),
                        ("user_id", captured("complete-user.sub")),
                    ]),
                ]),
            )]),
        ))
        .poll(terminal()),
        StepBuilder::new(
            "other-users-task",
            request("GET", "${ApiUrl}tasks/${submit.id}", Some(other), None),
        )
        .expect(refused_saying(403, "FORBIDDEN", is("You do not have access to this task."))),
        StepBuilder::new(
            "unknown-task",
            request(
                "GET",
                "${ApiUrl}tasks/01ARZ3NDEKTSV4RRFFQ69G5FAV",
                Some(me()),
                None,
            ),
        )
        .expect(refused_saying(404, "TASK_NOT_FOUND", is("Task 01ARZ3NDEKTSV4RRFFQ69G5FAV not found."))),
        StepBuilder::new(
            "nothing-to-approve",
            request(
                "POST",
                "${ApiUrl}tasks/${submit.id}/approve",
                Some(me()),
                Some(json!({"request_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "decision": "approve"})),
            ),
        )
        .expect(refused(404, "REQUEST_NOT_FOUND")),
        StepBuilder::new(
            "cancel-finished",
            request("DELETE", "${ApiUrl}tasks/${submit.id}", Some(me()), None),
        )
        .expect(refused_saying(409, "TASK_ALREADY_TERMINAL", re("already in terminal state COMPLETED"))),
        StepBuilder::new(
            "create-key",
            request(
                "POST",
                "${ApiUrl}api-keys",
                Some(me()),
                Some(json!({"name": "vigil-ci"})),
            ),
        )
        .expect(answer(
            201,
            data([
                ("key_id", ulid()),
                ("name", is("vigil-ci")),
                ("scopes", Matcher::array_equals([is("webhooks:manage")])),
                ("expires_at", is(Value::Null)),
                ("key", re("^bgak_[0-9A-HJKMNP-TV-Z]{26}_[0-9a-f]{64}$")),
            ]),
        ))
        .capture("key_id", "$.body.data.key_id")
        .capture_secret("key", "$.body.data.key"),
        StepBuilder::new("key-on-webhooks", get_with_key("${ApiUrl}webhooks")).expect(answer(
            200,
            obj([
                ("data", Matcher::array_equals([])),
                ("pagination", obj([("has_more", is(false))])),
            ]),
        )),
        StepBuilder::new(
            "key-not-on-tasks",
            get_with_key("${ApiUrl}tasks/${submit.id}"),
        )
        .expect(answer(401, obj([("message", is("Unauthorized"))]))),
        StepBuilder::new(
            "revoke-key",
            request(
                "DELETE",
                "${ApiUrl}api-keys/${create-key.key_id}",
                Some(me()),
                None,
            ),
        )
        .expect(answer(
            200,
            data([
                ("key_id", captured("create-key.key_id")),
                ("status", is("revoked")),
                ("revoked_at", within_minutes(5)),
                ("key", Matcher::absent()),
            ]),
        )),
        StepBuilder::new("revoked-key", get_with_key("${ApiUrl}webhooks")).expect(answer(
            403,
            obj([("message", Matcher::contains("explicit deny"))]),
        )),
        StepBuilder::new("complete-cleanup", delete_user("completed", "complete-tag")),
        StepBuilder::new("complete-other-cleanup", delete_user("other", "complete-tag")),
    ]);
    steps
}

fn failed() -> Vec<StepBuilder> {
    let me = || login("failed", "fail-tag", "fail-password");
    let ghost = "abca-integ-nonexistent/does-not-exist-${fail-tag.value}";
    let mut steps = user_steps("fail", "failed", false);
    steps.extend(seed_steps("fail"));
    steps.extend([
        StepBuilder::new("fail-onboard", onboard(ghost)),
        StepBuilder::new(
            "not-onboarded",
            request(
                "POST",
                "${ApiUrl}tasks",
                Some(me()),
                Some(json!({
                    "workflow_ref": "coding/new-task-v1",
                    "repo": "abca-integ-nonexistent/never-onboarded-${fail-tag.value}",
                    "task_description": "Fix the build"
                })),
            ),
        )
        .expect(answer(
            422,
            error([
                ("code", is("REPO_NOT_ONBOARDED")),
                (
                    "message",
                    re("^Repository 'abca-integ-nonexistent/never-onboarded-[a-z0-9]+' is not onboarded"),
                ),
                ("request_id", ulid()),
            ]),
        )),
        StepBuilder::new(
            "repo-required",
            request(
                "POST",
                "${ApiUrl}tasks",
                Some(me()),
                Some(json!({"workflow_ref": "coding/new-task-v1", "task_description": "No repo given", "max_turns": 0})),
            ),
        )
        .expect(refused_saying(400, "VALIDATION_ERROR", is("The \"coding/new-task-v1\" workflow requires a repo. Expected format: owner/repo."))),
        StepBuilder::new(
            "bad-max-turns",
            request(
                "POST",
                "${ApiUrl}tasks",
                Some(me()),
                Some(json!({"workflow_ref": "coding/new-task-v1", "repo": ghost, "task_description": "Fix the build", "max_turns": 0})),
            ),
        )
        .expect(refused_saying(400, "VALIDATION_ERROR", is("Invalid max_turns. Must be an integer between 1 and 500."))),
        StepBuilder::new(
            "submit-ghost",
            request(
                "POST",
                "${ApiUrl}tasks",
                Some(me()),
                Some(json!({
                    "workflow_ref": "coding/new-task-v1",
                    "repo": ghost,
                    "task_description": "This task targets a nonexistent repo and must fail at clone/preflight.",
                    "max_turns": 1,
                    "max_budget_usd": 0.5
                })),
            ),
        )
        .expect(answer(
            201,
            data([
                ("status", is("SUBMITTED")),
                ("repo", re("^abca-integ-nonexistent/does-not-exist-")),
                (
                    "branch_name",
                    re("^bgagent/[0-9A-HJKMNP-TV-Z]{26}/this-task-targets-a-nonexistent-repo"),
                ),
            ]),
        ))
        .capture("id", "$.body.data.task_id"),
        StepBuilder::new("task-failed", get_task("${submit-ghost.id}"))
            .select("$.Item")
            .expect(obj([
                ("status", s("FAILED")),
                ("status_created_at", ds(re("^FAILED#"))),
                (
                    "error_message",
                    ds(re(
                        "^Pre-flight check failed: REPO_NOT_FOUND_OR_NO_ACCESS — GitHub API returned HTTP 404 for abca-integ-nonexistent/does-not-exist-",
                    )),
                ),
                ("session_id", Matcher::absent()),
                ("started_at", Matcher::absent()),
                ("completed_at", ds(within_minutes(15))),
            ]))
            .poll(terminal()),
        StepBuilder::new("failure-events", task_events("${submit-ghost.id}"))
            .select("$.Items")
            .expect(Matcher::all_of([
                Matcher::array_with([
                    event("task_created", []),
                    event(
                        "task_failed",
                        [(
                            "metadata",
                            m([(
                                "error_message",
                                ds(re("^Pre-flight check failed: REPO_NOT_FOUND_OR_NO_ACCESS")),
                            )]),
                        )],
                    ),
                    event(
                        "preflight_failed",
                        [(
                            "metadata",
                            m([
                                ("reason", s("REPO_NOT_FOUND_OR_NO_ACCESS")),
                                ("checks", obj([("L", Matcher::length(at_least(1)))])),
                            ]),
                        )],
                    ),
                ]),
                Matcher::not(Matcher::array_with([event("hydration_started", [])])),
            ]))
            // FAILED is written before the events (orchestrate-task.ts).
            .poll(terminal()),
        StepBuilder::new(
            "fail-offboard",
            aws(
                "dynamodb",
                "DeleteItem",
                json!({"TableName": "${RepoTable}", "Key": {"repo": {"S": ghost}}}),
            ),
        ),
        StepBuilder::new("fail-cleanup", delete_user("failed", "fail-tag")),
    ]);
    steps
}

fn approve() -> Vec<StepBuilder> {
    let me = || login("approve", "approve-tag", "approve-password");
    let mut steps = user_steps("approve", "approve", true);
    steps.extend(seed_steps("approve"));
    steps.extend([
        StepBuilder::new("approve-onboard", onboard("${SandboxRepo}")),
        StepBuilder::new(
            "submit-env",
            request("POST", "${ApiUrl}tasks", Some(me()), Some(env_task())),
        )
        .expect(answer(201, data([("status", is("SUBMITTED"))])))
        .capture("id", "$.body.data.task_id"),
        StepBuilder::new("gate-open", get_task("${submit-env.id}"))
            .select("$.Item")
            .expect(obj([
                ("status", s("AWAITING_APPROVAL")),
                ("awaiting_approval_request_id", ds(ulid())),
                ("approval_gate_count", n("1")),
            ]))
            .poll(gate()),
        StepBuilder::new("pending-request", pending_rows("${submit-env.id}"))
            .expect(obj([
                ("Count", is(1)),
                (
                    "Items",
                    Matcher::array_equals([obj([
                        ("request_id", ds(ulid())),
                        ("tool_name", s("Write")),
                        ("tool_input_preview", ds(Matcher::contains("config.env"))),
                        ("reason", s("Soft-deny: write_env_files")),
                        ("severity", s("high")),
                        (
                            "matching_rule_ids",
                            obj([("L", Matcher::array_equals([s("write_env_files")]))]),
                        ),
                        ("timeout_s", n("300")),
                        ("user_id", ds(captured("approve-user.sub"))),
                        ("repo", ds(Matcher::present())),
                        ("created_at", ds(within_minutes(15))),
                    ])]),
                ),
            ]))
            .capture("request_id", "$.Items[0].request_id.S"),
        StepBuilder::new("row-points-at-request", get_task("${submit-env.id}"))
            .select("$.Item.awaiting_approval_request_id.S")
            .expect(captured("pending-request.request_id")),
        StepBuilder::new(
            "pending-list",
            request("GET", "${ApiUrl}pending", Some(me()), None),
        )
        .expect(answer(
            200,
            data([(
                "pending",
                Matcher::array_with([obj([
                    ("task_id", captured("submit-env.id")),
                    ("request_id", captured("pending-request.request_id")),
                    ("tool_name", is("Write")),
                    ("severity", is("high")),
                    ("timeout_s", is(300)),
                    (
                        "matching_rule_ids",
                        Matcher::array_equals([is("write_env_files")]),
                    ),
                    ("expires_at", within_minutes(15)),
                ])]),
            )]),
        )),
        StepBuilder::new(
            "scope-this-task",
            request(
                "POST",
                "${ApiUrl}tasks/${submit-env.id}/approve",
                Some(me()),
                Some(json!({"request_id": "${pending-request.request_id}", "decision": "approve", "scope": "this_task"})),
            ),
        )
        .expect(refused_saying(400, "VALIDATION_ERROR", re("^Invalid scope: missing prefix"))),
        StepBuilder::new(
            "approve-decision",
            request(
                "POST",
                "${ApiUrl}tasks/${submit-env.id}/approve",
                Some(me()),
                Some(json!({"request_id": "${pending-request.request_id}", "decision": "approve", "scope": "this_call"})),
            ),
        )
        .expect(answer(
            202,
            data([
                ("task_id", captured("submit-env.id")),
                ("request_id", captured("pending-request.request_id")),
                ("status", is("APPROVED")),
                ("scope", is("this_call")),
                ("decided_at", within_minutes(5)),
            ]),
        )),
        StepBuilder::new(
            "approve-again",
            request(
                "POST",
                "${ApiUrl}tasks/${submit-env.id}/approve",
                Some(me()),
                Some(json!({"request_id": "${pending-request.request_id}", "decision": "approve"})),
            ),
        )
        .expect(refused_saying(404, "REQUEST_NOT_FOUND", is("Approval request not found or not owned by caller."))),
        StepBuilder::new(
            "approval-approved",
            approval_row("submit-env", "pending-request"),
        )
        .select("$.Item")
        .expect(obj([
            ("status", s("APPROVED")),
            ("scope", s("this_call")),
            ("decided_at", ds(within_minutes(15))),
        ]))
        .poll(gate()),
        StepBuilder::new("approved-resumes", get_task("${submit-env.id}"))
            .select("$.Item")
            .expect(obj([
                ("status", ds(re("^(COMPLETED|FAILED)$"))),
                ("awaiting_approval_request_id", Matcher::absent()),
                ("last_decision_at", ds(within_minutes(15))),
            ]))
            .poll(terminal()),
        StepBuilder::new("approve-events", task_events("${submit-env.id}"))
            .select("$.Items")
            .expect(Matcher::array_with([
                milestone(
                    "approval_requested",
                    [
                        ("request_id", ds(captured("pending-request.request_id"))),
                        ("tool_name", s("Write")),
                        ("reason", s("Soft-deny: write_env_files")),
                    ],
                ),
                event(
                    "approval_decision_recorded",
                    [(
                        "metadata",
                        m([
                            ("request_id", ds(captured("pending-request.request_id"))),
                            ("status", s("APPROVED")),
                            ("scope", s("this_call")),
                            ("caller_user_id", ds(captured("approve-user.sub"))),
                        ]),
                    )],
                ),
                milestone(
                    "approval_granted",
                    [
                        ("request_id", ds(captured("pending-request.request_id"))),
                        ("scope", s("this_call")),
                    ],
                ),
            ])),
        StepBuilder::new("approve-cleanup", delete_user("approve", "approve-tag")),
    ]);
    steps
}

fn deny() -> Vec<StepBuilder> {
    let me = || login("deny", "deny-tag", "deny-password");
    let intruder = login("intruder", "deny-tag", "deny-password");
    let mut steps = user_steps("deny", "deny", true);
    steps.extend(second_user("intruder", "intruder", "deny"));
    steps.extend(seed_steps("deny"));
    steps.extend([
        StepBuilder::new("deny-onboard", onboard("${SandboxRepo}")),
        StepBuilder::new(
            "submit-deny",
            request("POST", "${ApiUrl}tasks", Some(me()), Some(env_task())),
        )
        .expect(answer(201, data([("status", is("SUBMITTED"))])))
        .capture("id", "$.body.data.task_id"),
        StepBuilder::new("deny-gate-open", get_task("${submit-deny.id}"))
            .select("$.Item")
            .expect(obj([
                ("status", s("AWAITING_APPROVAL")),
                ("awaiting_approval_request_id", ds(ulid())),
            ]))
            .poll(gate()),
        StepBuilder::new("deny-request", pending_rows("${submit-deny.id}"))
            .expect(obj([
                ("Count", is(1)),
                (
                    "Items",
                    Matcher::array_equals([obj([
                        ("tool_name", s("Write")),
                        (
                            "matching_rule_ids",
                            obj([("L", Matcher::array_equals([s("write_env_files")]))]),
                        ),
                    ])]),
                ),
            ]))
            .capture("request_id", "$.Items[0].request_id.S"),
        StepBuilder::new(
            "intruder-approves",
            request(
                "POST",
                "${ApiUrl}tasks/${submit-deny.id}/approve",
                Some(intruder),
                Some(json!({"request_id": "${deny-request.request_id}", "decision": "approve"})),
            ),
        )
        .expect(refused(404, "REQUEST_NOT_FOUND")),
        StepBuilder::new(
            "deny-decision",
            request(
                "POST",
                "${ApiUrl}tasks/${submit-deny.id}/deny",
                Some(me()),
                Some(json!({"request_id": "${deny-request.request_id}", "decision": "deny", "reason": "integ: exercising the deny path"})),
            ),
        )
        .expect(answer(
            202,
            data([
                ("task_id", captured("submit-deny.id")),
                ("request_id", captured("deny-request.request_id")),
                ("status", is("DENIED")),
                ("decided_at", within_minutes(5)),
                ("scope", Matcher::absent()),
                ("reason", Matcher::absent()),
            ]),
        )),
        StepBuilder::new(
            "approval-denied",
            approval_row("submit-deny", "deny-request"),
        )
        .select("$.Item")
        .expect(obj([
            ("status", s("DENIED")),
            ("deny_reason", s("integ: exercising the deny path")),
            ("decided_at", ds(within_minutes(15))),
            ("scope", Matcher::absent()),
        ]))
        .poll(gate()),
        StepBuilder::new("denied-resumes", get_task("${submit-deny.id}"))
            .select("$.Item")
            .expect(obj([
                ("status", ds(re("^(COMPLETED|FAILED)$"))),
                ("awaiting_approval_request_id", Matcher::absent()),
            ]))
            .poll(terminal()),
        StepBuilder::new("deny-events", task_events("${submit-deny.id}"))
            .select("$.Items")
            .expect(Matcher::all_of([
                Matcher::array_with([
                    event(
                        "approval_decision_recorded",
                        [(
                            "metadata",
                            m([
                                ("request_id", ds(captured("deny-request.request_id"))),
                                ("status", s("DENIED")),
                                ("reason", s("integ: exercising the deny path")),
                                ("caller_user_id", ds(captured("deny-user.sub"))),
                            ]),
                        )],
                    ),
                    milestone(
                        "approval_denied",
                        [("request_id", ds(captured("deny-request.request_id")))],
                    ),
                ]),
                Matcher::not(Matcher::array_with([milestone("approval_granted", [])])),
            ])),
        StepBuilder::new("deny-cleanup", delete_user("deny", "deny-tag")),
        StepBuilder::new("intruder-cleanup", delete_user("intruder", "deny-tag")),
    ]);
    steps
}

/// Prints the suite as pretty JSON.
fn main() {
    let text = serde_json::to_string_pretty(suite().suite()).expect("a suite serializes");
    // `| head` closes the pipe early; that is not an error.
    if let Err(e) = writeln!(std::io::stdout().lock(), "{text}")
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        panic!("cannot write the suite: {e}");
    }
}
