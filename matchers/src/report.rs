//! What evaluation found: every mismatch, with its path, in a human and a
//! compact JSON rendering.

use std::fmt::{self, Write as _};
use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::path::ValuePath;

/// How many bytes of an actual value a mismatch shows; the rest is counted
/// and elided, so one huge response cannot swamp a report (or a 256 KiB
/// Step Functions payload).
pub const ACTUAL_PREVIEW_BYTES: usize = 256;

/// How many levels of [`Mismatch::details`] a report keeps. Each failed
/// `anyOf` alternative and each closest array candidate nests one level, so
/// a pattern nested 60 deep (still a valid one) gave a report too deep for
/// JSON readers with a nesting limit (serde_json stops at 128 levels), such
/// as `vigil run` reading the execution history; and no person reads 60
/// levels of "because". Deeper details are dropped, and the reason of the
/// last level kept says how many.
pub const MAX_DETAIL_DEPTH: usize = 16;

/// What kind of difference a mismatch is, for tools that sort or count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MismatchKind {
    /// Values differ.
    NotEqual,
    /// The value has another JSON type than the matcher needs.
    WrongType,
    /// A required key is missing.
    Missing,
    /// A key that an exact or `objectEquals` pattern does not allow.
    UnexpectedKey,
    /// A key that must be absent is present.
    ShouldBeAbsent,
    /// An array or string has the wrong length.
    LengthDiffers,
    /// No element matches an `arrayWith`/`arrayContaining` element.
    NoMatchingElement,
    /// `arrayContaining`: the only matching elements are taken by other
    /// pattern elements.
    ElementAlreadyUsed,
    /// A regular expression found no match.
    RegexNoMatch,
    /// A substring is not contained.
    SubstringMissing,
    /// A `not` matcher's inner matcher matched.
    UnexpectedMatch,
    /// No `anyOf` alternative matched.
    NoAlternativeMatched,
    /// A number is outside its range.
    OutOfRange,
    /// A `serializedJson` string is not valid JSON.
    InvalidJson,
    /// A value is not a timestamp.
    InvalidTimestamp,
    /// A timestamp violates a before/after/within constraint.
    TimestampOutOfRange,
    /// A capture the pattern refers to was never made.
    UnknownCapture,
}

/// The actual value at a mismatch's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Actual {
    /// There is no value: the key is missing.
    Missing,
    /// Hidden because it is compared with a secret.
    Redacted,
    /// The value as compact JSON, cut after [`ACTUAL_PREVIEW_BYTES`].
    Value {
        /// The (possibly cut) JSON text.
        preview: String,
        /// How many bytes were cut off; 0 when `preview` is complete.
        elided_bytes: usize,
    },
}

impl Actual {
    /// A preview of `value`, cut at a character boundary.
    pub fn of(value: &Value) -> Self {
        Self::with_limit(value, ACTUAL_PREVIEW_BYTES)
    }

    /// A preview of at most `limit` bytes.
    pub fn with_limit(value: &Value, limit: usize) -> Self {
        let mut w = PreviewWriter {
            kept: Vec::with_capacity(limit.min(1024)),
            limit,
            total: 0,
        };
        // Writing into memory cannot fail, and a Value always serializes.
        let _ = serde_json::to_writer(&mut w, value);
        let mut kept = w.kept;
        let cut = match std::str::from_utf8(&kept) {
            Ok(_) => kept.len(),
            Err(e) => e.valid_up_to(),
        };
        kept.truncate(cut);
        let preview = String::from_utf8(kept).unwrap_or_default();
        Actual::Value {
            elided_bytes: w.total - preview.len(),
            preview,
        }
    }
}

/// Keeps the first `limit` bytes of what is written and counts the rest, so
/// previewing a 1 MB value never allocates 1 MB.
struct PreviewWriter {
    kept: Vec<u8>,
    limit: usize,
    total: usize,
}

impl io::Write for PreviewWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.limit.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&buf[..room.min(buf.len())]);
        self.total += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Display for Actual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actual::Missing => f.write_str("(missing)"),
            Actual::Redacted => f.write_str("<redacted>"),
            Actual::Value {
                preview,
                elided_bytes: 0,
            } => f.write_str(preview),
            Actual::Value {
                preview,
                elided_bytes,
            } => write!(f, "{preview}… ({elided_bytes} more bytes)"),
        }
    }
}

/// One difference between the actual value and the pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Mismatch {
    /// Where in the actual value (RFC 9535 normalized path).
    pub path: ValuePath,
    /// What kind of difference.
    pub kind: MismatchKind,
    /// The expectation at this path, rendered readably.
    pub expected: String,
    /// What was found there.
    pub actual: Actual,
    /// Why they do not match, in words.
    pub reason: String,
    /// Supporting mismatches: each failed `anyOf` alternative, or the
    /// closest candidate element of an array search.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Mismatch>,
}

/// The result of evaluating a matcher: empty when the value matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(into = "ReportWire", from = "ReportWire")]
pub struct Report {
    mismatches: Vec<Mismatch>,
}

/// The compact JSON form: `{"matched": false, "mismatches": [...]}`.
#[derive(Serialize, Deserialize, JsonSchema)]
struct ReportWire {
    matched: bool,
    #[serde(default)]
    mismatches: Vec<Mismatch>,
}

impl From<Report> for ReportWire {
    fn from(r: Report) -> Self {
        ReportWire {
            matched: r.mismatches.is_empty(),
            mismatches: r.mismatches,
        }
    }
}

impl From<ReportWire> for Report {
    fn from(w: ReportWire) -> Self {
        Report {
            mismatches: w.mismatches,
        }
    }
}

impl Mismatch {
    /// Drops details nested more than `levels` below this mismatch, noting
    /// in the reason of each mismatch that lost some how many.
    fn prune_details(&mut self, levels: usize) {
        if self.details.is_empty() {
            return;
        }
        if levels == 0 {
            let n = self.details.len();
            self.details.clear();
            let _ = write!(
                self.reason,
                " ({n} detail{} nested deeper than {MAX_DETAIL_DEPTH} levels omitted)",
                if n == 1 { "" } else { "s" }
            );
            return;
        }
        for d in &mut self.details {
            d.prune_details(levels - 1);
        }
    }
}

impl Report {
    /// A report of these mismatches (in evaluation order), their details
    /// kept to [`MAX_DETAIL_DEPTH`] levels.
    pub fn new(mut mismatches: Vec<Mismatch>) -> Self {
        for m in &mut mismatches {
            m.prune_details(MAX_DETAIL_DEPTH);
        }
        Self { mismatches }
    }

    /// Whether the value matched.
    pub fn is_match(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// Every mismatch, in a deterministic order: object members by key,
    /// array elements by index, as the pattern is walked.
    pub fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }

    /// Takes the mismatches out.
    pub fn into_mismatches(self) -> Vec<Mismatch> {
        self.mismatches
    }

    /// The compact JSON form for state output and machines.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The report for people, one block per mismatch, nested details
    /// indented under their parent, in the spirit of Gomega's gstruct.
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        let n = self.mismatches.len();
        if n == 0 {
            out.push_str("matched\n");
            return out;
        }
        let _ = writeln!(out, "{n} mismatch{}:", if n == 1 { "" } else { "es" });
        for m in &self.mismatches {
            write_mismatch(&mut out, m, 1);
        }
        out
    }
}

fn write_mismatch(out: &mut String, m: &Mismatch, depth: usize) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}{}", m.path);
    let _ = writeln!(out, "{pad}  expected: {}", m.expected);
    let _ = writeln!(out, "{pad}  actual:   {}", m.actual);
    let _ = writeln!(out, "{pad}  reason:   {}", m.reason);
    if !m.details.is_empty() {
        let _ = writeln!(out, "{pad}  because:");
        for d in &m.details {
            write_mismatch(out, d, depth + 2);
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_human())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn previews_are_cut_at_a_character_boundary_and_count_the_rest() {
        let long = "é".repeat(300);
        let a = Actual::with_limit(&json!(long), 11);
        let Actual::Value {
            preview,
            elided_bytes,
        } = a
        else {
            panic!()
        };
        // `"` + 5 × `é` (2 bytes each) = 11 bytes.
        assert_eq!(preview, format!("\"{}", "é".repeat(5)));
        assert_eq!(elided_bytes, 2 + 600 - 11);
        assert_eq!(
            Actual::of(&json!({"a": 1})),
            Actual::Value {
                preview: r#"{"a":1}"#.into(),
                elided_bytes: 0
            }
        );
    }

    fn detail_depth(m: &Mismatch) -> usize {
        m.details
            .iter()
            .map(|d| 1 + detail_depth(d))
            .max()
            .unwrap_or(0)
    }

    /// Found while writing the `evaluate` fuzz target's check that a
    /// report's JSON text reads back: 62 nested `anyOf`s (a valid pattern)
    /// gave a report nested past serde_json's 128-level limit.
    #[test]
    fn details_nest_at_most_max_detail_depth_and_the_json_reads_back() {
        let mut pattern = json!(1);
        for _ in 0..62 {
            pattern = json!({"$anyOf": [pattern]});
        }
        let m = crate::authoring::parse(&pattern).unwrap();
        let ctx = crate::EvalContext::new(crate::parse_rfc3339("2026-11-23T10:00:00Z").unwrap());
        let report = m.evaluate(&json!(2), &ctx);
        let [top] = report.mismatches() else {
            panic!("{report:?}")
        };
        assert_eq!(detail_depth(top), MAX_DETAIL_DEPTH);
        let mut last = top;
        while let Some(d) = last.details.first() {
            last = d;
        }
        assert!(
            last.reason
                .ends_with("(1 detail nested deeper than 16 levels omitted)"),
            "{}",
            last.reason
        );
        let text = serde_json::to_string(&report.to_json()).unwrap();
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
        // A shallow report keeps every detail.
        let shallow = crate::authoring::parse(&json!({"$anyOf": [{"$anyOf": [1]}]}))
            .unwrap()
            .evaluate(&json!(2), &ctx);
        assert_eq!(detail_depth(&shallow.mismatches()[0]), 2);
        assert!(!shallow.to_string().contains("omitted"));
    }

    #[test]
    fn compact_json_round_trips() {
        let r = Report::new(vec![Mismatch {
            path: ValuePath::root().key("a").index(2),
            kind: MismatchKind::NotEqual,
            expected: "1".into(),
            actual: Actual::Missing,
            reason: "the key is missing".into(),
            details: vec![],
        }]);
        let v = r.to_json();
        assert_eq!(v["matched"], json!(false));
        assert_eq!(v["mismatches"][0]["path"], json!("$['a'][2]"));
        assert_eq!(v["mismatches"][0]["actual"], json!({"state": "missing"}));
        assert_eq!(serde_json::from_value::<Report>(v).unwrap(), r);
        assert_eq!(
            Report::default().to_json(),
            json!({"matched": true, "mismatches": []})
        );
    }
}
