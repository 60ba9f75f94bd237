//! The environment variables the provider reads, named once: the stack
//! sets them on the function, `vigil local` and the tests set them on the
//! process, and the provider reads them, all through these constants.

/// The KMS key (id, ARN or alias) that seals secret captures in the
/// account; the stack sets it when the suite captures a secret.
pub const SEAL_KMS_KEY_ID: &str = "VIGIL_SEAL_KMS_KEY_ID";
/// A local 32-byte key file that seals secret captures instead of KMS
/// (tests, `vigil local` without a key in the account).
pub const SEAL_KEY_FILE: &str = "VIGIL_SEAL_KEY_FILE";
/// The time limit of one call (`10s`, `1m`); [`crate::CALL_TIMEOUT`] when unset.
pub const CALL_TIMEOUT: &str = "VIGIL_CALL_TIMEOUT";
/// The most bytes of an answer the provider reads.
pub const MAX_ANSWER_BYTES: &str = "VIGIL_MAX_ANSWER_BYTES";
