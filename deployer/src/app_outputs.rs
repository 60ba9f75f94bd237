//! The application stack's outputs, which bind suite parameters declared
//! with `stack_output:` (`ApiUrl`, `TaskTableName`, ...): read live with
//! `DescribeStacks` (`--app-stack`), or from the file `cdk deploy
//! --outputs-file` writes (`{"StackName": {"OutputKey": "value"}}`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::Value;

/// Output name -> value.
pub(crate) type Outputs = BTreeMap<String, String>;

/// Reads a CDK outputs file. With several stacks in it, `stack` picks one;
/// without, their outputs are merged, and a name two stacks give different
/// values is an error (ambiguous).
pub(crate) fn from_cdk_file(path: &Path, stack: Option<&str>) -> anyhow::Result<Outputs> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the outputs file", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", path.display()))?;
    let Some(stacks) = value.as_object() else {
        bail!(
            "{}: expected the object `cdk deploy --outputs-file` writes, {{\"StackName\": {{\"OutputKey\": \"value\"}}}}",
            path.display()
        );
    };
    let mut out: Outputs = BTreeMap::new();
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    let chosen: Vec<(&String, &Value)> = match stack {
        Some(name) => match stacks.get_key_value(name) {
            Some(kv) => vec![kv],
            None => bail!(
                "{}: no stack `{name}` in the file; it has: {}",
                path.display(),
                stacks.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        },
        None => stacks.iter().collect(),
    };
    for (stack_name, outputs) in chosen {
        let Some(outputs) = outputs.as_object() else {
            bail!(
                "{}: `{stack_name}` should map output names to values",
                path.display()
            );
        };
        for (k, v) in outputs {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let Some(prev) = out.get(k)
                && *prev != v
            {
                bail!(
                    "{}: output `{k}` differs between stacks `{}` and `{stack_name}`; pick one \
                     with --app-stack",
                    path.display(),
                    origin[k]
                );
            }
            origin.insert(k.clone(), stack_name.clone());
            out.insert(k.clone(), v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!(
            "vigil-outputs-{}-{}.json",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn cdk_outputs_files_are_read_merged_and_checked() {
        let p = file(
            r#"{"AgentStack": {"ApiUrl": "https://x", "Port": 8080}, "Other": {"ApiUrl": "https://y", "Q": "q"}}"#,
        );
        let o = from_cdk_file(&p, Some("AgentStack")).unwrap();
        assert_eq!(o["ApiUrl"], "https://x");
        assert_eq!(o["Port"], "8080");
        let e = from_cdk_file(&p, None).unwrap_err().to_string();
        assert!(
            e.contains("output `ApiUrl` differs between stacks `AgentStack` and `Other`"),
            "{e}"
        );
        let e = from_cdk_file(&p, Some("Nope")).unwrap_err().to_string();
        assert!(
            e.contains("no stack `Nope` in the file; it has: AgentStack, Other"),
            "{e}"
        );
        std::fs::remove_file(&p).unwrap();
        let p = file("[1]");
        let e = from_cdk_file(&p, None).unwrap_err().to_string();
        assert!(e.contains("expected the object"), "{e}");
        std::fs::remove_file(&p).unwrap();
    }
}
