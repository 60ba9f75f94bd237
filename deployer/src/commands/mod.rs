//! The subcommands.

pub(crate) mod deploy;

use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use serde_json::Value;
use vigil_matchers::{EvalContext, authoring};
use vigil_state_machine::compile::{CompileOptions, compile};
use vigil_state_machine::partial_run::PartialRun;
use vigil_state_machine::validate::SuiteError;
use vigil_state_machine::{Format, LoadParams, Suite, ValidSuite, parse_with};

/// Loads and validates (once: what comes back is a [`ValidSuite`]),
/// printing every problem at its line and column; `None` when invalid.
/// `params` (`--param NAME=VALUE`) and the environment give `${Param}` in
/// poll durations their values.
pub(crate) fn load_valid(path: &Path, params: &[String]) -> anyhow::Result<Option<ValidSuite>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let given = crate::params::pairs(params)?;
    let env = |k: &str| std::env::var(k).ok();
    let load = LoadParams {
        given: &given,
        env: &env,
    };
    let suite = match parse_with(&text, Format::of(path), path, &load) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            if e.problems.len() > 1 {
                eprintln!("{} problems in {}", e.problems.len(), path.display());
            }
            return Ok(None);
        }
    };
    match ValidSuite::with_source(suite, &text) {
        Ok(valid) => Ok(Some(valid)),
        Err(invalid) => {
            print_problems(path, invalid.problems);
            Ok(None)
        }
    }
}

/// Prints located problems in source order, each once with its file, line
/// and column (when the path has one), then their count.
fn print_problems(path: &Path, mut problems: Vec<SuiteError>) {
    // Source order; problems without a place (a `--param`) come first.
    problems.sort_by_key(|p| p.position);
    for p in &problems {
        match p.position {
            Some((line, col)) => eprintln!("{}:{line}:{col}: {p}", path.display()),
            None => eprintln!("{}: {p}", path.display()),
        }
    }
    eprintln!(
        "{} problem{} in {}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        path.display()
    );
}

/// Everything `synth` checks, without writing anything: the suite, then
/// the stack built in memory (parameter bindings, IAM for every call), so
/// a suite that validates also synthesizes.
pub(crate) fn validate(path: &Path) -> anyhow::Result<ExitCode> {
    let Some(suite) = load_valid(path, &[])? else {
        return Ok(ExitCode::from(2));
    };
    let options = vigil_stack::SynthOptions {
        params: Default::default(),
        environment: crate::params::environment(),
    };
    if let Err(e) = vigil_stack::synthesize(&suite, &options) {
        let mut problems = e.problems();
        if problems.is_empty() {
            bail!("{}: {e}", path.display());
        }
        suite.locate(&mut problems);
        print_problems(path, problems);
        return Ok(ExitCode::from(2));
    }
    let steps: usize = suite.scenarios.values().map(|s| s.steps.len()).sum();
    println!(
        "{}: suite `{}` is valid ({} scenario{}, {steps} step{})",
        path.display(),
        suite.suite,
        suite.scenarios.len(),
        if suite.scenarios.len() == 1 { "" } else { "s" },
        if steps == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn synth(
    path: &Path,
    out: &Path,
    params: &[String],
    provider_function: Option<String>,
) -> anyhow::Result<ExitCode> {
    let Some(suite) = load_valid(path, params)? else {
        return Ok(ExitCode::from(2));
    };
    if let Some(f) = provider_function {
        // The definition alone, for a state machine created by other means.
        let mut options = CompileOptions {
            provider_function: f,
            ..CompileOptions::default()
        };
        for (k, v) in crate::params::resolve(&suite, params, &|k| std::env::var(k).ok())? {
            if let Ok(name) = vigil_state_machine::ParamName::new(&k) {
                options.param_values.insert(name, v);
            }
        }
        let def = compile(&suite, &options);
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let file = out.join(format!("{}.asl.json", suite.suite));
        let mut text = serde_json::to_string_pretty(&def)?;
        text.push('\n');
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
        println!("{}", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    deploy::write_stack(&suite, params, out)?;
    println!("{}", out.join("template.json").display());
    println!(
        "{}",
        out.join(format!("{}.asl.json", suite.suite)).display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn destroy(
    stack: Option<String>,
    suite: Option<&Path>,
    bootstrap_stack: &str,
    keep_bootstrap: bool,
) -> anyhow::Result<ExitCode> {
    let stack = match (stack, suite) {
        (Some(s), _) => s,
        (None, Some(p)) => match load_valid(p, &[])? {
            Some(s) => deploy::default_stack_name(&s),
            None => return Ok(ExitCode::from(2)),
        },
        (None, None) => bail!("pass --stack NAME or --suite FILE"),
    };
    deploy::destroy(&stack, bootstrap_stack, keep_bootstrap)
}

/// Reads a JSON or YAML document; `-` is standard input, read as YAML
/// (YAML 1.2 is a superset of JSON, so JSON reads the same).
fn read_value(path: &Path) -> anyhow::Result<Value> {
    let stdin = path.as_os_str() == "-";
    let text = if stdin {
        std::io::read_to_string(std::io::stdin()).context("standard input: cannot read")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?
    };
    let name = if stdin {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    let yaml = stdin
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if yaml {
        vigil_state_machine::yaml::from_str(&text).map_err(|e| {
            let at = vigil_state_machine::yaml::position(&e)
                .map(|(l, c)| format!(":{l}:{c}"))
                .unwrap_or_default();
            anyhow::anyhow!("{name}{at}: {}", vigil_state_machine::yaml::message(&e))
        })
    } else {
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{name}: not JSON: {e}"))
    }
}

/// `vigil match --with` values: `NAME=TEXT` is text, `NAME:=JSON` a JSON
/// value (so `n:=42` is the number and `n=42` the string, as a run reads a
/// string parameter). `NAME` is a parameter or `step.capture`.
#[derive(Debug, Default)]
struct WithValues {
    params: std::collections::BTreeMap<String, Value>,
    captures: std::collections::BTreeMap<String, Value>,
}

impl WithValues {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut out = Self::default();
        for a in args {
            let (name, value) = match a.split_once('=') {
                Some((k, v)) if k.ends_with(':') => {
                    let v: Value = serde_json::from_str(v).map_err(|e| {
                        anyhow::anyhow!("--with `{a}`: the value after `:=` is not JSON: {e}")
                    })?;
                    (&k[..k.len() - 1], v)
                }
                Some((k, v)) => (k, Value::String(v.to_owned())),
                None => bail!("--with `{a}` is not NAME=TEXT or NAME:=JSON"),
            };
            if name.is_empty() {
                bail!("--with `{a}` has no name before `=`");
            }
            if name.contains('.') {
                out.captures.insert(name.to_owned(), value);
            } else {
                out.params.insert(name.to_owned(), value);
            }
        }
        Ok(out)
    }
}

impl vigil_matchers::template::TemplateValues for WithValues {
    fn param(&self, name: &str) -> Option<Value> {
        self.params.get(name).cloned()
    }
    fn capture(&self, capture: &vigil_matchers::CaptureRef) -> Option<Value> {
        self.captures.get(&capture.to_string()).cloned()
    }
}

pub(crate) fn match_files(
    pattern: &Path,
    actual: &Path,
    with: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    if pattern.as_os_str() == "-" && actual.as_os_str() == "-" {
        bail!("only one of the pattern and the actual value can be read from `-` (standard input)");
    }
    let with = WithValues::parse(with)?;
    let p = read_value(pattern)?;
    let m = match authoring::parse(&p) {
        Ok(m) => m,
        Err(e) => bail!("{}: {e}", pattern.display()),
    };
    let m = vigil_matchers::template::render_matcher(&m, &with).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; give it with `--with NAME=TEXT` or `--with NAME:=JSON`, or write `$${{` for a literal `${{`",
            pattern.display()
        )
    })?;
    let a = read_value(actual)?;
    let report = m.evaluate(&a, &EvalContext::at_system_time());
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.render_human());
    }
    Ok(if report.is_match() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes the requested report files and the GitHub step summary, prints
/// the report, and gives the exit status.
fn finish(
    report: &vigil_state_machine::run_report::RunReport,
    suite: Option<&Suite>,
    json: Option<&Path>,
    junit: Option<&Path>,
    link: Option<&str>,
) -> anyhow::Result<ExitCode> {
    if let Some(file) = json {
        let mut text = serde_json::to_string_pretty(report)?;
        text.push('\n');
        std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    }
    if let Some(file) = junit {
        let xml = crate::junit::junit(report, suite)?;
        std::fs::write(file, xml).with_context(|| format!("cannot write {}", file.display()))?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .with_context(|| {
                format!(
                    "cannot append to GITHUB_STEP_SUMMARY ({})",
                    summary.to_string_lossy()
                )
            })?;
        writeln!(f, "{}", crate::junit::markdown(report, link))?;
    }
    crate::local::print_report(report);
    if let Some(l) = link {
        println!("console: {l}");
    }
    Ok(ExitCode::from(report.verdict().exit_code()))
}

/// The commit under test: `git rev-parse HEAD`, else `GITHUB_SHA`.
fn current_commit() -> Option<String> {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("GITHUB_SHA").ok())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    state_machine_arn: Option<String>,
    stack: Option<&str>,
    suite_path: &Path,
    commit: Option<String>,
    attempt: Option<u32>,
    params: &[String],
    json: Option<&Path>,
    junit: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let Some(suite) = load_valid(suite_path, params)? else {
        return Ok(ExitCode::from(2));
    };
    crate::preflight::output_paths(&[json, junit].into_iter().flatten().collect::<Vec<_>>())?;
    // Only the parameters given here go into the input: the deployed
    // definition already holds the defaults.
    let given = crate::params::given(&suite, params)?;
    let input = if given.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::json!({"params": given})
    };
    let commit = commit
        .or_else(current_commit)
        .unwrap_or_else(|| "local".to_owned());
    let attempt = attempt
        .or_else(|| {
            std::env::var("GITHUB_RUN_ATTEMPT")
                .ok()
                .and_then(|a| a.parse().ok())
        })
        .unwrap_or(1);
    let name = crate::execution::execution_name(suite.suite.as_str(), &commit, attempt);
    let state_machine_arn = match (state_machine_arn, stack) {
        (Some(a), _) => a,
        (None, Some(s)) => deploy::state_machine_of(s)?,
        // The stack `vigil deploy` made for this suite, as `destroy` finds it.
        (None, None) => deploy::state_machine_of(&deploy::default_stack_name(&suite))?,
    };
    let state_machine_arn = state_machine_arn.as_str();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let partial = Arc::new(Mutex::new(PartialRun::new(&suite)));
    let started: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let followed = runtime.block_on(async {
        tokio::select! {
            r = async {
                let (arn, existed) =
                    crate::execution::start(state_machine_arn, &name, &input).await?;
                let _ = started.set(arn.clone());
                eprintln!(
                    "{} execution {name}\n{}",
                    if existed {
                        "following the existing"
                    } else {
                        "started"
                    },
                    crate::execution::console_link(&arn)
                );
                crate::execution::follow(&arn, partial.clone()).await
            } => Ok(r),
            s = crate::interrupt::wait() => Err(s),
        }
    });
    match followed {
        Ok(r) => {
            let (report, link) = r?;
            finish(&report, Some(&suite), json, junit, Some(&link))
        }
        Err(signal) => {
            let Some(arn) = started.get() else {
                eprintln!("{signal}: stopped before the execution started");
                return Ok(ExitCode::from(signal.exit_code()));
            };
            let link = crate::execution::console_link(arn);
            let code = interrupted(signal, &partial, Some(&suite), json, junit, Some(&link))?;
            let mut follow = format!("vigil report {arn} --suite {}", suite_path.display());
            if let Some(j) = json {
                follow.push_str(&format!(" --json {}", j.display()));
            }
            if let Some(j) = junit {
                follow.push_str(&format!(" --junit {}", j.display()));
            }
            eprintln!(
                "the execution keeps running in the account: {link}\nfollow it to its end with:\n  {follow}"
            );
            Ok(code)
        }
    }
}

pub(crate) fn report(
    arn: &str,
    suite: Option<&Path>,
    json: Option<&Path>,
    junit: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let suite = match suite {
        Some(p) => match load_valid(p, &[])? {
            Some(s) => Some(s),
            None => return Ok(ExitCode::from(2)),
        },
        None => None,
    };
    crate::preflight::output_paths(&[json, junit].into_iter().flatten().collect::<Vec<_>>())?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let partial = Arc::new(Mutex::new(match &suite {
        Some(s) => PartialRun::new(s),
        None => PartialRun::without_suite(arn.rsplit(':').nth(1).unwrap_or("execution")),
    }));
    let followed = runtime.block_on(async {
        tokio::select! {
            r = crate::execution::follow(arn, partial.clone()) => Ok(r),
            s = crate::interrupt::wait() => Err(s),
        }
    });
    match followed {
        Ok(r) => {
            let (report, link) = r?;
            finish(&report, suite.as_deref(), json, junit, Some(&link))
        }
        Err(signal) => {
            let link = crate::execution::console_link(arn);
            let code = interrupted(signal, &partial, suite.as_deref(), json, junit, Some(&link))?;
            eprintln!("the execution keeps running in the account: {link}");
            Ok(code)
        }
    }
}

/// The suite cut down to the branches that hold the named scenarios (a
/// scenario tied to others by `after` runs with them); all of it when none
/// is named.
fn only_scenarios(suite: Suite, names: &[String]) -> anyhow::Result<Suite> {
    if names.is_empty() {
        return Ok(suite);
    }
    for n in names {
        if !suite.scenarios.keys().any(|k| k.as_str() == n) {
            bail!(
                "--scenario {n}: the suite has no scenario `{n}`{} (scenarios: {})",
                vigil_matchers::suggest::did_you_mean(
                    n,
                    suite.scenarios.keys().map(|k| k.as_str())
                ),
                suite
                    .scenarios
                    .keys()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let keep: std::collections::BTreeSet<_> = vigil_state_machine::branches::branches(&suite)
        .into_iter()
        .filter(|b| {
            b.scenarios
                .iter()
                .any(|s| names.iter().any(|n| n == s.as_str()))
        })
        .flat_map(|b| b.scenarios)
        .collect();
    let extra: Vec<&str> = keep
        .iter()
        .map(|s| s.as_str())
        .filter(|s| !names.iter().any(|n| n == s))
        .collect();
    if !extra.is_empty() {
        eprintln!(
            "also running {} (tied by `after` to the scenarios asked for)",
            extra.join(", ")
        );
    }
    let mut suite = suite;
    suite.scenarios.retain(|name, _| keep.contains(name));
    Ok(suite)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn local(
    path: &Path,
    params: &[String],
    scenarios: &[String],
    app_stack: Option<&str>,
    outputs_file: Option<&Path>,
    json: Option<&Path>,
    junit: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let Some(suite) = load_valid(path, params)? else {
        return Ok(ExitCode::from(2));
    };
    let suite = only_scenarios(suite.into_suite(), scenarios)?;
    crate::preflight::output_paths(&[json, junit].into_iter().flatten().collect::<Vec<_>>())?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let outputs = match (outputs_file, app_stack) {
        (Some(file), app) => crate::app_outputs::from_cdk_file(file, app)?,
        (None, Some(app)) => runtime.block_on(async {
            let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .load()
                .await;
            crate::cloudformation::Stacks::new(&sdk).outputs(app).await
        })?,
        (None, None) => Default::default(),
    };
    let params =
        crate::params::resolve_with_outputs(&suite, params, &outputs, &|k| std::env::var(k).ok())?;
    runtime.block_on(crate::preflight::reachable(&suite, &params))?;
    let partial = Arc::new(Mutex::new(PartialRun::new(&suite)));
    let ran = runtime.block_on(async {
        tokio::select! {
            r = crate::local::run(&suite, params, partial.clone()) => Ok(r),
            s = crate::interrupt::wait() => Err(s),
        }
    });
    match ran {
        Ok(report) => finish(&report?, Some(&suite), json, junit, None),
        Err(signal) => interrupted(signal, &partial, Some(&suite), json, junit, None),
    }
}

/// Writes and prints the partial report of an interrupted run: what
/// passed, where each branch was (marked interrupted), what never ran;
/// the exit status is 128 + the signal.
fn interrupted(
    signal: crate::interrupt::Signal,
    partial: &Mutex<PartialRun>,
    suite: Option<&Suite>,
    json: Option<&Path>,
    junit: Option<&Path>,
    link: Option<&str>,
) -> anyhow::Result<ExitCode> {
    eprintln!("\n{signal}: stopping; writing what is known so far");
    let report = partial
        .lock()
        .map_err(|_| anyhow::anyhow!("the run's progress is unreadable"))?
        .interrupted();
    finish(&report, suite, json, junit, link)?;
    Ok(ExitCode::from(signal.exit_code()))
}
