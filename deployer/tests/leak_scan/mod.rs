//! Secret-leak scan: none of the secrets a task-lifecycle run handled may
//! appear anywhere vigil writes.
//!
//! examples/agent-stack/demo.py runs the suite and, with `--dump-dir`,
//! keeps what a leak could hide in: every execution's full history and
//! description, the provider's and `cargo lambda watch`'s logs, the
//! synthesized stack; the test keeps the CLI's output, the JSON report, the
//! JUnit file and the GitHub step summary.
//!
//! The secrets come from the other side of each boundary, never from vigil:
//! every `Authorization` and `X-API-Key` value the API Gateway stand-in
//! received (the Cognito ID tokens the provider minted, the API key sent as
//! a header), every API key the Task API issued (the plain value of the
//! suite's secret capture) and the GitHub token the harness seeded
//! (`credentials.tsv`); and every password and secret string moto was sent
//! (`AdminSetUserPassword`'s `Password`: the users' passwords the suite
//! generated and captured secret; `PutSecretValue`'s `SecretString`: the
//! token the suite copied) from moto's request recording. Each is searched
//! plain, base64 (standard and URL-safe, at all three alignments, so it is
//! found inside the base64 of any longer text such as `Bearer <token>` or a
//! whole request) and URL-encoded. The scan must find nothing; that it can
//! find something is checked too: each source must be non-empty, the
//! credentials must have been recorded, and every form of every needle must
//! be found where it was planted.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

// ---- encodings -------------------------------------------------------------

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 without padding (written here so the scan depends on nothing it
/// tests).
fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// What base64 of any text containing `value` contains, whatever the
/// value's offset: for each alignment (0, 1 or 2 bytes before it), the
/// characters that depend on the value's bytes alone.
fn base64_cores(value: &str, alphabet: &[u8; 64]) -> Vec<String> {
    (0..3usize)
        .map(|k| {
            let mut bytes = vec![0u8; k];
            bytes.extend_from_slice(value.as_bytes());
            let text = base64(&bytes, alphabet);
            let start = (k * 8).div_ceil(6);
            let end = bytes.len() * 8 / 6;
            text[start..end].to_owned()
        })
        .collect()
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
fn url_encoded(value: &str, space_as_plus: bool) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' if space_as_plus => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// One secret in one form.
#[derive(Debug, Clone)]
struct Needle {
    /// What the secret is (`password of alice`, `ID token #2`, ...).
    secret: String,
    /// `plain`, `base64`, `base64url`, `url-encoded`, ...
    form: &'static str,
    text: String,
}

/// Every form of a secret, without duplicates.
fn forms(secret: &str, value: &str) -> Vec<Needle> {
    let mut out: Vec<Needle> = Vec::new();
    let mut add = |form: &'static str, text: String| match out.iter_mut().find(|n| n.text == text) {
        // Base64 of text without `>`, `?`, `~` has no `+` or `/`: both
        // alphabets give the same string, searched once.
        Some(n) if n.form == "base64" && form == "base64url" => n.form = "base64 = base64url",
        Some(_) => {}
        None => out.push(Needle {
            secret: secret.to_owned(),
            form,
            text,
        }),
    };
    add("plain", value.to_owned());
    for core in base64_cores(value, STANDARD) {
        add("base64", core);
    }
    for core in base64_cores(value, URL_SAFE) {
        add("base64url", core);
    }
    add("url-encoded", url_encoded(value, false));
    add("url-encoded (lower-case hex)", {
        let upper = url_encoded(value, false);
        let mut lower = String::new();
        let mut rest = upper.as_str();
        while let Some(i) = rest.find('%') {
            lower.push_str(&rest[..i]);
            lower.push('%');
            lower.push_str(&rest[i + 1..i + 3].to_ascii_lowercase());
            rest = &rest[i + 3..];
        }
        lower.push_str(rest);
        lower
    });
    add("form-encoded", url_encoded(value, true));
    out
}

// ---- the secrets -----------------------------------------------------------

/// What the API Gateway stand-in recorded (`<kind>\t<value>` lines).
fn recorded_credentials(dump: &Path) -> Vec<(String, String)> {
    let path = dump.join("credentials.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (did the harness record?)", path.display()));
    text.lines()
        .map(|l| {
            let (kind, value) = l.split_once('\t').expect("kind<TAB>value");
            (kind.to_owned(), value.to_owned())
        })
        .collect()
}

/// Passwords and secret strings moto was sent, from its request recording
/// (`moto-requests.jsonl`: one JSON request per line, the body base64).
fn sent_to_moto(dump: &Path) -> Vec<(String, String)> {
    let path = dump.join("moto-requests.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (did moto record?)", path.display()));
    let mut out = Vec::new();
    for line in text.lines() {
        let request: Value = serde_json::from_str(line).unwrap();
        let target = request["headers"]["X-Amz-Target"].as_str().unwrap_or("");
        let body = request["body"].as_str().unwrap_or("");
        let body = if request["body_encoded"] == true {
            decode_base64(body)
        } else {
            body.as_bytes().to_vec()
        };
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            continue;
        };
        if target.ends_with(".AdminSetUserPassword") {
            let user = body["Username"].as_str().unwrap_or("?");
            out.push((
                format!("password of {user}"),
                body["Password"].as_str().unwrap().to_owned(),
            ));
        } else if target == "secretsmanager.PutSecretValue"
            && let Some(secret) = body["SecretString"].as_str()
        {
            out.push((
                "a secret string put into Secrets Manager".into(),
                secret.to_owned(),
            ));
        }
    }
    out
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| STANDARD.iter().position(|&a| a == c).map(|p| p as u32);
    let digits: Vec<u32> = text.bytes().filter_map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | d << (18 - 6 * i));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// Every secret of a run, named, each value once.
pub(crate) fn secrets(dump: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let recorded = recorded_credentials(dump);
    let moto = sent_to_moto(dump);
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (kind, value) in recorded.iter().chain(&moto) {
        if out.iter().any(|(_, v)| v == value) {
            continue;
        }
        let n = count.entry(kind.as_str()).or_default();
        *n += 1;
        let name = match kind.as_str() {
            "authorization" => format!("Cognito ID token #{n}"),
            "x-api-key" => format!("X-API-Key #{n}"),
            "issued-api-key" => format!("API key issued (secret capture) #{n}"),
            "github-token" => "GitHub token (pre-seeded PAT)".to_owned(),
            other => other.to_owned(),
        };
        out.push((name.clone(), value.clone()));
        // A token cut short (a truncated preview) still leaks its
        // signature or claims: each part is a needle of its own.
        if kind == "authorization" && value.starts_with("eyJ") {
            let parts: Vec<&str> = value.split('.').collect();
            assert_eq!(parts.len(), 3, "a JWT: {value}");
            out.push((format!("{name}, claims part"), parts[1].to_owned()));
            out.push((format!("{name}, signature part"), parts[2].to_owned()));
        }
    }
    // Positive control: the run really sent, issued and set credentials.
    let kinds = |k: &str| recorded.iter().filter(|(kind, _)| kind == k).count();
    assert!(
        recorded
            .iter()
            .any(|(k, v)| k == "authorization" && v.starts_with("eyJ")),
        "no Cognito ID token reached the Task API: {recorded:?}"
    );
    assert!(
        kinds("issued-api-key") >= 1,
        "no API key issued: {recorded:?}"
    );
    assert!(kinds("github-token") == 1, "no GitHub token: {recorded:?}");
    let passwords: std::collections::BTreeSet<&str> = moto
        .iter()
        .filter(|(k, _)| k.starts_with("password of"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(
        passwords.len() >= 4,
        "each scenario sets its users' own password: {moto:?}"
    );
    for value in out.iter().map(|(_, v)| v) {
        // The needles are searched in JSON text as they are: nothing in
        // them may be escaped there.
        assert!(
            value.len() >= 8
                && value.chars().all(|c| c.is_ascii_graphic() || c == ' ')
                && !value.contains(['"', '\\']),
            "needle {value:?} would be escaped in JSON or is too short to mean anything"
        );
    }
    out
}

/// What one run left to scan.
pub(crate) struct Run<'a> {
    /// What the run was, for the table.
    pub label: &'a str,
    /// Its exit status.
    pub code: i32,
    /// vigil's stdout and stderr.
    pub output: &'a str,
    /// The directory with report.json, junit.xml, step-summary.md and dump/.
    pub dir: &'a Path,
    /// How long it took.
    pub seconds: f64,
}

impl Run<'_> {
    fn dump(&self) -> PathBuf {
        self.dir.join("dump")
    }
}

// ---- scanning --------------------------------------------------------------

/// Text that must not hold a secret, with how much was read.
struct Source {
    name: &'static str,
    files: usize,
    events: usize,
    text: String,
}

fn read(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What a run left to scan. `deployed`: the state machine ran (histories,
/// the provider's own process, a synthesized stack).
fn sources(run: &Run<'_>, deployed: bool) -> Vec<Source> {
    let dump = run.dump();
    let one = |name: &'static str, path: PathBuf| Source {
        name,
        files: 1,
        events: 0,
        text: read(&path),
    };
    let mut out = vec![
        Source {
            name: "CLI stdout+stderr",
            files: 1,
            events: 0,
            text: run.output.to_owned(),
        },
        one("JSON report", run.dir.join("report.json")),
        one("JUnit XML", run.dir.join("junit.xml")),
        one("GitHub step summary", run.dir.join("step-summary.md")),
    ];
    if !deployed {
        return out;
    }
    // Every execution: the full history (each event's input, output and
    // details) and DescribeExecution (input, output, error, cause).
    let mut history = Source {
        name: "execution history",
        files: 0,
        events: 0,
        text: String::new(),
    };
    let mut described = Source {
        name: "execution input/output",
        files: 0,
        events: 0,
        text: String::new(),
    };
    let executions = dump.join("executions");
    for entry in
        std::fs::read_dir(&executions).unwrap_or_else(|e| panic!("{}: {e}", executions.display()))
    {
        let record: Value = serde_json::from_str(&read(&entry.unwrap().path())).unwrap();
        let events = record["history"].as_array().expect("history events");
        history.files += 1;
        history.events += events.len();
        history.text.push_str(&record["history"].to_string());
        described.files += 1;
        described.text.push_str(&record["describe"].to_string());
    }
    out.push(history);
    out.push(described);
    out.push(one("provider log", dump.join("logs/provider.log")));
    out.push(one(
        "cargo lambda watch log",
        dump.join("logs/cargo-lambda-watch.log"),
    ));
    let mut stack = Source {
        name: "synthesized stack",
        files: 0,
        events: 0,
        text: String::new(),
    };
    for entry in std::fs::read_dir(dump.join("out")).unwrap() {
        stack.text.push_str(&read(&entry.unwrap().path()));
        stack.files += 1;
    }
    out.push(stack);
    out
}

/// Where each needle occurs in `text`.
fn hits<'a>(text: &str, needles: &'a [Needle]) -> Vec<(&'a Needle, usize)> {
    let mut out = Vec::new();
    for n in needles {
        for (at, _) in text.match_indices(n.text.as_str()) {
            out.push((n, at));
        }
    }
    out
}

/// Scans a run's sources for every form of every secret, prints what was
/// read, and fails on any hit.
pub(crate) fn scan(run: &Run<'_>, deployed: bool) {
    let dump = run.dump();
    let secrets = secrets(&dump);
    let needles: Vec<Needle> = secrets.iter().flat_map(|(s, v)| forms(s, v)).collect();

    // The scanner finds every form where it was planted, at every offset.
    for n in &needles {
        for pad in ["", "x", "xy"] {
            let planted = format!("{pad}…{}…", n.text);
            assert_eq!(hits(&planted, std::slice::from_ref(n)).len(), 1, "{n:?}");
        }
    }
    for (name, value) in &secrets {
        for wrapped in [
            value.clone(),
            format!("Bearer {value}"),
            format!("{{\"password\": \"{value}\"}}"),
        ] {
            for pad in ["", "a", "ab"] {
                let plain = format!("{pad}{wrapped}!");
                let encoded = [
                    base64(plain.as_bytes(), STANDARD),
                    base64(plain.as_bytes(), URL_SAFE),
                    url_encoded(&plain, false),
                ];
                for e in encoded {
                    assert!(
                        !hits(&e, &needles).is_empty(),
                        "the {name} inside {e} is not found"
                    );
                }
            }
        }
    }
    // ... and where they were recorded: the API's credentials plain in
    // credentials.tsv, the passwords in moto's recording (in its base64).
    let found_in = |file: &str, forms: &dyn Fn(&Needle) -> bool| {
        let text = read(&dump.join(file));
        let wanted: Vec<Needle> = needles.iter().filter(|n| forms(n)).cloned().collect();
        hits(&text, &wanted)
            .into_iter()
            .map(|(n, _)| n.secret.clone())
            .collect::<std::collections::BTreeSet<String>>()
    };
    let in_tsv = found_in("credentials.tsv", &|n| n.form == "plain");
    let in_moto = found_in("moto-requests.jsonl", &|_| true);
    for (name, _) in &secrets {
        let (file, found) = if name.starts_with("password of") {
            ("moto-requests.jsonl", &in_moto)
        } else {
            ("credentials.tsv", &in_tsv)
        };
        assert!(found.contains(name), "{name} not found in {file}");
    }

    let sources = sources(run, deployed);
    let mut by_form: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &needles {
        *by_form.entry(n.form).or_default() += 1;
    }
    let by_form: Vec<String> = by_form.iter().map(|(f, n)| format!("{f} {n}")).collect();
    let mut table = format!(
        "\n{} ({} s, exit {}): {} secrets, {} needles ({})\n\
         | source | files | bytes | history events | hits |\n|---|---|---|---|---|\n",
        run.label,
        run.seconds.round(),
        run.code,
        secrets.len(),
        needles.len(),
        by_form.join(", ")
    );
    let mut found = Vec::new();
    for s in &sources {
        assert!(
            !s.text.trim().is_empty(),
            "{}: {} is empty",
            run.label,
            s.name
        );
        let h = hits(&s.text, &needles);
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {} |",
            s.name,
            s.files,
            s.text.len(),
            s.events,
            h.len()
        );
        for (n, at) in h {
            let from = s.text.floor_char_boundary(at.saturating_sub(80));
            let to = s
                .text
                .ceil_char_boundary((at + n.text.len() + 80).min(s.text.len()));
            found.push(format!(
                "{}: {} ({}) at byte {at}: …{}…",
                s.name,
                n.secret,
                n.form,
                s.text[from..to].replace(&n.text, &format!("<<{}>>", n.secret))
            ));
        }
    }
    println!("{table}");
    assert!(
        found.is_empty(),
        "{}: {} secret(s) leaked:\n{}",
        run.label,
        found.len(),
        found.join("\n")
    );
}
