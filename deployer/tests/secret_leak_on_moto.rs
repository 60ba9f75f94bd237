//! Secret-leak scan: the task-lifecycle suite runs end to end with known
//! secrets, and none of them may appear anywhere vigil writes.
//!
//! examples/agent-stack/demo.py runs the suite (through the deployed state
//! machine, and with `vigil local`; passing, and with expectations flipped
//! so that steps fail) and, with `--dump-dir`, keeps what a leak could hide
//! in: every execution's full history and description, the provider's and
//! `cargo lambda watch`'s logs, the synthesized stack; the test keeps the
//! CLI's output, the JSON report, the JUnit file and the GitHub step summary.
//!
//! The secrets: the Cognito users' passwords (read from demo.py), every
//! `Authorization` and `X-Api-Key` value the Task API stand-in received
//! (the ID tokens the provider minted, the API key sent as a header and as
//! `Bearer`), and every API key it issued (the plain value of the suite's
//! secret capture). Each is searched plain, base64 (standard and URL-safe,
//! at all three alignments, so it is found inside the base64 of any longer
//! text such as `Bearer <token>` or a whole request) and URL-encoded. The
//! scan must find nothing; that it can find something is checked too: each
//! source must be non-empty, the stand-in must have recorded the
//! credentials, and every form of every needle must be found where it was
//! planted.

#[path = "../../assertion-provider/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;
use support::{bootstrap_zip, venv};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

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

/// The Cognito users' passwords, read from demo.py (`USERS = {...}`) so the
/// scan follows the demo if its test users change.
fn demo_passwords() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("examples/agent-stack/demo.py")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("USERS = {"))
        .expect("demo.py defines USERS = {user: password, ...}");
    let body = line
        .trim_start_matches("USERS = {")
        .trim_end_matches('}')
        .to_owned();
    let users: Vec<(String, String)> = body
        .split(", ")
        .map(|pair| {
            let (user, password) = pair.split_once(": ").expect("\"user\": \"password\"");
            (
                user.trim_matches('"').to_owned(),
                password.trim_matches('"').to_owned(),
            )
        })
        .collect();
    assert!(users.len() >= 2, "demo.py's USERS: {users:?}");
    users
}

/// What the Task API stand-in recorded (`<kind>\t<value>` lines).
fn recorded_credentials(dump: &Path) -> Vec<(String, String)> {
    let path = dump.join("credentials.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (did the stand-in record?)", path.display()));
    text.lines()
        .map(|l| {
            let (kind, value) = l.split_once('\t').expect("kind<TAB>value");
            (kind.to_owned(), value.to_owned())
        })
        .collect()
}

/// Every secret of a run, named, each value once.
fn secrets(dump: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = demo_passwords()
        .into_iter()
        .map(|(user, password)| (format!("password of {user}"), password))
        .collect();
    let recorded = recorded_credentials(dump);
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (kind, value) in &recorded {
        if out.iter().any(|(_, v)| v == value) {
            continue;
        }
        let n = count.entry(kind.as_str()).or_default();
        *n += 1;
        let name = match kind.as_str() {
            "authorization" if value.starts_with("Bearer ") => {
                format!("Authorization: Bearer <API key> #{n}")
            }
            "authorization" => format!("Cognito ID token #{n}"),
            "x-api-key" => format!("X-Api-Key #{n}"),
            "issued-api-key" => format!("API key issued (secret capture) #{n}"),
            other => panic!("unknown credential kind {other}"),
        };
        out.push((name.clone(), value.clone()));
        // A token cut short (a truncated preview) still leaks its
        // signature or claims: each part is a needle of its own.
        if kind == "authorization" && !value.starts_with("Bearer ") {
            let parts: Vec<&str> = value.split('.').collect();
            assert_eq!(parts.len(), 3, "a JWT: {value}");
            out.push((format!("{name}, claims part"), parts[1].to_owned()));
            out.push((format!("{name}, signature part"), parts[2].to_owned()));
        }
    }
    // Positive control: the run really sent and issued credentials.
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
    for value in out.iter().map(|(_, v)| v) {
        // The needles are searched in JSON text as they are: nothing in
        // them is escaped there.
        assert!(
            value.len() >= 8
                && value.chars().all(|c| c.is_ascii_graphic() || c == ' ')
                && !value.contains(['"', '\\']),
            "needle {value:?} would be escaped in JSON or is too short to mean anything"
        );
    }
    out
}

// ---- running the demo ------------------------------------------------------

/// One run of demo.py and what it left.
struct Run {
    label: &'static str,
    code: i32,
    output: String,
    dir: PathBuf,
    seconds: f64,
}

impl Run {
    fn dump(&self) -> PathBuf {
        self.dir.join("dump")
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn demo(label: &'static str, flags: &[&str]) -> Run {
    let dir = std::env::temp_dir().join(format!("vigil-leak-{}-{label}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    let zip = bootstrap_zip(env!("CARGO_TARGET_TMPDIR"));
    let started = Instant::now();
    let out = Command::new(venv().join("bin/python"))
        .arg(root().join("examples/agent-stack/demo.py"))
        .args(flags)
        .args(["--vigil", env!("CARGO_BIN_EXE_vigil")])
        .arg("--artifact")
        .arg(&zip)
        .arg("--json")
        .arg(dir.join("report.json"))
        .arg("--junit")
        .arg(dir.join("junit.xml"))
        .arg("--dump-dir")
        .arg(dir.join("dump"))
        .env("GITHUB_STEP_SUMMARY", dir.join("step-summary.md"))
        .output()
        .unwrap();
    Run {
        label,
        code: out.status.code().unwrap_or(-1),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        dir,
        seconds: started.elapsed().as_secs_f64(),
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
fn sources(run: &Run, deployed: bool) -> Vec<Source> {
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
            text: run.output.clone(),
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
fn scan(run: &Run, deployed: bool) {
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
    // ... and in the file the stand-in wrote: every recorded value, plain.
    let recorded = read(&dump.join("credentials.tsv"));
    let plain: Vec<Needle> = needles
        .iter()
        .filter(|n| n.form == "plain")
        .cloned()
        .collect();
    let found: std::collections::BTreeSet<&str> = hits(&recorded, &plain)
        .into_iter()
        .map(|(n, _)| n.secret.as_str())
        .collect();
    for (name, _) in secrets.iter().filter(|(s, _)| !s.starts_with("password")) {
        assert!(
            found.contains(name.as_str()),
            "{name} not found in credentials.tsv"
        );
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

// ---- the runs --------------------------------------------------------------

/// (scenario, status) of each branch, sorted.
fn statuses(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|b| {
            (
                b["scenario"].as_str().unwrap_or("").to_owned(),
                b["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn report(run: &Run) -> Value {
    serde_json::from_str(&read(&run.dir.join("report.json"))).unwrap()
}

fn assert_passed(run: &Run) {
    assert_eq!(run.code, 0, "{}", run.output);
    let r = report(run);
    assert!(
        statuses(&r).iter().all(|(_, s)| s == "passed"),
        "{}",
        run.output
    );
}

/// The flipped runs: the deny scenario fails on a plain value (its report
/// shows it), the completed scenario on the API key it captures secret (its
/// report names the path but shows `<redacted>`).
fn assert_failed_without_showing_the_key(run: &Run, deny_flipped: bool) {
    assert_eq!(run.code, 1, "{}", run.output);
    let r = report(run);
    let expected: Vec<(String, String)> = [
        ("approve", "passed"),
        ("completed", "failed"),
        ("deny", if deny_flipped { "failed" } else { "passed" }),
        ("failed", "passed"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(statuses(&r), expected, "{r}");
    let completed = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["scenario"] == "completed")
        .unwrap();
    assert_eq!(completed["failed_step"], "create-key", "{completed}");
    let mismatches = &completed["report"]["outcome"]["report"]["mismatches"];
    assert_eq!(
        mismatches[0]["path"], "$['body']['data']['api_key']",
        "{completed}"
    );
    assert_eq!(mismatches[0]["actual"]["state"], "redacted", "{completed}");
    assert!(
        run.output.contains("completed/create-key")
            && run.output.contains("$['body']['data']['api_key']")
            && run.output.contains("<redacted>"),
        "{}",
        run.output
    );
    if deny_flipped {
        assert!(
            run.output
                .contains("$['status']['S']: expected \"APPROVED\", got \"DENIED\""),
            "{}",
            run.output
        );
    }
}

#[test]
fn no_secret_leaks_from_a_passing_deployed_run() {
    let run = demo("deployed, passing", &[]);
    assert_passed(&run);
    scan(&run, true);
}

#[test]
fn no_secret_leaks_from_a_failing_deployed_run() {
    let run = demo("deployed, failing", &["--fail", "--fail-secret"]);
    assert_failed_without_showing_the_key(&run, true);
    scan(&run, true);
}

#[test]
fn no_secret_leaks_from_vigil_local() {
    let run = demo("vigil local, passing", &["--local"]);
    assert_passed(&run);
    scan(&run, false);
}

#[test]
fn no_secret_leaks_from_a_failing_vigil_local_run() {
    let run = demo("vigil local, failing", &["--local", "--fail-secret"]);
    assert_failed_without_showing_the_key(&run, false);
    scan(&run, false);
}
