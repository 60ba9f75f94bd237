//! Time, injected: the poll logic is tested without sleeping.

use std::future::Future;
use std::pin::Pin;
#[cfg(any(test, feature = "test-util"))]
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;

/// A source of "now" and a way to wait.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;
    /// Waits `d` (in tests: advances the fake time).
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock that only moves when slept on (or told to), for tests (the
/// `test-util` feature; the Lambda never has it).
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug)]
pub struct FakeClock {
    now: Mutex<OffsetDateTime>,
}

#[cfg(any(test, feature = "test-util"))]
impl FakeClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        FakeClock {
            now: Mutex::new(start),
        }
    }

    /// Moves time forward without anyone sleeping.
    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += d;
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.advance(d);
        Box::pin(std::future::ready(()))
    }
}
