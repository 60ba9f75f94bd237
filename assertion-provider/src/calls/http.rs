//! HTTP calls. Every response is a result to match (`{status, headers,
//! body}`), whatever its status: a test that expects a 401 must see it.
//! Only a request that gets no answer is an error (network, transient).

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use vigil_protocol::{ErrorKind, HttpBody, HttpCall, StepError};

use crate::errors::network_error;

fn invalid(message: String) -> StepError {
    StepError {
        kind: ErrorKind::InvalidStep,
        code: None,
        message,
        status: None,
    }
}

/// Builds the request (without authentication).
pub fn build(client: &reqwest::Client, call: &HttpCall) -> Result<reqwest::Request, StepError> {
    let method = reqwest::Method::from_bytes(call.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| invalid(format!("`{}` is not an HTTP method", call.method)))?;
    let url = reqwest::Url::parse(&call.url)
        .map_err(|e| invalid(format!("`{}` is not an absolute URL: {e}", call.url)))?;
    let mut rb = client.request(method, url);
    if !call.query.is_empty() {
        rb = rb.query(&call.query.iter().collect::<Vec<_>>());
    }
    let has_content_type = call
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("content-type"));
    for (k, v) in &call.headers {
        rb = rb.header(k, v);
    }
    match &call.body {
        Some(HttpBody::Json(v)) => {
            if !has_content_type {
                rb = rb.header("content-type", "application/json");
            }
            rb = rb.body(serde_json::to_vec(v).unwrap_or_default());
        }
        Some(HttpBody::Text(t)) => {
            if !has_content_type {
                rb = rb.header("content-type", "text/plain; charset=utf-8");
            }
            rb = rb.body(t.clone());
        }
        None => {}
    }
    rb.build()
        .map_err(|e| invalid(format!("request to {} cannot be built: {e}", call.url)))
}

/// Sends the request and shapes the answer as `{status, headers, body}`,
/// the body parsed when it is JSON.
pub async fn send(client: &reqwest::Client, req: reqwest::Request) -> Result<Value, StepError> {
    let what = format!("{} {}", req.method(), req.url());
    let resp = client
        .execute(req)
        .await
        .map_err(|e| network_error(&what, &e))?;
    let status = resp.status().as_u16();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in resp.headers() {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        headers
            .entry(k.as_str().to_owned())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(&v);
            })
            .or_insert(v);
    }
    let bytes = super::body::read_limited(resp, &what, super::body::max_answer_bytes()).await?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let mut out = Map::new();
    out.insert("status".into(), Value::from(status));
    out.insert(
        "headers".into(),
        Value::Object(
            headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
    );
    out.insert("body".into(), body);
    Ok(Value::Object(out))
}

/// A header value, or an error that does not echo the (possibly secret)
/// value.
pub fn header_value(text: &str) -> Result<reqwest::header::HeaderValue, StepError> {
    reqwest::header::HeaderValue::from_str(text).map_err(|_| {
        invalid("an authentication header value contains characters HTTP does not allow".into())
    })
}
