//! The matcher decoders on arbitrary bytes: the canonical wire format
//! (`wire::decode`, what the provider reads from every Lambda event) and the
//! authoring form (`authoring::parse`, what suite files hold). Whatever
//! decodes must survive its own encodings unchanged (docs/DESIGN.md invariant 1)
//! and render without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vigil_fuzz::checks;
use vigil_matchers::{authoring, wire};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let from_text = wire::decode(text);
    if let Ok(m) = &from_text {
        checks::wire_round_trip(m);
        checks::wire_value_round_trip(m);
        checks::render_matcher(m);
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    // Decoding the text and decoding its JSON value are the same decoder
    // (duplicate keys aside, which only the text can have).
    if let (Ok(by_text), Ok(by_value)) = (&from_text, wire::decode_value(&value)) {
        assert_eq!(by_text, &by_value, "decode and decode_value disagree");
    }
    match authoring::parse(&value) {
        Ok(m) => {
            checks::authoring_round_trip(&m);
            checks::wire_round_trip(&m);
            checks::wire_value_round_trip(&m);
            checks::render_matcher(&m);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
