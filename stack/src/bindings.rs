//! Where each suite parameter's value comes from when the stack is built.
//!
//! IAM is derived from these values, so they are decided at synth time: a
//! parameter bound to an application stack output becomes a template
//! parameter (CloudFormation fills it in at deploy time, and the role's
//! ARNs refer to it); any other parameter is fixed to its `--param`, `env`
//! or `default` value. The execution input can still override parameters
//! at run time, but IAM does not follow such overrides: a run-time value
//! that names another resource needs a `permissions` entry.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use vigil_protocol::template::{self, Piece};
use vigil_state_machine::validate::SuiteError;
use vigil_state_machine::{ParamName, ParamType, Suite};

use crate::SynthError;
use crate::sub_text::SubText;

/// How one parameter is known when the stack is built.
#[derive(Debug, Clone, PartialEq)]
pub enum Binding {
    /// Fixed at synth: `--param`, the `env` variable, or the default.
    Fixed(Value),
    /// Bound at deploy time to a template parameter (a stack output).
    Deployed {
        /// The template parameter's logical name.
        template_param: String,
        /// Its default, when the suite (or `env`) gives one.
        default: Option<String>,
        /// The stack output it is read from.
        stack_output: String,
    },
    /// No value at all (a null default and nothing else).
    Unknown,
}

/// Every parameter's binding.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bindings {
    map: BTreeMap<ParamName, Binding>,
}

/// `task-table` / `task_table` -> `TaskTable`: template parameter names
/// are alphanumeric only.
pub fn template_param_name(param: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in param.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Bindings {
    /// Binds every parameter of `suite`. `explicit` holds `--param` values;
    /// `env` reads environment variables; `reserved` are template parameter
    /// names the skeleton already uses.
    pub fn new(
        suite: &Suite,
        explicit: &BTreeMap<String, Value>,
        env: &dyn Fn(&str) -> Option<String>,
        reserved: &BTreeSet<String>,
    ) -> Result<Self, SynthError> {
        let mut map = BTreeMap::new();
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        let mut problems = Vec::new();
        for name in explicit.keys() {
            if !suite.params.keys().any(|k| k.as_str() == name) {
                problems.push(SuiteError::at(
                    format!("--param {name}"),
                    format!("the suite declares no parameter `{name}`"),
                ));
            }
        }
        for (name, p) in &suite.params {
            // A value from the environment is text, read as the
            // parameter's type (a string unless it says otherwise).
            let from_env = match p.env.as_deref().and_then(|e| env(e).map(|v| (e, v))) {
                Some((variable, text)) => match ParamType::of(p).read(&text) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        problems.push(SuiteError::at(
                            format!("params.{name}"),
                            format!("${variable}: {e}"),
                        ));
                        None
                    }
                },
                None => None,
            };
            let binding = if let Some(v) = explicit.get(name.as_str()) {
                Binding::Fixed(v.clone())
            } else if let Some(output) = &p.stack_output {
                let template_param = template_param_name(name.as_str());
                if template_param.is_empty() {
                    problems.push(SuiteError::at(
                        format!("params.{name}"),
                        "the name has no letters or digits to name a template parameter",
                    ));
                }
                if reserved.contains(&template_param) {
                    problems.push(SuiteError::at(
                        format!("params.{name}"),
                        format!(
                            "its template parameter `{template_param}` is one vigil's template \
                             already has; rename the parameter"
                        ),
                    ));
                }
                if let Some(other) = taken.insert(template_param.clone(), name.to_string()) {
                    problems.push(SuiteError::at(
                        format!("params.{name}"),
                        format!(
                            "`{other}` and `{name}` both become template parameter \
                             `{template_param}`; rename one"
                        ),
                    ));
                }
                Binding::Deployed {
                    template_param,
                    default: from_env.as_ref().or(p.default.as_ref()).and_then(as_text),
                    stack_output: output.clone(),
                }
            } else if let Some(v) = from_env.or_else(|| p.default.clone()) {
                if v.is_null() {
                    Binding::Unknown
                } else {
                    Binding::Fixed(v)
                }
            } else {
                Binding::Unknown
            };
            map.insert(name.clone(), binding);
        }
        if problems.is_empty() {
            Ok(Bindings { map })
        } else {
            Err(SynthError::Params(problems))
        }
    }

    /// The binding of one parameter.
    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.map
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, b)| b)
    }

    /// Every binding, by parameter.
    pub fn iter(&self) -> impl Iterator<Item = (&ParamName, &Binding)> {
        self.map.iter()
    }

    /// A call's template string as Sub text: literal text stays, fixed
    /// parameters are spliced in, deploy-time ones become `${TemplateParam}`,
    /// captures and unknown values become `*`.
    pub fn render(&self, text: &str) -> SubText {
        let mut out = SubText::new();
        let Ok(pieces) = template::parse(text) else {
            out.push_wildcard();
            return out;
        };
        for piece in pieces {
            match piece {
                Piece::Text(t) => out.push_literal(&t),
                Piece::Param(p) => match self.get(&p) {
                    Some(Binding::Fixed(v)) => match as_text(v) {
                        Some(t) => out.push_literal(&t),
                        None => out.push_wildcard(),
                    },
                    Some(Binding::Deployed { template_param, .. }) => out.push_ref(template_param),
                    Some(Binding::Unknown) | None => out.push_wildcard(),
                },
                Piece::Capture(_) => out.push_wildcard(),
            }
        }
        out
    }

    /// A value of a call's parameters as Sub text, when it is a string.
    pub fn render_value(&self, value: Option<&Value>) -> Option<SubText> {
        match value? {
            Value::String(s) => Some(self.render(s)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use vigil_state_machine::{Format, parse};

    fn suite() -> Suite {
        parse(
            "suite: s\nparams:\n  task_table: {stack_output: TaskTableName, default: Tasks}\n  Api: {env: API_URL, default: http://x}\n  Region: eu-west-1\n  Nothing: null\nscenarios:\n  a:\n    steps:\n      - {id: x, call: {kind: aws, service: dynamodb, operation: GetItem}}\n",
            Format::Yaml,
            Path::new("s.yaml"),
        )
        .unwrap()
    }

    #[test]
    fn stack_outputs_become_template_parameters_and_the_rest_is_fixed() {
        let env = |k: &str| (k == "API_URL").then(|| "https://api.example".to_owned());
        let b = Bindings::new(&suite(), &BTreeMap::new(), &env, &BTreeSet::new()).unwrap();
        assert_eq!(
            b.get("task_table"),
            Some(&Binding::Deployed {
                template_param: "TaskTable".into(),
                default: Some("Tasks".into()),
                stack_output: "TaskTableName".into()
            })
        );
        assert_eq!(
            b.get("Api"),
            Some(&Binding::Fixed(Value::String("https://api.example".into())))
        );
        assert_eq!(b.get("Nothing"), Some(&Binding::Unknown));
        assert_eq!(
            b.render("table/${task_table}/index/${x.idx}-${Region}")
                .as_str(),
            "table/${TaskTable}/index/*-eu-west-1"
        );
        assert_eq!(b.render("${Nothing}").as_str(), "*");
    }

    #[test]
    fn explicit_values_win_and_unknown_names_are_errors() {
        let explicit: BTreeMap<String, Value> = [
            ("task_table".to_owned(), Value::String("T2".into())),
            ("Nope".to_owned(), Value::Null),
        ]
        .into();
        let e = Bindings::new(&suite(), &explicit, &|_| None, &BTreeSet::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameters cannot be bound:\n  at --param Nope: the suite declares no parameter `Nope`"
        );
        let explicit: BTreeMap<String, Value> =
            [("task_table".to_owned(), Value::String("T2".into()))].into();
        let b = Bindings::new(&suite(), &explicit, &|_| None, &BTreeSet::new()).unwrap();
        assert_eq!(b.render("${task_table}").as_str(), "T2");
    }

    #[test]
    fn template_parameter_names_are_alphanumeric_and_unique() {
        assert_eq!(template_param_name("task-table_name"), "TaskTableName");
        let reserved: BTreeSet<String> = ["TaskTable".to_owned()].into();
        let e = Bindings::new(&suite(), &BTreeMap::new(), &|_| None, &reserved).unwrap_err();
        assert!(
            e.to_string().contains("one vigil's template already has"),
            "{e}"
        );
    }
}
