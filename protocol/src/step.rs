//! A step as the compiler embeds it in the state machine (as an opaque JSON
//! string) and the provider runs it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_matchers::{CaptureName, Matcher, StepId};

use crate::answer_view::AnswerView;
use crate::poll::PollPolicy;
use crate::selector::Selector;

/// One step: a call, an optional selection, an expectation, captures and a
/// poll policy. Without `expect` a step passes when its call succeeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Unique in the suite.
    pub id: StepId,
    /// What to call.
    pub call: Call,
    /// How the answer is seen by `select`, `expect` and `capture`.
    #[serde(default, skip_serializing_if = "AnswerView::is_raw")]
    pub view: AnswerView,
    /// Which part of the call's result to match (the whole result if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<Selector>,
    /// What the selection must look like (canonical matcher format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Matcher>,
    /// Values to keep for later steps, read from the call's result.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<CaptureName, CaptureSpec>,
    /// Repeat until the expectation matches or the timeout passes; absent:
    /// run once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<PollPolicy>,
}

/// Where a captured value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureSpec {
    /// JSONPath into the call's (whole) result.
    pub path: Selector,
    /// Seal the value: it never appears in plaintext outside the provider.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    /// The path is a filter (e.g. `$.UserAttributes[?@.Name=='sub'].Value`)
    /// that must select exactly one node; capture that node, not a list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub single: bool,
}

impl CaptureSpec {
    /// The value to capture from a call's result, or why there is none.
    pub fn take(&self, result: &Value) -> Result<Value, String> {
        let selected = self.path.select(result).map(std::borrow::Cow::into_owned);
        if !self.single || self.path.is_singular() {
            return selected
                .ok_or_else(|| format!("the capture path {} selected nothing", self.path));
        }
        match selected {
            Some(Value::Array(mut nodes)) if nodes.len() == 1 => Ok(nodes.remove(0)),
            Some(Value::Array(nodes)) => Err(format!(
                "the capture path {} selected {} nodes; `single` needs exactly one",
                self.path,
                nodes.len()
            )),
            _ => Err(format!("the capture path {} selected nothing", self.path)),
        }
    }
}

/// What a step calls. Every string inside may hold `${param}` or
/// `${step.capture}` templates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Call {
    /// An AWS JSON-protocol operation (awsJson 1.0/1.1).
    Aws {
        /// The service's CLI name, e.g. `dynamodb`, `stepfunctions`, `cognito-idp`.
        service: String,
        /// The operation, e.g. `GetItem`.
        operation: String,
        /// The request in the API's own JSON shape.
        #[serde(default = "empty_object")]
        params: Value,
    },
    /// Invoke a Lambda function synchronously.
    Lambda {
        /// Name or ARN.
        function: String,
        /// The event (JSON).
        #[serde(default = "empty_object")]
        payload: Value,
    },
    /// An HTTP request.
    Http(HttpCall),
}

impl From<HttpCall> for Call {
    fn from(h: HttpCall) -> Call {
        Call::Http(h)
    }
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// An HTTP request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpCall {
    /// `GET`, `POST`, ...
    #[serde(default = "get")]
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Extra headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Query string parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// Request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<HttpBody>,
    /// How to authenticate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<HttpAuth>,
}

fn get() -> String {
    "GET".to_owned()
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HttpBody {
    /// Sent as `application/json`.
    Json(Value),
    /// Sent as `text/plain` unless a `content-type` header says otherwise.
    Text(String),
}

/// HTTP authentication, resolved inside the provider so that no token or
/// password ever travels through the state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum HttpAuth {
    /// Cognito `InitiateAuth` with `USER_PASSWORD_AUTH`; the password is read
    /// from a Secrets Manager secret (`password_secret`) or is a secret
    /// capture of an earlier step (`password`, for a user the suite creates
    /// itself); the token is cached until shortly before it expires.
    /// Exactly one of the two is given.
    Cognito {
        /// The app client id.
        client_id: String,
        /// The user name.
        username: String,
        /// Secret id or ARN holding the password (plain, or a JSON object
        /// with a `password` field).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password_secret: Option<String>,
        /// The password itself: exactly one `${step.capture}` template
        /// naming a capture declared `secret: true`, so the password is
        /// sealed everywhere but inside the provider (validation refuses
        /// anything else).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
        /// Which token to send.
        #[serde(default)]
        token: CognitoToken,
        /// Header to put it in.
        #[serde(default = "authorization")]
        header: String,
        /// Prefix before the token (`""` sends the raw token, as API
        /// Gateway's Cognito authorizer expects; `"Bearer "` for others).
        #[serde(default)]
        prefix: String,
    },
    /// A bearer token from a template, e.g. `${login.token}`.
    Bearer {
        /// The token (a template).
        token: String,
    },
    /// SigV4, for IAM-authorised APIs.
    Sigv4 {
        /// Signing name, e.g. `execute-api` or `lambda` (function URLs).
        #[serde(default = "execute_api")]
        service: String,
    },
}

fn authorization() -> String {
    "Authorization".to_owned()
}

fn execute_api() -> String {
    "execute-api".to_owned()
}

/// Where a Cognito login's password comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CognitoPassword<'a> {
    /// A Secrets Manager secret id or ARN.
    Secret(&'a str),
    /// The password (after templates are filled in, the unsealed capture).
    Given(&'a str),
}

impl<'a> CognitoPassword<'a> {
    /// The source the two optional fields of [`HttpAuth::Cognito`] name,
    /// or why they do not name exactly one.
    pub fn of(
        password_secret: &'a Option<String>,
        password: &'a Option<String>,
    ) -> Result<Self, &'static str> {
        match (password_secret, password) {
            (Some(s), None) => Ok(CognitoPassword::Secret(s)),
            (None, Some(p)) => Ok(CognitoPassword::Given(p)),
            (Some(_), Some(_)) => {
                Err("cognito auth takes `password_secret` or `password`, not both")
            }
            (None, None) => Err(
                "cognito auth needs `password_secret` (a Secrets Manager secret) or `password` \
                 (a secret capture, `${step.capture}`)",
            ),
        }
    }
}

/// Which Cognito token an HTTP call sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CognitoToken {
    /// The ID token (what API Gateway Cognito authorizers check by default).
    #[default]
    Id,
    /// The access token.
    Access,
}

impl StepSpec {
    /// Decodes a step from the opaque string the state machine carries,
    /// checking its matcher too.
    pub fn from_wire(text: &str) -> Result<Self, StepDecodeError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let step: StepSpec = serde_path_to_error_like(de)?;
        if let Some(m) = &step.expect {
            m.validate().map_err(|e| StepDecodeError {
                path: "expect".into(),
                message: e.to_string(),
            })?;
        }
        Ok(step)
    }

    /// Encodes the step as the compiler embeds it.
    pub fn to_wire(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A step string that does not decode.
#[derive(Debug, Clone, thiserror::Error)]
#[error("step does not decode at `{path}`: {message}")]
pub struct StepDecodeError {
    /// Where in the step.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn serde_path_to_error_like<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<StepSpec, StepDecodeError> {
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(de, &mut track);
    StepSpec::deserialize(de).map_err(|e| StepDecodeError {
        path: track.path().to_string(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_captures_unwrap_exactly_one_filtered_node() {
        let result = serde_json::json!({"UserAttributes": [
            {"Name": "email", "Value": "a@example.com"},
            {"Name": "sub", "Value": "1234"}
        ]});
        let spec = |path: &str, single: bool| CaptureSpec {
            path: Selector::parse(path).unwrap(),
            secret: false,
            single,
        };
        let by_name = "$.UserAttributes[?@.Name=='sub'].Value";
        assert_eq!(
            spec(by_name, false).take(&result),
            Ok(serde_json::json!(["1234"]))
        );
        assert_eq!(
            spec(by_name, true).take(&result),
            Ok(serde_json::json!("1234"))
        );
        let e = spec("$.UserAttributes[*].Value", true)
            .take(&result)
            .unwrap_err();
        assert!(
            e.contains("selected 2 nodes; `single` needs exactly one"),
            "{e}"
        );
        let e = spec("$.UserAttributes[?@.Name=='x'].Value", true)
            .take(&result)
            .unwrap_err();
        assert!(e.contains("selected 0 nodes"), "{e}");
        assert!(
            spec("$.Nope", true)
                .take(&result)
                .unwrap_err()
                .contains("selected nothing")
        );
    }

    #[test]
    fn steps_round_trip_through_their_wire_string() {
        let text = json!({
            "id": "get-task",
            "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                     "params": {"TableName": "${TaskTableName}", "Key": {"task_id": {"S": "${create.task_id}"}}}},
            "select": "$.Item",
            "expect": {"objectLike": {"status": {"objectLike": {"S": {"exact": "COMPLETED"}}}}},
            "capture": {"status": {"path": "$.Item.status.S"}},
            "poll": {"timeout": "5m", "min_delay": "2s", "max_delay": "20s"}
        })
        .to_string();
        let step = StepSpec::from_wire(&text).unwrap();
        assert_eq!(StepSpec::from_wire(&step.to_wire()).unwrap(), step);
    }

    #[test]
    fn http_calls_with_auth_decode() {
        let text = json!({
            "id": "get",
            "call": {"kind": "http", "method": "POST", "url": "${ApiUrl}/tasks",
                     "body": {"json": {"task_description": "x"}},
                     "auth": {"kind": "cognito", "client_id": "c", "username": "u", "password_secret": "s"}}
        })
        .to_string();
        let step = StepSpec::from_wire(&text).unwrap();
        let Call::Http(http) = &step.call else {
            panic!("{step:?}")
        };
        assert_eq!(http.method, "POST");
        assert!(
            matches!(&http.auth, Some(HttpAuth::Cognito { header, prefix, token: CognitoToken::Id, .. }) if header == "Authorization" && prefix.is_empty())
        );
        assert_eq!(StepSpec::from_wire(&step.to_wire()).unwrap(), step);
        let e = StepSpec::from_wire(
            r#"{"id": "s", "call": {"kind": "http", "url": "u", "verb": "GET"}}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("unknown field `verb`"), "{e}");
    }

    #[test]
    fn bad_steps_say_where() {
        let e = StepSpec::from_wire(r#"{"id": "s", "call": {"kind": "aws", "service": "x", "operation": "Y"}, "select": "nope"}"#).unwrap_err();
        assert_eq!(e.path, "select");
        let e = StepSpec::from_wire(r#"{"id": "s", "call": {"kind": "ftp"}}"#).unwrap_err();
        assert_eq!(e.path, "call.kind");
        assert!(e.message.contains("unknown variant `ftp`"), "{e}");
    }
}
