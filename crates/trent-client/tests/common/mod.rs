//! Helpers shared by the trent-client integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use trent_client::testing::InMemoryKms;
use trent_client::{
    AwsKmsKeyring, ClientConfig, CommitmentPolicy, EncryptionContext, EnvelopeClient, KeySelection, LocalCache, Stats,
};

pub const KEY1: &str = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111";
pub const KEY2: &str = "arn:aws:kms:us-west-2:444455556666:key/22222222-2222-2222-2222-222222222222";

pub fn kms() -> Arc<InMemoryKms> {
    Arc::new(InMemoryKms::new(&[KEY1, KEY2]).unwrap())
}

pub fn client(kms: &Arc<InMemoryKms>, keys: KeySelection, config: &ClientConfig) -> EnvelopeClient {
    client_with_cache(kms, keys, config, None)
}

pub fn client_with_cache(
    kms: &Arc<InMemoryKms>,
    keys: KeySelection,
    config: &ClientConfig,
    cache: Option<Arc<LocalCache>>,
) -> EnvelopeClient {
    let stats = Arc::new(Stats::default());
    let keyring = Arc::new(AwsKmsKeyring::new(kms.clone(), keys, stats.clone()).unwrap());
    EnvelopeClient::from_keyring_with_cache(keyring, stats, config, cache).unwrap()
}

pub fn strict(keys: &[&str]) -> KeySelection {
    KeySelection::Strict(keys.iter().map(|k| k.to_string()).collect())
}

pub fn policy(p: CommitmentPolicy) -> ClientConfig {
    ClientConfig { commitment_policy: p, ..ClientConfig::default() }
}

pub fn ec(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs.iter().copied().collect()
}

pub fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}
