//! How much memory the provider needs for a large answer: one step (an
//! HTTP GET of a DynamoDB-Query-shaped body, `arrayWith` over its items)
//! run by the real provider, the answer served from a separate process so
//! only the provider's memory is counted. Prints the peak resident set
//! (VmHWM) for each answer size, and shows that past the ceiling
//! (`VIGIL_MAX_ANSWER_BYTES`, 16 MiB by default) memory stays flat because
//! the answer is refused, not read.
//!
//! `cargo run --release -p assertion-provider --example answer_memory -- [--json] [MB ...]`

use vigil_test_support as support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use assertion_provider::clock::SystemClock;
use assertion_provider::sealing::KeySource;
use serde_json::json;
use support::{provider, request};
use vigil_protocol::{CaptureTable, StepOutcome};

/// The DynamoDB-Query-shaped body of about `bytes`, the last item COMPLETED.
fn body(bytes: usize) -> Vec<u8> {
    let item = |i: usize, status: &str| {
        json!({"task_id": {"S": format!("t-{i:07}")}, "status": {"S": status},
               "description": {"S": "x".repeat(400)}, "turns": {"N": (i % 500).to_string()}})
        .to_string()
    };
    let per = item(0, "RUNNING").len() + 1;
    let n = (bytes / per).max(1);
    let mut out = String::with_capacity(bytes + 1024);
    out.push_str(&format!("{{\"Count\":{n},\"Items\":["));
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item(i, if i == n - 1 { "COMPLETED" } else { "RUNNING" }));
    }
    out.push_str("]}");
    out.into_bytes()
}

/// `--serve BYTES`: answer every connection with the body, on a port
/// printed to stdout, until stdin closes.
fn serve(bytes: usize) {
    let body = body(bytes);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    for sock in listener.incoming() {
        let Ok(mut sock) = sock else { continue };
        let mut head = [0u8; 4096];
        let _ = sock.read(&mut head);
        let _ = write!(
            sock,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = sock.write_all(&body);
    }
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// `--measure BYTES`: one provider, one step, in this process; prints a
/// JSON line.
async fn measure(bytes: usize) {
    let mut server = Command::new(std::env::current_exe().unwrap())
        .args(["--serve", &bytes.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(server.stdout.as_mut().unwrap())
        .read_line(&mut port)
        .unwrap();
    let url = format!("http://127.0.0.1:{}/", port.trim());
    let p = provider(
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        Arc::new(SystemClock),
        KeySource::Unconfigured,
        Duration::from_secs(120),
    );
    let before = status_kb("VmRSS:");
    let step = json!({"id": "big", "call": {"kind": "http", "url": url}, "select": "$.body.Items",
        "expect": {"arrayWith": [{"objectLike": {"status": {"objectLike": {"S": {"exact": "COMPLETED"}}}}}]}});
    let r = p
        .handle(request(step, CaptureTable::default(), None), None)
        .await;
    let outcome = match &r.report.outcome {
        StepOutcome::Matched => "matched".to_owned(),
        StepOutcome::Mismatched { .. } => "mismatched".to_owned(),
        StepOutcome::Error { error } => error.code.clone().unwrap_or_else(|| "error".into()),
    };
    println!(
        "{}",
        json!({"answer_bytes": bytes, "outcome": outcome, "rss_before_kb": before,
               "peak_rss_kb": status_kb("VmHWM:")})
    );
    drop(server.stdin.take());
    let _ = server.wait();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(0);
    match args.first().map(String::as_str) {
        Some("--serve") => return serve(number(1)),
        Some("--measure") => {
            return tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(measure(number(1)));
        }
        _ => {}
    }
    let json_out = args.iter().any(|a| a == "--json");
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![1, 5, 10, 15, 100];
    }
    // Each size in a fresh process: a peak is a process's high-water mark.
    let rows: Vec<serde_json::Value> = sizes
        .iter()
        .map(|mb| {
            let out = Command::new(std::env::current_exe().unwrap())
                .args(["--measure", &(mb * 1024 * 1024).to_string()])
                .output()
                .unwrap();
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
                panic!(
                    "{mb} MB: no measurement: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
        })
        .collect();
    if json_out {
        println!("{}", serde_json::Value::Array(rows));
        return;
    }
    println!("| answer | outcome | peak RSS |\n|---|---|---|");
    for r in rows {
        println!(
            "| {:.0} MB | {} | {:.1} MB |",
            r["answer_bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
            r["outcome"].as_str().unwrap_or("?"),
            r["peak_rss_kb"].as_f64().unwrap_or(0.0) / 1024.0
        );
    }
}
