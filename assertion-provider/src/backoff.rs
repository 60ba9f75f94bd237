//! When to poll next: the Smithy waiter formula, with the deadline enforced
//! exactly.
//!
//! After attempt `n` (1-based) the base delay is `min_delay · 2^(n-1)`,
//! capped at `max_delay` once `n` passes the attempt ceiling
//! `log2(max_delay / min_delay) + 1`; with jitter the actual delay is drawn
//! uniformly from `[min_delay, base]`. Unlike the anchor's waiter (a Step
//! Functions Retry whose MaxAttempts is derived from the timeout and goes
//! wrong when the backoff rate is not 1), the deadline is a timestamp: a
//! delay that would cross it is shortened so the last attempt happens *at*
//! the deadline, and no attempt ever starts after it.

use std::time::Duration;

use vigil_protocol::PollPolicy;

/// What to do after an unsuccessful attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextAttempt {
    /// Try again after this delay.
    After {
        /// How long to wait.
        delay: Duration,
        /// Whether the delay was shortened to land on the deadline (the
        /// next attempt is the last).
        last: bool,
    },
    /// The deadline has passed: stop.
    GiveUp,
}

/// The delay before the attempt after `attempts_made`, given the time left
/// until the deadline; `pick` draws a number uniformly from an inclusive
/// millisecond range (injected, so tests are deterministic).
pub fn next_attempt(
    policy: &PollPolicy,
    attempts_made: u32,
    remaining: Duration,
    pick: &mut dyn FnMut(u64, u64) -> u64,
) -> NextAttempt {
    if remaining.is_zero() {
        return NextAttempt::GiveUp;
    }
    let min = policy.min_delay.max(Duration::from_millis(1));
    let max = policy.max_delay.max(min);
    let ceiling = ((max.as_secs_f64() / min.as_secs_f64()).log2() + 1.0).floor() as u32;
    let n = attempts_made.max(1);
    let base = if n > ceiling {
        max
    } else {
        min.saturating_mul(1u32 << (n - 1).min(31)).min(max)
    };
    let delay = if policy.jitter && base > min {
        Duration::from_millis(pick(min.as_millis() as u64, base.as_millis() as u64))
    } else {
        base
    };
    if delay >= remaining {
        NextAttempt::After {
            delay: remaining,
            last: true,
        }
    } else {
        NextAttempt::After { delay, last: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(timeout: u64, min: u64, max: u64, jitter: bool) -> PollPolicy {
        PollPolicy {
            timeout: Duration::from_secs(timeout),
            min_delay: Duration::from_secs(min),
            max_delay: Duration::from_secs(max),
            jitter,
            micro_poll: Duration::ZERO,
        }
    }

    fn top(_lo: u64, hi: u64) -> u64 {
        hi
    }

    /// Simulates a condition that never comes true: the attempt times and
    /// the moment the waiter gives up.
    fn schedule(p: &PollPolicy, pick: &mut dyn FnMut(u64, u64) -> u64) -> Vec<Duration> {
        let mut t = Duration::ZERO;
        let mut attempts = vec![t];
        loop {
            match next_attempt(p, attempts.len() as u32, p.timeout - t, pick) {
                NextAttempt::GiveUp => return attempts,
                NextAttempt::After { delay, .. } => {
                    t += delay;
                    attempts.push(t);
                }
            }
        }
    }

    #[test]
    fn doubles_then_caps_then_lands_on_the_deadline() {
        let p = policy(100, 2, 20, false);
        let times: Vec<u64> = schedule(&p, &mut top).iter().map(|d| d.as_secs()).collect();
        // 2, 4, 8, 16 (ceiling = floor(log2(10)) + 1 = 4), then 20s steps,
        // and the last one shortened to hit 100s exactly.
        assert_eq!(times, [0, 2, 6, 14, 30, 50, 70, 90, 100]);
    }

    #[test]
    fn the_deadline_is_exact_whatever_the_backoff() {
        // The anchor asked for 300s with backoff 2 and waited 70s. Here the
        // total is the timeout, for any policy.
        for (timeout, min, max) in [(300, 5, 300), (300, 1, 60), (30, 5, 5), (7, 2, 100)] {
            let p = policy(timeout, min, max, false);
            let times = schedule(&p, &mut top);
            assert_eq!(
                times.last().copied(),
                Some(Duration::from_secs(timeout)),
                "{p:?}"
            );
            assert!(
                times.windows(2).all(|w| w[1] - w[0] <= p.max_delay),
                "{p:?}"
            );
        }
    }

    #[test]
    fn jitter_stays_between_min_and_the_backoff_value() {
        let p = policy(600, 2, 30, true);
        let mut seen = Vec::new();
        let mut pick = |lo: u64, hi: u64| {
            seen.push((lo, hi));
            lo + (hi - lo) / 3
        };
        let times = schedule(&p, &mut pick);
        assert_eq!(times.last().copied(), Some(Duration::from_secs(600)));
        assert_eq!(seen[0], (2000, 4000));
        assert_eq!(seen[1], (2000, 8000));
        assert!(seen.iter().all(|&(lo, hi)| lo == 2000 && hi <= 30_000));
    }

    #[test]
    fn no_time_left_means_give_up() {
        let p = policy(10, 1, 5, false);
        assert_eq!(
            next_attempt(&p, 3, Duration::ZERO, &mut top),
            NextAttempt::GiveUp
        );
        assert_eq!(
            next_attempt(&p, 1, Duration::from_millis(300), &mut top),
            NextAttempt::After {
                delay: Duration::from_millis(300),
                last: true
            }
        );
    }

    proptest::proptest! {
        /// For any policy and any jitter draws: attempts end exactly at the
        /// deadline, no wait exceeds max_delay, and only the final wait may
        /// be shorter than min_delay.
        #[test]
        fn any_policy_ends_exactly_at_its_deadline(
            min in 1u64..10, extra in 0u64..300, timeout in 1u64..3600, jitter: bool, seed: u64,
        ) {
            let p = policy(timeout.max(min), min, min + extra, jitter);
            let mut state = seed;
            let mut pick = |lo: u64, hi: u64| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                lo + (state >> 33) % (hi - lo + 1)
            };
            let times = schedule(&p, &mut pick);
            proptest::prop_assert_eq!(times.last().copied(), Some(p.timeout));
            let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
            proptest::prop_assert!(gaps.iter().all(|g| *g <= p.max_delay && !g.is_zero()));
            let (last, rest) = gaps.split_last().unwrap_or((&Duration::ZERO, &[]));
            proptest::prop_assert!(rest.iter().all(|g| *g >= p.min_delay), "{:?}", gaps);
            proptest::prop_assert!(*last <= p.max_delay);
        }
    }
}
