//! HTTP header names are case-insensitive (RFC 9110, section 5.1). An HTTP
//! step's answer carries them in lower case (`{status, headers, body}`),
//! so a step that names a header in another case — `headers:
//! {Content-Type: ...}` in its expectation, `$.headers['X-Request-Id']` in
//! its `select` or a capture path — is read as if it were in lower case.
//! Without this, such a header was always "(missing)".
//!
//! Only where a header name can stand is changed: the keys of the
//! `headers` object (at the top of the expectation, inside `allOf`,
//! `anyOf` and `not`), and the member right after `headers` in a path.

use std::collections::BTreeMap;

use vigil_matchers::Matcher;

use crate::selector::Selector;
use crate::step::{Call, StepSpec};

impl StepSpec {
    /// The step with header names in lower case where an HTTP answer's
    /// headers are named (a no-op for other calls).
    pub fn with_lowercase_header_names(mut self) -> Self {
        if !matches!(self.call, Call::Http(_)) {
            return self;
        }
        let headers_selected = self.select.as_ref().is_some_and(|s| is_headers(s.as_str()));
        if let Some(expect) = &mut self.expect {
            match &self.select {
                None => headers_member(expect),
                Some(_) if headers_selected => lowercase_keys(expect),
                Some(_) => {}
            }
        }
        if let Some(select) = &mut self.select {
            *select = lowercase_path(select);
        }
        for spec in self.capture.values_mut() {
            spec.path = lowercase_path(&spec.path);
        }
        self
    }
}

/// The spellings of `$.headers` in RFC 9535.
const HEADERS: [&str; 3] = ["$.headers", "$['headers']", "$[\"headers\"]"];

fn is_headers(path: &str) -> bool {
    HEADERS.contains(&path.trim())
}

/// `$.headers['X-Id']...` with the member after `headers` in lower case;
/// any other path unchanged.
fn lowercase_path(selector: &Selector) -> Selector {
    let text = selector.as_str().trim();
    let Some(rest) = HEADERS.iter().find_map(|h| text.strip_prefix(h)) else {
        return selector.clone();
    };
    let member_end = if let Some(r) = rest.strip_prefix("['") {
        r.find("']").map(|i| 2 + i)
    } else if let Some(r) = rest.strip_prefix("[\"") {
        r.find("\"]").map(|i| 2 + i)
    } else {
        rest.strip_prefix('.')
            .map(|r| 1 + r.find(['.', '[']).unwrap_or(r.len()))
    };
    let Some(end) = member_end else {
        return selector.clone();
    };
    let head = &text[..text.len() - rest.len()];
    let lowered = format!("{head}{}{}", rest[..end].to_ascii_lowercase(), &rest[end..]);
    Selector::parse(&lowered).unwrap_or_else(|_| selector.clone())
}

/// In an expectation on the whole answer: the `headers` member's keys.
fn headers_member(m: &mut Matcher) {
    match m {
        Matcher::ObjectLike(map) | Matcher::ObjectEquals(map) => {
            if let Some(h) = map.get_mut("headers") {
                lowercase_keys(h);
            }
        }
        Matcher::AllOf(all) | Matcher::AnyOf(all) => all.iter_mut().for_each(headers_member),
        Matcher::Not(inner) => headers_member(inner),
        _ => {}
    }
}

/// In an expectation on the headers object: its keys.
fn lowercase_keys(m: &mut Matcher) {
    match m {
        Matcher::ObjectLike(map) | Matcher::ObjectEquals(map) => {
            let lowered: BTreeMap<String, Matcher> = std::mem::take(map)
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
            *map = lowered;
        }
        Matcher::AllOf(all) | Matcher::AnyOf(all) => all.iter_mut().for_each(lowercase_keys),
        Matcher::Not(inner) => lowercase_keys(inner),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn step(v: serde_json::Value) -> StepSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn header_names_in_expectations_selectors_and_captures_are_lower_case() {
        let s = step(json!({
            "id": "h",
            "call": {"kind": "http", "url": "http://x/"},
            "expect": {"allOf": [{"objectLike": {
                "status": {"exact": 200},
                "headers": {"objectLike": {"Content-Type": {"stringContains": "json"}, "X-Request-Id": "present"}},
                "body": {"objectLike": {"Keep-Case": {"exact": 1}}}
            }}]},
            "capture": {
                "id": {"path": "$.headers['X-Request-Id']"},
                "body": {"path": "$.body['Keep-Case']"}
            }
        }))
        .with_lowercase_header_names();
        let wire = serde_json::to_value(&s).unwrap();
        let headers = &wire["expect"]["allOf"][0]["objectLike"]["headers"]["objectLike"];
        assert!(
            headers.get("content-type").is_some() && headers.get("x-request-id").is_some(),
            "{wire}"
        );
        assert!(
            wire["expect"]["allOf"][0]["objectLike"]["body"]["objectLike"]
                .get("Keep-Case")
                .is_some()
        );
        let path = |name: &str| {
            s.capture
                .iter()
                .find(|(k, _)| k.as_str() == name)
                .map(|(_, c)| c.path.as_str().to_owned())
                .unwrap()
        };
        assert_eq!(path("id"), "$.headers['x-request-id']");
        assert_eq!(path("body"), "$.body['Keep-Case']");

        let s = step(json!({
            "id": "h", "call": {"kind": "http", "url": "http://x/"},
            "select": "$['headers']",
            "expect": {"objectEquals": {"ETag": "present"}}
        }))
        .with_lowercase_header_names();
        assert_eq!(
            serde_json::to_value(&s.expect).unwrap(),
            json!({"objectEquals": {"etag": "present"}})
        );
        let s = step(json!({
            "id": "h", "call": {"kind": "http", "url": "http://x/"},
            "select": "$.headers[\"Retry-After\"]", "expect": {"exact": "5"}
        }))
        .with_lowercase_header_names();
        assert_eq!(s.select.unwrap().as_str(), "$.headers[\"retry-after\"]");
    }

    #[test]
    fn other_calls_are_left_alone() {
        let s = step(json!({
            "id": "d", "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem"},
            "expect": {"objectLike": {"headers": {"objectLike": {"Content-Type": "present"}}}}
        }));
        assert_eq!(s.clone().with_lowercase_header_names(), s);
    }
}
