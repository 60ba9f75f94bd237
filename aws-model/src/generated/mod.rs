//! Generated from the pinned botocore (and cfn-lint for IAM actions) by
//! `scripts/regen`; never edited by hand. `scripts/regen --check` (run by
//! `scripts/test`) fails when a table is stale.

#[allow(clippy::all)]
pub mod iam;
#[allow(clippy::all)]
pub mod services;
