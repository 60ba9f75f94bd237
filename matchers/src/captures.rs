//! Values captured by earlier steps, as `equalsCapture` and `timestamp` see
//! them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::ids::CaptureRef;

/// A captured value and whether it is secret.
///
/// A secret capture (a token, a password) is compared like any other, but a
/// mismatch against it never shows either side: the report says
/// `<redacted>`, because the actual value may well be the secret itself.
#[derive(Debug, Clone, Copy)]
pub struct Captured<'a> {
    /// The plaintext value (the provider unseals secrets before evaluation).
    pub value: &'a Value,
    /// Whether reports must hide it.
    pub secret: bool,
}

/// Where evaluation looks up captures.
pub trait CaptureLookup {
    /// The value captured under `capture`, if an earlier step made it.
    fn lookup(&self, capture: &CaptureRef) -> Option<Captured<'_>>;
}

/// No captures: for patterns that do not use any.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCaptures;

impl CaptureLookup for NoCaptures {
    fn lookup(&self, _: &CaptureRef) -> Option<Captured<'_>> {
        None
    }
}

/// Plain, non-secret captures.
impl CaptureLookup for BTreeMap<CaptureRef, Value> {
    fn lookup(&self, capture: &CaptureRef) -> Option<Captured<'_>> {
        self.get(capture).map(|value| Captured {
            value,
            secret: false,
        })
    }
}
