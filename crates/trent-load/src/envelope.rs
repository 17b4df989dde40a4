//! Envelope mode: each simulated message is encrypted with the AWS Encryption SDK format by
//! trent-client, through its caching materials manager, so only cache misses reach KMS. The
//! KMS calls the keyring makes go through the simulated client (raw HTTP or SDK, same retries),
//! and every attempt is counted like any other request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;
use trent_client::kms::GeneratedKey;
use trent_client::{
    AlgorithmSuite, AwsKmsKeyring, CacheConfig, CachingLimits, ClientConfig, EncryptOptions, EncryptionContext,
    EnvelopeClient, KeySelection, KmsApi, KmsFailure, Stats as ClientStats,
};
use zeroize::Zeroizing;

use super::client::{SimClient, Strategy};
use super::raw_http_client::{Body, Failure, FailureKind};
use super::sdk;
use super::stats::Stats;

/// Data key cache settings of envelope mode.
#[derive(Debug, Clone, Copy)]
pub struct CacheSettings {
    /// A cached data key is used for at most this long.
    pub max_age: Duration,
    /// ... and for at most this many messages.
    pub max_messages: u64,
    /// Entries per client cache.
    pub capacity: usize,
}

/// `KmsApi` over a simulated client: the keyring's calls become counted load requests.
struct LoadKms {
    client: Arc<SimClient>,
    stats: Arc<Stats>,
    bucket: usize,
}

fn to_client_error(operation: &'static str, key_id: &str, f: Failure) -> trent_client::Error {
    let kind = match f.kind {
        FailureKind::Throttled => KmsFailure::Throttled,
        FailureKind::Transport | FailureKind::Timeout => KmsFailure::Unreachable,
        _ => KmsFailure::Other,
    };
    trent_client::Error::Kms { operation, key_id: key_id.to_owned(), kind, message: f.to_string() }
}

fn bad(operation: &'static str, key_id: &str, what: &str) -> trent_client::Error {
    trent_client::Error::Kms {
        operation,
        key_id: key_id.to_owned(),
        kind: KmsFailure::BadResponse,
        message: what.into(),
    }
}

fn context_map(ec: &EncryptionContext) -> Option<HashMap<String, String>> {
    (!ec.is_empty()).then(|| ec.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
}

fn b64_field(v: &serde_json::Value, name: &str) -> Option<Vec<u8>> {
    v.get(name).and_then(|s| s.as_str()).and_then(|s| B64.decode(s).ok())
}

impl LoadKms {
    async fn raw_json(
        &self,
        operation: &'static str,
        key_id: &str,
        body: serde_json::Value,
    ) -> trent_client::Result<serde_json::Value> {
        let body = Body::new(body.to_string().into_bytes());
        let target = format!("{}{operation}", trent_core::Operation::TARGET_PREFIX);
        let call = self.client.raw_request(&self.stats, self.bucket, &target, &body);
        let bytes = match tokio::time::timeout(self.client.timeout, call).await {
            Ok(r) => r.map_err(|f| to_client_error(operation, key_id, f))?,
            Err(_) => {
                return Err(to_client_error(operation, key_id, Failure::local(FailureKind::Timeout, "Timeout", "")));
            }
        };
        serde_json::from_slice(&bytes).map_err(|_| bad(operation, key_id, "answer is not JSON"))
    }
}

#[async_trait]
impl KmsApi for LoadKms {
    async fn generate_data_key(
        &self,
        key_id: &str,
        number_of_bytes: usize,
        context: &EncryptionContext,
    ) -> trent_client::Result<GeneratedKey> {
        const OP: &str = "GenerateDataKey";
        if let Strategy::Sdk(c) = &self.client.strategy {
            let n = i32::try_from(number_of_bytes).map_err(|_| bad(OP, key_id, "data key size"))?;
            let call =
                c.generate_data_key().key_id(key_id).number_of_bytes(n).set_encryption_context(context_map(context));
            let out = sdk::counted(&self.stats, self.bucket, call.send())
                .await
                .map_err(|e| to_client_error(OP, key_id, sdk::failure(e)))?;
            return Ok(GeneratedKey {
                key_id: out.key_id.ok_or_else(|| bad(OP, key_id, "no KeyId"))?,
                plaintext: Zeroizing::new(out.plaintext.ok_or_else(|| bad(OP, key_id, "no Plaintext"))?.into_inner()),
                ciphertext: out.ciphertext_blob.ok_or_else(|| bad(OP, key_id, "no CiphertextBlob"))?.into_inner(),
            });
        }
        let body =
            json!({"KeyId": key_id, "NumberOfBytes": number_of_bytes, "EncryptionContext": context_map(context)});
        let v = self.raw_json(OP, key_id, body).await?;
        Ok(GeneratedKey {
            key_id: v.get("KeyId").and_then(|k| k.as_str()).ok_or_else(|| bad(OP, key_id, "no KeyId"))?.to_owned(),
            plaintext: Zeroizing::new(b64_field(&v, "Plaintext").ok_or_else(|| bad(OP, key_id, "no Plaintext"))?),
            ciphertext: b64_field(&v, "CiphertextBlob").ok_or_else(|| bad(OP, key_id, "no CiphertextBlob"))?,
        })
    }

    async fn encrypt(
        &self,
        key_id: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> trent_client::Result<(String, Vec<u8>)> {
        const OP: &str = "Encrypt";
        let body =
            json!({"KeyId": key_id, "Plaintext": B64.encode(plaintext), "EncryptionContext": context_map(context)});
        let v = self.raw_json(OP, key_id, body).await?;
        let used = v.get("KeyId").and_then(|k| k.as_str()).ok_or_else(|| bad(OP, key_id, "no KeyId"))?.to_owned();
        Ok((used, b64_field(&v, "CiphertextBlob").ok_or_else(|| bad(OP, key_id, "no CiphertextBlob"))?))
    }

    async fn decrypt(
        &self,
        key_id: &str,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> trent_client::Result<(String, Zeroizing<Vec<u8>>)> {
        const OP: &str = "Decrypt";
        let body = json!({"KeyId": key_id, "CiphertextBlob": B64.encode(ciphertext), "EncryptionContext": context_map(context)});
        let v = self.raw_json(OP, key_id, body).await?;
        let used = v.get("KeyId").and_then(|k| k.as_str()).ok_or_else(|| bad(OP, key_id, "no KeyId"))?.to_owned();
        Ok((used, Zeroizing::new(b64_field(&v, "Plaintext").ok_or_else(|| bad(OP, key_id, "no Plaintext"))?)))
    }
}

/// One simulated client's envelope encryptor with its own data key cache.
pub struct Envelope {
    /// The ESDK client (caching materials manager over the KMS keyring).
    pub client: EnvelopeClient,
    /// Its cache and KMS counters.
    pub counters: Arc<ClientStats>,
    /// Options of every message (unsigned committing suite 0x0478, a fixed context).
    pub options: EncryptOptions,
}

impl Envelope {
    /// An envelope encryptor wrapping data keys under `key_arn` through `client`.
    pub fn new(
        client: Arc<SimClient>,
        stats: Arc<Stats>,
        bucket: usize,
        key_arn: &str,
        cache: CacheSettings,
    ) -> crate::error::Result<Self> {
        let setup_err = |e: trent_client::Error| {
            crate::error::Error::setup(format!("envelope encryption under {key_arn}"), Some(e.into()))
        };
        let counters = Arc::new(ClientStats::default());
        let kms: Arc<dyn KmsApi> = Arc::new(LoadKms { client, stats, bucket });
        let keyring = Arc::new(
            AwsKmsKeyring::new(kms, KeySelection::Strict(vec![key_arn.to_owned()]), counters.clone())
                .map_err(setup_err)?,
        );
        let limits = CachingLimits { max_age: cache.max_age, ..CachingLimits::with_max_age(cache.max_age) };
        let limits = CachingLimits { max_messages: cache.max_messages.max(1), ..limits };
        let config = ClientConfig {
            caching: Some(CacheConfig { capacity: cache.capacity.max(1), limits, partition: None }),
            ..ClientConfig::default()
        };
        let client = EnvelopeClient::from_keyring(keyring, counters.clone(), &config).map_err(setup_err)?;
        let mut context = EncryptionContext::new();
        context.insert("purpose", "trent-load");
        // 0x0478: committing and unsigned, so a message costs AES-GCM, not an ECDSA signature.
        let options = EncryptOptions {
            encryption_context: context,
            suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
            ..EncryptOptions::default()
        };
        Ok(Self { client, counters, options })
    }

    /// Encrypts one message; the error keeps trent-client's classification.
    pub async fn encrypt(&self, plaintext: &[u8]) -> trent_client::Result<Vec<u8>> {
        self.client.encrypt_bytes(plaintext, &self.options).await
    }
}
