//! Real parts for the provider's integration tests, started and stopped by
//! the tests themselves, on 127.0.0.1 only: a moto server, a tiny scripted
//! HTTP server, and helpers to build providers and requests.
#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assertion_provider::Provider;
use assertion_provider::calls::aws::AwsClient;
use assertion_provider::calls::lambda::LambdaInvoker;
use assertion_provider::clock::Clock;
use assertion_provider::sealing::{KeySource, Sealer};
use assertion_provider::signing::Signer;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_protocol::{CaptureTable, PollState, ProviderRequest};

/// The Python venv that `scripts/test` installs (moto, cargo-lambda).
pub fn venv() -> PathBuf {
    let dir = std::env::var_os("VIGIL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/vigil/venv")
        });
    assert!(
        dir.join("bin/python").exists(),
        "no Python venv with moto at {} — run ./scripts/test, which installs it (or set VIGIL_VENV)",
        dir.display()
    );
    dir
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A moto server on a loopback port; stopped when dropped.
pub struct Moto {
    _child: Guard,
    pub url: String,
}

impl Moto {
    pub async fn start() -> Moto {
        Moto::start_with_env(&[]).await
    }

    /// A moto server with extra environment, e.g.
    /// `INITIAL_NO_AUTH_ACTION_COUNT=0` to check every request's credentials.
    pub async fn start_with_env(env: &[(&str, &str)]) -> Moto {
        let mut command = Command::new(venv().join("bin/python"));
        command
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/support/moto_server.py"
            ))
            .envs(env.iter().copied());
        let (child, ports) = start_announcing("moto", command);
        Moto {
            _child: child,
            url: announced(&ports, "moto"),
        }
    }
}

/// Credentials moto accepts.
pub fn test_credentials() -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(Credentials::new(
        "testing",
        "testing",
        None,
        None,
        "vigil-tests",
    ))
}

pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

pub fn aws_client(endpoint: &str) -> AwsClient {
    AwsClient::new(
        http_client(Duration::from_secs(10)),
        Signer::new(Some(test_credentials()), "us-east-1".into()),
    )
    .with_endpoint(endpoint)
}

/// A provider whose AWS calls go to `aws_endpoint`, Lambda invocations to
/// `lambda_endpoint`.
pub fn provider(
    aws_endpoint: &str,
    lambda_endpoint: &str,
    clock: Arc<dyn Clock>,
    key: KeySource,
    call_timeout: Duration,
) -> Provider {
    let http = http_client(call_timeout);
    let aws = AwsClient::new(
        http.clone(),
        Signer::new(Some(test_credentials()), "us-east-1".into()),
    )
    .with_endpoint(aws_endpoint);
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(test_credentials())
        .endpoint_url(lambda_endpoint)
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let sealer = Sealer::new(key, aws.clone());
    Provider::new(aws, LambdaInvoker::new(&sdk), http, sealer, clock, Some(7))
}

/// Calls AWS for test set-up; panics with the service's error.
pub async fn aws(client: &AwsClient, service: &str, op: &str, params: Value) -> Value {
    client
        .call(service, op, &params)
        .await
        .unwrap_or_else(|e| panic!("{service} {op} failed in set-up: {e:?}"))
}

pub fn request(step: Value, captures: CaptureTable, poll: Option<PollState>) -> ProviderRequest {
    ProviderRequest {
        protocol: Some(vigil_protocol::PROTOCOL_VERSION),
        step: step.to_string(),
        params: Default::default(),
        captures,
        poll,
        max_response_bytes: None,
        retry_count: 0,
    }
}

/// What the stub server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn after(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers with a handler and
/// records every request; stopped when dropped.
pub struct Stub {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Stub {
    pub async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Handler = Arc::new(handler);
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    let reply = handler(&req);
                    log.lock().unwrap().push(req);
                    tokio::time::sleep(reply.delay).await;
                    let mut out = format!(
                        "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (k, v) in &reply.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    out.push_str(&reply.body);
                    let _ = sock.write_all(out.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Stub { url, seen, task }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

/// Kills a child process when the test ends, however it ends.
#[derive(Debug)]
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a server process on `ports` fresh loopback ports (`command`
/// builds it from them) and waits until it listens on every one.
///
/// A port `free_port` found free can be taken by another test's process or
/// connection before the child binds it; the child then exits. So a child
/// that exits before it listens is started again on new ports (three tries),
/// and the last try's stderr is in the panic message, never lost. Once the
/// child listens, its stderr file is unlinked (the child keeps writing to
/// it; nothing is left behind).
pub async fn start_listening(
    what: &str,
    ports: usize,
    command: impl Fn(&[u16]) -> Command,
) -> (Guard, Vec<u16>) {
    static LOGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut last_exit = String::new();
    for _ in 0..3 {
        let ports: Vec<u16> = (0..ports).map(|_| free_port()).collect();
        let n = LOGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = std::env::temp_dir().join(format!("vigil-child-{}-{n}.log", std::process::id()));
        let file = std::fs::File::create(&log).expect("a stderr file in the temp dir");
        let mut child = Guard(
            command(&ports)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(file)
                .spawn()
                .unwrap_or_else(|e| panic!("{what} does not start: {e}")),
        );
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.0.try_wait() {
                let stderr = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: String = stderr
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                last_exit =
                    format!("{what} exited ({status}) before it listened on {ports:?}:\n{tail}");
                break;
            }
            let mut listening = true;
            for port in &ports {
                if tokio::net::TcpStream::connect(("127.0.0.1", *port))
                    .await
                    .is_err()
                {
                    listening = false;
                    break;
                }
            }
            if listening {
                let _ = std::fs::remove_file(&log);
                return (child, ports);
            }
            if started.elapsed() > Duration::from_secs(90) {
                let stderr = std::fs::read_to_string(&log).unwrap_or_default();
                let _ = std::fs::remove_file(&log);
                panic!("{what} did not listen on {ports:?} within 90 s; its stderr:\n{stderr}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = std::fs::remove_file(&log);
    }
    panic!("{last_exit}")
}

/// Starts a server that binds its own ports (port 0) and says so in one
/// line on stdout, `<what-ready> name=PORT ...`; its guard and the ports by
/// name, once it said it. A server that dies first, or says nothing within
/// 90 s, fails the test with its stderr. Servers that pick their own ports
/// cannot race concurrent tests for one, as ports picked beforehand can.
pub fn start_announcing(what: &str, mut command: Command) -> (Guard, Vec<(String, u16)>) {
    use std::io::BufRead;
    static LOGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = LOGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = std::env::temp_dir().join(format!("vigil-server-{}-{n}.log", std::process::id()));
    let mut child = Guard(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a stderr file in the temp dir"))
            .spawn()
            .unwrap_or_else(|e| panic!("{what} does not start: {e}")),
    );
    let stdout = child.0.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(90)).unwrap_or_default();
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let ports: Vec<(String, u16)> = line
        .split_whitespace()
        .filter_map(|w| {
            let (name, port) = w.split_once('=')?;
            Some((name.to_owned(), port.parse().ok()?))
        })
        .collect();
    if !line.contains(" ready ") || ports.is_empty() {
        panic!("{what} did not get ready (it said {line:?}); its stderr:\n{stderr}");
    }
    (child, ports)
}

/// The URL of the port named `name` in what a server announced.
fn announced(ports: &[(String, u16)], name: &str) -> String {
    let port = ports
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} port in {ports:?}"))
        .1;
    format!("http://127.0.0.1:{port}")
}

/// The moto launcher (`tests/support/moto_sfn.py`: Step Functions
/// executions on, its Lambda proxy routing invokes to `lambda_url`, moto's
/// patches applied), with `env` (e.g. `VIGIL_MOTO_UNPATCHED`). Its guard,
/// moto's URL and the proxy's URL.
pub fn start_launcher(lambda_url: &str, env: &[(&str, &str)]) -> (Guard, String, String) {
    let mut command = Command::new(venv().join("bin/python"));
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/support/moto_sfn.py"
        ))
        .args(["0", "0", lambda_url, "_"])
        .envs(env.iter().copied());
    let (guard, ports) = start_announcing("the moto launcher", command);
    (guard, announced(&ports, "moto"), announced(&ports, "proxy"))
}

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
/// `<target>/lambda/bootstrap/bootstrap.zip` (CARGO_TARGET_TMPDIR is
/// `<target>/tmp`), or `VIGIL_BOOTSTRAP_ZIP`.
pub fn bootstrap_zip(target_tmpdir: &str) -> PathBuf {
    let zip = std::env::var_os("VIGIL_BOOTSTRAP_ZIP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(target_tmpdir)
                .parent()
                .expect("a target dir")
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

/// The `Tasks` table (hash key `task_id`) most tests use.
pub async fn create_tasks_table(client: &AwsClient) {
    aws(
        client,
        "dynamodb",
        "CreateTable",
        serde_json::json!({
            "TableName": "Tasks", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "task_id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "task_id", "KeyType": "HASH"}]
        }),
    )
    .await;
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

/// A bucket's versioning status as moto answers GetBucketVersioning.
/// moto 5.2.5 names the answer's root `GetBucketVersioningResponse`, not
/// S3's `VersioningConfiguration`, which the Rust SDK refuses to read; the
/// status is read from the text instead (only tests ask).
pub async fn bucket_versioning(endpoint: &str, bucket: &str) -> Option<String> {
    let xml = reqwest::Client::new()
        .get(format!("{endpoint}/{bucket}?versioning"))
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let status = xml.split_once("<Status>")?.1.split_once("</Status>")?.0;
    Some(status.to_owned())
}

/// An AWS SDK configuration for moto at `endpoint` (us-east-1, test
/// credentials), for the SDK clients tests use to set things up.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(test_credentials())
        .load()
        .await
}

/// moto with the `Tasks` table, a client for set-up, and a provider on the
/// real clock with no sealing key.
pub async fn tasks_on_moto() -> (Moto, AwsClient, Provider) {
    let moto = Moto::start().await;
    let c = aws_client(&moto.url);
    let p = provider(
        &moto.url,
        &moto.url,
        Arc::new(assertion_provider::clock::SystemClock),
        KeySource::Unconfigured,
        Duration::from_secs(10),
    );
    create_tasks_table(&c).await;
    (moto, c, p)
}
