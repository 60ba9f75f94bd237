//! Captured values as they travel through the state machine.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_matchers::{CaptureName, CaptureRef, StepId};

/// One captured value: plain, or sealed (authenticated encryption whose key
/// only the provider can use), so a secret never sits in plaintext in the
/// execution history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapturedValue {
    /// A plain JSON value.
    Value(Value),
    /// An opaque sealed blob (`v1.` + base64).
    Sealed(String),
}

/// All captures of a run so far, by step and name:
/// `{"create": {"task_id": {"value": "t-1"}, "token": {"sealed": "v1...."}}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct CaptureTable(pub BTreeMap<StepId, BTreeMap<CaptureName, CapturedValue>>);

impl CaptureTable {
    /// The entry for a reference.
    pub fn get(&self, r: &CaptureRef) -> Option<&CapturedValue> {
        self.0.get(&r.step)?.get(&r.name)
    }

    /// Adds or replaces a step's captures.
    pub fn set_step(&mut self, step: StepId, values: BTreeMap<CaptureName, CapturedValue>) {
        if !values.is_empty() {
            self.0.insert(step, values);
        }
    }

    /// Merges another table in (later entries win), as the state machine
    /// does when parallel branches meet.
    pub fn merge(&mut self, other: CaptureTable) {
        for (step, values) in other.0 {
            self.0.entry(step).or_default().extend(values);
        }
    }
}
