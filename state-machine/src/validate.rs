//! Everything about a suite that the type system cannot check, found before
//! anything is deployed, each with the path to fix: unknown or duplicate
//! step ids, templates naming parameters or captures that do not exist (or
//! not yet), cross-scenario waits that form a cycle, poll policies that
//! cannot work, and suites whose worst case would break Step Functions'
//! limits (25,000 history events, 256 KiB of state), with the numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use vigil_matchers::{CaptureRef, StepId};
use vigil_protocol::template::{self, Piece};
use vigil_protocol::{Call, CognitoPassword, HttpAuth, HttpCall};

use crate::limits::{
    EVENTS_PER_ATTEMPT, EVENTS_PER_EXECUTION, EVENTS_PER_SCENARIO, EVENTS_PER_STEP,
    MAX_HISTORY_EVENTS, MAX_STATE_NAME_CHARS, MIN_REPORT_BYTES, params_bytes, response_share,
};
use crate::names::ScenarioName;
use crate::state_names::step_state_names;
use crate::suite::{Step, Suite};

/// A problem in a suite, located by its path (and by line and column when
/// the suite came from text: [`crate::ValidSuite::with_source`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteError {
    /// Where, e.g. `scenarios.completed.steps[1].call`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// 1-based (line, column) in the source, when known.
    pub position: Option<(u64, u64)>,
}

impl SuiteError {
    /// A problem at `path`, not yet located in the source.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> SuiteError {
        SuiteError {
            path: path.into(),
            message: message.into(),
            position: None,
        }
    }
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.path, self.message)
    }
}

struct Located<'a> {
    scenario: &'a ScenarioName,
    index: usize,
    step: &'a Step,
}

impl Located<'_> {
    fn path(&self, tail: &str) -> String {
        format!("scenarios.{}.steps[{}]{tail}", self.scenario, self.index)
    }
}

/// All problems, in suite order; empty when the suite is valid.
pub fn validate(suite: &Suite) -> Vec<SuiteError> {
    let mut errors = Vec::new();
    let mut err = |path: String, message: String| {
        errors.push(SuiteError {
            path,
            message,
            position: None,
        })
    };

    if suite.scenarios.is_empty() {
        err(
            "scenarios".into(),
            "a suite needs at least one scenario".into(),
        );
    }
    let mut steps: Vec<Located<'_>> = Vec::new();
    for (scenario, sc) in &suite.scenarios {
        if sc.steps.is_empty() {
            err(
                format!("scenarios.{scenario}.steps"),
                "a scenario needs at least one step".into(),
            );
        }
        for (index, step) in sc.steps.iter().enumerate() {
            steps.push(Located {
                scenario,
                index,
                step,
            });
        }
    }

    // Unique ids.
    let mut by_id: BTreeMap<&StepId, usize> = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(&first) = by_id.get(&s.step.id) {
            err(
                s.path(".id"),
                format!(
                    "step id `{}` is already used at {}; step ids are unique in a suite",
                    s.step.id,
                    steps[first].path("")
                ),
            );
        } else {
            by_id.insert(&s.step.id, i);
        }
    }

    // State names. The compiler shortens names over Step Functions' 80
    // characters with a 16-bit hash, so two long ids of one scenario can
    // get the same name, and one state would silently replace the other.
    let mut state_names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        for name in step_state_names(s.scenario.as_str(), s.step.id.as_str()) {
            match state_names.get(&name) {
                // The same id twice is reported above.
                Some(&j) if steps[j].step.id != s.step.id => {
                    err(
                        s.path(".id"),
                        format!(
                            "steps `{}` and `{}` would both have the state `{name}` once \
                             shortened to Step Functions' {MAX_STATE_NAME_CHARS} characters; \
                             make the ids differ in their first characters",
                            steps[j].step.id, s.step.id
                        ),
                    );
                    break;
                }
                Some(_) => {}
                None => {
                    state_names.insert(name, i);
                }
            }
        }
    }

    // Happens-before edges: the previous step of the scenario, and `after`.
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (i, s) in steps.iter().enumerate() {
        if s.index > 0 {
            preds[i].push(i - 1);
        }
        for (k, dep) in s.step.after.iter().enumerate() {
            match by_id.get(dep) {
                None => err(
                    s.path(&format!(".after[{k}]")),
                    format!("`{dep}` is not a step of this suite"),
                ),
                Some(&j) if steps[j].scenario == s.scenario => err(
                    s.path(&format!(".after[{k}]")),
                    format!(
                        "`{dep}` is in the same scenario; steps of a scenario already run in order, \
                         `after` is for steps of other scenarios"
                    ),
                ),
                Some(&j) => preds[i].push(j),
            }
        }
    }
    if let Some(cycle) = find_cycle(&preds) {
        let names: Vec<String> = cycle
            .iter()
            .map(|&i| steps[i].step.id.to_string())
            .collect();
        err(
            steps[cycle[0]].path(".after"),
            format!(
                "the steps wait for each other in a cycle: {} -> {}",
                names.join(" -> "),
                names[0]
            ),
        );
    }
    let before = ancestors(&preds);

    // Templates and capture references.
    for (i, s) in steps.iter().enumerate() {
        let call = serde_json::to_value(&s.step.call).unwrap_or_default();
        let pieces = match template::references(&call) {
            Ok(p) => p,
            Err(e) => {
                err(s.path(".call"), e.to_string());
                continue;
            }
        };
        let mut captures: Vec<(CaptureRef, &str)> = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Param(p) if !suite.params.keys().any(|k| k.as_str() == p) => {
                    err(s.path(".call"), unknown_param(suite, &p))
                }
                Piece::Capture(c) => captures.push((c, ".call")),
                _ => {}
            }
        }
        if let Call::Http(HttpCall {
            auth:
                Some(HttpAuth::Cognito {
                    password_secret,
                    password,
                    ..
                }),
            ..
        }) = &s.step.call
            && let Some(problem) =
                cognito_password_problem(password_secret, password, &by_id, &steps)
        {
            err(s.path(".call.auth"), problem);
        }
        if let Some(m) = &s.step.expect {
            captures.extend(m.capture_refs().into_iter().map(|c| (c.clone(), ".expect")));
            match template::matcher_references(m) {
                Err(e) => err(s.path(".expect"), e.to_string()),
                Ok(pieces) => {
                    for piece in pieces {
                        match piece {
                            Piece::Param(p) if !suite.params.keys().any(|k| k.as_str() == p) => {
                                err(s.path(".expect"), unknown_param(suite, &p))
                            }
                            Piece::Capture(c) => captures.push((c, ".expect")),
                            _ => {}
                        }
                    }
                }
            }
            if let Some(key) = templated_key(m) {
                err(
                    s.path(".expect"),
                    format!(
                        "the key `{key}` has a template, and keys are not filled in (only \
                         values are); write `$${{` for a literal `${{`"
                    ),
                );
            }
        }
        for (c, field) in captures {
            let Some(&j) = by_id.get(&c.step) else {
                err(
                    s.path(field),
                    format!("`{c}`: no step has the id `{}`", c.step),
                );
                continue;
            };
            if !steps[j].step.capture.contains_key(&c.name) {
                let made: Vec<&str> = steps[j].step.capture.keys().map(|k| k.as_str()).collect();
                err(
                    s.path(field),
                    format!(
                        "`{c}`: step `{}` captures no `{}` (it captures: {})",
                        c.step,
                        c.name,
                        if made.is_empty() {
                            "nothing".to_owned()
                        } else {
                            made.join(", ")
                        }
                    ),
                );
            } else if !before[i].contains(&j) {
                // `after` is for steps of other scenarios only (it is
                // refused within one), so the hint depends on where the
                // capturing step is.
                let fix = if steps[j].scenario == s.scenario {
                    format!("move `{}` before `{}` in the scenario", c.step, s.step.id)
                } else {
                    format!("add `after: [{}]` to `{}`", c.step, s.step.id)
                };
                err(
                    s.path(field),
                    format!(
                        "`{c}` is captured by step `{}`, which does not run before `{}`; {fix}",
                        c.step, s.step.id
                    ),
                );
            }
        }
        if let Some(p) = &s.step.poll
            && let Err(e) = p.validate()
        {
            err(s.path(".poll"), e);
        }
        if s.step.view == vigil_protocol::AnswerView::Items {
            let dynamodb =
                matches!(&s.step.call, Call::Aws { service, .. } if service.as_str() == "dynamodb");
            if !dynamodb {
                err(
                    s.path(".view"),
                    "`view: items` reads DynamoDB attribute values (`{S: ...}`); this step \
                     does not call `service: dynamodb`, so remove `view`"
                        .to_owned(),
                );
            }
        }
        if let Call::Aws {
            service,
            operation,
            params,
        } = &s.step.call
        {
            crate::aws_calls::check(
                suite,
                service,
                operation,
                params,
                &s.path(".call"),
                &mut err,
            );
        }
    }

    check_limits(suite, &steps, &mut err);
    check_permissions(suite, &mut err);
    errors
}

/// `${p}` names no parameter: the ones there are, and the likely one.
fn unknown_param(suite: &Suite, p: &str) -> String {
    let declared = suite.params.keys().map(|k| k.as_str());
    format!(
        "`${{{p}}}` names no parameter (declared: {}){}",
        if suite.params.is_empty() {
            "none".to_owned()
        } else {
            declared.clone().collect::<Vec<_>>().join(", ")
        },
        vigil_matchers::suggest::did_you_mean(p, declared)
    )
}

/// An object key of an expectation that holds a `${...}` template: it would
/// stay literal, silently.
fn templated_key(m: &vigil_matchers::Matcher) -> Option<String> {
    use vigil_matchers::Matcher;
    let mut found = None;
    m.walk(&mut |node| {
        if let Matcher::ObjectLike(map) | Matcher::ObjectEquals(map) = node {
            for key in map.keys() {
                let templated = template::parse(key)
                    .is_ok_and(|p| p.iter().any(|p| !matches!(p, Piece::Text(_))));
                if templated && found.is_none() {
                    found = Some(key.clone());
                }
            }
        }
    });
    found
}

/// What is wrong with a Cognito login's password source, if anything:
/// exactly one of `password_secret` and `password`, and a `password` that is
/// one `${step.capture}` of a capture declared `secret: true` (a literal or
/// a parameter would put the password in the state machine's definition
/// and its history in plain text). Whether the capture exists and runs
/// earlier is checked with every other template.
fn cognito_password_problem(
    password_secret: &Option<String>,
    password: &Option<String>,
    by_id: &BTreeMap<&StepId, usize>,
    steps: &[Located<'_>],
) -> Option<String> {
    let given = match CognitoPassword::of(password_secret, password) {
        Err(e) => return Some(e.to_owned()),
        Ok(CognitoPassword::Secret(_)) => return None,
        Ok(CognitoPassword::Given(p)) => p,
    };
    let shape = "`password` must be exactly one `${step.capture}` of a capture declared \
                 `secret: true` (or use `password_secret` for a password kept in Secrets Manager)";
    let capture = match template::parse(given).ok()?.as_slice() {
        [Piece::Capture(c)] => c.clone(),
        _ => return Some(format!("{shape}; got `{given}`")),
    };
    let &j = by_id.get(&capture.step)?;
    let spec = steps[j].step.capture.get(&capture.name)?;
    (!spec.secret).then(|| {
        format!(
            "{shape}; `{capture}` is not secret: add `secret: true` to step `{}`'s capture `{}`",
            capture.step, capture.name
        )
    })
}

/// Why an IAM action written in a suite is not one vigil will grant, if it
/// is not: `prefix:Name`, no wildcard (vigil never grants one).
pub fn iam_action_problem(action: &str) -> Option<String> {
    let Some((prefix, name)) = action.split_once(':') else {
        return Some(format!(
            "`{action}` is not an IAM action; write `service:Action`, e.g. `execute-api:Invoke`"
        ));
    };
    if action.contains(['*', '?']) {
        return Some(format!(
            "`{action}` has a wildcard; vigil grants exact actions only: list each action"
        ));
    }
    let prefix_ok = !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric());
    (!(prefix_ok && name_ok)).then(|| {
        format!(
            "`{action}` is not an IAM action: the prefix is lower-case letters, digits and `-`, \
             the name letters and digits, e.g. `dynamodb:GetItem`"
        )
    })
}

/// The suite's hand-written IAM statements: exact actions, at least one
/// resource, and templates that name parameters only (IAM is fixed when
/// the stack deploys; a capture has no value then).
fn check_permissions(suite: &Suite, err: &mut impl FnMut(String, String)) {
    for (i, p) in suite.permissions.iter().enumerate() {
        let at = |tail: &str| format!("permissions[{i}]{tail}");
        if p.actions.is_empty() {
            err(
                at(".actions"),
                "a permission needs at least one action".into(),
            );
        }
        for (k, a) in p.actions.iter().enumerate() {
            if let Some(problem) = iam_action_problem(a) {
                err(at(&format!(".actions[{k}]")), problem);
            }
        }
        if p.resources.is_empty() {
            err(
                at(".resources"),
                "a permission needs at least one resource ARN".into(),
            );
        }
        for (k, r) in p.resources.iter().enumerate() {
            let path = at(&format!(".resources[{k}]"));
            match template::parse(r) {
                Err(e) => err(path, e.to_string()),
                Ok(pieces) => {
                    for piece in pieces {
                        match piece {
                            Piece::Param(name)
                                if !suite.params.keys().any(|k| k.as_str() == name) =>
                            {
                                err(path.clone(), format!("`${{{name}}}` names no parameter"))
                            }
                            Piece::Capture(c) => err(
                                path.clone(),
                                format!(
                                    "`${{{c}}}` is a capture; IAM is fixed at deploy time, so a \
                                     resource may name parameters only"
                                ),
                            ),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}

/// Worst cases against Step Functions' limits.
fn check_limits(suite: &Suite, steps: &[Located<'_>], err: &mut impl FnMut(String, String)) {
    let mut total = EVENTS_PER_EXECUTION + EVENTS_PER_SCENARIO * suite.scenarios.len() as u64;
    let mut heaviest: Vec<(u64, String)> = Vec::new();
    for s in steps {
        // Saturating: a poll's timeout may be any duration at this point
        // (its own check reports one that is too long), and the sums only
        // need to tell "over the limit".
        let attempts = worst_attempts(s.step);
        let events = attempts
            .saturating_mul(EVENTS_PER_ATTEMPT)
            .saturating_add(EVENTS_PER_STEP);
        total = total.saturating_add(events);
        heaviest.push((
            events,
            format!(
                "`{}` {} attempts × {EVENTS_PER_ATTEMPT} = {events}",
                s.step.id, attempts
            ),
        ));
    }
    if total > MAX_HISTORY_EVENTS {
        heaviest.sort_by_key(|h| std::cmp::Reverse(h.0));
        let top: Vec<String> = heaviest.into_iter().take(3).map(|(_, t)| t).collect();
        err(
            "scenarios".into(),
            format!(
                "in the worst case (every poll waiting only min_delay until its timeout) one execution \
                 would record {total} history events; Step Functions keeps at most {MAX_HISTORY_EVENTS}. \
                 Heaviest steps: {}. Raise min_delay or shorten timeout on them",
                top.join("; ")
            ),
        );
    }
    // The budget the compiler gives each branch, by the same formula.
    let branches = crate::branches::branches(suite).len().max(1);
    let share = response_share(suite, branches);
    if share < MIN_REPORT_BYTES {
        let scenarios = suite.scenarios.len();
        let who = if branches == scenarios {
            format!("{scenarios} scenarios")
        } else {
            format!("{branches} branches ({scenarios} scenarios)")
        };
        err(
            "scenarios".into(),
            format!(
                "{who} share one 256 KiB state when their branches join: after \
                 {} bytes of parameters and 16 KiB of bookkeeping each would get {share} \
                 bytes for its report, less than the {MIN_REPORT_BYTES} needed to show a failure; \
                 split the suite",
                params_bytes(suite)
            ),
        );
    }
}

/// Attempts if every wait is `min_delay`: the most a poll can make
/// (`u64::MAX` when that does not fit, rather than a truncated count).
pub fn worst_attempts(step: &Step) -> u64 {
    match &step.poll {
        None => 1,
        Some(p) => {
            let min = p.min_delay.max(Duration::from_millis(1)).as_millis();
            u64::try_from(p.timeout.as_millis().div_ceil(min))
                .unwrap_or(u64::MAX)
                .saturating_add(1)
        }
    }
}

fn find_cycle(preds: &[Vec<usize>]) -> Option<Vec<usize>> {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    fn visit(
        n: usize,
        preds: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[n] = 1;
        stack.push(n);
        for &p in &preds[n] {
            if state[p] == 1 {
                let at = stack.iter().position(|&x| x == p).unwrap_or(0);
                let mut cycle = stack[at..].to_vec();
                cycle.reverse();
                return Some(cycle);
            }
            if state[p] == 0
                && let Some(c) = visit(p, preds, state, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        state[n] = 2;
        None
    }
    let mut state = vec![0u8; preds.len()];
    (0..preds.len()).find_map(|n| {
        if state[n] == 0 {
            visit(n, preds, &mut state, &mut Vec::new())
        } else {
            None
        }
    })
}

/// For each step, every step that certainly finishes before it starts.
fn ancestors(preds: &[Vec<usize>]) -> Vec<BTreeSet<usize>> {
    let mut out: Vec<Option<BTreeSet<usize>>> = vec![None; preds.len()];
    fn of(
        n: usize,
        preds: &[Vec<usize>],
        out: &mut Vec<Option<BTreeSet<usize>>>,
        guard: &mut BTreeSet<usize>,
    ) -> BTreeSet<usize> {
        if let Some(s) = &out[n] {
            return s.clone();
        }
        if !guard.insert(n) {
            return BTreeSet::new(); // a cycle, reported separately
        }
        let mut set = BTreeSet::new();
        for &p in &preds[n] {
            set.insert(p);
            set.extend(of(p, preds, out, guard));
        }
        guard.remove(&n);
        out[n] = Some(set.clone());
        set
    }
    (0..preds.len())
        .map(|n| of(n, preds, &mut out, &mut BTreeSet::new()))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{Format, parse};

    fn polled(timeout: &str, min_delay: &str) -> Suite {
        let text = format!(
            "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {{kind: http, url: \"http://x/\"}}\n        poll: {{timeout: {timeout}, min_delay: {min_delay}, max_delay: {min_delay}}}\n"
        );
        parse(&text, Format::Yaml, Path::new("t.yaml")).unwrap()
    }

    /// Found with the `suite` fuzz target (crafted polls of a billion
    /// years): the worst-case attempt count was truncated to 64 bits and
    /// the event sum overflowed, which panicked `vigil validate` (and, in a
    /// release build, could wrap below the limit and pass).
    #[test]
    fn huge_polls_are_reported_not_overflowed() {
        for (timeout, min_delay) in [("1000000000y", "1ms"), ("600000000y", "1ms")] {
            let suite = polled(timeout, min_delay);
            let step = &suite.scenarios.values().next().unwrap().steps[0];
            assert_eq!(worst_attempts(step), u64::MAX, "{timeout}");
            let errors = validate(&suite);
            let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            assert!(
                messages
                    .iter()
                    .any(|m| m.contains("longer than a Step Functions execution")),
                "{messages:?}"
            );
            assert!(
                messages
                    .iter()
                    .any(|m| m.contains(&format!("would record {} history events", u64::MAX))),
                "{messages:?}"
            );
        }
        // Within the limits nothing changes.
        let ok = polled("5m", "2s");
        assert_eq!(
            worst_attempts(&ok.scenarios.values().next().unwrap().steps[0]),
            151
        );
        assert_eq!(validate(&ok), []);
    }
}
