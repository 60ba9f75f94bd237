//! AWS error codes that are about credentials or permissions, in one
//! table: the provider classes them as authorization errors (fail at once,
//! never retried as "not yet"), and the CLI turns them into a fix.
//!
//! Codes are the short names (`AccessDeniedException`, not
//! `com.amazon.coral.service#AccessDeniedException`), as services answer
//! them across the JSON, query, XML and EC2 protocols.

/// Which kind of authorization problem an error code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProblem {
    /// The credentials themselves were not accepted: unknown, expired,
    /// badly signed, or missing.
    RejectedCredentials,
    /// Who you are is fine; what you asked is not allowed.
    Denied,
}

const REJECTED_CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "AuthFailure",
    "InvalidAccessKeyId",
    "InvalidToken",
];

const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "KMSAccessDeniedException",
    // Cognito's answer to a wrong password or a disabled user.
    "NotAuthorizedException",
];

impl AuthProblem {
    /// The problem `code` (a short error code) means, if it is one.
    pub fn of(code: &str) -> Option<AuthProblem> {
        if REJECTED_CREDENTIALS.contains(&code) {
            Some(AuthProblem::RejectedCredentials)
        } else if DENIED.contains(&code) {
            Some(AuthProblem::Denied)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_has_one_meaning() {
        for c in REJECTED_CREDENTIALS {
            assert!(!DENIED.contains(c), "{c} is in both lists");
        }
        assert_eq!(
            AuthProblem::of("ExpiredToken"),
            Some(AuthProblem::RejectedCredentials)
        );
        assert_eq!(
            AuthProblem::of("AccessDeniedException"),
            Some(AuthProblem::Denied)
        );
        assert_eq!(AuthProblem::of("ResourceNotFoundException"), None);
    }
}
