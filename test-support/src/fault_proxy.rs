//! A loopback HTTP proxy that injects faults between the provider and a
//! service (moto, a stand-in HTTP server) at controlled rates, and counts
//! what it injected, so a test can hold the provider's reports to account:
//! every fault that cost an attempt must show up as a transient error.
//!
//! Each request is either forwarded faithfully or given one fault, drawn
//! from a seeded generator: requests of one run are sequential, so the same
//! seed gives the same faults in the same order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::stub::{Seen, read_request};

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// HTTP 429 with an AWS `ThrottlingException` body.
    Throttle429,
    /// HTTP 400 with `ThrottlingException` (how DynamoDB and most JSON
    /// services throttle): only an AWS client can tell it from a real 400.
    ThrottleException400,
    /// HTTP 500 `InternalFailure`.
    Error500,
    /// HTTP 503 `ServiceUnavailable`.
    Error503,
    /// The real answer, but late (under the client's timeout): not a fault
    /// the client sees, and must not be counted as one.
    Slow,
    /// No answer until long after the client's timeout.
    Timeout,
    /// The connection is reset (RST) without an answer.
    Reset,
    /// The real status and headers, then half the body and a close.
    Truncated,
}

impl Fault {
    /// Whether the client must see this fault as a failed attempt.
    pub fn costs_an_attempt(self) -> bool {
        self != Fault::Slow
    }
}

/// What to inject, how often, and how long "slow" and "timeout" last.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// (fault, probability per request); the rest is forwarded faithfully.
    pub rates: Vec<(Fault, f64)>,
    /// Seed of the generator: the same seed gives the same faults.
    pub seed: u64,
    /// Delay of a slow answer (keep it under the client's timeout).
    pub slow: Duration,
    /// How long a timeout holds the connection (keep it over the client's
    /// timeout).
    pub hang: Duration,
}

/// The proxy; stops when dropped.
pub struct FaultProxy {
    /// Where to send requests instead of the upstream.
    pub url: String,
    injected: Arc<Mutex<BTreeMap<Fault, u32>>>,
    forwarded: Arc<AtomicU32>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// A proxy in front of `upstream` that follows `plan`.
    pub async fn start(upstream: &str, plan: FaultPlan) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let injected: Arc<Mutex<BTreeMap<Fault, u32>>> = Arc::default();
        let forwarded = Arc::new(AtomicU32::new(0));
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(plan.seed)));
        // No pooled connections upstream: a stand-in that closes after each
        // answer would otherwise fail a reused connection now and then, and
        // the proxy would report faults it did not inject.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let plan = Arc::new(plan);
        let (counts, passed) = (injected.clone(), forwarded.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let Some(req) = read_request(&mut sock).await else {
                    continue;
                };
                // Drawn in arrival order, before any await that could let
                // another request of the same run overtake this one.
                let fault = {
                    let mut rng = rng.lock().unwrap();
                    let roll: f64 = rng.random();
                    let mut acc = 0.0;
                    plan.rates
                        .iter()
                        .find(|(_, p)| {
                            acc += p;
                            roll < acc
                        })
                        .map(|(f, _)| *f)
                };
                match fault {
                    Some(f) => *counts.lock().unwrap().entry(f).or_default() += 1,
                    None => {
                        passed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let (client, upstream, plan) = (client.clone(), upstream.clone(), plan.clone());
                tokio::spawn(async move {
                    serve(sock, req, fault, &client, &upstream, &plan).await;
                });
            }
        });
        FaultProxy {
            url,
            injected,
            forwarded,
            task,
        }
    }

    /// Faults injected so far, by kind.
    pub fn injected(&self) -> BTreeMap<Fault, u32> {
        self.injected.lock().unwrap().clone()
    }

    /// Faults injected so far that a client must have seen as failures.
    pub fn attempt_costing(&self) -> u32 {
        self.injected()
            .iter()
            .filter(|(f, _)| f.costs_an_attempt())
            .map(|(_, n)| n)
            .sum()
    }

    /// Requests forwarded without a fault.
    pub fn forwarded(&self) -> u32 {
        self.forwarded.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Upstream {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn forward(client: &reqwest::Client, upstream: &str, req: &Seen) -> Option<Upstream> {
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).ok()?;
    let mut rb = client.request(method, format!("{upstream}{}", req.path));
    for (k, v) in &req.headers {
        if !["host", "content-length", "connection"].contains(&k.to_ascii_lowercase().as_str()) {
            rb = rb.header(k, v);
        }
    }
    let resp = rb.body(req.body.clone()).send().await.ok()?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter(|(k, _)| {
            !["content-length", "transfer-encoding", "connection"].contains(&k.as_str())
        })
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = resp.bytes().await.ok()?.to_vec();
    Some(Upstream {
        status,
        headers,
        body,
    })
}

fn head(status: u16, headers: &[(String, String)], length: usize) -> Vec<u8> {
    let mut out =
        format!("HTTP/1.1 {status} Injected\r\ncontent-length: {length}\r\nconnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

async fn answer(sock: &mut TcpStream, status: u16, headers: &[(String, String)], body: &[u8]) {
    let mut bytes = head(status, headers, body.len());
    bytes.extend_from_slice(body);
    let _ = sock.write_all(&bytes).await;
    let _ = sock.shutdown().await;
}

async fn aws_error(sock: &mut TcpStream, status: u16, code: &str) {
    let body = serde_json::json!({"__type": code, "message": format!("{code} (injected)")});
    let headers = vec![
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.0".to_owned(),
        ),
        ("x-amzn-errortype".to_owned(), code.to_owned()),
    ];
    answer(sock, status, &headers, body.to_string().as_bytes()).await;
}

/// Closes with RST instead of FIN. (tokio deprecates `set_linger` because
/// a positive linger blocks the thread on drop; a zero linger never does.)
#[allow(deprecated)]
fn reset(sock: TcpStream) {
    let _ = sock.set_linger(Some(Duration::ZERO));
    drop(sock);
}

async fn serve(
    mut sock: TcpStream,
    req: Seen,
    fault: Option<Fault>,
    client: &reqwest::Client,
    upstream: &str,
    plan: &FaultPlan,
) {
    match fault {
        Some(Fault::Throttle429) => aws_error(&mut sock, 429, "ThrottlingException").await,
        Some(Fault::ThrottleException400) => aws_error(&mut sock, 400, "ThrottlingException").await,
        Some(Fault::Error500) => aws_error(&mut sock, 500, "InternalFailure").await,
        Some(Fault::Error503) => aws_error(&mut sock, 503, "ServiceUnavailable").await,
        Some(Fault::Timeout) => {
            tokio::time::sleep(plan.hang).await;
        }
        Some(Fault::Reset) => {
            reset(sock);
        }
        Some(Fault::Truncated) => match forward(client, upstream, &req).await {
            Some(up) => {
                let mut bytes = head(up.status, &up.headers, up.body.len().max(2));
                bytes.extend_from_slice(&up.body[..up.body.len() / 2]);
                let _ = sock.write_all(&bytes).await;
                reset(sock);
            }
            None => reset(sock),
        },
        Some(Fault::Slow) | None => {
            if fault == Some(Fault::Slow) {
                tokio::time::sleep(plan.slow).await;
            }
            match forward(client, upstream, &req).await {
                Some(up) => answer(&mut sock, up.status, &up.headers, &up.body).await,
                // The upstream itself failed: say so as a gateway would,
                // so the test sees it (and does not count it as injected).
                None => answer(&mut sock, 502, &[], b"upstream unreachable").await,
            }
        }
    }
}
