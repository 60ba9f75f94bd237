//! How a step sees its answer: as the service sent it, or — for DynamoDB —
//! with its items as people think of them.
//!
//! `{"status": {"S": "COMPLETED"}, "total": {"N": "42"}}` becomes
//! `{"status": "COMPLETED", "total": 42}` under `view: items`, so patterns,
//! `select` paths and captures read `$.Item.status` instead of
//! `$.Item.status.S`. The raw form is what a step sees without `view`.
//!
//! The conversion is vigil's own rather than `serde_dynamo`'s: that crate
//! converts the SDK's typed attribute values (binary as bytes) and reads a
//! number through `f64`/`i64`, which loses digits of DynamoDB's 38-digit
//! decimals; here a number stays a JSON number only when it is exactly
//! that number, and otherwise stays its decimal text (which the numeric
//! matchers read as a number).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// The view a step's answer is matched in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerView {
    /// The answer as the service sent it.
    #[default]
    Raw,
    /// DynamoDB answers with plain items: `Item`, `Items`, `Attributes`,
    /// `LastEvaluatedKey` and `Responses` (BatchGetItem's tables,
    /// TransactGetItems' and BatchExecuteStatement's `Item`s) hold plain
    /// JSON — `S` a string, `N` a number (its text when JSON cannot hold it
    /// exactly), `BOOL` a boolean, `NULL` null, `M` an object, `L` an array,
    /// `SS`/`NS`/`BS` sorted arrays (sets have no order), `B` its base64
    /// text.
    Items,
}

impl AnswerView {
    /// Whether this is the default view (for `skip_serializing_if`).
    pub fn is_raw(&self) -> bool {
        *self == AnswerView::Raw
    }

    /// The answer in this view.
    pub fn apply(self, answer: Value) -> Value {
        match self {
            AnswerView::Raw => answer,
            AnswerView::Items => items_view(answer),
        }
    }
}

fn items_view(answer: Value) -> Value {
    let Value::Object(mut top) = answer else {
        return answer;
    };
    for key in ["Item", "Attributes", "LastEvaluatedKey"] {
        if let Some(v) = top.remove(key) {
            top.insert(key.to_owned(), item(v));
        }
    }
    if let Some(Value::Array(items)) = top.remove("Items") {
        top.insert(
            "Items".into(),
            Value::Array(items.into_iter().map(item).collect()),
        );
    }
    match top.remove("Responses") {
        // BatchGetItem: table -> items.
        Some(Value::Object(tables)) => {
            let tables = tables
                .into_iter()
                .map(|(t, items)| match items {
                    Value::Array(items) => (t, Value::Array(items.into_iter().map(item).collect())),
                    other => (t, other),
                })
                .collect();
            top.insert("Responses".into(), Value::Object(tables));
        }
        // TransactGetItems, BatchExecuteStatement: [{Item}, ...].
        Some(Value::Array(responses)) => {
            let responses = responses
                .into_iter()
                .map(|r| match r {
                    Value::Object(mut o) => {
                        if let Some(i) = o.remove("Item") {
                            o.insert("Item".into(), item(i));
                        }
                        Value::Object(o)
                    }
                    other => other,
                })
                .collect();
            top.insert("Responses".into(), Value::Array(responses));
        }
        Some(other) => {
            top.insert("Responses".into(), other);
        }
        None => {}
    }
    Value::Object(top)
}

/// An item (attribute name -> attribute value) as plain JSON.
fn item(v: Value) -> Value {
    match v {
        Value::Object(attrs) => Value::Object(
            attrs
                .into_iter()
                .map(|(k, a)| (k, attribute(a)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// One attribute value as plain JSON; anything that is not one stays as
/// it is.
pub fn attribute(v: Value) -> Value {
    let Value::Object(mut o) = v else { return v };
    if o.len() != 1 {
        return Value::Object(o);
    }
    let Some((tag, _)) = o.iter().next() else {
        return Value::Object(o);
    };
    let tag = tag.clone();
    let inner = o.remove(&tag).unwrap_or(Value::Null);
    match (tag.as_str(), inner) {
        ("S" | "B", s @ Value::String(_)) => s,
        ("N", Value::String(n)) => number(n),
        ("BOOL", b @ Value::Bool(_)) => b,
        ("NULL", Value::Bool(true)) => Value::Null,
        ("M", Value::Object(m)) => item(Value::Object(m)),
        ("L", Value::Array(items)) => Value::Array(items.into_iter().map(attribute).collect()),
        ("SS" | "BS", Value::Array(mut items)) => {
            items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            Value::Array(items)
        }
        ("NS", Value::Array(items)) => {
            let mut numbers: Vec<(Option<f64>, Value)> = items
                .into_iter()
                .map(|n| match n {
                    Value::String(text) => (text.parse::<f64>().ok(), number(text)),
                    other => (None, other),
                })
                .collect();
            numbers.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
            Value::Array(numbers.into_iter().map(|(_, v)| v).collect())
        }
        (tag, inner) => {
            // Not an attribute value after all: put it back.
            let mut back = Map::new();
            back.insert(tag.to_owned(), inner);
            Value::Object(back)
        }
    }
}

/// DynamoDB's decimal text as a JSON number when that is exactly the same
/// number, else the text.
fn number(text: String) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    if let Ok(u) = text.parse::<u64>() {
        return Value::from(u);
    }
    if let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
        && normalize(&format!("{f}")) == normalize(&text)
    {
        return Value::Number(n);
    }
    Value::String(text)
}

/// A decimal's digits and exponent, without signs of zero, leading or
/// trailing zeros: `0012.50` and `1.25e1` both give ("+", "125", 2).
fn normalize(text: &str) -> Option<(bool, String, i64)> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !(int.chars().chain(frac.chars())).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let lead = digits.len() - digits.trim_start_matches('0').len();
    let digits = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .to_owned();
    if digits.is_empty() {
        return Some((false, String::new(), 0));
    }
    // The position of the decimal point relative to the first significant digit.
    let point = int.len() as i64 - lead as i64 + exp;
    Some((negative, digits, point))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn items_read_as_people_think_of_them() {
        let answer = json!({
            "Item": {
                "status": {"S": "COMPLETED"},
                "total": {"N": "42"},
                "price": {"N": "19.90"},
                "big": {"N": "12345678901234567890123456789012345678"},
                "tiny": {"N": "0.1000000000000000000000000001"},
                "done": {"BOOL": true},
                "gone": {"NULL": true},
                "tags": {"SS": ["b", "a"]},
                "scores": {"NS": ["10", "9.5", "-1"]},
                "blob": {"B": "dGhpcw=="},
                "meta": {"M": {"owner": {"S": "sub-1"}, "events": {"L": [{"S": "created"}, {"N": "3"}]}}}
            },
            "ConsumedCapacity": {"TableName": "T"}
        });
        assert_eq!(
            AnswerView::Items.apply(answer.clone()),
            json!({
                "Item": {
                    "status": "COMPLETED",
                    "total": 42,
                    "price": 19.9,
                    "big": "12345678901234567890123456789012345678",
                    "tiny": "0.1000000000000000000000000001",
                    "done": true,
                    "gone": null,
                    "tags": ["a", "b"],
                    "scores": [-1, 9.5, 10],
                    "blob": "dGhpcw==",
                    "meta": {"owner": "sub-1", "events": ["created", 3]}
                },
                "ConsumedCapacity": {"TableName": "T"}
            })
        );
        assert_eq!(AnswerView::Raw.apply(answer.clone()), answer);
    }

    #[test]
    fn every_item_holding_key_is_converted() {
        let a = json!({"S": "x"});
        let answer = json!({
            "Items": [{"k": a}], "Count": 1, "LastEvaluatedKey": {"k": a},
            "Attributes": {"k": a},
            "Responses": {"T": [{"k": a}]}
        });
        assert_eq!(
            AnswerView::Items.apply(answer),
            json!({"Items": [{"k": "x"}], "Count": 1, "LastEvaluatedKey": {"k": "x"},
                   "Attributes": {"k": "x"}, "Responses": {"T": [{"k": "x"}]}})
        );
        let transact = json!({"Responses": [{"Item": {"k": a}}, {}]});
        assert_eq!(
            AnswerView::Items.apply(transact),
            json!({"Responses": [{"Item": {"k": "x"}}, {}]})
        );
    }

    #[test]
    fn numbers_stay_exact() {
        for (text, expected) in [
            ("42", json!(42)),
            ("-7", json!(-7)),
            (
                "18446744073709551615",
                json!(18_446_744_073_709_551_615_u64),
            ),
            // 2^64 is an f64, but JSON would print it 18446744073709552000:
            // not the digits DynamoDB holds, so it stays text.
            ("18446744073709551616", json!("18446744073709551616")),
            ("0.5", json!(0.5)),
            ("1E+3", json!(1000.0)),
            ("3.14159265358979323846", json!("3.14159265358979323846")),
            ("9007199254740993.5", json!("9007199254740993.5")),
        ] {
            assert_eq!(number(text.to_owned()), expected, "{text}");
        }
    }
}
