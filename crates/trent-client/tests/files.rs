//! File and stream APIs: atomic outputs, no plaintext left behind on failure, signed-message
//! release rules.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use trent_client::{AlgorithmSuite, ClientConfig, DecryptOptions, EncryptOptions, Error};

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn file_round_trip_with_progress() {
    let kms = kms();
    let c = client(&kms, strict(&[KEY1]), &ClientConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let (plain, enc, dec) =
        (dir.path().join("p.bin"), dir.path().join("p.bin.encrypted"), dir.path().join("p.bin.decrypted"));
    let content = data(3 * 1024 * 1024 + 11);
    std::fs::write(&plain, &content).unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    let progress: trent_client::Progress = Arc::new(move |n| s2.store(n, Ordering::SeqCst));
    let summary = c.encrypt_file(&plain, &enc, &EncryptOptions::default(), Some(progress)).await.unwrap();
    assert_eq!(summary.plaintext_len, content.len() as u64);
    assert_eq!(seen.load(Ordering::SeqCst), content.len() as u64);
    assert_eq!(std::fs::metadata(&enc).unwrap().len(), summary.message_len);
    let d = c.decrypt_file(&enc, &dec, &DecryptOptions::default(), None).await.unwrap();
    assert!(d.signature_verified);
    assert_eq!(std::fs::read(&dec).unwrap(), content);
    assert_eq!(entries(dir.path()), vec!["p.bin", "p.bin.decrypted", "p.bin.encrypted"]);
}

#[tokio::test]
async fn failed_decryption_leaves_no_file_behind() {
    let kms = kms();
    let c = client(&kms, strict(&[KEY1]), &ClientConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let content = data(200_000);
    for suite in [AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384, AlgorithmSuite::Aes256GcmHkdfSha512CommitKey] {
        let opts = EncryptOptions { suite: Some(suite), ..EncryptOptions::default() };
        let message = c.encrypt_bytes(&content, &opts).await.unwrap();
        // Damage near the end, so many frames decrypt fine before the failure.
        for (name, bytes) in [
            ("flipped", {
                let mut m = message.clone();
                let i = m.len() - 50;
                m[i] ^= 1;
                m
            }),
            ("truncated", message[..message.len() - 30].to_vec()),
        ] {
            let input = dir.path().join(format!("{}-{name}.enc", suite.id()));
            let output = dir.path().join(format!("{}-{name}.out", suite.id()));
            std::fs::write(&input, &bytes).unwrap();
            let err = c.decrypt_file(&input, &output, &DecryptOptions::default(), None).await.unwrap_err();
            assert!(err.is_integrity_failure(), "{err}");
            assert!(!output.exists());
        }
    }
    assert!(entries(dir.path()).iter().all(|n| n.ends_with(".enc")), "{:?}", entries(dir.path()));
}

#[tokio::test]
async fn streams_release_rules() {
    let kms = kms();
    let c = client(&kms, strict(&[KEY1]), &ClientConfig::default());
    let content = data(50_000);
    let signed = c.encrypt_bytes(&content, &EncryptOptions::default()).await.unwrap();
    let unsigned = c
        .encrypt_bytes(
            &content,
            &EncryptOptions { suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey), ..EncryptOptions::default() },
        )
        .await
        .unwrap();
    let opts = DecryptOptions::default();
    // Streaming refuses signed messages before touching KMS ...
    let before = kms.calls().2;
    let err = c.decrypt_stream(std::io::Cursor::new(signed.clone()), Vec::new(), &opts, None).await.unwrap_err();
    assert!(matches!(err, Error::SignedMessageRefused(_)));
    assert_eq!(kms.calls().2, before);
    // ... and streams unsigned ones.
    let (out, _) = c.decrypt_stream(std::io::Cursor::new(unsigned.clone()), Vec::new(), &opts, None).await.unwrap();
    assert_eq!(out, content);
    // Buffered mode handles both, and releases nothing on failure.
    for m in [&signed, &unsigned] {
        let (out, _) =
            c.decrypt_stream_buffered(std::io::Cursor::new(m.clone()), Vec::new(), &opts, None).await.unwrap();
        assert_eq!(out, content);
    }
    let mut bad = signed.clone();
    let i = bad.len() - 3;
    bad[i] ^= 1;
    let err = c.decrypt_stream_buffered(std::io::Cursor::new(bad), Vec::new(), &opts, None).await.unwrap_err();
    assert!(matches!(err, Error::SignatureInvalid), "{err}");

    // Stream encryption of unknown length round-trips.
    let (m, _) = c
        .encrypt_stream(std::io::Cursor::new(content.clone()), Vec::new(), None, &EncryptOptions::default(), None)
        .await
        .unwrap();
    assert_eq!(c.decrypt_bytes(&m, &opts).await.unwrap().plaintext, content);
}
