//! KMS keyring behaviour: multiple wrapping keys, strict and discovery decryption, limits.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use trent_client::format::header::MessageHeader;
use trent_client::{ClientConfig, DecryptOptions, DiscoveryFilter, EncryptOptions, Error, KeySelection};

#[tokio::test]
async fn two_keys_make_one_generate_and_one_encrypt_and_either_decrypts() {
    let kms = kms();
    let c = client(&kms, strict(&[KEY1, KEY2]), &ClientConfig::default());
    let m = c.encrypt_bytes(b"two keys", &EncryptOptions::default()).await.unwrap();
    assert_eq!(kms.calls(), (1, 1, 0));
    let s = c.stats();
    assert_eq!((s.kms_generate_data_key, s.kms_encrypt), (1, 1));
    let h = MessageHeader::read_from(&mut &m[..], None).unwrap();
    let infos: Vec<_> = h
        .encrypted_data_keys
        .iter()
        .map(|e| (e.provider_id.as_str(), String::from_utf8(e.provider_info.clone()).unwrap()))
        .collect();
    assert_eq!(infos, vec![("aws-kms", KEY1.to_string()), ("aws-kms", KEY2.to_string())]);

    for keys in [&[KEY1][..], &[KEY2][..]] {
        let d = client(&kms, strict(keys), &ClientConfig::default());
        let out = d.decrypt_bytes(&m, &DecryptOptions::default()).await.unwrap();
        assert_eq!(out.plaintext, b"two keys");
    }
    // Only the second key: exactly one Decrypt call (the first entry is skipped, not tried).
    let before = kms.calls().2;
    client(&kms, strict(&[KEY2]), &ClientConfig::default())
        .decrypt_bytes(&m, &DecryptOptions::default())
        .await
        .unwrap();
    assert_eq!(kms.calls().2 - before, 1);
}

#[tokio::test]
async fn strict_mode_needs_a_listed_key() {
    let kms = kms();
    let m = client(&kms, strict(&[KEY1]), &ClientConfig::default())
        .encrypt_bytes(b"x", &EncryptOptions::default())
        .await
        .unwrap();
    let other = "arn:aws:kms:us-east-1:111122223333:key/99999999-9999-9999-9999-999999999999";
    let err = client(&kms, strict(&[other]), &ClientConfig::default())
        .decrypt_bytes(&m, &DecryptOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoDecryptableKey(_)), "{err}");
    assert_eq!(kms.calls().2, 0);
}

#[tokio::test]
async fn discovery_mode_with_filters() {
    let kms = kms();
    let m = client(&kms, strict(&[KEY2]), &ClientConfig::default())
        .encrypt_bytes(b"discover me", &EncryptOptions::default())
        .await
        .unwrap();
    let discover = |partition: Option<&str>, accounts: &[&str]| {
        client(
            &kms,
            KeySelection::Discovery(DiscoveryFilter {
                partition: partition.map(str::to_string),
                accounts: accounts.iter().map(|a| a.to_string()).collect(),
            }),
            &ClientConfig::default(),
        )
    };
    for ok in [
        discover(None, &[]),
        discover(Some("aws"), &["444455556666"]),
        discover(Some("aws"), &["111122223333", "444455556666"]),
    ] {
        let out = ok.decrypt_bytes(&m, &DecryptOptions::default()).await.unwrap();
        assert_eq!(out.plaintext, b"discover me");
    }
    for refused in [discover(Some("aws-cn"), &[]), discover(Some("aws"), &["111122223333"])] {
        assert!(matches!(refused.decrypt_bytes(&m, &DecryptOptions::default()).await, Err(Error::NoDecryptableKey(_))));
    }
    // Discovery keyrings cannot encrypt.
    assert!(matches!(discover(None, &[]).encrypt_bytes(b"x", &EncryptOptions::default()).await, Err(Error::Config(_))));
}

#[tokio::test]
async fn max_encrypted_data_keys_on_both_sides() {
    let kms = kms();
    let limited = ClientConfig { max_encrypted_data_keys: Some(1), ..ClientConfig::default() };
    let err = client(&kms, strict(&[KEY1, KEY2]), &limited)
        .encrypt_bytes(b"x", &EncryptOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyEncryptedDataKeys { count: 2, max: 1 }), "{err}");

    let m = client(&kms, strict(&[KEY1, KEY2]), &ClientConfig::default())
        .encrypt_bytes(b"x", &EncryptOptions::default())
        .await
        .unwrap();
    let before = kms.calls().2;
    let err = client(&kms, strict(&[KEY1]), &limited).decrypt_bytes(&m, &DecryptOptions::default()).await.unwrap_err();
    assert!(matches!(err, Error::TooManyEncryptedDataKeys { count: 2, max: 1 }), "{err}");
    assert_eq!(kms.calls().2, before, "refused before calling KMS");
    let two = ClientConfig { max_encrypted_data_keys: Some(2), ..ClientConfig::default() };
    client(&kms, strict(&[KEY1]), &two).decrypt_bytes(&m, &DecryptOptions::default()).await.unwrap();
}

#[tokio::test]
async fn kms_context_binding_is_enforced() {
    // The header's context is what KMS sees; rewriting it (and re-tagging is impossible without
    // the key) fails at KMS or at the header tag.
    let kms = kms();
    let c = client(&kms, strict(&[KEY1]), &ClientConfig::default());
    let opts = EncryptOptions { encryption_context: ec(&[("tenant", "aaaa")]), ..EncryptOptions::default() };
    let m = c.encrypt_bytes(b"x", &opts).await.unwrap();
    let pos = m.windows(4).position(|w| w == b"aaaa").unwrap();
    let mut bad = m.clone();
    bad[pos..pos + 4].copy_from_slice(b"bbbb");
    let err = c.decrypt_bytes(&bad, &DecryptOptions::default()).await.unwrap_err();
    assert!(matches!(err, Error::Kms { .. }), "{err}");
}
