//! How vigil reads YAML: suites, patterns and values, all the same way.
//!
//! A YAML 1.1 reader turns plain scalars into other types behind the
//! writer's back: `S: NO` became `false`, `010` became `10.0`, `1_000`
//! became `1000`, and a pattern then silently expected something else.
//! vigil reads YAML 1.2's core schema instead:
//!
//! * only `true` and `false` (any case) are booleans; `yes`, `no`, `on`,
//!   `off`, `y`, `n` stay strings;
//! * numbers are read as written: a plain scalar with a redundant leading
//!   zero (`010`, `-007`) or an underscore (`1_000`) stays a string, and no
//!   integer becomes a float; `0o10`, `0x1F` and `1e3` are numbers, as in
//!   YAML 1.2;
//! * `.inf` and `.nan` are refused (JSON has no such numbers): quote them;
//! * dates (`2001-12-14`) and sexagesimal numbers (`1:20`) stay strings.
//!
//! Quote a scalar to be sure it stays a string: `"010"`, `"yes"`.

use serde::de::DeserializeOwned;
use serde_saphyr::{NonFiniteFloatPolicy, Options};

/// The options behind every YAML read in vigil.
pub fn options() -> Options {
    serde_saphyr::options! {
        strict_booleans: true,
        legacy_octal_numbers: false,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        non_finite_float_policy: NonFiniteFloatPolicy::Reject,
    }
}

/// Reads YAML text the vigil way (see the module's documentation).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options(text, options())
}

/// Where a read failed: 1-based line and column.
pub fn position(e: &serde_saphyr::Error) -> Option<(u64, u64)> {
    e.location().map(|l| (l.line(), l.column()))
}

/// What went wrong, in one line and in vigil's words: without the library's
/// source snippet and position (the caller prints `file:line:col`, which
/// CI logs and editors jump to) and without the library's own terms.
pub fn message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let mut line = text.lines().next().unwrap_or_default().trim();
    line = line.trim_start_matches("error: ");
    // `line 7 column 21: ...`
    if let Some((head, rest)) = line.split_once(": ")
        && let Some(numbers) = head.strip_prefix("line ")
        && numbers
            .split(" column ")
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    {
        line = rest;
    }
    // `... at line 7 column 21`
    if let Some(i) = line.rfind(" at line ") {
        line = &line[..i];
    }
    // The library's words name its own setting; say what to do instead.
    if let Some(key) = line
        .strip_prefix("duplicate mapping key: ")
        .map(|r| r.split(", set DuplicateKeyPolicy").next().unwrap_or(r))
    {
        return format!("the key `{key}` appears twice in one mapping; keys are unique, keep one");
    }
    if let Some(value) = line
        .strip_prefix("non-finite float `")
        .and_then(|r| r.split_once('`'))
        .map(|(v, _)| v)
    {
        return format!(
            "`{value}` is not a number JSON can hold; quote it (\"{value}\") to mean the text"
        );
    }
    line.to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// YAML 1.1's traps, each read as YAML 1.2's core schema reads it.
    #[test]
    fn plain_scalars_keep_the_type_they_are_written_with() {
        let table: &[(&str, Value)] = &[
            ("yes", json!("yes")),
            ("no", json!("no")),
            ("NO", json!("NO")),
            ("on", json!("on")),
            ("off", json!("off")),
            ("y", json!("y")),
            ("n", json!("n")),
            ("Yes", json!("Yes")),
            ("true", json!(true)),
            ("False", json!(false)),
            ("TRUE", json!(true)),
            ("010", json!("010")),
            ("-007", json!("-007")),
            ("0o10", json!(8)),
            ("0x1F", json!(31)),
            ("1_000", json!("1_000")),
            ("1:20", json!("1:20")),
            ("190:20:30", json!("190:20:30")),
            ("2001-12-14", json!("2001-12-14")),
            (
                "2001-12-14t21:59:43.10-05:00",
                json!("2001-12-14t21:59:43.10-05:00"),
            ),
            ("~", Value::Null),
            ("null", Value::Null),
            ("1e3", json!(1000.0)),
            ("+12", json!(12)),
            ("12", json!(12)),
            ("0", json!(0)),
            ("0.5", json!(0.5)),
            ("12.0", json!(12.0)),
            ("\"010\"", json!("010")),
            ("'yes'", json!("yes")),
        ];
        for (text, expected) in table {
            let got: Value = from_str(&format!("v: {text}\n")).unwrap();
            assert_eq!(&got["v"], expected, "`{text}`");
            assert_eq!(
                got["v"].is_f64(),
                expected.is_f64(),
                "`{text}` keeps its number kind"
            );
        }
    }

    #[test]
    fn infinities_and_nans_are_refused() {
        for text in [".inf", "-.inf", ".NaN", "1e999"] {
            let e = from_str::<Value>(&format!("v: {text}\n")).unwrap_err();
            assert_eq!(position(&e), Some((1, 4)), "`{text}`");
            assert_eq!(
                message(&e),
                format!(
                    "`{text}` is not a number JSON can hold; quote it (\"{text}\") to mean the text"
                )
            );
        }
        let quoted: Value = from_str("v: \".inf\"\n").unwrap();
        assert_eq!(quoted["v"], json!(".inf"));
    }
}
