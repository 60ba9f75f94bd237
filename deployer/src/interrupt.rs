//! SIGINT and SIGTERM during a run: stop, write what is known, exit
//! 128 + the signal's number (130, 143), as shells and CI runners expect.

use std::fmt;

/// The signal that stopped the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (a cancelled CI job).
    Terminate,
}

impl Signal {
    /// 128 + the signal number.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        })
    }
}

/// Waits for SIGINT or SIGTERM. The handlers are installed when this is
/// first polled, so call it before the work starts (inside the same
/// `select!`).
#[cfg(unix)]
pub(crate) async fn wait() -> Signal {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => Signal::Interrupt,
            _ = term.recv() => Signal::Terminate,
        },
        // No handlers (should not happen): never report a signal.
        _ => std::future::pending().await,
    }
}

/// Waits for Ctrl-C (the only signal there is off Unix).
#[cfg(not(unix))]
pub async fn wait() -> Signal {
    match tokio::signal::ctrl_c().await {
        Ok(()) => Signal::Interrupt,
        Err(_) => std::future::pending().await,
    }
}
