//! The provider as Lambda runs it: the release `bootstrap` from
//! `bootstrap.zip`, under `cargo lambda watch`'s runtime API.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::moto::venv;
use crate::processes::{Guard, start_listening};

/// `cargo lambda watch` serving only the Lambda runtime and invoke APIs on
/// a fresh loopback port, with the venv's tools (cargo-lambda, zig) first
/// on its PATH. Its guard and port.
pub async fn start_watch() -> (Guard, u16) {
    let bin = venv().join("bin");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (guard, ports) = start_listening("cargo lambda watch", 1, |ports| {
        let mut c = Command::new(bin.join("cargo-lambda"));
        c.args([
            "lambda",
            "watch",
            "--only-lambda-apis",
            "-A",
            "127.0.0.1",
            "-P",
            &ports[0].to_string(),
        ])
        .current_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../assertion-provider"
        ))
        .env("PATH", &path);
        c
    })
    .await;
    (guard, ports[0])
}

/// The release `bootstrap.zip` that `scripts/test` builds with cargo lambda:
/// `<target>/lambda/bootstrap/bootstrap.zip`, or `VIGIL_BOOTSTRAP_ZIP`.
/// The target dir is found from the running test (or example) binary,
/// which lives in `<target>/<profile>/deps/` (or `examples/`).
pub fn bootstrap_zip() -> PathBuf {
    let zip = std::env::var_os("VIGIL_BOOTSTRAP_ZIP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().expect("the test binary's path");
            exe.ancestors()
                .nth(3)
                .expect("a test binary inside <target>/<profile>/deps")
                .join("lambda/bootstrap/bootstrap.zip")
        });
    assert!(
        zip.exists(),
        "{} is missing: run ./scripts/test (it runs cargo lambda build)",
        zip.display()
    );
    zip
}

/// Unpacks the zip into a fresh directory and returns the executable.
pub fn unpack_bootstrap(zip: &std::path::Path, dir: &std::path::Path) -> PathBuf {
    let ok = Command::new(venv().join("bin/python"))
        .args([
            "-c",
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        ])
        .arg(zip)
        .arg(dir)
        .status()
        .expect("python runs");
    assert!(ok.success(), "cannot unpack {}", zip.display());
    let binary = dir.join("bootstrap");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    binary
}

/// The release `bootstrap` as a Lambda runtime client of `cargo lambda
/// watch` on `watch_port` (function `_`), its AWS calls going to
/// `aws_endpoint` with test credentials; output silenced.
pub fn bootstrap_command(binary: &std::path::Path, watch_port: u16, aws_endpoint: &str) -> Command {
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        // A full URI: lambda_runtime parses it as one (host:port/path
        // without a scheme is rejected).
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{watch_port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", aws_endpoint)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}
