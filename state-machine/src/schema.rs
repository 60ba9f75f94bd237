//! The JSON Schema of suite files, so editors can complete and check them
//! (YAML language servers read it through a `# yaml-language-server:
//! $schema=` comment). Committed as `state-machine/schema/suite.schema.json`;
//! a test fails when it is stale (`scripts/regen` rewrites it).

use schemars::generate::SchemaSettings;

use crate::suite::Suite;

/// The suite file schema as pretty JSON.
pub fn suite() -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Suite>();
    schema.insert("title".into(), "vigil suite".into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schema_is_current() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/suite.schema.json");
        let fresh = super::suite();
        if std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "state-machine/schema/suite.schema.json is stale; regenerate with scripts/regen"
        );
    }
}
