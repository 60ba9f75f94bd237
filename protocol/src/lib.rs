//! The contract between vigil's state machine and its assertion provider.
//!
//! The compiler (`state-machine`) writes [`StepSpec`]s into the definition
//! as opaque JSON strings; each Task hands the provider a
//! [`ProviderRequest`] and routes on the [`ProviderResponse`]'s
//! [`Verdict`]. Both sides build against this crate, so the format cannot
//! drift between them.

pub mod answer_view;
mod captures;
pub mod environment;
mod exchange;
mod header_names;
mod poll;
pub mod poll_params;
mod selector;
mod step;
pub use vigil_matchers::template;

pub use answer_view::AnswerView;
pub use captures::{CaptureTable, CapturedValue};
pub use exchange::{
    ErrorKind, PROTOCOL_VERSION, ProviderRequest, ProviderResponse, StepError, StepOutcome,
    StepReport, Verdict,
};
pub use poll::{
    CALL_TIMEOUT, INVOCATION_MARGINS, LAMBDA_MAX_TIMEOUT, MAX_MICRO_POLL, MAX_POLL_TIMEOUT,
    PollPolicy, PollState,
};
pub use selector::{Selector, SelectorError};
pub use step::{
    Call, CaptureSpec, CognitoPassword, CognitoToken, HttpAuth, HttpBody, HttpCall,
    StepDecodeError, StepSpec,
};
