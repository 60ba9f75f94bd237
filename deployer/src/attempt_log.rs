//! Which attempts a log shows when it is not a terminal (CI).
//!
//! A poll that waits 11 minutes made 84 identical lines. A log shows a
//! step's first attempt, every attempt whose outcome differs from the last
//! one shown, and otherwise one line per `every` as a heartbeat, so it
//! says what changed and that the run is alive, not every retry.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The attempts shown so far, per step.
#[derive(Debug)]
pub(crate) struct AttemptLog {
    every: Duration,
    shown: HashMap<String, (String, Instant)>,
}

impl AttemptLog {
    /// A log with a heartbeat every `every`.
    pub(crate) fn new(every: Duration) -> AttemptLog {
        AttemptLog {
            every,
            shown: HashMap::new(),
        }
    }

    /// Whether to show this attempt of `step` (ending with `summary`) at
    /// `now`; remembers it when so.
    pub(crate) fn show(&mut self, step: &str, summary: &str, now: Instant) -> bool {
        let show = match self.shown.get(step) {
            None => true,
            Some((last, at)) => last != summary || now.duration_since(*at) >= self.every,
        };
        if show {
            self.shown
                .insert(step.to_owned(), (summary.to_owned(), now));
        }
        show
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 84 attempts of one unchanged poll over 11 minutes: the first, the
    /// change, and a heartbeat a minute, not 84 lines.
    #[test]
    fn a_long_poll_shows_changes_and_a_heartbeat() {
        let mut log = AttemptLog::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let mut lines = 0;
        for i in 0..84u64 {
            let summary = if i < 40 {
                "status: RUNNING"
            } else {
                "status: HYDRATING"
            };
            if log.show("a/done", summary, t0 + Duration::from_secs(i * 8)) {
                lines += 1;
            }
        }
        // 0 s, four heartbeats, the change at 320 s, five heartbeats.
        assert_eq!(lines, 11);
        assert!(
            log.show("a/next", "matched", t0),
            "another step shows at once"
        );
    }
}
