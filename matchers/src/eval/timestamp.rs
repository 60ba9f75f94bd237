//! `timestamp`: instants (RFC 3339, dates, epoch seconds or milliseconds)
//! against now, a fixed instant or a capture.

use serde_json::Value;
use time::OffsetDateTime;

use super::{Evaluator, Failure};
use crate::matcher::Matcher;
use crate::render::{EXPECTED_MAX_CHARS, describe};
use crate::report::{Actual, MismatchKind};
use crate::timestamp::{TimeRef, TimestampSpec, format_rfc3339, read_instant};

/// A reference resolved to an instant, or the mismatch that explains why it
/// could not be.
fn resolve(ev: &Evaluator<'_>, r: &TimeRef) -> Result<OffsetDateTime, (MismatchKind, String)> {
    match r {
        TimeRef::Now => Ok(ev.ctx.now),
        TimeRef::At(t) => Ok(*t),
        TimeRef::Capture(c) => {
            let Some(captured) = ev.ctx.captures.lookup(c) else {
                return Err((
                    MismatchKind::UnknownCapture,
                    format!("no earlier step captured {c}"),
                ));
            };
            read_instant(captured.value).map_err(|_| {
                (
                    MismatchKind::InvalidTimestamp,
                    format!("capture {c} is not a timestamp"),
                )
            })
        }
    }
}

/// How a resolved reference reads in a reason; a secret capture's instant
/// is not shown.
fn describe_ref(ev: &Evaluator<'_>, r: &TimeRef, at: OffsetDateTime) -> String {
    match r {
        TimeRef::Now => format!("now ({})", format_rfc3339(at)),
        TimeRef::At(_) => format_rfc3339(at),
        TimeRef::Capture(c) if ev.ctx.captures.lookup(c).is_some_and(|x| x.secret) => {
            format!("capture {c}")
        }
        TimeRef::Capture(c) => format!("capture {c} ({})", format_rfc3339(at)),
    }
}

fn distance(a: OffsetDateTime, b: OffsetDateTime) -> String {
    let d = (a - b).unsigned_abs();
    // Milliseconds are precise enough for a person and keep the text short.
    let ms = std::time::Duration::from_millis(d.as_millis().min(u128::from(u64::MAX)) as u64);
    crate::duration_text::format(ms).to_string()
}

pub(super) fn timestamp<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    spec: &'a TimestampSpec,
    v: &Value,
) -> bool {
    let t = match read_instant(v) {
        Ok(t) => t,
        Err(e) => {
            return ev.fail(|| {
                Failure::new(
                    MismatchKind::InvalidTimestamp,
                    describe(m, EXPECTED_MAX_CHARS),
                    Actual::of(v),
                    e,
                )
            });
        }
    };
    let mut problems: Vec<(MismatchKind, String)> = Vec::new();
    if let Some(r) = &spec.before {
        match resolve(ev, r) {
            Ok(b) if t >= b => problems.push((
                MismatchKind::TimestampOutOfRange,
                format!(
                    "it is not before {}: {} at or after it",
                    describe_ref(ev, r, b),
                    distance(t, b)
                ),
            )),
            Ok(_) => {}
            Err(p) => problems.push(p),
        }
    }
    if let Some(r) = &spec.after {
        match resolve(ev, r) {
            Ok(a) if t <= a => problems.push((
                MismatchKind::TimestampOutOfRange,
                format!(
                    "it is not after {}: {} at or before it",
                    describe_ref(ev, r, a),
                    distance(t, a)
                ),
            )),
            Ok(_) => {}
            Err(p) => problems.push(p),
        }
    }
    if let Some(w) = &spec.within {
        match resolve(ev, &w.of) {
            Ok(o) => {
                let d = (t - o).unsigned_abs();
                if d > w.duration {
                    problems.push((
                        MismatchKind::TimestampOutOfRange,
                        format!(
                            "it is {} from {}, more than {}",
                            distance(t, o),
                            describe_ref(ev, &w.of, o),
                            crate::duration_text::format(w.duration)
                        ),
                    ));
                }
            }
            Err(p) => problems.push(p),
        }
    }
    let mut ok = true;
    for (kind, reason) in problems {
        ok = ev.fail(|| Failure::new(kind, describe(m, EXPECTED_MAX_CHARS), Actual::of(v), reason));
        if !ev.reporting() {
            break;
        }
    }
    ok
}
