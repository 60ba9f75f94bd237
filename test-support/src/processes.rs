//! Processes a test starts and always stops: a guard that kills on drop,
//! and two ways to start a server without racing other tests for a port
//! (let it announce the ports it bound, or retry on fresh ones).

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A directory a test made, removed with everything in it when dropped.
/// Declare it after the guards of processes that use it: fields drop in
/// order, so the processes stop first.
#[derive(Debug)]
pub struct ScratchDir(pub std::path::PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
pub fn announced(ports: &[(String, u16)], name: &str) -> String {
    let port = ports
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} port in {ports:?}"))
        .1;
    format!("http://127.0.0.1:{port}")
}
