//! Evaluation: walking a matcher and an actual value side by side.
//!
//! The evaluator runs in two modes. *Verdict* mode answers "does it match?"
//! and stops at the first difference without building any text; it is what a
//! poll uses on every attempt, and what inner searches (`anyOf`, the element
//! search of `arrayWith`) use. *Report* mode walks everything and records
//! every mismatch with its path. [`Matcher::evaluate`] runs the verdict first
//! and builds the report only when the value does not match, so a passing
//! poll over a 1 MB response pays for the comparison and nothing else.

mod arrays;
mod exact;
mod logic;
mod objects;
mod scalars;
mod strings;
mod timestamp;

use serde_json::Value;
use time::OffsetDateTime;

use crate::captures::{CaptureLookup, NoCaptures};
use crate::json_type::JsonType;
use crate::matcher::Matcher;
use crate::path::{Segment, ValuePath};
use crate::render::{EXPECTED_MAX_CHARS, describe};
use crate::report::{Actual, Mismatch, MismatchKind, Report};

/// What evaluation may consult besides the actual value: the time of the
/// attempt (injected, so tests never sleep) and earlier captures.
#[derive(Clone, Copy)]
pub struct EvalContext<'c> {
    now: OffsetDateTime,
    captures: &'c dyn CaptureLookup,
}

static NO_CAPTURES: NoCaptures = NoCaptures;

impl EvalContext<'static> {
    /// A context at `now`, without captures.
    pub fn new(now: OffsetDateTime) -> Self {
        EvalContext {
            now,
            captures: &NO_CAPTURES,
        }
    }

    /// A context at the system clock's current time, without captures.
    pub fn at_system_time() -> Self {
        Self::new(OffsetDateTime::now_utc())
    }
}

impl<'c> EvalContext<'c> {
    /// The same context with captures to compare against.
    pub fn with_captures<'d>(self, captures: &'d dyn CaptureLookup) -> EvalContext<'d> {
        EvalContext {
            now: self.now,
            captures,
        }
    }

    /// The instant `timestamp` matchers call "now".
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }
}

impl Matcher {
    /// Evaluates the matcher against a value and reports every mismatch.
    pub fn evaluate(&self, actual: &Value, ctx: &EvalContext<'_>) -> Report {
        self.evaluate_selection(Some(actual), ctx)
    }

    /// Like [`evaluate`](Self::evaluate), for a selection that may have
    /// found nothing (`None`): only `absent` (or a `not`/`anyOf` built on it)
    /// matches nothing.
    pub fn evaluate_selection(&self, actual: Option<&Value>, ctx: &EvalContext<'_>) -> Report {
        if self.matches_selection(actual, ctx) {
            return Report::default();
        }
        let mut ev = Evaluator::new(ctx, Mode::Report);
        ev.eval(self, actual);
        Report::new(ev.out)
    }

    /// Whether the value matches, without building a report.
    pub fn matches(&self, actual: &Value, ctx: &EvalContext<'_>) -> bool {
        self.matches_selection(Some(actual), ctx)
    }

    /// [`matches`](Self::matches) for a selection that may be empty.
    pub fn matches_selection(&self, actual: Option<&Value>, ctx: &EvalContext<'_>) -> bool {
        Evaluator::new(ctx, Mode::Verdict).eval(self, actual)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Stop at the first difference, record nothing.
    Verdict,
    /// Walk everything, count mismatches, render nothing: how the closest
    /// candidate of a failed array search is ranked without formatting a
    /// report for every element.
    Count,
    /// Walk everything and record every mismatch.
    Report,
}

/// A path segment borrowed from the pattern, so walking costs no allocation;
/// keys that come from the actual value are only ever the last segment of a
/// mismatch and are passed owned in [`Failure::child`].
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
    Parsed,
}

/// A mismatch before its path is attached.
struct Failure {
    kind: MismatchKind,
    expected: String,
    actual: Actual,
    reason: String,
    details: Vec<Mismatch>,
    /// A last path segment beyond the evaluator's current position.
    child: Option<Segment>,
}

impl Failure {
    fn new(
        kind: MismatchKind,
        expected: impl Into<String>,
        actual: Actual,
        reason: impl Into<String>,
    ) -> Self {
        Failure {
            kind,
            expected: expected.into(),
            actual,
            reason: reason.into(),
            details: Vec::new(),
            child: None,
        }
    }

    fn details(mut self, details: Vec<Mismatch>) -> Self {
        self.details = details;
        self
    }

    fn child(mut self, segment: Segment) -> Self {
        self.child = Some(segment);
        self
    }
}

struct Evaluator<'a> {
    ctx: &'a EvalContext<'a>,
    mode: Mode,
    path: Vec<Seg<'a>>,
    out: Vec<Mismatch>,
    counted: usize,
}

impl<'a> Evaluator<'a> {
    fn new(ctx: &'a EvalContext<'a>, mode: Mode) -> Self {
        Evaluator {
            ctx,
            mode,
            path: Vec::new(),
            out: Vec::new(),
            counted: 0,
        }
    }

    /// Whether to go on after a difference (every mismatch is wanted).
    fn reporting(&self) -> bool {
        self.mode != Mode::Verdict
    }

    /// Whether mismatches are written out, not just counted: only then is
    /// it worth computing details such as a closest candidate.
    fn rendering(&self) -> bool {
        self.mode == Mode::Report
    }

    /// Records a mismatch (in report mode) and returns `false`, so callers
    /// can write `return ev.fail(...)`. The closure runs only when reporting.
    fn fail(&mut self, failure: impl FnOnce() -> Failure) -> bool {
        self.counted += 1;
        if self.rendering() {
            let f = failure();
            let mut path = self.current_path();
            if let Some(child) = f.child {
                path.push(child);
            }
            self.out.push(Mismatch {
                path,
                kind: f.kind,
                expected: f.expected,
                actual: f.actual,
                reason: f.reason,
                details: f.details,
            });
        }
        false
    }

    /// Records a mismatch whose text nobody will read (verdict or count
    /// mode), skipping the work of explaining it.
    fn fail_unrendered(&mut self) -> bool {
        debug_assert!(!self.rendering());
        self.counted += 1;
        false
    }

    fn current_path(&self) -> ValuePath {
        ValuePath::from_segments(
            self.path
                .iter()
                .map(|s| match *s {
                    Seg::Key(k) => Segment::Key(k.to_owned()),
                    Seg::Index(i) => Segment::Index(i),
                    Seg::Parsed => Segment::ParsedJson,
                })
                .collect(),
        )
    }

    /// Runs `f` one segment deeper.
    fn at<R>(&mut self, seg: Seg<'a>, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(seg);
        let r = f(self);
        self.path.pop();
        r
    }

    /// Whether `m` matches, without recording anything.
    fn probe(&mut self, m: &'a Matcher, actual: Option<&Value>) -> bool {
        let saved = self.mode;
        self.mode = Mode::Verdict;
        let r = self.eval(m, actual);
        self.mode = saved;
        r
    }

    /// How many mismatches `m` has here, without rendering them.
    fn count(&mut self, m: &'a Matcher, actual: Option<&Value>) -> usize {
        let saved_mode = self.mode;
        let saved_count = self.counted;
        self.mode = Mode::Count;
        self.counted = 0;
        self.eval(m, actual);
        let n = self.counted;
        self.mode = saved_mode;
        self.counted = saved_count;
        n
    }

    /// Every mismatch of `m` here, kept apart from the main report.
    fn collect(&mut self, m: &'a Matcher, actual: Option<&Value>) -> Vec<Mismatch> {
        let saved_mode = self.mode;
        let saved_out = std::mem::take(&mut self.out);
        self.mode = Mode::Report;
        self.eval(m, actual);
        self.mode = saved_mode;
        std::mem::replace(&mut self.out, saved_out)
    }

    fn wrong_type(&mut self, m: &Matcher, wanted: &str, v: &Value) -> bool {
        self.fail(|| {
            Failure::new(
                MismatchKind::WrongType,
                describe(m, EXPECTED_MAX_CHARS),
                Actual::of(v),
                format!("expected {wanted}, got {}", JsonType::of(v).with_article()),
            )
        })
    }

    /// The core: one matcher against one (possibly missing) value.
    fn eval(&mut self, m: &'a Matcher, actual: Option<&Value>) -> bool {
        match (m, actual) {
            (Matcher::Absent, None) => true,
            (Matcher::Absent, Some(v)) => self.fail(|| {
                Failure::new(
                    MismatchKind::ShouldBeAbsent,
                    "absent()",
                    Actual::of(v),
                    "the key is present but must be absent",
                )
            }),
            (Matcher::Not(inner), a) => logic::not(self, m, inner, a),
            (Matcher::AllOf(list), a) => logic::all_of(self, list, a),
            (Matcher::AnyOf(list), a) => logic::any_of(self, m, list, a),
            (_, None) => self.fail(|| {
                Failure::new(
                    MismatchKind::Missing,
                    describe(m, EXPECTED_MAX_CHARS),
                    Actual::Missing,
                    "the key is missing",
                )
            }),
            (Matcher::Present, Some(_)) => true,
            (Matcher::Exact(e), Some(v)) => exact::exact(self, e, v),
            (Matcher::EqualsCapture(c), Some(v)) => exact::equals_capture(self, m, c, v),
            (Matcher::ObjectLike(map), Some(v)) => objects::object(self, m, map, v, false),
            (Matcher::ObjectEquals(map), Some(v)) => objects::object(self, m, map, v, true),
            (Matcher::ArrayWith(list), Some(v)) => arrays::array_with(self, m, list, v),
            (Matcher::ArrayEquals(list), Some(v)) => arrays::array_equals(self, m, list, v),
            (Matcher::ArrayContaining(list), Some(v)) => arrays::array_containing(self, m, list, v),
            (Matcher::Every(inner), Some(v)) => arrays::every(self, m, inner, v),
            (Matcher::Length(inner), Some(v)) => arrays::length(self, m, inner, v),
            (Matcher::StringLikeRegexp(re), Some(v)) => strings::regex(self, m, re, v),
            (Matcher::StringContains(s), Some(v)) => strings::contains(self, m, s, v),
            (Matcher::SerializedJson(inner), Some(v)) => {
                strings::serialized_json(self, m, inner, v)
            }
            (Matcher::Numeric(range), Some(v)) => scalars::numeric(self, m, range, v),
            (Matcher::IsType(t), Some(v)) => scalars::is_type(self, m, *t, v),
            (Matcher::Timestamp(spec), Some(v)) => timestamp::timestamp(self, m, spec, v),
        }
    }
}
