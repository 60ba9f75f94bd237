//! The local chain every deployed-suite test runs on: moto (Step Functions
//! executions on, CloudFormation patched by tests/support/moto_sfn.py), its
//! Lambda proxy, `cargo lambda watch`, and the release `bootstrap` from
//! bootstrap.zip serving the invocations. Every process stops on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lambda::{bootstrap_command, bootstrap_zip, start_watch, unpack_bootstrap};
use crate::moto::{start_launcher, venv};
use crate::processes::{Guard, ScratchDir};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// moto (executions on) + proxy + cargo lambda watch + the release bootstrap.
pub struct Chain {
    /// moto's URL (for AWS_ENDPOINT_URL).
    pub moto: String,
    /// The Lambda proxy in front of moto (its fault counts).
    pub proxy: String,
    _parts: Vec<Guard>,
    _dir: ScratchDir,
}

/// A chain whose provider gets `extra_env`.
pub async fn start_chain(extra_env: &[(&str, &str)]) -> Chain {
    start_chain_with(extra_env, &[]).await
}

/// A chain whose provider gets `extra_env` and whose moto (and its Lambda
/// proxy) gets `moto_env`, e.g. `VIGIL_INVOKE_FAULTS`.
pub async fn start_chain_with(extra_env: &[(&str, &str)], moto_env: &[(&str, &str)]) -> Chain {
    let zip = bootstrap_zip();
    // One directory per chain: tests of one binary run concurrently, and
    // unpacking over a bootstrap another chain is running fails (ETXTBSY).
    static CHAINS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CHAINS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("vigil-sfn-{}-{n}", std::process::id()));
    let binary = unpack_bootstrap(&zip, &dir);
    let py = venv().join("bin/python");
    let (watch, watch_port) = start_watch().await;
    let (moto, moto_url, proxy_url) =
        start_launcher(&format!("http://127.0.0.1:{watch_port}"), moto_env);
    // The function definitions compiled here call: the chain's proxy sends
    // Invokes only to functions moto's Lambda has, as Lambda would.
    let made = Command::new(&py)
        .args([
            "-c",
            "import sys, boto3\n\
             kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1', \
             aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             role = boto3.client('iam', **kw).create_role(RoleName='vigil-provider', \
             AssumeRolePolicyDocument='{}')['Role']['Arn']\n\
             boto3.client('lambda', **kw).create_function(FunctionName='vigil-provider', \
             Runtime='provided.al2023', Role=role, Handler='bootstrap', \
             Code={'ZipFile': open(sys.argv[2], 'rb').read()})",
        ])
        .arg(&moto_url)
        .arg(&zip)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "creating the provider function in moto: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut bs = bootstrap_command(&binary, watch_port, &moto_url);
    for (k, v) in extra_env {
        bs.env(k, v);
    }
    let bs = Guard(bs.spawn().unwrap());
    Chain {
        moto: moto_url,
        proxy: proxy_url,
        _parts: vec![bs, moto, watch],
        _dir: ScratchDir(dir),
    }
}

/// The physical id CloudFormation (moto's) gave a stack's resource.
pub async fn physical_id(sdk: &aws_config::SdkConfig, stack: &str, logical: &str) -> String {
    aws_sdk_cloudformation::Client::new(sdk)
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id(logical)
        .send()
        .await
        .unwrap()
        .stack_resource_detail
        .and_then(|d| d.physical_resource_id)
        .unwrap_or_else(|| panic!("stack `{stack}` has no physical id for `{logical}`"))
}
