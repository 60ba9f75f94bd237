//! `vigil synth` (the stack files), `vigil deploy` and `vigil destroy`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use vigil_stack::{SynthOptions, Synthesized, contract, synthesize};
use vigil_state_machine::{Suite, ValidSuite};

use crate::app_outputs;
use crate::artifact::{self, Artifact};
use crate::artifact_bucket::{Artifacts, BOOTSTRAP_STACK};
use crate::cloudformation::{Deployed, StackRequest, Stacks, TemplateSource};

/// CloudFormation takes inline templates up to this size; bigger ones go
/// through the artifact bucket.
const MAX_TEMPLATE_BODY: usize = 51_200;

/// The default stack name of a suite: `vigil-<suite>`, `_` turned into `-`
/// (stack names allow letters, digits and `-`).
pub(crate) fn default_stack_name(suite: &Suite) -> String {
    format!("vigil-{}", suite.suite.as_str().replace('_', "-"))
}

/// Synthesizes and writes `<out>/template.json` and `<out>/<suite>.asl.json`.
pub(crate) fn write_stack(
    suite: &ValidSuite,
    params: &[String],
    out: &Path,
) -> anyhow::Result<Synthesized> {
    let options = SynthOptions {
        params: crate::params::given(suite, params)?,
        environment: crate::params::environment(),
    };
    let synth = synthesize(suite, &options)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let template = out.join("template.json");
    std::fs::write(&template, synth.template.to_json_pretty())
        .with_context(|| format!("cannot write {}", template.display()))?;
    let asl = out.join(format!("{}.asl.json", suite.suite));
    let mut text = serde_json::to_string_pretty(&synth.definition)?;
    text.push('\n');
    std::fs::write(&asl, text).with_context(|| format!("cannot write {}", asl.display()))?;
    for note in &synth.grants.notes {
        eprintln!("note: {note}");
    }
    Ok(synth)
}

/// What `vigil deploy` was asked.
pub(crate) struct DeployArgs {
    pub suite: PathBuf,
    pub stack: Option<String>,
    pub app_stack: Option<String>,
    pub outputs_file: Option<PathBuf>,
    pub params: Vec<String>,
    pub artifact: Option<PathBuf>,
    pub bucket: Option<String>,
    pub bootstrap_stack: String,
    pub out: PathBuf,
}

async fn sdk() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

pub(crate) fn deploy(args: DeployArgs) -> anyhow::Result<ExitCode> {
    let Some(suite) = super::load_valid(&args.suite, &args.params)? else {
        return Ok(ExitCode::from(2));
    };
    let synth = write_stack(&suite, &args.params, &args.out)?;
    let stack = args.stack.unwrap_or_else(|| default_stack_name(&suite));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let sdk = sdk().await;
        let stacks = Stacks::new(&sdk);

        // Bind stack-output parameters.
        let needed = synth.stack_output_parameters();
        let outputs = match (&args.outputs_file, &args.app_stack) {
            (Some(file), app) => Some((
                app_outputs::from_cdk_file(file, app.as_deref())?,
                file.display().to_string(),
            )),
            (None, Some(app)) => Some((stacks.outputs(app).await?, format!("stack `{app}`"))),
            (None, None) => None,
        };
        let mut parameters: BTreeMap<String, String> = BTreeMap::new();
        let mut missing = Vec::new();
        for (template_param, output) in &needed {
            let has_default = synth
                .template
                .parameters
                .get(template_param)
                .is_some_and(|p| p.default.is_some());
            match outputs.as_ref().and_then(|(o, _)| o.get(output)) {
                Some(v) => {
                    parameters.insert(template_param.clone(), v.clone());
                }
                None if has_default => {}
                None => missing.push(match &outputs {
                    Some((o, from)) => format!(
                        "`{output}` is not an output of {from} (it has: {})",
                        o.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    None => format!(
                        "`{output}` (pass --app-stack NAME or --outputs-file cdk-outputs.json, \
                         or --param)"
                    ),
                }),
            }
        }
        if !missing.is_empty() {
            bail!(
                "the suite's parameters need application stack outputs: {}",
                missing.join("; ")
            );
        }

        let artifact = match &args.artifact {
            Some(p) => Artifact::open(p)?,
            None => artifact::build()?,
        };
        let bucket = match &args.bucket {
            Some(b) => b.clone(),
            None => Artifacts::bootstrap_bucket(&stacks, &args.bootstrap_stack).await?,
        };
        let artifacts = Artifacts::new(&sdk);
        let key = artifact.key(&stack);
        let bytes = std::fs::read(&artifact.path)
            .with_context(|| format!("cannot read {}", artifact.path.display()))?;
        if artifacts.put_once(&bucket, &key, bytes).await? {
            eprintln!(
                "uploaded {} ({:.1} MB) to s3://{bucket}/{key}",
                artifact.path.display(),
                artifact.size as f64 / 1e6
            );
        } else {
            eprintln!("s3://{bucket}/{key} is already there (same build)");
        }
        parameters.insert(contract::ARTIFACT_BUCKET_PARAM.into(), bucket.clone());
        parameters.insert(contract::ARTIFACT_KEY_PARAM.into(), key.clone());

        let body = synth.template.to_json_pretty();
        let mut template_key = None;
        let template = if body.len() <= MAX_TEMPLATE_BODY {
            TemplateSource::Body(body)
        } else {
            let digest = Artifact::digest(body.as_bytes());
            let key = format!("{stack}/template-{}.json", &digest[..16]);
            artifacts.put_once(&bucket, &key, body.into_bytes()).await?;
            template_key = Some(key.clone());
            TemplateSource::Url(Artifacts::url(&sdk, &bucket, &key))
        };
        let tags: BTreeMap<String, String> = [
            (
                contract::MANAGED_BY_TAG.0.to_owned(),
                contract::MANAGED_BY_TAG.1.to_owned(),
            ),
            (contract::SUITE_TAG.to_owned(), suite.suite.to_string()),
        ]
        .into();
        let result = stacks
            .deploy(&StackRequest {
                name: stack.clone(),
                template,
                parameters,
                tags,
            })
            .await?;
        let info = match result {
            Deployed::Changed(i) => {
                eprintln!("stack `{stack}` is {}", i.status);
                i
            }
            Deployed::Unchanged(i) => {
                eprintln!("stack `{stack}` is up to date (no changes)");
                i
            }
        };
        // The stack now uses `key`: nothing can roll back to an older
        // artifact of it any more. Deleted, they stay as noncurrent
        // versions for a while in the (versioned) bootstrap bucket.
        let mut keep = vec![key.as_str()];
        keep.extend(template_key.as_deref());
        let superseded = artifacts
            .delete_superseded(&bucket, &format!("{stack}/"), &keep)
            .await?;
        if !superseded.is_empty() {
            eprintln!(
                "deleted {} superseded artifact(s) of `{stack}`: {}",
                superseded.len(),
                superseded.join(", ")
            );
        }
        for (k, v) in &info.outputs {
            println!("{k} = {v}");
        }
        eprintln!(
            "next: vigil run --stack {stack} --suite {}",
            args.suite.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// The state machine ARN of a deployed vigil stack.
pub(crate) fn state_machine_of(stack: &str) -> anyhow::Result<String> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let sdk = sdk().await;
        let outputs = Stacks::new(&sdk).outputs(stack).await?;
        let output = contract::STATE_MACHINE_ARN_OUTPUT;
        outputs.get(output).cloned().with_context(|| {
            format!("stack `{stack}` has no {output} output: is it a vigil stack?")
        })
    })
}

pub(crate) fn destroy(
    stack: &str,
    bootstrap_stack: &str,
    keep_bootstrap: bool,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let sdk = sdk().await;
        let stacks = Stacks::new(&sdk);
        let Some(info) = stacks.describe(stack).await? else {
            eprintln!("stack `{stack}` does not exist: nothing to destroy");
            return Ok(ExitCode::SUCCESS);
        };
        if !info.outputs.contains_key(contract::STATE_MACHINE_ARN_OUTPUT)
            && !info.parameters.contains_key(contract::ARTIFACT_BUCKET_PARAM)
        {
            bail!(
                "stack `{stack}` is not a vigil stack (no {} parameter); not deleting it",
                contract::ARTIFACT_BUCKET_PARAM
            );
        }
        stacks.delete(stack).await?;
        eprintln!("deleted stack `{stack}`");
        let artifacts = Artifacts::new(&sdk);
        if let Some(bucket) = info.parameters.get(contract::ARTIFACT_BUCKET_PARAM) {
            let n = artifacts
                .delete_prefix(bucket, &format!("{stack}/"))
                .await?;
            eprintln!("deleted {n} artifact(s) under s3://{bucket}/{stack}/");
            let bootstrap = stacks.describe(bootstrap_stack).await?;
            let is_bootstrap_bucket = bootstrap
                .as_ref()
                .and_then(|b| b.outputs.get("BucketName"))
                .is_some_and(|b| b == bucket);
            if is_bootstrap_bucket && !keep_bootstrap {
                if artifacts.is_empty(bucket).await? {
                    stacks.delete(bootstrap_stack).await?;
                    eprintln!("deleted the artifact bucket (stack `{bootstrap_stack}`): no other vigil stack uses it");
                } else {
                    eprintln!(
                        "kept the artifact bucket s3://{bucket}: other vigil stacks still have artifacts in it"
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The default bootstrap stack name (for clap).
pub(crate) const DEFAULT_BOOTSTRAP: &str = BOOTSTRAP_STACK;
