//! `vigil`: compile deploy-then-verify suites into Step Functions state
//! machines, and run them.
//!
//! Exit status everywhere: 0 success / match, 1 an assertion failed,
//! 2 bad input or an infrastructure error.

mod app_outputs;
mod artifact;
mod artifact_bucket;
mod attempt_log;
mod aws_error;
mod cloudformation;
mod commands;
mod execution;
mod interrupt;
mod junit;
mod local;
mod params;
mod preflight;
mod stack_name;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vigil",
    version,
    about = "Deploy-then-verify integration tests as Step Functions state machines"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a suite file: syntax, names, templates, captures, limits.
    Validate {
        /// The suite (.yaml, .yml or .json).
        suite: PathBuf,
    },
    /// Compile a suite into its stack: `template.json` (CloudFormation,
    /// least-privilege IAM derived from the steps) and `<suite>.asl.json`.
    Synth {
        /// The suite (.yaml, .yml or .json).
        suite: PathBuf,
        /// Output directory.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Fix a parameter's value in the definition and in IAM, `NAME=VALUE`.
        #[arg(short, long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Write only the definition, with this provider function ARN in
        /// it, for a state machine you create yourself.
        #[arg(long)]
        provider_function: Option<String>,
    },
    /// Build the provider, upload it, and create or update the suite's
    /// stack through a change set, streaming its events.
    Deploy {
        /// The suite (.yaml, .yml or .json).
        suite: PathBuf,
        /// Stack name (default: `vigil-<suite>`).
        #[arg(long, value_parser = stack_name::parse)]
        stack: Option<String>,
        /// The application stack whose outputs bind `stack_output` parameters.
        #[arg(long, value_name = "NAME")]
        app_stack: Option<String>,
        /// `cdk deploy --outputs-file` output to bind parameters from instead.
        #[arg(long, value_name = "FILE")]
        outputs_file: Option<PathBuf>,
        /// Fix a parameter's value, `NAME=VALUE`.
        #[arg(short, long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// A prebuilt `bootstrap.zip` (default: build it with cargo-lambda).
        #[arg(long, value_name = "PATH")]
        artifact: Option<PathBuf>,
        /// The S3 bucket for artifacts (default: vigil's bootstrap bucket,
        /// created on first use).
        #[arg(long)]
        bucket: Option<String>,
        /// The stack that owns vigil's bootstrap bucket.
        #[arg(long, default_value = commands::deploy::DEFAULT_BOOTSTRAP, value_parser = stack_name::parse)]
        bootstrap_stack: String,
        /// Where the synthesized files are written.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
    },
    /// Delete a suite's stack and its artifacts (and the bootstrap bucket
    /// when no other vigil stack uses it).
    Destroy {
        /// Stack name.
        #[arg(long, required_unless_present = "suite", value_parser = stack_name::parse)]
        stack: Option<String>,
        /// The suite, for its default stack name `vigil-<suite>`.
        #[arg(long)]
        suite: Option<PathBuf>,
        /// The stack that owns vigil's bootstrap bucket.
        #[arg(long, default_value = commands::deploy::DEFAULT_BOOTSTRAP, value_parser = stack_name::parse)]
        bootstrap_stack: String,
        /// Keep the bootstrap bucket even when it is empty.
        #[arg(long)]
        keep_bootstrap: bool,
    },
    /// Evaluate one pattern (authoring form, JSON or YAML) against one
    /// actual value and print the report.
    Match {
        /// The pattern file (`-` reads standard input).
        pattern: PathBuf,
        /// The actual value, JSON or YAML (`-` reads standard input).
        actual: PathBuf,
        /// A value for a `${param}` or `${step.capture}` template in the
        /// pattern, `NAME=VALUE` (a JSON value, or text).
        #[arg(long = "with", value_name = "NAME=VALUE")]
        with: Vec<String>,
        /// Print the compact JSON report instead of the human one.
        #[arg(long)]
        json: bool,
    },
    /// Run a suite from this host with the provider's code: same calls,
    /// same matchers, same poll decisions as in the cloud.
    Local {
        /// The suite (.yaml, .yml or .json).
        suite: PathBuf,
        /// Parameter values, `NAME=VALUE` (text, read as the parameter's
        /// `type`).
        #[arg(short, long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Run only this scenario (repeatable); scenarios tied to it by
        /// `after` run with it.
        #[arg(long = "scenario", value_name = "NAME")]
        scenarios: Vec<String>,
        /// The application stack whose outputs bind `stack_output` parameters.
        #[arg(long, value_name = "NAME")]
        app_stack: Option<String>,
        /// `cdk deploy --outputs-file` output to bind them from instead.
        #[arg(long, value_name = "FILE")]
        outputs_file: Option<PathBuf>,
        /// Also write the run report (the state machine's output shape) here.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Also write JUnit XML (one test case per step) here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Start the suite's execution (idempotent name: suite, git commit,
    /// attempt), follow it live, and report it.
    Run {
        /// The deployed state machine.
        #[arg(long, conflicts_with = "stack")]
        state_machine_arn: Option<String>,
        /// The vigil stack (its `StateMachineArn` output); default
        /// `vigil-<suite>`, the name `deploy` gives it.
        #[arg(long, value_parser = stack_name::parse)]
        stack: Option<String>,
        /// The suite (for its name and the steps that did not run).
        #[arg(long)]
        suite: PathBuf,
        /// The commit under test (default: `git rev-parse HEAD`, then
        /// `GITHUB_SHA`).
        #[arg(long)]
        commit: Option<String>,
        /// The attempt (default: `GITHUB_RUN_ATTEMPT`, else 1).
        #[arg(long)]
        attempt: Option<u32>,
        /// Parameter values for this execution, `NAME=VALUE`.
        #[arg(short, long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Also write the run report JSON here.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Also write JUnit XML here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Follow an execution (started by `vigil run` or by CI with
    /// `aws stepfunctions start-execution`) to its end and report it.
    Report {
        /// The execution's ARN.
        execution_arn: String,
        /// The suite, to list steps that did not run as skipped.
        #[arg(long)]
        suite: Option<PathBuf>,
        /// Also write the run report JSON here.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Also write JUnit XML (one test case per step) here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate { suite } => commands::validate(&suite),
        Command::Synth {
            suite,
            out,
            params,
            provider_function,
        } => commands::synth(&suite, &out, &params, provider_function),
        Command::Deploy {
            suite,
            stack,
            app_stack,
            outputs_file,
            params,
            artifact,
            bucket,
            bootstrap_stack,
            out,
        } => commands::deploy::deploy(commands::deploy::DeployArgs {
            suite,
            stack,
            app_stack,
            outputs_file,
            params,
            artifact,
            bucket,
            bootstrap_stack,
            out,
        }),
        Command::Destroy {
            stack,
            suite,
            bootstrap_stack,
            keep_bootstrap,
        } => commands::destroy(stack, suite.as_deref(), &bootstrap_stack, keep_bootstrap),
        Command::Match {
            pattern,
            actual,
            with,
            json,
        } => commands::match_files(&pattern, &actual, &with, json),
        Command::Local {
            suite,
            params,
            scenarios,
            app_stack,
            outputs_file,
            json,
            junit,
        } => commands::local(
            &suite,
            &params,
            &scenarios,
            app_stack.as_deref(),
            outputs_file.as_deref(),
            json.as_deref(),
            junit.as_deref(),
        ),
        Command::Run {
            state_machine_arn,
            stack,
            suite,
            commit,
            attempt,
            params,
            json,
            junit,
        } => commands::run(
            state_machine_arn,
            stack.as_deref(),
            &suite,
            commit,
            attempt,
            &params,
            json.as_deref(),
            junit.as_deref(),
        ),
        Command::Report {
            execution_arn,
            suite,
            json,
            junit,
        } => commands::report(
            &execution_arn,
            suite.as_deref(),
            json.as_deref(),
            junit.as_deref(),
        ),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
