//! Keeping a response under the Step Functions payload limit without losing
//! what matters: mismatches are dropped from the end (their count is kept in
//! a note); captures are never cut — a step whose captures alone are too
//! big fails with an error that says so.

use vigil_matchers::Report;
use vigil_protocol::{ErrorKind, ProviderResponse, StepError, StepOutcome, Verdict};

fn size(r: &ProviderResponse) -> usize {
    serde_json::to_vec(r).map(|v| v.len()).unwrap_or(usize::MAX)
}

/// `response`, shortened to at most `limit` bytes of JSON.
pub(crate) fn fit_response(mut response: ProviderResponse, limit: usize) -> ProviderResponse {
    if size(&response) <= limit {
        return response;
    }
    if let StepOutcome::Mismatched { report, timed_out } = &response.report.outcome {
        let timed_out = *timed_out;
        let all = report.clone().into_mismatches();
        let total = all.len();
        // Details go first, then whole mismatches from the end.
        let mut kept: Vec<_> = all
            .into_iter()
            .map(|mut m| {
                m.details.clear();
                m
            })
            .collect();
        loop {
            response.report.outcome = StepOutcome::Mismatched {
                report: Report::new(kept.clone()),
                timed_out,
            };
            response.report.truncated = Some(format!(
                "showing {} of {total} mismatches (without nested details) to stay under {} KiB",
                kept.len(),
                limit / 1024
            ));
            if size(&response) <= limit || kept.len() <= 1 {
                break;
            }
            let keep = (kept.len() / 2).max(1);
            kept.truncate(keep);
        }
    }
    if size(&response) <= limit {
        return response;
    }
    let bytes = size(&response);
    response.verdict = Verdict::Fail;
    response.wait_seconds = None;
    let outcome = StepOutcome::Error {
        error: StepError {
            kind: ErrorKind::InvalidStep,
            code: Some("ResponseTooLarge".into()),
            message: format!(
                "the step's response would be {bytes} bytes, over the {limit} bytes it may take (its \
                 branch's share of Step Functions' 256 KiB state, less the captures earlier steps \
                 hold), because of its captures; capture a narrower path (a field rather than a \
                 whole list)"
            ),
            status: None,
        },
    };
    response.report.summary = outcome.summary();
    response.report.outcome = outcome;
    response
}
