//! Sealed captures: secrets travel through the state machine (and its
//! execution history) only as authenticated ciphertext.
//!
//! Envelope encryption with AES-256-GCM. In the cloud the data key comes
//! from KMS (`GenerateDataKey` once per warm container, `Decrypt` once per
//! distinct sealed key, both cached), and its KMS-encrypted form rides
//! inside every blob, so any invocation of the provider can open what
//! another sealed. Locally (tests, `vigil local`) the key is read from a
//! key file. The capture's reference (`step.name`) is the associated data:
//! a sealed value cannot be replayed under another name.
//!
//! Blob: `v1.` + base64url( u16 BE length of the encrypted data key ‖ the
//! encrypted data key (empty for a local key) ‖ 12-byte nonce ‖ ciphertext ).

use std::collections::HashMap;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use vigil_protocol::{ErrorKind, StepError, environment};

use crate::calls::aws::AwsClient;

/// Where the sealing key comes from.
#[derive(Clone)]
pub enum KeySource {
    /// Nothing configured: sealing is an error that says how to configure it.
    Unconfigured,
    /// A 32-byte key from a local file.
    Local(Box<[u8; 32]>),
    /// A KMS key (id, ARN or alias) that wraps per-container data keys.
    Kms(String),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Unconfigured => f.write_str("Unconfigured"),
            KeySource::Local(_) => f.write_str("Local(<key>)"),
            KeySource::Kms(id) => write!(f, "Kms({id})"),
        }
    }
}

fn provider_error(message: String) -> StepError {
    StepError {
        kind: ErrorKind::Provider,
        code: None,
        message,
        status: None,
    }
}

impl KeySource {
    /// Reads `VIGIL_SEAL_KMS_KEY_ID` or `VIGIL_SEAL_KEY_FILE`.
    pub fn from_env() -> Result<Self, StepError> {
        if let Ok(id) = std::env::var(environment::SEAL_KMS_KEY_ID)
            && !id.is_empty()
        {
            return Ok(KeySource::Kms(id));
        }
        match std::env::var(environment::SEAL_KEY_FILE) {
            Ok(path) if !path.is_empty() => Self::from_file(&path),
            _ => Ok(KeySource::Unconfigured),
        }
    }

    /// A key file: 32 raw bytes, 64 hex digits, or base64 of 32 bytes.
    pub fn from_file(path: &str) -> Result<Self, StepError> {
        let bytes = std::fs::read(path).map_err(|e| {
            provider_error(format!("sealing key file `{path}` cannot be read: {e}"))
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        let key: Vec<u8> = if bytes.len() == 32 {
            bytes
        } else if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0))
                .collect()
        } else {
            STANDARD.decode(text).unwrap_or_default()
        };
        let key: [u8; 32] = key.try_into().map_err(|_| {
            provider_error(format!(
                "sealing key file `{path}` must hold 32 bytes (raw, 64 hex digits or base64)"
            ))
        })?;
        Ok(KeySource::Local(Box::new(key)))
    }
}

/// Seals and unseals capture values.
pub struct Sealer {
    source: KeySource,
    aws: AwsClient,
    /// The data key this container seals with, and its encrypted form.
    current: Mutex<Option<([u8; 32], Vec<u8>)>>,
    /// Data keys already decrypted, by encrypted form.
    opened: Mutex<HashMap<Vec<u8>, [u8; 32]>>,
}

impl Sealer {
    /// A sealer for `source`; KMS requests go through `aws`.
    pub fn new(source: KeySource, aws: AwsClient) -> Self {
        Sealer {
            source,
            aws,
            current: Mutex::new(None),
            opened: Mutex::new(HashMap::new()),
        }
    }

    async fn sealing_key(&self) -> Result<([u8; 32], Vec<u8>), StepError> {
        match &self.source {
            KeySource::Unconfigured => Err(provider_error(format!(
                "a secret capture needs a sealing key: set {} (a KMS key) or {} (a local 32-byte \
                 key file)",
                environment::SEAL_KMS_KEY_ID,
                environment::SEAL_KEY_FILE
            ))),
            KeySource::Local(key) => Ok((**key, Vec::new())),
            KeySource::Kms(key_id) => {
                let mut current = self.current.lock().await;
                if let Some(k) = current.as_ref() {
                    return Ok(k.clone());
                }
                let out = self
                    .aws
                    .call(
                        "kms",
                        "GenerateDataKey",
                        &json!({"KeyId": key_id, "KeySpec": "AES_256"}),
                    )
                    .await?;
                let plain = decode_b64(&out["Plaintext"], "GenerateDataKey Plaintext")?;
                let wrapped = decode_b64(&out["CiphertextBlob"], "GenerateDataKey CiphertextBlob")?;
                let key: [u8; 32] = plain.try_into().map_err(|_| {
                    provider_error("KMS returned a data key that is not 32 bytes".into())
                })?;
                *current = Some((key, wrapped.clone()));
                self.opened.lock().await.insert(wrapped.clone(), key);
                Ok((key, wrapped))
            }
        }
    }

    async fn opening_key(&self, wrapped: &[u8]) -> Result<[u8; 32], StepError> {
        if wrapped.is_empty() {
            return match &self.source {
                KeySource::Local(key) => Ok(**key),
                _ => Err(provider_error(
                    "this value was sealed with a local key file, which this provider does not have".into(),
                )),
            };
        }
        if let Some(key) = self.opened.lock().await.get(wrapped) {
            return Ok(*key);
        }
        let mut params = json!({"CiphertextBlob": STANDARD.encode(wrapped)});
        if let KeySource::Kms(id) = &self.source {
            params["KeyId"] = json!(id);
        }
        let out = self.aws.call("kms", "Decrypt", &params).await?;
        let key: [u8; 32] = decode_b64(&out["Plaintext"], "Decrypt Plaintext")?
            .try_into()
            .map_err(|_| provider_error("KMS returned a data key that is not 32 bytes".into()))?;
        self.opened.lock().await.insert(wrapped.to_vec(), key);
        Ok(key)
    }

    /// Seals `value` for the capture named `aad` (`step.name`).
    pub async fn seal(&self, value: &Value, aad: &str) -> Result<String, StepError> {
        let (key, wrapped) = self.sealing_key().await?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let plaintext = serde_json::to_vec(value).unwrap_or_default();
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| provider_error("sealing failed".into()))?;
        let len = u16::try_from(wrapped.len())
            .map_err(|_| provider_error("encrypted data key is too long".into()))?;
        let mut blob = Vec::with_capacity(2 + wrapped.len() + 12 + sealed.len());
        blob.extend_from_slice(&len.to_be_bytes());
        blob.extend_from_slice(&wrapped);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(format!("v1.{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Opens a blob sealed for the capture `aad`.
    pub async fn unseal(&self, blob: &str, aad: &str) -> Result<Value, StepError> {
        let bad = || {
            provider_error(format!(
                "the sealed value of {aad} is damaged or was sealed for another capture"
            ))
        };
        let body = blob.strip_prefix("v1.").ok_or_else(bad)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())?;
        let len = usize::from(u16::from_be_bytes([
            *bytes.first().ok_or_else(bad)?,
            *bytes.get(1).ok_or_else(bad)?,
        ]));
        let wrapped = bytes.get(2..2 + len).ok_or_else(bad)?;
        let nonce = bytes.get(2 + len..2 + len + 12).ok_or_else(bad)?;
        let sealed = bytes.get(2 + len + 12..).ok_or_else(bad)?;
        let key = self.opening_key(wrapped).await?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| bad())?;
        serde_json::from_slice(&plain).map_err(|_| bad())
    }
}

fn decode_b64(v: &Value, what: &str) -> Result<Vec<u8>, StepError> {
    v.as_str()
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or_else(|| provider_error(format!("KMS answer has no base64 {what}")))
}
