//! The authoring form: the concise way to write matchers in YAML/JSON suite
//! files, decoding to the same [`Matcher`] values as the canonical form.
//!
//! # The rules
//!
//! * A plain JSON literal means what it meant in the anchor
//!   (`aws-cdk-lib/assertions`): an **object** is `objectLike` of its members
//!   (partial: other keys are allowed; nested plain objects are partial
//!   too), an **array** is `arrayEquals` of its elements, a **scalar**
//!   (string, number, boolean, `null`) is `exact`.
//! * An object whose keys start with `$` is a matcher. It holds exactly one
//!   tag — except the numeric bounds, which combine: `{"$gte": 1, "$lt": 5}`.
//! * **Every** key is checked. An object that mixes `$`-keys with plain keys,
//!   or holds a `$`-key that is not a tag, is an error naming the key — never
//!   a guess. To match a literal key that starts with `$`, escape it:
//!   `{"$objectLike": {"$metadata": {...}}}` (keys literal, values are still
//!   patterns) or `{"$literal": {...}}` (nothing inside is a tag).
//! * Keys ending in `.$` and strings such as `States.Format('{}')` or `$.a.b`
//!   have no special meaning here: a suite's requests reach Step Functions
//!   as opaque strings, so it never interprets them.
//!
//! | tag | argument | matcher |
//! |---|---|---|
//! | `$exact` | any JSON (taken literally, compared deeply) | `exact` |
//! | `$literal` | any JSON (taken literally, with the literal rules above) | as a plain literal |
//! | `$objectLike`, `$objectEquals` | object of patterns | same name |
//! | `$arrayWith`, `$arrayEquals`, `$arrayContaining` | array of patterns | same name |
//! | `$every`, `$length`, `$not`, `$json` | a pattern | `every`, `length`, `not`, `serializedJson` |
//! | `$allOf`, `$anyOf` | array of patterns | same name |
//! | `$regex` | string | `stringLikeRegexp` |
//! | `$contains` | string | `stringContains` |
//! | `$present`, `$absent` | `true` | same name |
//! | `$gt`, `$gte`, `$lt`, `$lte` | number (combinable) | `numeric` |
//! | `$between` | `[low, high]`, inclusive | `numeric` |
//! | `$type` | `"null"`, `"boolean"`, `"number"`, `"string"`, `"array"`, `"object"` | `isType` |
//! | `$timestamp` | `true`, or `{before?, after?, within?, of?}` | `timestamp` |
//! | `$capture` | `"step.name"` | `equalsCapture` |
//!
//! A time reference (`before`, `after`, `of`) is `"now"`, an RFC 3339
//! timestamp, or `{"$capture": "step.name"}`; `within` is a duration such as
//! `"10m"` and measures from `of` (default `"now"`).
//!
//! ```
//! use vigil_matchers::{Matcher, authoring};
//! use serde_json::json;
//!
//! let m = authoring::parse(&json!({
//!     "Item": {
//!         "status": {"S": "COMPLETED"},
//!         "created_at": {"S": {"$regex": "^\\d{4}-"}},
//!         "error_message": {"$absent": true}
//!     }
//! })).unwrap();
//! assert_eq!(authoring::parse(&authoring::emit(&m)).unwrap(), m);
//! ```

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value, json};

use crate::ids::CaptureRef;
use crate::json_type::JsonType;
use crate::matcher::Matcher;
use crate::numeric::{NumericBounds, NumericRange};
use crate::path::ValuePath;
use crate::pattern_error::PatternError;
use crate::regex_pattern::{RegexPattern, one_line};
use crate::timestamp::{
    TimeRef, TimestampSpec, Within, format_rfc3339, parse_duration, read_instant,
};

/// Every tag of the authoring form.
pub const TAGS: &[&str] = &[
    "$exact",
    "$literal",
    "$objectLike",
    "$objectEquals",
    "$arrayWith",
    "$arrayEquals",
    "$arrayContaining",
    "$every",
    "$length",
    "$regex",
    "$contains",
    "$present",
    "$absent",
    "$not",
    "$allOf",
    "$anyOf",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$between",
    "$type",
    "$json",
    "$timestamp",
    "$capture",
];

const NUMERIC_TAGS: &[&str] = &["$gt", "$gte", "$lt", "$lte"];

/// Decodes an authoring-form pattern; the error names the path inside the
/// pattern and what was expected there.
pub fn parse(pattern: &Value) -> Result<Matcher, PatternError> {
    let m = parse_at(pattern, &ValuePath::root())?;
    m.validate()?;
    Ok(m)
}

fn kind_of(v: &Value) -> &'static str {
    JsonType::of(v).with_article()
}

fn list(keys: &[&String]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_at(v: &Value, at: &ValuePath) -> Result<Matcher, PatternError> {
    match v {
        Value::Object(map) => parse_object(map, at),
        Value::Array(items) => Ok(Matcher::ArrayEquals(parse_list(items, at)?)),
        scalar => Ok(Matcher::Exact(scalar.clone())),
    }
}

fn parse_list(items: &[Value], at: &ValuePath) -> Result<Vec<Matcher>, PatternError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_at(item, &at.clone().index(i)))
        .collect()
}

fn parse_members(map: &Map<String, Value>, at: &ValuePath) -> Result<Matcher, PatternError> {
    let members = map
        .iter()
        .map(|(k, v)| Ok((k.clone(), parse_at(v, &at.clone().key(k))?)))
        .collect::<Result<_, PatternError>>()?;
    Ok(Matcher::ObjectLike(members))
}

fn parse_object(map: &Map<String, Value>, at: &ValuePath) -> Result<Matcher, PatternError> {
    let tagged: Vec<&String> = map.keys().filter(|k| k.starts_with('$')).collect();
    if tagged.is_empty() {
        return parse_members(map, at);
    }
    if tagged.len() < map.len() {
        let plain: Vec<&String> = map.keys().filter(|k| !k.starts_with('$')).collect();
        return Err(PatternError::new(
            at,
            format!(
                "this object mixes `$` keys ({}) with plain keys ({}). A matcher object holds \
                 only its tag; to match a literal key that starts with `$`, wrap the object in \
                 {{\"$objectLike\": {{...}}}} (values stay patterns) or {{\"$literal\": {{...}}}} \
                 (everything literal)",
                list(&tagged),
                list(&plain)
            ),
        ));
    }
    if let Some(unknown) = tagged.iter().find(|k| !TAGS.contains(&k.as_str())) {
        return Err(PatternError::new(
            &at.clone().key(unknown.as_str()),
            match crate::suggest::closest(unknown, TAGS.iter().copied()) {
                Some(tag) => format!(
                    "`{unknown}` is not a matcher tag; did you mean `{tag}`? (To match a literal \
                     key `{unknown}`, wrap the object in {{\"$objectLike\": {{...}}}} or \
                     {{\"$literal\": {{...}}}})"
                ),
                None => format!(
                    "`{unknown}` is not a matcher tag (the tags are {}). To match a literal key \
                     `{unknown}`, wrap the object in {{\"$objectLike\": {{...}}}} or \
                     {{\"$literal\": {{...}}}}",
                    TAGS.join(", ")
                ),
            },
        ));
    }
    if tagged.iter().all(|k| NUMERIC_TAGS.contains(&k.as_str())) {
        return parse_bounds(map, at);
    }
    if map.len() > 1 {
        return Err(PatternError::new(
            at,
            format!(
                "one matcher per object, found {} (only $gt/$gte/$lt/$lte combine); to require \
                 several, write {{\"$allOf\": [...]}}",
                list(&tagged)
            ),
        ));
    }
    let (tag, arg) = map
        .iter()
        .next()
        .ok_or_else(|| PatternError::new(at, "empty object"))?;
    parse_tag(tag, arg, &at.clone().key(tag))
}

fn expect<'v>(
    arg: &'v Value,
    at: &ValuePath,
    tag: &str,
    wanted: &str,
    pick: impl Fn(&'v Value) -> bool,
) -> Result<&'v Value, PatternError> {
    if pick(arg) {
        Ok(arg)
    } else {
        Err(PatternError::new(
            at,
            format!("`{tag}` expects {wanted}, got {}", kind_of(arg)),
        ))
    }
}

fn parse_tag(tag: &str, arg: &Value, at: &ValuePath) -> Result<Matcher, PatternError> {
    let object = |arg: &Value| -> Result<Map<String, Value>, PatternError> {
        Ok(expect(arg, at, tag, "an object", Value::is_object)?
            .as_object()
            .cloned()
            .unwrap_or_default())
    };
    let array = |arg: &Value| -> Result<Vec<Matcher>, PatternError> {
        let items = expect(arg, at, tag, "an array of patterns", Value::is_array)?;
        parse_list(items.as_array().map(Vec::as_slice).unwrap_or_default(), at)
    };
    let string = |arg: &Value, wanted: &str| -> Result<String, PatternError> {
        // `{$contains: {$capture: step.name}}`: a capture inside a string
        // matcher is written as a template.
        if let Some(Value::String(c)) = arg.as_object().and_then(|o| o.get("$capture")) {
            return Err(PatternError::new(
                at,
                format!(
                    "`{tag}` takes a string; to use a capture in it, write the template \
                     \"${{{c}}}\" (parameters too: \"${{Name}}\"; `$${{` is a literal `${{`)"
                ),
            ));
        }
        Ok(expect(arg, at, tag, wanted, Value::is_string)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    };
    let flag = |arg: &Value, other: &str| -> Result<(), PatternError> {
        match arg {
            Value::Bool(true) => Ok(()),
            Value::Bool(false) => Err(PatternError::new(
                at,
                format!("`{tag}: false` is not a matcher; write {{\"{other}\": true}} instead"),
            )),
            other_value => Err(PatternError::new(
                at,
                format!("`{tag}` expects `true`, got {}", kind_of(other_value)),
            )),
        }
    };
    let boxed = |arg: &Value| parse_at(arg, at).map(Box::new);
    Ok(match tag {
        "$exact" => Matcher::Exact(arg.clone()),
        "$literal" => Matcher::literal(arg),
        "$objectLike" | "$objectEquals" => {
            let Matcher::ObjectLike(members) = parse_members(&object(arg)?, at)? else {
                return Err(PatternError::new(
                    at,
                    "internal: members did not decode to an object",
                ));
            };
            if tag == "$objectLike" {
                Matcher::ObjectLike(members)
            } else {
                Matcher::ObjectEquals(members)
            }
        }
        "$arrayWith" => Matcher::ArrayWith(array(arg)?),
        "$arrayEquals" => Matcher::ArrayEquals(array(arg)?),
        "$arrayContaining" => Matcher::ArrayContaining(array(arg)?),
        "$allOf" => Matcher::AllOf(array(arg)?),
        "$anyOf" => {
            let alternatives = array(arg)?;
            if alternatives.is_empty() {
                return Err(PatternError::new(
                    at,
                    "`$anyOf` needs at least one alternative (an empty one can never match)",
                ));
            }
            Matcher::AnyOf(alternatives)
        }
        "$every" => Matcher::Every(boxed(arg)?),
        "$length" => Matcher::Length(boxed(arg)?),
        "$not" => Matcher::Not(boxed(arg)?),
        "$json" => Matcher::SerializedJson(boxed(arg)?),
        "$regex" => {
            let source = string(arg, "a string (a regular expression)")?;
            let re = RegexPattern::new(&source).map_err(|e| {
                PatternError::new(at, format!("invalid regular expression: {}", one_line(&e)))
            })?;
            Matcher::StringLikeRegexp(re)
        }
        "$contains" => Matcher::StringContains(string(arg, "a string")?),
        "$present" => {
            flag(arg, "$absent")?;
            Matcher::Present
        }
        "$absent" => {
            flag(arg, "$present")?;
            Matcher::Absent
        }
        "$between" => {
            let pair = arg.as_array().filter(|a| a.len() == 2);
            let (Some(Value::Number(lo)), Some(Value::Number(hi))) =
                (pair.and_then(|p| p.first()), pair.and_then(|p| p.get(1)))
            else {
                return Err(PatternError::new(
                    at,
                    "`$between` expects [low, high], two numbers (both inclusive)",
                ));
            };
            Matcher::Numeric(
                NumericRange::between(lo.clone(), hi.clone())
                    .map_err(|e| PatternError::new(at, e.to_string()))?,
            )
        }
        "$type" => {
            let name = string(arg, "a type name")?;
            let t = JsonType::from_name(&name).ok_or_else(|| {
                PatternError::new(
                    at,
                    format!(
                        "`{name}` is not a JSON type; expected one of null, boolean, number, \
                         string, array, object"
                    ),
                )
            })?;
            Matcher::IsType(t)
        }
        "$timestamp" => Matcher::Timestamp(parse_timestamp(arg, at)?),
        "$capture" => Matcher::EqualsCapture(parse_capture(arg, at)?),
        // The numeric bounds are handled with their siblings.
        other => {
            return Err(PatternError::new(
                at,
                format!("`{other}` must stand in an object of numeric bounds"),
            ));
        }
    })
}

fn parse_bounds(map: &Map<String, Value>, at: &ValuePath) -> Result<Matcher, PatternError> {
    let mut bounds = NumericBounds::default();
    for (k, v) in map {
        let Value::Number(n) = v else {
            return Err(PatternError::new(
                &at.clone().key(k),
                format!("`{k}` expects a number, got {}", kind_of(v)),
            ));
        };
        let slot = match k.as_str() {
            "$gt" => &mut bounds.gt,
            "$gte" => &mut bounds.gte,
            "$lt" => &mut bounds.lt,
            _ => &mut bounds.lte,
        };
        *slot = Some(n.clone());
    }
    NumericRange::new(bounds)
        .map(Matcher::Numeric)
        .map_err(|e| PatternError::new(at, e.to_string()))
}

fn parse_capture(arg: &Value, at: &ValuePath) -> Result<CaptureRef, PatternError> {
    let Value::String(s) = arg else {
        return Err(PatternError::new(
            at,
            format!(
                "`$capture` expects \"<step>.<capture>\", got {}",
                kind_of(arg)
            ),
        ));
    };
    s.parse().map_err(|e| PatternError::new(at, format!("{e}")))
}

fn parse_time_ref(v: &Value, at: &ValuePath) -> Result<TimeRef, PatternError> {
    const WANTED: &str = "expected \"now\", a timestamp (RFC 3339, a date, epoch seconds or \
         milliseconds) or {\"$capture\": \"<step>.<capture>\"}";
    match v {
        Value::String(s) if s == "now" => Ok(TimeRef::Now),
        Value::String(_) | Value::Number(_) => read_instant(v)
            .map(TimeRef::At)
            .map_err(|e| PatternError::new(at, format!("{e}; {WANTED}"))),
        Value::Object(o) if o.len() == 1 && o.contains_key("$capture") => Ok(TimeRef::Capture(
            parse_capture(&o["$capture"], &at.clone().key("$capture"))?,
        )),
        other => Err(PatternError::new(
            at,
            format!("{WANTED}, got {}", kind_of(other)),
        )),
    }
}

fn parse_timestamp(arg: &Value, at: &ValuePath) -> Result<TimestampSpec, PatternError> {
    let map = match arg {
        Value::Bool(true) => return Ok(TimestampSpec::default()),
        Value::Object(map) => map,
        other => {
            return Err(PatternError::new(
                at,
                format!(
                    "`$timestamp` expects `true` or {{before?, after?, within?, of?}}, got {}",
                    kind_of(other)
                ),
            ));
        }
    };
    let mut spec = TimestampSpec::default();
    let mut within = None;
    let mut of = None;
    for (k, v) in map {
        let here = at.clone().key(k);
        match k.as_str() {
            "before" => spec.before = Some(parse_time_ref(v, &here)?),
            "after" => spec.after = Some(parse_time_ref(v, &here)?),
            "of" => of = Some(parse_time_ref(v, &here)?),
            "within" => {
                let text = v.as_str().ok_or_else(|| {
                    PatternError::new(&here, "`within` expects a duration such as \"10m\"")
                })?;
                within = Some(parse_duration(text).map_err(|e| {
                    PatternError::new(
                        &here,
                        format!("`{text}` is not a duration ({e}); write e.g. \"90s\", \"10m\" or \"1h 30m\""),
                    )
                })?);
            }
            other => {
                return Err(PatternError::new(
                    &here,
                    format!(
                        "`$timestamp` has no option `{other}`; the options are before, after, within, of"
                    ),
                ));
            }
        }
    }
    match (within, of) {
        (Some(duration), of) => {
            spec.within = Some(Within {
                duration,
                of: of.unwrap_or(TimeRef::Now),
            })
        }
        (None, Some(_)) => {
            return Err(PatternError::new(
                &at.clone().key("of"),
                "`of` only goes with `within` (\"within 10m of ...\")",
            ));
        }
        (None, None) => {}
    }
    Ok(spec)
}

/// Encodes a matcher in the authoring form, choosing the shortest spelling
/// that decodes back to exactly the same matcher.
pub fn emit(m: &Matcher) -> Value {
    let tagged = |tag: &str, arg: Value| {
        let mut map = Map::new();
        map.insert(tag.to_owned(), arg);
        Value::Object(map)
    };
    let members = |map: &std::collections::BTreeMap<String, Matcher>| {
        Value::Object(map.iter().map(|(k, m)| (k.clone(), emit(m))).collect())
    };
    let items = |list: &[Matcher]| Value::Array(list.iter().map(emit).collect());
    match m {
        Matcher::Exact(v @ (Value::Object(_) | Value::Array(_))) => tagged("$exact", v.clone()),
        Matcher::Exact(scalar) => scalar.clone(),
        Matcher::ObjectLike(map) if !map.keys().any(|k| k.starts_with('$')) => members(map),
        Matcher::ObjectLike(map) => tagged("$objectLike", members(map)),
        Matcher::ObjectEquals(map) => tagged("$objectEquals", members(map)),
        Matcher::ArrayEquals(list) => items(list),
        Matcher::ArrayWith(list) => tagged("$arrayWith", items(list)),
        Matcher::ArrayContaining(list) => tagged("$arrayContaining", items(list)),
        Matcher::AllOf(list) => tagged("$allOf", items(list)),
        Matcher::AnyOf(list) => tagged("$anyOf", items(list)),
        Matcher::Every(i) => tagged("$every", emit(i)),
        Matcher::Length(i) => tagged("$length", emit(i)),
        Matcher::Not(i) => tagged("$not", emit(i)),
        Matcher::SerializedJson(i) => tagged("$json", emit(i)),
        Matcher::StringLikeRegexp(r) => tagged("$regex", Value::String(r.as_str().to_owned())),
        Matcher::StringContains(s) => tagged("$contains", Value::String(s.clone())),
        Matcher::Present => tagged("$present", Value::Bool(true)),
        Matcher::Absent => tagged("$absent", Value::Bool(true)),
        Matcher::IsType(t) => tagged("$type", Value::String(t.name().to_owned())),
        Matcher::EqualsCapture(c) => tagged("$capture", Value::String(c.to_string())),
        Matcher::Numeric(range) => {
            let b = range.bounds();
            let pairs: [(&str, &Option<Number>); 4] = [
                ("$gt", &b.gt),
                ("$gte", &b.gte),
                ("$lt", &b.lt),
                ("$lte", &b.lte),
            ];
            Value::Object(
                pairs
                    .into_iter()
                    .filter_map(|(k, n)| n.clone().map(|n| (k.to_owned(), Value::Number(n))))
                    .collect(),
            )
        }
        Matcher::Timestamp(spec) => {
            let time_ref = |r: &TimeRef| match r {
                TimeRef::Now => json!("now"),
                TimeRef::At(t) => json!(format_rfc3339(*t)),
                TimeRef::Capture(c) => json!({"$capture": c.to_string()}),
            };
            let mut opts = Map::new();
            if let Some(b) = &spec.before {
                opts.insert("before".into(), time_ref(b));
            }
            if let Some(a) = &spec.after {
                opts.insert("after".into(), time_ref(a));
            }
            if let Some(w) = &spec.within {
                opts.insert(
                    "within".into(),
                    json!(crate::duration_text::format(w.duration).to_string()),
                );
                opts.insert("of".into(), time_ref(&w.of));
            }
            if opts.is_empty() {
                tagged("$timestamp", Value::Bool(true))
            } else {
                tagged("$timestamp", Value::Object(opts))
            }
        }
    }
}

/// A matcher that (de)serializes in the authoring form; use it as the type
/// of `expect` fields in suite files.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthoredMatcher(pub Matcher);

impl Serialize for AuthoredMatcher {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        emit(&self.0).serialize(s)
    }
}

impl<'de> Deserialize<'de> for AuthoredMatcher {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        parse(&v)
            .map(AuthoredMatcher)
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for AuthoredMatcher {
    fn schema_name() -> Cow<'static, str> {
        "Pattern".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let me = generator.subschema_for::<AuthoredMatcher>();
        let one = |tag: &str, arg: Value, description: &str| {
            json!({
                "type": "object",
                "description": description,
                "properties": {tag: arg},
                "required": [tag],
                "additionalProperties": false
            })
        };
        let me_v = serde_json::to_value(&me).unwrap_or(Value::Bool(true));
        let patterns = json!({"type": "array", "items": me_v});
        let members = json!({"type": "object", "additionalProperties": me_v});
        let time_ref = json!({
            "anyOf": [
                {"const": "now"},
                {"type": "string", "description": "RFC 3339, a date (YYYY-MM-DD, midnight UTC), or epoch seconds or milliseconds as text."},
                {"type": "number", "description": "Epoch seconds; milliseconds from 1e11."},
                one("$capture", json!({"type": "string", "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"}), "A captured timestamp.")
            ]
        });
        let number = json!({"type": "number"});
        let schema = json!({
            "description": "A vigil pattern (authoring form). A plain object means objectLike, a plain array arrayEquals, a scalar exact; an object of `$` keys is a matcher.",
            "anyOf": [
                {"type": ["null", "boolean", "number", "string"], "description": "exact"},
                {"type": "array", "items": me_v, "description": "arrayEquals of the elements"},
                {
                    "type": "object",
                    "description": "objectLike of the members (keys must not start with `$`; escape such keys with $objectLike or $literal)",
                    "propertyNames": {"not": {"pattern": "^\\$"}},
                    "additionalProperties": me_v
                },
                one("$exact", json!(true), "Deep equality with this value; nothing inside is a matcher."),
                one("$literal", json!(true), "This value with the plain-literal rules; nothing inside is a matcher."),
                one("$objectLike", members.clone(), "An object with at least these members (keys literal)."),
                one("$objectEquals", members, "An object with exactly these members (keys literal)."),
                one("$arrayWith", patterns.clone(), "An array containing these, in order, not necessarily adjacent."),
                one("$arrayEquals", patterns.clone(), "An array of exactly these elements."),
                one("$arrayContaining", patterns.clone(), "An array with a distinct element for each, in any order."),
                one("$every", me_v.clone(), "An array whose every element matches."),
                one("$length", me_v.clone(), "An array, string or object whose length matches."),
                one("$not", me_v.clone(), "Anything the inner pattern does not match."),
                one("$json", me_v.clone(), "A string holding JSON that matches."),
                one("$allOf", patterns.clone(), "All of these."),
                one("$anyOf", json!({"type": "array", "items": me_v, "minItems": 1}), "At least one of these."),
                one("$regex", json!({"type": "string", "format": "regex"}), "A string in which the regular expression finds a match (^ and $ also match at line breaks)."),
                one("$contains", json!({"type": "string"}), "A string containing this substring."),
                one("$present", json!({"const": true}), "Any value, null included."),
                one("$absent", json!({"const": true}), "The key must be missing."),
                one("$between", json!({"type": "array", "items": number, "minItems": 2, "maxItems": 2}), "A number in [low, high]."),
                one("$type", json!({"enum": ["null", "boolean", "number", "string", "array", "object"]}), "A value of this JSON type."),
                one("$timestamp", json!({
                    "anyOf": [
                        {"const": true},
                        {
                            "type": "object",
                            "properties": {
                                "before": time_ref,
                                "after": time_ref,
                                "within": {"type": "string", "description": "A duration such as \"10m\"."},
                                "of": time_ref
                            },
                            "additionalProperties": false
                        }
                    ]
                }), "A timestamp (RFC 3339, a date, epoch seconds or milliseconds) with optional constraints."),
                one("$capture", json!({"type": "string", "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"}), "Equal to a value captured by an earlier step."),
                {
                    "type": "object",
                    "description": "numeric: a number (or a string holding one) within these bounds",
                    "properties": {"$gt": number, "$gte": number, "$lt": number, "$lte": number},
                    "minProperties": 1,
                    "additionalProperties": false
                }
            ]
        });
        Schema::try_from(schema).unwrap_or_else(|_| json_schema!(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(v: Value) -> String {
        parse(&v).unwrap_err().to_string()
    }

    #[test]
    fn every_key_is_checked_not_only_the_first() {
        let e = err(json!({"a": 1, "$regex": "x"}));
        assert!(
            e.contains("mixes `$` keys (`$regex`) with plain keys (`a`)"),
            "{e}"
        );
        let e = err(json!({"Item": {"$regex": "x", "$contains": "y"}}));
        assert!(
            e.starts_with("pattern error at $['Item']: one matcher per object"),
            "{e}"
        );
        let e = err(json!({"x": {"$metadata": {"httpStatusCode": 200}}}));
        assert!(
            e.starts_with("pattern error at $['x']['$metadata']: `$metadata` is not a matcher tag"),
            "{e}"
        );
        assert!(e.contains("the tags are"), "no close tag, so the list: {e}");
        let e = err(json!({"status": {"$regx": "^t-"}}));
        assert!(
            e.contains("`$regx` is not a matcher tag; did you mean `$regex`?"),
            "{e}"
        );
    }

    #[test]
    fn escapes_make_dollar_keys_literal() {
        let lit = parse(&json!({"$literal": {"$regex": "x", "n": {"$absent": true}}})).unwrap();
        assert_eq!(
            lit,
            Matcher::object_like([
                ("$regex", Matcher::exact("x")),
                (
                    "n",
                    Matcher::object_like([("$absent", Matcher::exact(true))])
                ),
            ])
        );
        let like = parse(&json!({"$objectLike": {"$regex": {"$present": true}}})).unwrap();
        assert_eq!(like, Matcher::object_like([("$regex", Matcher::present())]));
        assert_eq!(
            emit(&like),
            json!({"$objectLike": {"$regex": {"$present": true}}})
        );
    }

    #[test]
    fn numeric_bounds_combine() {
        let m = parse(&json!({"$gte": 1, "$lt": 5})).unwrap();
        assert_eq!(m.to_string(), "numeric(>= 1 and < 5)");
        assert!(err(json!({"$gte": 5, "$lt": 1})).contains("is empty"));
        assert!(err(json!({"$gte": "1"})).contains("`$gte` expects a number, got a string"));
        assert_eq!(
            parse(&json!({"$between": [1, 2]})).unwrap(),
            parse(&json!({"$gte": 1, "$lte": 2})).unwrap()
        );
    }

    #[test]
    fn arguments_are_checked_with_their_path() {
        assert_eq!(
            err(json!({"a": [{"$regex": "("}]})),
            "pattern error at $['a'][0]['$regex']: invalid regular expression: regex parse error: ( error: unclosed group"
        );
        assert!(err(json!({"$present": false})).contains("write {\"$absent\": true} instead"));
        assert!(err(json!({"$type": "int"})).contains("`int` is not a JSON type"));
        assert!(err(json!({"$capture": "nodot"})).contains("<step>.<capture>"));
        assert!(
            err(json!({"$timestamp": {"within": "soon"}})).contains("`soon` is not a duration")
        );
        assert!(err(json!({"$timestamp": {"of": "now"}})).contains("`of` only goes with `within`"));
        assert!(
            err(json!({"$timestamp": {"after": "yesterday"}}))
                .contains("`yesterday` is not a timestamp")
        );
        assert!(err(json!({"$anyOf": []})).contains("at least one alternative"));
        assert!(
            err(json!({"$arrayWith": [{"$absent": true}]})).contains("`absent` can only describe")
        );
    }

    #[test]
    fn emit_picks_the_spelling_that_decodes_back() {
        for (m, text) in [
            (Matcher::exact(json!({"a": 1})), json!({"$exact": {"a": 1}})),
            (Matcher::exact(json!([1])), json!({"$exact": [1]})),
            (Matcher::exact("s"), json!("s")),
            (Matcher::array_equals([Matcher::exact(1)]), json!([1])),
            (Matcher::object_like::<&str>([]), json!({})),
            (
                Matcher::timestamp(TimestampSpec::default()),
                json!({"$timestamp": true}),
            ),
        ] {
            assert_eq!(emit(&m), text);
            assert_eq!(parse(&text).unwrap(), m);
        }
    }
}
