//! Encrypt/decrypt round trips for every writable suite and the layout details the other SDKs
//! depend on (frame boundaries, empty final frames, sizes, signatures).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use trent_client::format::header::MessageHeader;
use trent_client::{AlgorithmSuite, CommitmentPolicy, DecryptOptions, EncryptOptions, Error};

const FRAME: usize = 256;

/// Walks the body of a framed message and returns (regular frame count, final frame length).
fn frames(message: &[u8]) -> (usize, usize) {
    let mut cursor = message;
    let header = MessageHeader::read_from(&mut cursor, None).unwrap();
    let fl = header.frame_length as usize;
    let mut regular = 0;
    loop {
        let seq = u32::from_be_bytes(cursor[..4].try_into().unwrap());
        if seq == u32::MAX {
            let len = u32::from_be_bytes(cursor[20..24].try_into().unwrap()) as usize;
            return (regular, len);
        }
        assert_eq!(seq as usize, regular + 1);
        regular += 1;
        cursor = &cursor[4 + 12 + fl + 16..];
    }
}

#[tokio::test]
async fn every_suite_round_trips_at_frame_boundaries() {
    let kms = kms();
    for suite in AlgorithmSuite::ALL {
        let p = if suite.is_committing() {
            CommitmentPolicy::RequireEncryptRequireDecrypt
        } else {
            CommitmentPolicy::ForbidEncryptAllowDecrypt
        };
        let c = client(&kms, strict(&[KEY1]), &policy(p));
        for context in [ec(&[]), ec(&[("purpose", "test"), ("dept", "7")])] {
            for len in [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME, 3 * FRAME + 5] {
                let plaintext = data(len);
                let opts = EncryptOptions {
                    encryption_context: context.clone(),
                    suite: Some(suite),
                    frame_length: FRAME as u32,
                };
                let message = c.encrypt_bytes(&plaintext, &opts).await.unwrap();
                let (regular, last) = frames(&message);
                assert_eq!((regular, last), (len / FRAME, len % FRAME), "{suite} {len}");
                let out = c.decrypt_bytes(&message, &DecryptOptions::default()).await.unwrap();
                assert_eq!(out.plaintext, plaintext, "{suite} len {len}");
                assert_eq!(out.header.suite, suite);
                for (k, v) in context.iter() {
                    assert_eq!(out.header.encryption_context.get(k), Some(v));
                }
                assert_eq!(out.header.encryption_context.get("aws-crypto-public-key").is_some(), suite.is_signed());
            }
        }
    }
}

#[tokio::test]
async fn sizes_match_the_format_arithmetic() {
    let kms = kms();
    let c = client(&kms, strict(&[KEY1]), &policy(CommitmentPolicy::default()));
    let opts = EncryptOptions {
        encryption_context: ec(&[("purpose", "test")]),
        suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
        frame_length: 4096,
    };
    let message = c.encrypt_bytes(&data(100), &opts).await.unwrap();
    let mut cursor = &message[..];
    let header = MessageHeader::read_from(&mut cursor, None).unwrap();
    let edk = &header.encrypted_data_keys[0];
    let expected_header = 1
        + 2
        + 32
        + 2
        + 17
        + 2
        + (6 + edk.provider_id.len() + edk.provider_info.len() + edk.ciphertext.len())
        + 1
        + 4
        + 32
        + 16;
    assert_eq!(header.len(), expected_header);
    assert_eq!(message.len(), expected_header + 4 + 4 + 12 + 4 + 100 + 16);

    // Signed: 103-byte DER signature behind a u16 length.
    let opts = EncryptOptions { suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384), ..opts };
    let message = c.encrypt_bytes(&data(100), &opts).await.unwrap();
    let footer = &message[message.len() - 105..];
    assert_eq!(&footer[..2], &[0, 103]);
    assert_eq!(footer[2], 0x30);
}

#[tokio::test]
async fn default_suite_follows_the_policy() {
    let kms = kms();
    let c = client(&kms, strict(&[KEY1]), &policy(CommitmentPolicy::default()));
    let m = c.encrypt_bytes(b"x", &EncryptOptions::default()).await.unwrap();
    let h = MessageHeader::read_from(&mut &m[..], None).unwrap();
    assert_eq!(h.suite.id(), 0x0578);
    let c = client(&kms, strict(&[KEY1]), &policy(CommitmentPolicy::ForbidEncryptAllowDecrypt));
    let m = c.encrypt_bytes(b"x", &EncryptOptions::default()).await.unwrap();
    let h = MessageHeader::read_from(&mut &m[..], None).unwrap();
    assert_eq!(h.suite.id(), 0x0378);
}

#[tokio::test]
async fn policy_and_option_checks() {
    let kms = kms();
    let v1_writer = client(&kms, strict(&[KEY1]), &policy(CommitmentPolicy::ForbidEncryptAllowDecrypt));
    let strict_reader = client(&kms, strict(&[KEY1]), &policy(CommitmentPolicy::RequireEncryptRequireDecrypt));
    let v1 = v1_writer.encrypt_bytes(b"legacy", &EncryptOptions::default()).await.unwrap();
    let err = strict_reader.decrypt_bytes(&v1, &DecryptOptions::default()).await.unwrap_err();
    assert!(matches!(err, Error::SuiteNotAllowed { .. }), "{err}");
    // No KMS call was made for the refused message.
    assert_eq!(kms.calls().2, 0);

    let bad_frame = EncryptOptions { frame_length: 100, ..EncryptOptions::default() };
    assert!(matches!(strict_reader.encrypt_bytes(b"x", &bad_frame).await, Err(Error::Config(_))));
    let reserved =
        EncryptOptions { encryption_context: ec(&[("aws-crypto-public-key", "x")]), ..EncryptOptions::default() };
    assert!(matches!(strict_reader.encrypt_bytes(b"x", &reserved).await, Err(Error::EncryptionContext(_))));
    assert!(matches!(
        strict_reader
            .encrypt_bytes(
                b"x",
                &EncryptOptions {
                    suite: Some(AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha256),
                    ..EncryptOptions::default()
                }
            )
            .await,
        Err(Error::SuiteNotAllowed { .. })
    ));

    // Required context pairs and unsigned-only are checked from the header.
    let m = strict_reader
        .encrypt_bytes(b"x", &EncryptOptions { encryption_context: ec(&[("a", "1")]), ..EncryptOptions::default() })
        .await
        .unwrap();
    let need = DecryptOptions { required_context: ec(&[("a", "2")]), ..DecryptOptions::default() };
    assert!(matches!(strict_reader.decrypt_bytes(&m, &need).await, Err(Error::EncryptionContext(_))));
    let unsigned_only = DecryptOptions { unsigned_only: true, ..DecryptOptions::default() };
    assert!(matches!(strict_reader.decrypt_bytes(&m, &unsigned_only).await, Err(Error::SignedMessageRefused(_))));
    let small = DecryptOptions { max_frame_length: 1024, ..DecryptOptions::default() };
    assert!(matches!(strict_reader.decrypt_bytes(&m, &small).await, Err(Error::FrameTooLarge { .. })));
}

#[tokio::test]
async fn streaming_encryptor_accepts_arbitrary_write_sizes() {
    use std::io::Write;
    let kms = kms();
    let c = client(&kms, strict(&[KEY1]), &policy(CommitmentPolicy::default()));
    let plaintext = data(10 * FRAME + 17);
    let opts = EncryptOptions { frame_length: FRAME as u32, ..EncryptOptions::default() };
    for step in [1, 7, FRAME - 1, FRAME, FRAME + 3, 5000] {
        let mut enc = c.encryptor(Vec::new(), None, &opts).await.unwrap();
        for chunk in plaintext.chunks(step) {
            enc.write_all(chunk).unwrap();
        }
        let (message, summary) = enc.finish().unwrap();
        assert_eq!(summary.plaintext_len, plaintext.len() as u64);
        assert_eq!(summary.message_len, message.len() as u64);
        let out = c.decrypt_bytes(&message, &DecryptOptions::default()).await.unwrap();
        assert_eq!(out.plaintext, plaintext);
    }
    // A declared length cannot be exceeded.
    let mut enc = c.encryptor(Vec::new(), Some(3), &opts).await.unwrap();
    assert!(matches!(enc.update(b"four"), Err(Error::PlaintextLengthExceeded(3))));
}
