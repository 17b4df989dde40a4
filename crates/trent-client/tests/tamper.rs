//! Every single-bit change, every truncation and any trailing data make decryption fail with
//! an integrity error (never a panic, never plaintext).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use trent_client::{AlgorithmSuite, CommitmentPolicy, DecryptOptions, EncryptOptions, Error};

async fn message(suite: AlgorithmSuite, len: usize) -> (trent_client::EnvelopeClient, Vec<u8>) {
    let kms = kms();
    let p = if suite.is_committing() {
        CommitmentPolicy::RequireEncryptAllowDecrypt
    } else {
        CommitmentPolicy::ForbidEncryptAllowDecrypt
    };
    let c = client(&kms, strict(&[KEY1]), &policy(p));
    let opts =
        EncryptOptions { encryption_context: ec(&[("purpose", "tamper")]), suite: Some(suite), frame_length: 64 };
    let m = c.encrypt_bytes(&data(len), &opts).await.unwrap();
    (c, m)
}

#[tokio::test]
async fn every_bit_flip_is_detected() {
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha512CommitKey,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
        AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384,
    ] {
        let (c, m) = message(suite, 150).await;
        for i in 0..m.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = m.clone();
                bad[i] ^= bit;
                match c.decrypt_bytes(&bad, &DecryptOptions::default()).await {
                    Ok(_) => panic!("{suite}: flip at byte {i} went unnoticed"),
                    Err(e) => assert!(
                        e.is_integrity_failure()
                            || matches!(
                                e,
                                Error::Kms { .. }
                                    | Error::NoDecryptableKey(_)
                                    | Error::SuiteNotAllowed { .. }
                                    | Error::EncryptionContext(_)
                                    | Error::FrameTooLarge { .. }
                            ),
                        "{suite}: byte {i}: unexpected error {e}"
                    ),
                }
            }
        }
    }
}

#[tokio::test]
async fn every_truncation_and_any_trailing_byte_is_detected() {
    for suite in [AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384] {
        let (c, m) = message(suite, 200).await;
        for cut in 0..m.len() {
            let err = c.decrypt_bytes(&m[..cut], &DecryptOptions::default()).await.unwrap_err();
            assert!(err.is_integrity_failure(), "{suite}: cut at {cut}: {err}");
        }
        let mut longer = m.clone();
        longer.push(0);
        assert!(matches!(c.decrypt_bytes(&longer, &DecryptOptions::default()).await, Err(Error::TrailingData)));
    }
}

#[tokio::test]
async fn dropping_whole_frames_is_detected() {
    // 0x0478 has no signature: only the final-frame marker and sequence numbers protect
    // against frames being removed or reordered.
    let (c, m) = message(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, 64 * 3 + 10).await;
    let header_len = trent_client::MessageHeader::read_from(&mut &m[..], None).unwrap().len();
    let frame = 4 + 12 + 64 + 16;
    let body = &m[header_len..];
    // Remove frame 2.
    let mut dropped = m[..header_len].to_vec();
    dropped.extend_from_slice(&body[..frame]);
    dropped.extend_from_slice(&body[2 * frame..]);
    let err = c.decrypt_bytes(&dropped, &DecryptOptions::default()).await.unwrap_err();
    assert!(matches!(err, Error::Malformed(_)), "{err}");
    // Swap frames 1 and 2.
    let mut swapped = m[..header_len].to_vec();
    swapped.extend_from_slice(&body[frame..2 * frame]);
    swapped.extend_from_slice(&body[..frame]);
    swapped.extend_from_slice(&body[2 * frame..]);
    assert!(c.decrypt_bytes(&swapped, &DecryptOptions::default()).await.is_err());
    // Stop after the regular frames (drop the final frame).
    let cut = &m[..header_len + 3 * frame];
    let err = c.decrypt_bytes(cut, &DecryptOptions::default()).await.unwrap_err();
    assert!(matches!(err, Error::Truncated(_)), "{err}");
}

#[tokio::test]
async fn commitment_mismatch_is_reported_as_such() {
    let (c, m) = message(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, 10).await;
    let header = trent_client::MessageHeader::read_from(&mut &m[..], None).unwrap();
    // The commitment key is the last 32 bytes of the header body.
    let at = header.body_bytes().len() - 1;
    let mut bad = m.clone();
    bad[at] ^= 0x40;
    assert!(matches!(c.decrypt_bytes(&bad, &DecryptOptions::default()).await, Err(Error::CommitmentMismatch)));
}

#[tokio::test]
async fn garbage_and_hostile_headers_fail_cleanly() {
    let (c, _) = message(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, 1).await;
    for junk in [
        &b""[..],
        b"\x03",
        b"\x02\x00\x00",
        b"\x02\x05\x78",
        b"hello world, this is not a message",
        b"\x01\x80\x04\x78",
    ] {
        let err = c.decrypt_bytes(junk, &DecryptOptions::default()).await.unwrap_err();
        assert!(err.is_integrity_failure(), "{junk:?}: {err}");
    }
}
