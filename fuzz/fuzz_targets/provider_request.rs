//! The provider's request decoder on arbitrary bytes: the Lambda event
//! (`ProviderRequest`), the step string inside it (`StepSpec::from_wire`),
//! the `${...}` templates in its strings (parsed and rendered from the
//! request's own params and captures), its selectors and capture paths
//! (applied to the request's params), and its poll policy. Also the
//! response the provider answers with, which `vigil run`/`vigil report`
//! decode from the execution history. Only the protocol crate: the
//! provider's AWS and HTTP clients are not under test here.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vigil_fuzz::checks;
use vigil_matchers::CaptureRef;
use vigil_protocol::template::{self, Piece, TemplateValues};
use vigil_protocol::{CapturedValue, ProviderRequest, ProviderResponse, StepSpec};

/// Template values as the provider has them: the run's params and the
/// plain captures (sealed ones need the provider's key, so they resolve to
/// nothing here).
struct RequestValues<'r>(&'r ProviderRequest);

impl TemplateValues for RequestValues<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.0.params.get(name).cloned()
    }
    fn capture(&self, capture: &CaptureRef) -> Option<Value> {
        match self.0.captures.get(capture)? {
            CapturedValue::Value(v) => Some(v.clone()),
            CapturedValue::Sealed(_) => None,
        }
    }
}

/// Every string of a value, keys included.
fn strings<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k);
                strings(v, out);
            }
        }
        _ => {}
    }
}

fn check_templates(v: &Value, values: &RequestValues<'_>) {
    let mut all = Vec::new();
    strings(v, &mut all);
    for s in all {
        match template::parse(s) {
            Ok(pieces) => {
                assert!(!pieces.is_empty(), "no pieces for {s:?}");
                // A string without `${` is its own text.
                if !s.contains("${") {
                    assert_eq!(pieces, [Piece::Text(s.to_owned())], "{s:?}");
                    let rendered = template::render_str(s, values);
                    assert_eq!(rendered.ok(), Some(Value::String(s.to_owned())), "{s:?}");
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    let _ = template::references(v);
    let _ = template::render(v, values);
}

fn check_step(req: &ProviderRequest, values: &RequestValues<'_>) {
    let step = match StepSpec::from_wire(&req.step) {
        Ok(step) => step,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let wire = step.to_wire();
    match StepSpec::from_wire(&wire) {
        Ok(back) => assert_eq!(back, step, "step {wire} decodes differently"),
        Err(e) => panic!("step {wire} does not decode: {e}"),
    }
    let call = serde_json::to_value(&step.call).unwrap_or_default();
    check_templates(&call, values);
    // Selections and captures read the call's result; the request's params
    // stand in for one.
    let result = serde_json::to_value(&req.params).unwrap_or_default();
    if let Some(select) = &step.select {
        let _ = select.select(&result);
        let _ = select.to_string();
    }
    for spec in step.capture.values() {
        let _ = spec.take(&result);
    }
    if let Some(poll) = &step.poll {
        let _ = poll.validate();
    }
    if let Some(m) = &step.expect {
        checks::wire_round_trip(m);
        checks::render_matcher(m);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(res) = serde_json::from_slice::<ProviderResponse>(data) {
        let text = serde_json::to_string(&res).expect("a response serializes");
        let back: ProviderResponse = serde_json::from_str(&text).expect("a response reads back");
        assert_eq!(back, res, "response {text} reads back differently");
        let _ = res.report.outcome.summary();
    }
    let Ok(req) = serde_json::from_slice::<ProviderRequest>(data) else {
        return;
    };
    let text = serde_json::to_string(&req).expect("a request serializes");
    match serde_json::from_str::<ProviderRequest>(&text) {
        Ok(back) => assert_eq!(back, req, "request {text} reads back differently"),
        Err(e) => panic!("request {text} does not read back: {e}"),
    }
    let values = RequestValues(&req);
    let params = serde_json::to_value(&req.params).unwrap_or_default();
    check_templates(&params, &values);
    check_step(&req, &values);
});
