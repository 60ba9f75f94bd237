//! Generated from the pinned botocore (and cfn-lint for IAM actions) by
//! `scripts/regen`; never edited by hand. `scripts/regen --check` (run by
//! `scripts/test`) fails when a table is stale.

/// The IAM action of every operation of every awsJson service.
#[allow(clippy::all)]
pub mod iam;
/// Every service's wire facts: protocol, target prefix, signing name.
#[allow(clippy::all)]
pub mod services;
