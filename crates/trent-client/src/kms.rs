//! The three KMS operations the keyring needs, behind a trait, with the aws-sdk-kms
//! implementation (standard credential chain, profiles, endpoint overrides, retry settings).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
pub use aws_config::retry::RetryMode;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use parking_lot::Mutex;
use zeroize::Zeroizing;

use crate::arn::KmsArn;
use crate::context::EncryptionContext;
use crate::error::{Error, KmsFailure, Result};

/// A data key as returned by `GenerateDataKey`.
pub struct GeneratedKey {
    /// Key ARN KMS reports having used.
    pub key_id: String,
    /// Plaintext data key.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The data key encrypted under `key_id`.
    pub ciphertext: Vec<u8>,
}

/// The KMS operations envelope encryption needs.
///
/// A trait so the keyring can run against the real SDK (Trent or AWS) or an in-process fake in
/// unit tests.
#[async_trait]
pub trait KmsApi: Send + Sync {
    /// `GenerateDataKey` with `NumberOfBytes`.
    async fn generate_data_key(
        &self,
        key_id: &str,
        number_of_bytes: usize,
        context: &EncryptionContext,
    ) -> Result<GeneratedKey>;

    /// `Encrypt`; returns (key ARN used, ciphertext blob).
    async fn encrypt(&self, key_id: &str, plaintext: &[u8], context: &EncryptionContext) -> Result<(String, Vec<u8>)>;

    /// `Decrypt` with an explicit `KeyId`; returns (key ARN used, plaintext).
    async fn decrypt(
        &self,
        key_id: &str,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<(String, Zeroizing<Vec<u8>>)>;
}

/// How to reach KMS. Every field is optional: unset ones fall back to the standard AWS
/// environment variables and config files (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL_KMS`,
/// `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`, ...).
#[derive(Debug, Clone, Default)]
pub struct KmsSettings {
    /// Endpoint override, e.g. `http://127.0.0.1:4599` for a local Trent.
    pub endpoint_url: Option<String>,
    /// Region for keys given without an ARN.
    pub region: Option<String>,
    /// Named profile from the shared config files.
    pub profile: Option<String>,
    /// `standard` or `adaptive` retries.
    pub retry_mode: Option<RetryMode>,
    /// Total attempts per call (first try included).
    pub max_attempts: Option<u32>,
}

/// Environment variable naming a PEM file of extra certificate authorities
/// to trust, as the AWS CLI and boto3 read it (the Rust SDK does not): how a
/// Trent with a self-signed certificate is reached over HTTPS.
pub const CA_BUNDLE_ENV: &str = "AWS_CA_BUNDLE";

/// An HTTPS client trusting the system's roots and the PEM certificates in `path`.
fn https_client_trusting(path: &std::path::Path) -> Result<aws_sdk_kms::config::SharedHttpClient> {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let pem = std::fs::read(path).map_err(|e| Error::Config(format!("{CA_BUNDLE_ENV}={}: {e}", path.display())))?;
    let context = TlsContext::builder()
        .with_trust_store(TrustStore::default().with_pem_certificate(pem))
        .build()
        .map_err(|e| Error::Config(format!("{CA_BUNDLE_ENV}={}: {e}", path.display())))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

impl KmsSettings {
    /// Loads the SDK configuration and returns a KMS client set. Fails only
    /// when `AWS_CA_BUNDLE` names a file that cannot be read or holds no
    /// certificate.
    pub async fn connect(&self) -> Result<SdkKms> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(path) = std::env::var_os(CA_BUNDLE_ENV).filter(|v| !v.is_empty()) {
            loader = loader.http_client(https_client_trusting(std::path::Path::new(&path))?);
        }
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &self.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(u) = &self.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        if self.retry_mode.is_some() || self.max_attempts.is_some() {
            let base = match self.retry_mode {
                Some(RetryMode::Adaptive) => RetryConfig::adaptive(),
                _ => RetryConfig::standard(),
            };
            let cfg = match self.max_attempts {
                Some(n) => base.with_max_attempts(n.max(1)),
                None => base,
            };
            loader = loader.retry_config(cfg.with_max_backoff(Duration::from_secs(20)));
        }
        Ok(SdkKms::new(loader.load().await))
    }
}

/// `KmsApi` over aws-sdk-kms, with one client per region (keys are routed to the region in
/// their ARN, as the other ESDKs do).
pub struct SdkKms {
    config: SdkConfig,
    clients: Mutex<HashMap<String, aws_sdk_kms::Client>>,
}

impl SdkKms {
    /// Wraps an already loaded SDK configuration.
    pub fn new(config: SdkConfig) -> Self {
        Self { config, clients: Mutex::new(HashMap::new()) }
    }

    fn client_for(&self, operation: &'static str, key_id: &str) -> Result<aws_sdk_kms::Client> {
        let region = match KmsArn::parse(key_id) {
            Some(arn) => arn.region,
            None => match self.config.region() {
                Some(r) => r.to_string(),
                None => {
                    return Err(Error::Kms {
                        operation,
                        key_id: key_id.to_string(),
                        kind: KmsFailure::Other,
                        message: "no region: give the key as an ARN, or set --region / AWS_REGION".into(),
                    });
                }
            },
        };
        let mut clients = self.clients.lock();
        let client = clients.entry(region.clone()).or_insert_with(|| {
            let conf = aws_sdk_kms::config::Builder::from(&self.config).region(Region::new(region)).build();
            aws_sdk_kms::Client::from_conf(conf)
        });
        Ok(client.clone())
    }
}

fn context_map(ec: &EncryptionContext) -> Option<HashMap<String, String>> {
    (!ec.is_empty()).then(|| ec.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// Maps an SDK error to our error with a coarse classification.
fn kms_error<E, R>(operation: &'static str, key_id: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = err.code().unwrap_or_default().to_string();
    let kind = match (&err, code.as_str()) {
        (SdkError::TimeoutError(_) | SdkError::DispatchFailure(_), _) => KmsFailure::Unreachable,
        (
            _,
            "AccessDeniedException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "IncompleteSignature"
            | "MissingAuthenticationToken"
            | "ExpiredTokenException",
        ) => KmsFailure::AccessDenied,
        (_, "NotFoundException" | "DisabledException" | "KMSInvalidStateException" | "KeyUnavailableException") => {
            KmsFailure::KeyUnavailable
        }
        (_, "InvalidCiphertextException" | "IncorrectKeyException") => KmsFailure::InvalidCiphertext,
        (_, "ThrottlingException" | "LimitExceededException") => KmsFailure::Throttled,
        _ => KmsFailure::Other,
    };
    let message = match err.message() {
        Some(m) if !code.is_empty() => format!("{code}: {m}"),
        _ if !code.is_empty() => code.clone(),
        _ => source_chain(&err),
    };
    Error::Kms { operation, key_id: key_id.to_string(), kind, message }
}

/// The Display texts of an error and its sources, joined on one line.
fn source_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    if parts.is_empty() {
        return DisplayErrorContext(err).to_string();
    }
    parts.join(": ")
}

fn bad_response(operation: &'static str, key_id: &str, what: &str) -> Error {
    Error::Kms { operation, key_id: key_id.to_string(), kind: KmsFailure::BadResponse, message: what.to_string() }
}

#[async_trait]
impl KmsApi for SdkKms {
    async fn generate_data_key(
        &self,
        key_id: &str,
        number_of_bytes: usize,
        context: &EncryptionContext,
    ) -> Result<GeneratedKey> {
        const OP: &str = "GenerateDataKey";
        let n = i32::try_from(number_of_bytes).map_err(|_| Error::Crypto("data key size"))?;
        let out = self
            .client_for(OP, key_id)?
            .generate_data_key()
            .key_id(key_id)
            .number_of_bytes(n)
            .set_encryption_context(context_map(context))
            .send()
            .await
            .map_err(|e| kms_error(OP, key_id, e))?;
        let plaintext = out.plaintext.ok_or_else(|| bad_response(OP, key_id, "response has no Plaintext"))?;
        let ciphertext =
            out.ciphertext_blob.ok_or_else(|| bad_response(OP, key_id, "response has no CiphertextBlob"))?;
        let used = out.key_id.ok_or_else(|| bad_response(OP, key_id, "response has no KeyId"))?;
        Ok(GeneratedKey {
            key_id: used,
            plaintext: Zeroizing::new(plaintext.into_inner()),
            ciphertext: ciphertext.into_inner(),
        })
    }

    async fn encrypt(&self, key_id: &str, plaintext: &[u8], context: &EncryptionContext) -> Result<(String, Vec<u8>)> {
        const OP: &str = "Encrypt";
        let out = self
            .client_for(OP, key_id)?
            .encrypt()
            .key_id(key_id)
            .plaintext(Blob::new(plaintext.to_vec()))
            .set_encryption_context(context_map(context))
            .send()
            .await
            .map_err(|e| kms_error(OP, key_id, e))?;
        let ciphertext =
            out.ciphertext_blob.ok_or_else(|| bad_response(OP, key_id, "response has no CiphertextBlob"))?;
        let used = out.key_id.ok_or_else(|| bad_response(OP, key_id, "response has no KeyId"))?;
        Ok((used, ciphertext.into_inner()))
    }

    async fn decrypt(
        &self,
        key_id: &str,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<(String, Zeroizing<Vec<u8>>)> {
        const OP: &str = "Decrypt";
        let out = self
            .client_for(OP, key_id)?
            .decrypt()
            .key_id(key_id)
            .ciphertext_blob(Blob::new(ciphertext.to_vec()))
            .set_encryption_context(context_map(context))
            .send()
            .await
            .map_err(|e| kms_error(OP, key_id, e))?;
        let plaintext = out.plaintext.ok_or_else(|| bad_response(OP, key_id, "response has no Plaintext"))?;
        let used = out.key_id.ok_or_else(|| bad_response(OP, key_id, "response has no KeyId"))?;
        Ok((used, Zeroizing::new(plaintext.into_inner())))
    }
}
