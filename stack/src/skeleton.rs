//! The template skeleton, `template.json.tmpl` at the repository root:
//! the parameters, metadata and outputs every suite's stack shares, kept
//! as a file so reviewers read them as CloudFormation, not as Rust.

use std::collections::BTreeMap;

use serde_json::Value;
use vigil_cfn::Template;

use crate::SynthError;

/// The skeleton's text, compiled in so the `vigil` binary stands alone.
pub const SKELETON: &str = include_str!("../../template.json.tmpl");

/// The skeleton as a template, and the tags it asks every resource to carry.
pub fn load() -> Result<(Template, BTreeMap<String, String>), SynthError> {
    let template: Template =
        serde_json::from_str(SKELETON).map_err(|e| SynthError::Skeleton(e.to_string()))?;
    let tags = template
        .metadata
        .as_ref()
        .and_then(|m| m.pointer("/vigil/Tags"))
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Ok((template, tags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_reads_and_names_its_parameters_and_outputs() {
        let (t, tags) = load().unwrap();
        for p in [
            crate::contract::ARTIFACT_BUCKET_PARAM,
            crate::contract::ARTIFACT_KEY_PARAM,
            "LogRetentionDays",
            "StateMachineLogLevel",
        ] {
            assert!(t.parameters.contains_key(p), "{p}");
        }
        assert!(
            t.outputs
                .contains_key(crate::contract::STATE_MACHINE_ARN_OUTPUT)
        );
        let (tag, value) = crate::contract::MANAGED_BY_TAG;
        assert_eq!(tags.get(tag).map(String::as_str), Some(value));
        assert!(t.resources.is_empty());
    }
}
