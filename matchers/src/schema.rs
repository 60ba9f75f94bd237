//! JSON Schemas of the wire formats, generated from the Rust types.
//!
//! The committed copies under `matchers/schema/` are what editors and other
//! tools read; a test regenerates them and fails when they are stale
//! (`scripts/regen` rewrites them).

use schemars::generate::SchemaSettings;

use crate::authoring::AuthoredMatcher;
use crate::matcher::Matcher;
use crate::report::Report;

fn render<T: schemars::JsonSchema>(title: &str) -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The canonical matcher format (`Matcher`'s serde form).
pub fn canonical_matcher() -> String {
    render::<Matcher>("vigil matcher (canonical wire format)")
}

/// The authoring form used in suite files.
pub fn authoring_pattern() -> String {
    render::<AuthoredMatcher>("vigil pattern (authoring form)")
}

/// The compact JSON report.
pub fn report() -> String {
    render::<Report>("vigil match report")
}

/// Every schema with the file name it is committed under.
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("matcher.canonical.schema.json", canonical_matcher()),
        ("pattern.authoring.schema.json", authoring_pattern()),
        ("report.schema.json", report()),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn committed_schemas_are_current() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema");
        let update = std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some();
        let mut stale = Vec::new();
        for (name, fresh) in super::all() {
            let path = dir.join(name);
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed != fresh {
                if update {
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(&path, &fresh).unwrap();
                } else {
                    stale.push(name);
                }
            }
        }
        assert!(
            stale.is_empty(),
            "stale schema files {stale:?}; regenerate with scripts/regen"
        );
    }
}
