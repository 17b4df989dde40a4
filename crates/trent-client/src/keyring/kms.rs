//! The AWS KMS keyring: strict mode (listed keys) and discovery mode (any key, optionally
//! limited to a partition and accounts).

use std::sync::Arc;

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::arn::KmsArn;
use crate::context::EncryptionContext;
use crate::error::{Error, KmsFailure, Result};
use crate::format::header::EncryptedDataKey;
use crate::keyring::Keyring;
use crate::kms::KmsApi;
use crate::stats::Stats;
use crate::suite::AlgorithmSuite;

/// Provider id of KMS-wrapped data keys.
pub const PROVIDER_ID: &str = "aws-kms";

/// Limits discovery decryption to keys of one partition and/or some accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoveryFilter {
    /// Required partition (e.g. `aws`), if any.
    pub partition: Option<String>,
    /// Allowed account ids; empty means any.
    pub accounts: Vec<String>,
}

impl DiscoveryFilter {
    fn allows(&self, arn: &KmsArn) -> bool {
        self.partition.as_ref().is_none_or(|p| *p == arn.partition)
            && (self.accounts.is_empty() || self.accounts.contains(&arn.account))
    }
}

/// Which keys the keyring uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySelection {
    /// Encrypt with these keys (the first generates the data key); decrypt only entries
    /// wrapped by one of them (matched by exact ARN).
    Strict(Vec<String>),
    /// Decrypt-only: try any `aws-kms` entry whose ARN passes the filter.
    Discovery(DiscoveryFilter),
}

/// Wraps data keys with KMS: `GenerateDataKey` under the first key, `Encrypt` under each
/// further one; unwraps with `Decrypt` naming the key explicitly.
pub struct AwsKmsKeyring {
    kms: Arc<dyn KmsApi>,
    selection: KeySelection,
    stats: Arc<Stats>,
}

impl AwsKmsKeyring {
    /// A keyring over `kms` with the given key selection; KMS calls are counted in `stats`.
    pub fn new(kms: Arc<dyn KmsApi>, selection: KeySelection, stats: Arc<Stats>) -> Result<Self> {
        if let KeySelection::Strict(keys) = &selection
            && keys.is_empty()
        {
            return Err(Error::Config("at least one wrapping key is required".into()));
        }
        Ok(Self { kms, selection, stats })
    }

    /// The configured selection.
    pub fn selection(&self) -> &KeySelection {
        &self.selection
    }

    /// Picks the key id to call `Decrypt` with for an entry, or `None` to skip it.
    fn key_for(&self, edk: &EncryptedDataKey) -> Option<String> {
        if edk.provider_id != PROVIDER_ID {
            return None;
        }
        let info = std::str::from_utf8(&edk.provider_info).ok()?;
        match &self.selection {
            KeySelection::Strict(keys) => keys.iter().find(|k| *k == info).cloned(),
            KeySelection::Discovery(filter) => {
                let arn = KmsArn::parse(info)?;
                (arn.resource_type == "key" && filter.allows(&arn)).then(|| info.to_string())
            }
        }
    }
}

fn check_arn(operation: &'static str, key_id: &str, returned: &str) -> Result<()> {
    if KmsArn::parse(returned).is_some() {
        Ok(())
    } else {
        Err(Error::Kms {
            operation,
            key_id: key_id.to_string(),
            kind: KmsFailure::BadResponse,
            message: format!("KMS returned KeyId {returned:?}, which is not a key ARN"),
        })
    }
}

#[async_trait]
impl Keyring for AwsKmsKeyring {
    async fn generate_data_key(
        &self,
        suite: AlgorithmSuite,
        context: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<EncryptedDataKey>)> {
        let KeySelection::Strict(keys) = &self.selection else {
            return Err(Error::Config("a discovery keyring cannot encrypt; name the wrapping keys".into()));
        };
        let (generator, others) =
            keys.split_first().ok_or_else(|| Error::Config("at least one wrapping key is required".into()))?;
        self.stats.kms_generate_data_key();
        let generated = self.kms.generate_data_key(generator, suite.key_len(), context).await?;
        check_arn("GenerateDataKey", generator, &generated.key_id)?;
        if generated.plaintext.len() != suite.key_len() {
            return Err(Error::Kms {
                operation: "GenerateDataKey",
                key_id: generator.clone(),
                kind: KmsFailure::BadResponse,
                message: format!("data key is {} bytes, expected {}", generated.plaintext.len(), suite.key_len()),
            });
        }
        let mut edks = vec![EncryptedDataKey {
            provider_id: PROVIDER_ID.into(),
            provider_info: generated.key_id.into_bytes(),
            ciphertext: generated.ciphertext,
        }];
        for key in others {
            self.stats.kms_encrypt();
            let (used, ciphertext) = self.kms.encrypt(key, &generated.plaintext, context).await?;
            check_arn("Encrypt", key, &used)?;
            edks.push(EncryptedDataKey {
                provider_id: PROVIDER_ID.into(),
                provider_info: used.into_bytes(),
                ciphertext,
            });
        }
        Ok((generated.plaintext, edks))
    }

    async fn decrypt_data_key(
        &self,
        suite: AlgorithmSuite,
        context: &EncryptionContext,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let mut failures: Vec<Error> = Vec::new();
        for edk in encrypted_data_keys {
            let Some(key_id) = self.key_for(edk) else {
                continue;
            };
            self.stats.kms_decrypt();
            match self.kms.decrypt(&key_id, &edk.ciphertext, context).await {
                Ok((used, plaintext)) if used == key_id && plaintext.len() == suite.key_len() => {
                    return Ok(plaintext);
                }
                Ok((used, _)) => failures.push(Error::Kms {
                    operation: "Decrypt",
                    key_id: key_id.clone(),
                    kind: KmsFailure::BadResponse,
                    message: format!("KMS answered for key {used:?} or with a data key of the wrong size"),
                }),
                Err(e) => failures.push(e),
            }
        }
        if failures.len() == 1
            && let Some(only) = failures.pop()
        {
            return Err(only);
        }
        if failures.is_empty() {
            let wrapped_by: Vec<String> = encrypted_data_keys
                .iter()
                .map(|e| format!("{}:{}", e.provider_id, String::from_utf8_lossy(&e.provider_info)))
                .collect();
            let hint = match &self.selection {
                KeySelection::Strict(_) => {
                    "none of them is a configured wrapping key (give the key ARN exactly as in the message, or use discovery)"
                }
                KeySelection::Discovery(_) => "none of them passes the discovery filter",
            };
            return Err(Error::NoDecryptableKey(format!("message keys are [{}]; {hint}", wrapped_by.join(", "))));
        }
        Err(Error::NoDecryptableKey(failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))
    }
}
