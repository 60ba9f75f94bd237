//! Cognito user-pool tokens for HTTP calls, minted inside the provider.
//!
//! The password never leaves the account (it is read from Secrets Manager
//! here, or unsealed from a secret capture) and the token never enters the
//! state machine. Tokens are cached
//! per (client, user, secret) in the warm container until five minutes
//! before they expire, so a long run never sends an expired token — the
//! anchor's reference suite had to re-mint its token by hand mid-run.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use vigil_protocol::{CognitoPassword, CognitoToken, ErrorKind, StepError};

use crate::calls::aws::AwsClient;
use crate::redact::redact_error;

/// Refresh this long before expiry.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

#[derive(Clone)]
struct Tokens {
    id: String,
    access: String,
    expires_at: OffsetDateTime,
}

/// What a cached token is keyed by besides the client and the user: the
/// secret it was minted from, or the password itself (only ever in this
/// process's memory, where the unsealed capture is anyway).
#[derive(Clone, PartialEq, Eq, Hash)]
enum PasswordKey {
    Secret(String),
    Given(String),
}

/// The token cache.
#[derive(Default)]
pub struct CognitoTokens {
    cache: Mutex<HashMap<(String, String, PasswordKey), Tokens>>,
    /// How many times a token was minted (for tests and logs).
    minted: std::sync::atomic::AtomicU32,
}

fn auth_error(message: String) -> StepError {
    StepError {
        kind: ErrorKind::Authorization,
        code: None,
        message,
        status: None,
    }
}

impl CognitoTokens {
    /// How many tokens this cache has minted.
    pub fn minted(&self) -> u32 {
        self.minted.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A valid token for the user, minting one when none is cached or the
    /// cached one is within [`REFRESH_MARGIN`] of expiry.
    pub async fn token(
        &self,
        aws: &AwsClient,
        now: OffsetDateTime,
        client_id: &str,
        username: &str,
        password: CognitoPassword<'_>,
        which: CognitoToken,
    ) -> Result<String, StepError> {
        let key = (
            client_id.to_owned(),
            username.to_owned(),
            match password {
                CognitoPassword::Secret(s) => PasswordKey::Secret(s.to_owned()),
                CognitoPassword::Given(p) => PasswordKey::Given(p.to_owned()),
            },
        );
        let mut cache = self.cache.lock().await;
        let fresh = cache
            .get(&key)
            .filter(|t| now + REFRESH_MARGIN < t.expires_at)
            .cloned();
        let tokens = match fresh {
            Some(t) => t,
            None => {
                let t = mint(aws, now, client_id, username, password).await?;
                self.minted
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                cache.insert(key, t.clone());
                t
            }
        };
        Ok(match which {
            CognitoToken::Id => tokens.id,
            CognitoToken::Access => tokens.access,
        })
    }
}

async fn password(aws: &AwsClient, secret: &str) -> Result<String, StepError> {
    let out = aws
        .call(
            "secretsmanager",
            "GetSecretValue",
            &json!({"SecretId": secret}),
        )
        .await?;
    let text = out
        .get("SecretString")
        .and_then(Value::as_str)
        .ok_or_else(|| auth_error(format!("secret `{secret}` has no SecretString")))?;
    // A JSON secret with a `password` field, or the password itself.
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map
            .get("password")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                auth_error(format!(
                    "secret `{secret}` is a JSON object without a `password` field"
                ))
            }),
        _ => Ok(text.to_owned()),
    }
}

async fn mint(
    aws: &AwsClient,
    now: OffsetDateTime,
    client_id: &str,
    username: &str,
    source: CognitoPassword<'_>,
) -> Result<Tokens, StepError> {
    let password = match source {
        CognitoPassword::Secret(secret) => password(aws, secret).await?,
        CognitoPassword::Given(p) => p.to_owned(),
    };
    let out = aws
        .call(
            "cognito-idp",
            "InitiateAuth",
            &json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": client_id,
                "AuthParameters": {"USERNAME": username, "PASSWORD": password}
            }),
        )
        .await
        // Whatever the service says back, the password stays out of the report.
        .map_err(|e| redact_error(e, &[Value::String(password.clone())]))?;
    if let Some(challenge) = out.get("ChallengeName").and_then(Value::as_str) {
        return Err(auth_error(format!(
            "Cognito answered user `{username}` with the challenge {challenge}; the test user must be able to sign in with USER_PASSWORD_AUTH alone"
        )));
    }
    let result = out
        .get("AuthenticationResult")
        .ok_or_else(|| auth_error("InitiateAuth returned no AuthenticationResult".into()))?;
    let field = |k: &str| {
        result
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| auth_error(format!("InitiateAuth returned no {k}")))
    };
    let expires_in = result
        .get("ExpiresIn")
        .and_then(Value::as_u64)
        .unwrap_or(3600);
    Ok(Tokens {
        id: field("IdToken")?,
        access: field("AccessToken")?,
        expires_at: now + Duration::from_secs(expires_in),
    })
}
