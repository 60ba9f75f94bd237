//! Numeric comparison that treats JSON numbers as numbers, not as text.
//!
//! `1` and `1.0` are the same number (as in JavaScript, which the anchor ran
//! on), but unlike JavaScript we never round integers through a double: two
//! integers beyond 2^53 that differ in the last digit stay different.

use std::cmp::Ordering;

use serde_json::Number;

/// A JSON number in a form that compares exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    pub(crate) fn of(n: &Number) -> Num {
        if let Some(i) = n.as_i64() {
            Num::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            Num::Int(i128::from(u))
        } else {
            // serde_json (without arbitrary_precision) holds every other
            // number as a finite f64.
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    /// Reads a number held in a string, as DynamoDB's `N` type sends them.
    pub(crate) fn parse(s: &str) -> Option<Num> {
        let t = s.trim();
        // A leading '+' is neither JSON nor DynamoDB; Rust's parsers take it.
        if t.is_empty() || t != s || t.starts_with('+') {
            return None;
        }
        if let Ok(i) = t.parse::<i128>() {
            return Some(Num::Int(i));
        }
        // Only accept what a JSON or DynamoDB number can look like: Rust's
        // float parser also takes "inf", "NaN" and a leading '+'.
        let looks_numeric = t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+'))
            && t.chars().any(|c| c.is_ascii_digit());
        if !looks_numeric {
            return None;
        }
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Num::Float)
    }
}

/// Exact ordering of two numbers; `None` only for NaN, which JSON cannot hold.
pub(crate) fn compare(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => int_float(x, y),
        (Num::Float(x), Num::Int(y)) => int_float(y, x).map(Ordering::reverse),
    }
}

/// Compares an integer with a double without rounding the integer.
fn int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^127 as f64: every double at or above it exceeds any i128.
    const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    let floor = f.floor();
    // `floor` is integral and inside i128's range, so the cast is exact.
    let floor_i = floor as i128;
    if floor == f {
        Some(i.cmp(&floor_i))
    } else if i <= floor_i {
        Some(Ordering::Less)
    } else {
        Some(Ordering::Greater)
    }
}

/// Whether two JSON numbers denote the same value.
pub(crate) fn numbers_equal(a: &Number, b: &Number) -> bool {
    compare(Num::of(a), Num::of(b)) == Some(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n(v: serde_json::Value) -> Number {
        match v {
            serde_json::Value::Number(n) => n,
            other => panic!("not a number: {other}"),
        }
    }

    #[test]
    fn integer_and_float_forms_of_one_value_are_equal() {
        assert!(numbers_equal(&n(json!(1)), &n(json!(1.0))));
        assert!(numbers_equal(&n(json!(-7)), &n(json!(-7.0))));
        assert!(!numbers_equal(&n(json!(1)), &n(json!(1.5))));
    }

    #[test]
    fn large_integers_are_not_rounded() {
        let a: Number = serde_json::from_str("9007199254740993").unwrap();
        let b: Number = serde_json::from_str("9007199254740992").unwrap();
        assert!(!numbers_equal(&a, &b));
        // The double 2^53 equals the integer 2^53, but not 2^53 + 1.
        let f = Number::from_f64(9_007_199_254_740_992.0).unwrap();
        assert!(numbers_equal(&b, &f));
        assert!(!numbers_equal(&a, &f));
        assert_eq!(compare(Num::of(&a), Num::of(&f)), Some(Ordering::Greater));
        let max: Number = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(
            compare(Num::of(&max), Num::Int(i128::from(i64::MAX))),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn ordering_across_kinds() {
        assert_eq!(compare(Num::Int(2), Num::Float(2.5)), Some(Ordering::Less));
        assert_eq!(
            compare(Num::Int(3), Num::Float(2.5)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(Num::Int(-3), Num::Float(-2.5)),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(Num::Int(-2), Num::Float(-2.5)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(Num::Int(i128::MAX), Num::Float(1e300)),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(Num::Float(-1e300), Num::Int(i128::MIN)),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn strings_that_hold_numbers() {
        assert_eq!(Num::parse("42"), Some(Num::Int(42)));
        assert_eq!(Num::parse("-0.5"), Some(Num::Float(-0.5)));
        assert_eq!(Num::parse("1E+2"), Some(Num::Float(100.0)));
        for bad in ["", " 1", "inf", "NaN", "+1", "1a", "abc", "-"] {
            assert_eq!(Num::parse(bad), None, "{bad:?}");
        }
    }
}
