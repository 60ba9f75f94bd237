//! One invocation: decode the step, run attempts (micro-polling while the
//! next wait is short), decide pass, retry or fail, and answer compactly.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use time::OffsetDateTime;
use vigil_matchers::{
    Actual, CaptureLookup, CaptureName, CaptureRef, Captured, EvalContext, Mismatch, MismatchKind,
    Report, ValuePath,
};
use vigil_protocol::template::{self, Piece, TemplateValues};
use vigil_protocol::{
    Call, CaptureTable, CapturedValue, CognitoPassword, ErrorKind, HttpAuth, PROTOCOL_VERSION,
    PollPolicy, PollState, ProviderRequest, ProviderResponse, Selector, StepError, StepOutcome,
    StepReport, StepSpec, Verdict,
};

use crate::backoff::{NextAttempt, next_attempt};
use crate::calls::aws::AwsClient;
use crate::calls::http;
use crate::calls::lambda::LambdaInvoker;
use crate::clock::Clock;
use crate::cognito::CognitoTokens;
use crate::errors::transient_http_answer;
use crate::redact::{redact_error, redact_report, request_secrets, response_header_secrets};
use crate::sealing::Sealer;
use crate::size::fit_response;

/// A response never exceeds this (Step Functions allows 256 KiB per state;
/// the rest is headroom for the state machine's own fields).
pub const MAX_RESPONSE_BYTES: usize = 200 * 1024;

/// Stop micro-polling this long before the Lambda's own deadline.
pub const INVOCATION_MARGIN: Duration = Duration::from_secs(5);

/// The margin a final sub-second wait needs (Lambda's default timeout is
/// 3 s, so the 5 s margin would forbid it and the loop would spin on
/// zero-second Waits until the deadline).
pub const SUB_SECOND_MARGIN: Duration = Duration::from_millis(300);

/// How a step without `poll` treats transient errors: a short retry budget,
/// so one throttled call does not fail a run (a mismatch still fails at once).
pub fn transient_retry_policy() -> PollPolicy {
    PollPolicy {
        timeout: Duration::from_secs(30),
        min_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(8),
        jitter: true,
        micro_poll: Duration::from_secs(10),
    }
}

/// Everything an invocation needs, built once per container.
pub struct Provider {
    aws: AwsClient,
    lambda: LambdaInvoker,
    http: reqwest::Client,
    sealer: Sealer,
    cognito: CognitoTokens,
    clock: Arc<dyn Clock>,
    rng: Mutex<StdRng>,
}

enum AttemptResult {
    Matched(BTreeMap<CaptureName, CapturedValue>),
    Mismatched(Report),
    Failed(StepError),
}

/// Template and capture values for one attempt: parameters, plain captures
/// and unsealed secrets (which only ever live in this struct).
struct RunValues<'a> {
    params: &'a BTreeMap<String, Value>,
    plain: BTreeMap<CaptureRef, (Value, bool)>,
}

impl TemplateValues for RunValues<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.params.get(name).cloned()
    }
    fn capture(&self, c: &CaptureRef) -> Option<Value> {
        self.plain.get(c).map(|(v, _)| v.clone())
    }
}

impl CaptureLookup for RunValues<'_> {
    fn lookup(&self, c: &CaptureRef) -> Option<Captured<'_>> {
        self.plain.get(c).map(|(value, secret)| Captured {
            value,
            secret: *secret,
        })
    }
}

fn invalid(message: String) -> StepError {
    StepError {
        kind: ErrorKind::InvalidStep,
        code: None,
        message,
        status: None,
    }
}

impl Provider {
    /// Assembles a provider from its parts (tests pass a fake clock and seed).
    pub fn new(
        aws: AwsClient,
        lambda: LambdaInvoker,
        http: reqwest::Client,
        sealer: Sealer,
        clock: Arc<dyn Clock>,
        seed: Option<u64>,
    ) -> Self {
        let rng = match seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Provider {
            aws,
            lambda,
            http,
            sealer,
            cognito: CognitoTokens::default(),
            clock,
            rng: Mutex::new(rng),
        }
    }

    /// The Cognito token cache (exposed for tests and logs).
    pub fn cognito(&self) -> &CognitoTokens {
        &self.cognito
    }

    /// Handles one Lambda event. `time_left` is what the Lambda runtime
    /// grants this invocation (unbounded when `None`).
    pub async fn handle(
        &self,
        req: ProviderRequest,
        time_left: Option<Duration>,
    ) -> ProviderResponse {
        let started = self.clock.now();
        let theirs = req.protocol.unwrap_or(1);
        if theirs != PROTOCOL_VERSION {
            // Before the step is read: a step of another protocol may not
            // even parse here.
            return self.undecodable(
                &req,
                started,
                format!(
                    "the state machine was compiled for provider protocol {theirs} and this \
                     provider speaks protocol {PROTOCOL_VERSION}: they come from different vigil \
                     builds. Deploy the suite again with one vigil (`vigil deploy`), so the \
                     definition and the provider match"
                ),
            );
        }
        let step = match StepSpec::from_wire(&req.step) {
            // Answers name HTTP headers in lower case; so does the step.
            Ok(s) => s.with_lowercase_header_names(),
            Err(e) => return self.undecodable(&req, started, e.to_string()),
        };
        let policy = step.poll.clone();
        let mut state = req.poll.clone().unwrap_or(PollState {
            attempt: 0,
            first_attempt_at: started,
            deadline: deadline_after(
                started,
                policy.as_ref().map_or(Duration::ZERO, |p| p.timeout),
            ),
            transient_errors: 0,
            invocation_retries: 0,
            last_mismatch: None,
        });
        state.invocation_retries += req.retry_count;
        let mut captures = CaptureTable::default();
        // The latest mismatch seen in this invocation, in full: a poll that
        // ends on a transient error reports it rather than the blip.
        let mut last_mismatch: Option<Report> = None;
        loop {
            state.attempt += 1;
            let result = self.attempt(&step, &req.params, &req.captures).await;
            let now = self.clock.now();
            let (verdict, outcome, wait) = match result {
                AttemptResult::Matched(new) => {
                    state.last_mismatch = None;
                    captures.set_step(step.id.clone(), new);
                    (Verdict::Pass, StepOutcome::Matched, None)
                }
                AttemptResult::Failed(e) if !e.kind.is_transient() => {
                    (Verdict::Fail, StepOutcome::Error { error: e }, None)
                }
                AttemptResult::Mismatched(report) if policy.is_none() => (
                    Verdict::Fail,
                    StepOutcome::Mismatched {
                        report,
                        timed_out: false,
                    },
                    None,
                ),
                other => {
                    let transient = matches!(other, AttemptResult::Failed(_));
                    if transient {
                        state.transient_errors += 1;
                    }
                    let effective = policy.clone().unwrap_or_else(transient_retry_policy);
                    if policy.is_none() && state.attempt == 1 {
                        // First transient error of an unpolled step: its
                        // retry budget starts now.
                        state.deadline = deadline_after(state.first_attempt_at, effective.timeout);
                    }
                    let remaining = duration_until(now, state.deadline);
                    let next = {
                        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
                        next_attempt(&effective, state.attempt, remaining, &mut |lo, hi| {
                            rng.random_range(lo..=hi)
                        })
                    };
                    let gave_up = next == NextAttempt::GiveUp;
                    let outcome = match other {
                        AttemptResult::Mismatched(report) => {
                            state.last_mismatch = Some(
                                StepOutcome::Mismatched {
                                    report: report.clone(),
                                    timed_out: false,
                                }
                                .summary(),
                            );
                            last_mismatch = Some(report.clone());
                            StepOutcome::Mismatched {
                                report,
                                timed_out: gave_up,
                            }
                        }
                        AttemptResult::Failed(error) => {
                            gave_up_on_transient(error, gave_up, &mut last_mismatch, &state)
                        }
                        AttemptResult::Matched(_) => StepOutcome::Matched,
                    };
                    match next {
                        NextAttempt::GiveUp => (Verdict::Fail, outcome, None),
                        NextAttempt::After { delay, last } => {
                            let used = duration_until(started, now);
                            let fits = |margin: Duration| {
                                time_left.is_none_or(|t| used + delay + margin <= t)
                            };
                            let in_window = delay + used <= effective.micro_poll;
                            // A remainder under a second cannot be a Wait
                            // state (whole seconds); sleeping it here is the
                            // only way to attempt exactly at the deadline,
                            // and it needs only a small margin.
                            let sub_second = last && delay < Duration::from_secs(1);
                            if (in_window && fits(INVOCATION_MARGIN))
                                || (sub_second && fits(SUB_SECOND_MARGIN))
                            {
                                self.clock.sleep(delay).await;
                                continue;
                            }
                            // Wait takes whole seconds: round up, except onto
                            // the deadline, where rounding down keeps the last
                            // attempt from starting late.
                            let secs = if last {
                                delay.as_secs()
                            } else {
                                delay.as_secs() + u64::from(delay.subsec_nanos() > 0)
                            };
                            (Verdict::Retry, outcome, Some(secs))
                        }
                    }
                }
            };
            let report = StepReport {
                step: step.id.clone(),
                attempt: state.attempt,
                elapsed_ms: duration_until(state.first_attempt_at, now).as_millis() as u64,
                summary: outcome.summary(),
                outcome,
                transient_errors: state.transient_errors,
                invocation_retries: state.invocation_retries,
                truncated: None,
            };
            let response = ProviderResponse {
                protocol: PROTOCOL_VERSION,
                verdict,
                wait_seconds: wait,
                captures,
                poll: state,
                report,
            };
            // The state holds the earlier captures next to this response:
            // the response gets what is left of the branch's share.
            let held = serde_json::to_vec(&req.captures).map_or(0, |v| v.len());
            let limit = req
                .max_response_bytes
                .map_or(MAX_RESPONSE_BYTES, |m| m.min(MAX_RESPONSE_BYTES))
                .saturating_sub(held);
            return fit_response(response, limit);
        }
    }

    fn undecodable(
        &self,
        req: &ProviderRequest,
        now: OffsetDateTime,
        message: String,
    ) -> ProviderResponse {
        // Recover the id if the text has one, so the report names the step.
        let id = serde_json::from_str::<Value>(&req.step)
            .ok()
            .and_then(|v| {
                v.get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok())
            })
            .unwrap_or_else(|| "unknown-step".parse().expect("a valid literal id"));
        ProviderResponse {
            protocol: PROTOCOL_VERSION,
            verdict: Verdict::Fail,
            wait_seconds: None,
            captures: CaptureTable::default(),
            poll: req.poll.clone().unwrap_or(PollState {
                attempt: 1,
                first_attempt_at: now,
                deadline: now,
                transient_errors: 0,
                invocation_retries: req.retry_count,
                last_mismatch: None,
            }),
            report: {
                let outcome = StepOutcome::Error {
                    error: invalid(message),
                };
                StepReport {
                    step: id,
                    attempt: 1,
                    elapsed_ms: 0,
                    summary: outcome.summary(),
                    outcome,
                    transient_errors: 0,
                    invocation_retries: req.retry_count,
                    truncated: None,
                }
            },
        }
    }

    /// Unseals the captures a step refers to (templates and matcher).
    async fn values<'a>(
        &self,
        step: &StepSpec,
        params: &'a BTreeMap<String, Value>,
        captures: &CaptureTable,
    ) -> Result<RunValues<'a>, StepError> {
        let call_value = serde_json::to_value(&step.call).unwrap_or(Value::Null);
        let mut refs: Vec<CaptureRef> = template::references(&call_value)
            .map_err(|e| invalid(e.to_string()))?
            .into_iter()
            .filter_map(|p| match p {
                Piece::Capture(c) => Some(c),
                _ => None,
            })
            .collect();
        if let Some(m) = &step.expect {
            refs.extend(m.capture_refs().into_iter().cloned());
            refs.extend(
                template::matcher_references(m)
                    .map_err(|e| invalid(e.to_string()))?
                    .into_iter()
                    .filter_map(|p| match p {
                        Piece::Capture(c) => Some(c),
                        _ => None,
                    }),
            );
        }
        let mut plain = BTreeMap::new();
        for r in refs {
            if plain.contains_key(&r) {
                continue;
            }
            match captures.get(&r) {
                Some(CapturedValue::Value(v)) => {
                    plain.insert(r, (v.clone(), false));
                }
                Some(CapturedValue::Sealed(blob)) => {
                    let v = self.sealer.unseal(blob, &r.to_string()).await?;
                    plain.insert(r, (v, true));
                }
                None => {}
            }
        }
        Ok(RunValues { params, plain })
    }

    async fn attempt(
        &self,
        step: &StepSpec,
        params: &BTreeMap<String, Value>,
        captures: &CaptureTable,
    ) -> AttemptResult {
        let values = match self.values(step, params, captures).await {
            Ok(v) => v,
            Err(e) => return AttemptResult::Failed(e),
        };
        // What this attempt must not show in its report or error: the
        // secret captures it unsealed, every credential its request sends
        // (added by `call`), what it captures as secret, and the credential
        // headers of the answer.
        let mut secrets: Vec<Value> = values
            .plain
            .values()
            .filter(|(_, secret)| *secret)
            .map(|(v, _)| v.clone())
            .collect();
        let result = match self.call(&step.call, &values, &mut secrets).await {
            Ok(v) => step.view.apply(v),
            Err(e) => return AttemptResult::Failed(redact_error(e, &secrets)),
        };
        secrets.extend(
            step.capture
                .iter()
                .filter(|(_, spec)| spec.secret)
                .filter_map(|(_, spec)| spec.take(&result).ok()),
        );
        secrets.extend(response_header_secrets(&result));
        let selected = match &step.select {
            Some(sel) => sel.select(&result),
            None => Some(std::borrow::Cow::Borrowed(&result)),
        };
        if let Some(expect) = &step.expect {
            // Templates in the expectation's strings, filled in like the
            // call's.
            let expect = match template::render_matcher(expect, &values) {
                Ok(m) => m,
                Err(e) => {
                    return AttemptResult::Failed(redact_error(invalid(e.to_string()), &secrets));
                }
            };
            let ctx = EvalContext::new(self.clock.now()).with_captures(&values);
            let mut report = expect.evaluate_selection(selected.as_deref(), &ctx);
            if !report.is_match()
                && selected.is_none()
                && let Some(sel) = &step.select
            {
                report = select_matched_nothing(report, sel, &result);
            }
            if !report.is_match() {
                if matches!(step.call, Call::Http(_))
                    && let Some(busy) = transient_http_answer(&result)
                {
                    return AttemptResult::Failed(busy);
                }
                return AttemptResult::Mismatched(redact_report(report, &secrets));
            }
        }
        let mut new = BTreeMap::new();
        let mut missing = Vec::new();
        for (name, spec) in &step.capture {
            let value = match spec.take(&result) {
                Ok(v) => v,
                Err(reason) => {
                    missing.push(Mismatch {
                        path: ValuePath::root(),
                        kind: MismatchKind::Missing,
                        expected: format!(
                            "a value at {} to capture as {}.{name}",
                            spec.path, step.id
                        ),
                        actual: Actual::Missing,
                        reason,
                        details: vec![],
                    });
                    continue;
                }
            };
            let stored = if spec.secret {
                let aad = CaptureRef::new(step.id.clone(), name.clone()).to_string();
                match self.sealer.seal(&value, &aad).await {
                    Ok(blob) => CapturedValue::Sealed(blob),
                    Err(e) => return AttemptResult::Failed(e),
                }
            } else {
                CapturedValue::Value(value)
            };
            new.insert(name.clone(), stored);
        }
        if !missing.is_empty() {
            return AttemptResult::Mismatched(Report::new(missing));
        }
        AttemptResult::Matched(new)
    }

    /// Makes the call, adding every credential it sends (tokens, credential
    /// headers and query parameters) to `sent`, so that the attempt's
    /// report and error can redact them even when the call fails.
    async fn call(
        &self,
        call: &Call,
        values: &RunValues<'_>,
        sent: &mut Vec<Value>,
    ) -> Result<Value, StepError> {
        // Templates are resolved on the call's JSON form, so every string of
        // every call kind is covered the same way.
        let raw = serde_json::to_value(call).unwrap_or(Value::Null);
        let rendered = template::render(&raw, values).map_err(|e| invalid(e.to_string()))?;
        let call: Call = serde_json::from_value(rendered).map_err(|e| {
            invalid(format!(
                "after filling in templates the call is not valid: {e}"
            ))
        })?;
        match call {
            Call::Aws {
                service,
                operation,
                params,
            } => self.aws.call(&service, &operation, &params).await,
            Call::Lambda { function, payload } => self.lambda.invoke(&function, &payload).await,
            Call::Http(h) => {
                sent.extend(request_secrets(&h));
                let mut req = http::build(&self.http, &h)?;
                match &h.auth {
                    None => {}
                    Some(HttpAuth::Bearer { token }) => {
                        sent.push(Value::String(token.clone()));
                        let value = http::header_value(&format!("Bearer {token}"))?;
                        req.headers_mut()
                            .insert(reqwest::header::AUTHORIZATION, value);
                    }
                    Some(HttpAuth::Cognito {
                        client_id,
                        username,
                        password_secret,
                        password,
                        token,
                        header,
                        prefix,
                    }) => {
                        let source = CognitoPassword::of(password_secret, password)
                            .map_err(|e| invalid(e.to_owned()))?;
                        if let CognitoPassword::Given(p) = source {
                            sent.push(Value::String(p.to_owned()));
                        }
                        let t = self
                            .cognito
                            .token(
                                &self.aws,
                                self.clock.now(),
                                client_id,
                                username,
                                source,
                                *token,
                            )
                            .await?;
                        sent.push(Value::String(t.clone()));
                        let name = reqwest::header::HeaderName::from_bytes(header.as_bytes())
                            .map_err(|_| invalid(format!("`{header}` is not a header name")))?;
                        req.headers_mut()
                            .insert(name, http::header_value(&format!("{prefix}{t}"))?);
                    }
                    Some(HttpAuth::Sigv4 { service }) => {
                        self.aws.signer().sign(&mut req, service).await?;
                    }
                }
                http::send(&self.http, req).await
            }
        }
    }
}

/// The outcome of an attempt that failed transiently. While the poll goes
/// on it is the error; when the deadline has come, a mismatch seen before
/// is the real reason the step failed (the condition never held), so the
/// report shows that mismatch — in full when this invocation saw it, else
/// its summary beside the final error — and the blip only as a count.
fn gave_up_on_transient(
    error: StepError,
    gave_up: bool,
    seen_here: &mut Option<Report>,
    state: &PollState,
) -> StepOutcome {
    if !gave_up {
        return StepOutcome::Error { error };
    }
    match (seen_here.take(), &state.last_mismatch) {
        (Some(report), _) => StepOutcome::Mismatched {
            report,
            timed_out: true,
        },
        (None, Some(summary)) => StepOutcome::Error {
            error: StepError {
                message: format!(
                    "{}; timed out, and the latest attempt that got an answer saw: {summary}",
                    error.message
                ),
                ..error
            },
        },
        (None, None) => StepOutcome::Error { error },
    }
}

/// `start + timeout`, saturating: a hand-written step with an absurd
/// timeout (the compiler refuses more than a year) must not overflow the
/// date arithmetic and crash the function.
fn deadline_after(start: OffsetDateTime, timeout: Duration) -> OffsetDateTime {
    time::Duration::try_from(timeout)
        .ok()
        .and_then(|d| start.checked_add(d))
        .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_utc())
}

fn duration_until(from: OffsetDateTime, to: OffsetDateTime) -> Duration {
    let d = to - from;
    if d.is_negative() {
        Duration::ZERO
    } else {
        d.unsigned_abs()
    }
}

/// A `select` that found nothing in the answer: the report says so, names
/// the path and the answer's top-level keys (where a misspelt `Item` for
/// `Items` shows), instead of only "missing".
fn select_matched_nothing(report: Report, select: &Selector, answer: &Value) -> Report {
    let keys = match answer {
        Value::Object(map) if !map.is_empty() => format!(
            "; the answer's top-level keys: {}",
            map.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
        Value::Object(_) => "; the answer is an empty object".to_owned(),
        other => format!("; the answer is {}", vigil_matchers::JsonType::of(other)),
    };
    let mismatches = report
        .into_mismatches()
        .into_iter()
        .map(|mut m| {
            if m.path == ValuePath::root() {
                m.reason = format!("select `{select}` matched nothing in the answer{keys}");
            }
            m
        })
        .collect();
    Report::new(mismatches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_saturate_instead_of_overflowing() {
        let t = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            deadline_after(t, Duration::from_secs(90)),
            t + time::Duration::seconds(90)
        );
        let far = deadline_after(t, Duration::from_secs(u64::MAX));
        assert!(far > t + time::Duration::days(365 * 1000));
        assert!(duration_until(t, far) > Duration::ZERO);
    }
}
