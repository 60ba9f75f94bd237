//! What botocore's service models say, as far as vigil needs it.
//!
//! Three generated tables from one pinned botocore (the version is in each
//! file's header), so the provider, the stack and `vigil validate` agree on
//! what a service is:
//!
//! - [`services`]: every service's wire facts (protocol, `X-Amz-Target`
//!   prefix, signing name), which the provider needs to call it;
//! - [`iam`]: the IAM action of each operation of each awsJson service,
//!   which the stack needs to grant it ([`actions`] looks them up);
//! - [`inputs`]: each operation's input shape, which [`check`] uses to
//!   refuse a call's `params` before anything is deployed.
//!
//! The generated code sits apart, in `generated/` and `data/`; regenerate
//! all of it with `scripts/regen`, and `scripts/regen --check` (run by the
//! tests) fails when one is stale.

pub mod actions;
pub mod auth_errors;
pub mod check;
mod generated;
pub mod inputs;
pub mod partition;

pub use generated::{iam, services};

pub use check::{
    Expected, Found, LookupError, ParamProblem, PathSegment, ProblemKind, TemplateKind,
    check_params,
};
pub use inputs::{Operation, Scalar, ServiceInputs, Shape, ShapeRef};
