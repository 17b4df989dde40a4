//! trent-client: envelope encryption compatible with the AWS Encryption SDK message format,
//! with KMS wrapping keys and a data key cache — the client-side remedy for KMS throttling.
//!
//! Layers, bottom up:
//! - [`format`], [`suite`], [`context`], [`crypto`]: the byte format (v1 and v2 headers, frames,
//!   footer), the eleven algorithm suites, encryption context serialization, key derivation,
//!   key commitment and ECDSA signatures.
//! - [`Encryptor`] / [`Decryptor`]: blocking streaming over `io::Write` / `io::Read` with flat
//!   memory.
//! - [`keyring`] and [`kms`]: where data keys come from (KMS via aws-sdk-kms, or a raw AES key).
//! - [`cmm`] and [`cache`]: materials managers, including the caching one.
//! - [`EnvelopeClient`]: the async API for bytes, files and streams.
//!
//! ```no_run
//! # async fn demo() -> trent_client::Result<()> {
//! use std::sync::Arc;
//! use trent_client::{
//!     AwsKmsKeyring, ClientConfig, EncryptOptions, DecryptOptions, EnvelopeClient, KeySelection,
//!     KmsSettings, Stats,
//! };
//! let kms = Arc::new(KmsSettings::default().connect().await?);
//! let stats = Arc::new(Stats::default());
//! let keys = KeySelection::Strict(vec!["arn:aws:kms:us-east-1:111122223333:key/…".into()]);
//! let keyring = Arc::new(AwsKmsKeyring::new(kms, keys, stats.clone())?);
//! let client = EnvelopeClient::from_keyring(keyring, stats, &ClientConfig::default())?;
//! let message = client.encrypt_bytes(b"hello", &EncryptOptions::default()).await?;
//! let plain = client.decrypt_bytes(&message, &DecryptOptions::default()).await?;
//! assert_eq!(plain.plaintext, b"hello");
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod arn;
pub mod cache;
pub mod client;
pub mod cmm;
pub mod commitment;
pub mod context;
pub mod crypto;
pub mod decrypt;
pub mod encrypt;
pub mod error;
pub mod format;
mod io_threads;
pub mod keyring;
pub mod kms;
pub mod materials;
pub mod stats;
pub mod suite;
pub mod testing;

pub use cache::{Clock, LocalCache, ManualClock, SystemClock};
pub use client::{CacheConfig, ClientConfig, DecryptOptions, Decrypted, EncryptOptions, EnvelopeClient, Progress};
pub use cmm::MaterialsManager;
pub use cmm::caching::{CachingLimits, CachingMaterialsManager};
pub use cmm::default::DefaultMaterialsManager;
pub use commitment::CommitmentPolicy;
pub use context::EncryptionContext;
pub use decrypt::{DecryptSummary, Decryptor};
pub use encrypt::{EncryptSummary, Encryptor};
pub use error::{Error, KmsFailure, Result};
pub use format::header::{ContentType, EncryptedDataKey, MessageHeader};
pub use keyring::Keyring;
pub use keyring::kms::{AwsKmsKeyring, DiscoveryFilter, KeySelection};
pub use keyring::raw_aes::RawAesKeyring;
pub use kms::{KmsApi, KmsSettings, SdkKms};
pub use stats::{Stats, StatsSnapshot};
pub use suite::AlgorithmSuite;
