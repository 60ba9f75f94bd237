//! The names a suite's stack shares with the tools around it, spelled once:
//! `vigil deploy` fills these parameters, `run` and `destroy` read these
//! outputs and parameters back, and every resource carries these tags.
//! `template.json.tmpl` declares the parameters and outputs (a test checks
//! it declares each of these).

/// Template parameter: the bucket holding the provider's `bootstrap.zip`.
pub const ARTIFACT_BUCKET_PARAM: &str = "ArtifactBucket";
/// Template parameter: the key of `bootstrap.zip` in that bucket.
pub const ARTIFACT_KEY_PARAM: &str = "ArtifactKey";
/// Stack output: the state machine to start.
pub const STATE_MACHINE_ARN_OUTPUT: &str = "StateMachineArn";
/// Logical id of the provider function.
pub const PROVIDER_FUNCTION: &str = "ProviderFunction";
/// Tag on every vigil stack and resource: who manages it.
pub const MANAGED_BY_TAG: (&str, &str) = ("vigil:managed-by", "vigil");
/// Tag on a suite's stack and resources: the suite's name.
pub const SUITE_TAG: &str = "vigil:suite";
