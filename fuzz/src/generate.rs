//! Matchers, JSON values, captures and clocks built from fuzzer bytes.
//!
//! Decoding text finds parser bugs but rarely reaches deep evaluation: most
//! mutated JSON is not a valid matcher. These generators turn any bytes into
//! a valid-by-construction matcher tree and an actual value that share a
//! small vocabulary of keys and strings, so evaluation sees nested
//! matches, near-misses and every matcher kind. Sizes are bounded (depth,
//! list lengths) so one input cannot take seconds by sheer volume.

use std::collections::BTreeMap;
use std::time::Duration;

use arbitrary::{Result, Unstructured};
use serde_json::{Map, Number, Value};
use time::{OffsetDateTime, UtcOffset};
use vigil_matchers::{
    CaptureLookup, CaptureRef, Captured, JsonType, Matcher, NumericBounds, NumericRange,
    RegexPattern, TimeRef, TimestampSpec, Within,
};

/// Deepest nesting of generated values and matchers.
pub const MAX_DEPTH: u32 = 6;
/// Most elements of a generated array, object or matcher list.
pub const MAX_ITEMS: usize = 5;

/// Strings that have broken JSON-in-JSON systems before: the tag and path
/// look-alikes docs/DESIGN.md's invariants name, unicode, control characters,
/// numbers and timestamps in strings.
pub const TRICKY: &[&str] = &[
    "",
    "a",
    "b",
    "status",
    "Item",
    "S",
    "N",
    "COMPLETED",
    "$",
    "$regex",
    "$literal",
    "$exact",
    "$absent",
    "Payload.$",
    "a.$",
    "$.a.b",
    "$['a']",
    "States.Format('{}')",
    "${p}",
    "${s.c}",
    "$${x}",
    "{}",
    "[1,{\"a\":null}]",
    "{\"a\":1,\"b\":[true]}",
    "null",
    "12",
    "-0",
    "1e400",
    "9007199254740993",
    "ünï€ 🙂",
    "é",
    "line\nbreak",
    "\u{0}\u{1f}",
    "\"quoted\"",
    "2026-11-23T10:00:00Z",
    "2026-11-23T09:59:00.5+01:00",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:60Z",
];

/// Regular expressions that compile, from the matchers' tests and a few
/// that exercise multi-line and Unicode matching.
pub const REGEXES: &[&str] = &[
    r"^\d{4}-",
    "COMPLETED|FAILED",
    "^$",
    r"\$\.a",
    "(?i)task",
    ".*",
    "ü+",
    r"^t-[0-9a-f]{8}$",
    r"(?m)^b",
    r"\p{Greek}",
];

/// Capture references the generated matchers and capture tables share.
pub const CAPTURES: &[&str] = &[
    "create.task_id",
    "create.created_at",
    "login.token",
    "s-1.x_y",
];

/// A string: mostly from [`TRICKY`], so keys and values of the pattern and
/// the actual value meet; sometimes any short string.
pub fn string(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(3, 4)? {
        Ok((*u.choose(TRICKY)?).to_owned())
    } else {
        let s: String = u.arbitrary()?;
        Ok(s.chars().take(24).collect())
    }
}

/// A JSON number: small and huge integers, integers around 2^53 (where
/// doubles stop counting by one), floats including -0.0.
pub fn number(u: &mut Unstructured<'_>) -> Result<Number> {
    Ok(match u.choose_index(7)? {
        0 => Number::from(u.int_in_range(-3i64..=3)?),
        1 => Number::from(u.arbitrary::<i64>()?),
        2 => Number::from(u.arbitrary::<u64>()?),
        3 => Number::from((1u64 << 53) - 2 + u.int_in_range(0u64..=4)?),
        4 => Number::from_f64(f64::from(u.int_in_range(-3i8..=3)?) + 0.5)
            .unwrap_or_else(|| Number::from(0)),
        5 => Number::from_f64(-0.0).unwrap_or_else(|| Number::from(0)),
        _ => {
            let f: f64 = u.arbitrary()?;
            Number::from_f64(f).unwrap_or_else(|| Number::from(1))
        }
    })
}

/// Any JSON value, at most [`MAX_DEPTH`] deep.
pub fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let kinds = if depth >= MAX_DEPTH { 4 } else { 6 };
    Ok(match u.choose_index(kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(number(u)?),
        3 => Value::String(string(u)?),
        4 => {
            let n = u.int_in_range(0..=MAX_ITEMS)?;
            Value::Array((0..n).map(|_| value(u, depth + 1)).collect::<Result<_>>()?)
        }
        _ => {
            let n = u.int_in_range(0..=MAX_ITEMS)?;
            let mut map = Map::new();
            for _ in 0..n {
                map.insert(string(u)?, value(u, depth + 1)?);
            }
            Value::Object(map)
        }
    })
}

/// One of [`CAPTURES`].
pub fn capture_ref(u: &mut Unstructured<'_>) -> Result<CaptureRef> {
    let text = u.choose(CAPTURES)?;
    text.parse().map_err(|_| arbitrary::Error::IncorrectFormat)
}

/// An instant anywhere in the years RFC 3339 can write (0000-9999), with
/// any whole-minute offset.
pub fn instant(u: &mut Unstructured<'_>) -> Result<OffsetDateTime> {
    // 0000-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z
    let secs = u.int_in_range(-62_167_219_200i64..=253_402_300_799)?;
    let nanos = u.int_in_range(0u32..=999_999_999)?;
    let offset_minutes = u.int_in_range(-(23 * 60 + 59)..=(23 * 60 + 59))?;
    let t = OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| arbitrary::Error::IncorrectFormat)?
        .replace_nanosecond(nanos)
        .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    let offset = UtcOffset::from_whole_seconds(offset_minutes * 60)
        .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    // An instant near the ends shifted by an offset can leave the range
    // RFC 3339 can print; such an instant cannot come from a suite either.
    t.checked_to_offset(offset)
        .filter(|t| (0..=9999).contains(&t.year()))
        .ok_or(arbitrary::Error::IncorrectFormat)
}

fn time_ref(u: &mut Unstructured<'_>) -> Result<TimeRef> {
    Ok(match u.choose_index(3)? {
        0 => TimeRef::Now,
        1 => TimeRef::At(instant(u)?),
        _ => TimeRef::Capture(capture_ref(u)?),
    })
}

fn timestamp_spec(u: &mut Unstructured<'_>) -> Result<TimestampSpec> {
    let before = if u.arbitrary()? {
        Some(time_ref(u)?)
    } else {
        None
    };
    let after = if u.arbitrary()? {
        Some(time_ref(u)?)
    } else {
        None
    };
    let within = if u.arbitrary()? {
        // Whole milliseconds up to any u64 of seconds: the wire format
        // carries durations as humantime text, which must read back exactly.
        let duration = if u.arbitrary()? {
            Duration::from_millis(u.int_in_range(0u64..=400_000_000)?)
        } else {
            Duration::new(u.arbitrary()?, u.int_in_range(0u32..=999_999_999)?)
        };
        Some(Within {
            duration,
            of: time_ref(u)?,
        })
    } else {
        None
    };
    Ok(TimestampSpec {
        before,
        after,
        within,
    })
}

fn numeric_range(u: &mut Unstructured<'_>) -> Result<Matcher> {
    let mut bounds = NumericBounds::default();
    let lower = u.choose_index(3)?;
    let upper = u.choose_index(3)?;
    match lower {
        0 => bounds.gt = Some(number(u)?),
        1 => bounds.gte = Some(number(u)?),
        _ => {}
    }
    match upper {
        0 => bounds.lt = Some(number(u)?),
        1 => bounds.lte = Some(number(u)?),
        _ => {}
    }
    // An empty or unsatisfiable range is refused by construction; the
    // fuzzer then gets a plain `present` here.
    Ok(NumericRange::new(bounds)
        .map(Matcher::Numeric)
        .unwrap_or(Matcher::Present))
}

fn regex(u: &mut Unstructured<'_>) -> Result<Matcher> {
    let source = if u.ratio(3, 4)? {
        (*u.choose(REGEXES)?).to_owned()
    } else {
        string(u)?
    };
    Ok(RegexPattern::new(source)
        .map(Matcher::StringLikeRegexp)
        .unwrap_or_else(|_| Matcher::StringContains("?".into())))
}

fn leaf(u: &mut Unstructured<'_>) -> Result<Matcher> {
    Ok(match u.choose_index(9)? {
        0 | 1 => Matcher::Exact(value(u, MAX_DEPTH - 2)?),
        2 => regex(u)?,
        3 => Matcher::StringContains(string(u)?),
        4 => Matcher::Present,
        5 => numeric_range(u)?,
        6 => Matcher::IsType(*u.choose(&JsonType::ALL)?),
        7 => Matcher::Timestamp(timestamp_spec(u)?),
        _ => Matcher::EqualsCapture(capture_ref(u)?),
    })
}

fn list(u: &mut Unstructured<'_>, depth: u32, at_least: usize) -> Result<Vec<Matcher>> {
    let n = u.int_in_range(at_least..=MAX_ITEMS)?;
    (0..n).map(|_| matcher(u, depth + 1, false)).collect()
}

fn members(u: &mut Unstructured<'_>, depth: u32) -> Result<BTreeMap<String, Matcher>> {
    let n = u.int_in_range(0..=MAX_ITEMS)?;
    let mut map = BTreeMap::new();
    for _ in 0..n {
        map.insert(string(u)?, matcher(u, depth + 1, true)?);
    }
    Ok(map)
}

/// A matcher tree that passes `Matcher::validate` by construction: `absent`
/// appears only where a value may be missing (`may_be_missing`: an object
/// member or the whole selection), possibly under `not`, `anyOf`, `allOf`.
pub fn matcher(u: &mut Unstructured<'_>, depth: u32, may_be_missing: bool) -> Result<Matcher> {
    if depth >= MAX_DEPTH {
        return leaf(u);
    }
    let d = depth + 1;
    Ok(match u.choose_index(16)? {
        0..=3 => leaf(u)?,
        4 => Matcher::ObjectLike(members(u, depth)?),
        5 => Matcher::ObjectEquals(members(u, depth)?),
        6 => Matcher::ArrayWith(list(u, depth, 0)?),
        7 => Matcher::ArrayEquals(list(u, depth, 0)?),
        8 => Matcher::ArrayContaining(list(u, depth, 0)?),
        9 => Matcher::every(matcher(u, d, false)?),
        10 => Matcher::length(matcher(u, d, false)?),
        11 => Matcher::serialized_json(matcher(u, d, false)?),
        12 => Matcher::not(matcher(u, d, may_be_missing)?),
        13 => {
            let n = u.int_in_range(0..=MAX_ITEMS)?;
            Matcher::AllOf(
                (0..n)
                    .map(|_| matcher(u, d, may_be_missing))
                    .collect::<Result<_>>()?,
            )
        }
        14 => {
            let n = u.int_in_range(1..=MAX_ITEMS)?;
            Matcher::AnyOf(
                (0..n)
                    .map(|_| matcher(u, d, may_be_missing))
                    .collect::<Result<_>>()?,
            )
        }
        _ if may_be_missing => Matcher::Absent,
        _ => leaf(u)?,
    })
}

/// Captures for `equalsCapture` and `timestamp`: each of [`CAPTURES`] may
/// be missing, plain or secret, holding any value (often a timestamp).
#[derive(Debug, Default)]
pub struct FuzzCaptures(pub BTreeMap<CaptureRef, (Value, bool)>);

impl FuzzCaptures {
    /// A table built from fuzzer bytes.
    pub fn generate(u: &mut Unstructured<'_>) -> Result<Self> {
        let mut table = BTreeMap::new();
        for text in CAPTURES {
            if u.ratio(1, 3)? {
                continue;
            }
            let key: CaptureRef = text
                .parse()
                .map_err(|_| arbitrary::Error::IncorrectFormat)?;
            let v = if u.arbitrary()? {
                Value::String(vigil_matchers::format_rfc3339(instant(u)?))
            } else {
                value(u, 2)?
            };
            table.insert(key, (v, u.arbitrary()?));
        }
        Ok(FuzzCaptures(table))
    }

    /// A table from a JSON object `{"step.name": value}` (all plain); other
    /// shapes give an empty table.
    pub fn from_json(v: &Value) -> Self {
        let mut table = BTreeMap::new();
        if let Value::Object(map) = v {
            for (k, v) in map {
                if let Ok(key) = k.parse::<CaptureRef>() {
                    table.insert(key, (v.clone(), false));
                }
            }
        }
        FuzzCaptures(table)
    }
}

impl CaptureLookup for FuzzCaptures {
    fn lookup(&self, capture: &CaptureRef) -> Option<Captured<'_>> {
        self.0.get(capture).map(|(value, secret)| Captured {
            value,
            secret: *secret,
        })
    }
}
