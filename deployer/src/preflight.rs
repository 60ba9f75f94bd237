//! What must hold before the first step runs, checked once: the report
//! files can be written, AWS credentials resolve, and every endpoint the
//! suite calls answers.
//!
//! Without these a missing credential failed each scenario separately, and
//! an emulator that was not running was retried as a network error until
//! each poll's timeout — half an hour later, with a report saying the
//! application failed. A failed preflight is "vigil could not test" (exit
//! 2) and no step runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use vigil_aws_model::services::AWS_SERVICES;
use vigil_matchers::CaptureRef;
use vigil_protocol::template::{self, TemplateValues};
use vigil_protocol::{Call, HttpAuth};
use vigil_state_machine::Suite;

/// How long one endpoint may take to answer the reachability check.
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

/// Each report file (and `$GITHUB_STEP_SUMMARY`) can be written: an
/// existing file is opened for appending (nothing is changed), a new one
/// is created and removed again.
pub(crate) fn output_paths(paths: &[&Path]) -> anyhow::Result<()> {
    let summary = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty());
    let summary = summary.as_deref().map(Path::new);
    for path in paths.iter().copied().chain(summary) {
        if path.is_dir() {
            bail!("cannot write {}: it is a directory", path.display());
        }
        let existed = path.exists();
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        if !existed {
            std::fs::remove_file(path).ok();
        }
    }
    Ok(())
}

/// Parameters only: a URL that needs a capture is known only at run time.
struct ParamsOnly<'a>(&'a BTreeMap<String, Value>);

impl TemplateValues for ParamsOnly<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
    fn capture(&self, _: &CaptureRef) -> Option<Value> {
        None
    }
}

/// The AWS services (by CLI name) the suite's steps call, directly or for
/// authentication.
fn aws_services(suite: &Suite) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for step in suite.scenarios.values().flat_map(|s| &s.steps) {
        match &step.call {
            Call::Aws { service, .. } => {
                out.insert(service.as_str());
            }
            Call::Lambda { .. } => {
                out.insert("lambda");
            }
            Call::Http(h) => match &h.auth {
                Some(HttpAuth::Cognito {
                    password_secret, ..
                }) => {
                    out.insert("cognito-idp");
                    if password_secret.is_some() {
                        out.insert("secretsmanager");
                    }
                }
                // SigV4 signs with local credentials, a bearer token travels as is:
                // neither has an endpoint of its own.
                Some(HttpAuth::Sigv4 { .. } | HttpAuth::Bearer { .. }) | None => {}
            },
        }
    }
    out
}

fn needs_credentials(suite: &Suite) -> bool {
    suite
        .scenarios
        .values()
        .flat_map(|s| &s.steps)
        .any(|step| match &step.call {
            Call::Aws { .. } | Call::Lambda { .. } => true,
            Call::Http(h) => matches!(
                h.auth,
                Some(HttpAuth::Sigv4 { .. })
                    | Some(HttpAuth::Cognito {
                        password_secret: Some(_),
                        ..
                    })
            ),
        })
}

/// `scheme://host:port/` of a URL, the part the check asks for.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}/"))
}

/// Every endpoint the suite calls (what the provider would call, from the
/// same environment), each with what it is for.
fn endpoints(
    suite: &Suite,
    params: &BTreeMap<String, Value>,
    region: &str,
) -> BTreeMap<String, String> {
    let env = |k: &str| std::env::var(k).ok();
    let mut out = BTreeMap::new();
    for name in aws_services(suite) {
        // Unknown services are refused by validate, before this.
        if let Some(service) = AWS_SERVICES.iter().find(|s| s.name == name) {
            let url = assertion_provider::calls::aws::endpoint(service, region, &env);
            if let Some(o) = origin(&url) {
                out.entry(o).or_insert_with(|| format!("`{name}` calls"));
            }
        }
    }
    for (scenario, step) in suite
        .scenarios
        .iter()
        .flat_map(|(n, s)| s.steps.iter().map(move |st| (n, st)))
    {
        if let Call::Http(h) = &step.call
            && let Ok(Value::String(url)) = template::render_str(&h.url, &ParamsOnly(params))
            && let Some(o) = origin(&url)
        {
            out.entry(o)
                .or_insert_with(|| format!("step `{}` of `{scenario}`", step.id));
        }
    }
    out
}

/// Credentials resolve (when a step needs them) and every endpoint answers
/// something (any HTTP status will do: it is up and reachable through the
/// same proxy settings the calls use).
pub(crate) async fn reachable(
    suite: &Suite,
    params: &BTreeMap<String, Value>,
) -> anyhow::Result<()> {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    if needs_credentials(suite) {
        use aws_credential_types::provider::ProvideCredentials as _;
        let Some(provider) = sdk.credentials_provider() else {
            bail!(
                "no AWS credentials: the suite calls AWS, and no credential source is configured \
                 (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, or a role)"
            );
        };
        provider.provide_credentials().await.map_err(|e| {
            anyhow::anyhow!(
                "no AWS credentials: {}",
                aws_error_chain(&e as &dyn std::error::Error)
            )
        })?;
    }
    let region = sdk
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_else(|| "us-east-1".to_owned());
    let client = reqwest::Client::builder()
        .connect_timeout(REACH_TIMEOUT)
        .timeout(REACH_TIMEOUT)
        .build()
        .context("cannot start an HTTP client")?;
    let mut checks = Vec::new();
    for (url, what) in endpoints(suite, params, &region) {
        let client = client.clone();
        checks.push(tokio::spawn(async move {
            match client.head(&url).send().await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!(
                    "cannot reach {url} (for {what}): {}",
                    aws_error_chain(&e as &dyn std::error::Error)
                )),
            }
        }));
    }
    let mut problems = Vec::new();
    for c in checks {
        if let Ok(Err(p)) = c.await {
            problems.push(p);
        }
    }
    if !problems.is_empty() {
        bail!(
            "{}\ncheck that the service is up and the endpoint is right (AWS_ENDPOINT_URL, \
             AWS_ENDPOINT_URL_<SERVICE>, the suite's parameters); no step ran",
            problems.join("\n")
        );
    }
    Ok(())
}

/// An error with its causes, `: `-joined (the SDK's top-level messages
/// alone say little).
fn aws_error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_keep_scheme_host_and_port() {
        assert_eq!(
            origin("http://127.0.0.1:5000/api/tasks?x=1").as_deref(),
            Some("http://127.0.0.1:5000/")
        );
        assert_eq!(
            origin("https://dynamodb.eu-west-1.amazonaws.com").as_deref(),
            Some("https://dynamodb.eu-west-1.amazonaws.com/")
        );
        assert_eq!(origin("${Api}/tasks"), None);
    }

    #[test]
    fn a_report_path_that_cannot_be_written_is_refused_before_anything_runs() {
        let dir = std::env::temp_dir().join(format!("vigil-preflight-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fresh = dir.join("report.json");
        output_paths(&[&fresh]).unwrap();
        assert!(!fresh.exists(), "a check leaves no file behind");
        let e = output_paths(&[&dir]).unwrap_err().to_string();
        assert!(e.contains("it is a directory"), "{e}");
        let e = output_paths(&[&dir.join("missing/report.json")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cannot write "), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
