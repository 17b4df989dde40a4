//! Symmetric cryptography through the KMS API of a real `trent serve`, driven
//! by `aws-sdk-kms`: Encrypt, Decrypt, ReEncrypt, data keys and random bytes
//! (encryption context, tampering, wrong keys), and DryRun on each of them.
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, DryRunModifierType, EncryptionAlgorithmSpec};
use common::TestServer;
use common::api::{decrypt, encrypt, err_of, expect_err, new_key};

const DRY_RUN: &str = "The request would have succeeded, but the DryRun option is set.";

#[tokio::test]
async fn encrypt_decrypt_reencrypt_and_data_keys() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, arn) = new_key(&c).await;
    let (id2, arn2) = new_key(&c).await;

    // Round trip without KeyId on Decrypt; the blob names its key.
    let ct = encrypt(&c, &id, b"attack at dawn").await;
    let dec = c.decrypt().ciphertext_blob(Blob::new(ct.clone())).send().await.unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"attack at dawn");
    assert_eq!(dec.key_id(), Some(arn.as_str()));
    assert_eq!(dec.encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    let md = c.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(dec.key_material_id(), md.current_key_material_id());
    // Encryption is randomized.
    assert_ne!(encrypt(&c, &id, b"attack at dawn").await, ct);
    // Explicit algorithm.
    c.encrypt()
        .key_id(&id)
        .plaintext(Blob::new("a"))
        .encryption_algorithm(EncryptionAlgorithmSpec::SymmetricDefault)
        .send()
        .await
        .unwrap();
    err_of(
        c.encrypt()
            .key_id(&id)
            .plaintext(Blob::new("a"))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
        "InvalidKeyUsageException",
    );

    // Decrypt with the wrong KeyId: IncorrectKeyException.
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(ct.clone())).key_id(&id2).send().await,
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    );

    // The encryption context is bound as AAD.
    let ctx = c
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("with context"))
        .encryption_context("purpose", "test")
        .encryption_context("tenant", "a")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    // Same pairs in any order decrypt.
    let ok = c
        .decrypt()
        .ciphertext_blob(ctx.clone())
        .encryption_context("tenant", "a")
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.plaintext().unwrap().as_ref(), b"with context");
    for wrong in [
        vec![],
        vec![("purpose", "test")],
        vec![("purpose", "test"), ("tenant", "b")],
        vec![("purpose", "test"), ("Tenant", "a")],
        vec![("purpose", "test"), ("tenant", "a"), ("extra", "")],
    ] {
        let mut req = c.decrypt().ciphertext_blob(ctx.clone());
        for (k, v) in &wrong {
            req = req.encryption_context(*k, *v);
        }
        assert_eq!(err_of(req.send().await, "InvalidCiphertextException"), None, "context {wrong:?}");
    }
    // A blob made without context needs none.
    assert_eq!(
        err_of(
            c.decrypt().ciphertext_blob(Blob::new(ct.clone())).encryption_context("a", "b").send().await,
            "InvalidCiphertextException"
        ),
        None
    );
    // A context too large for the AAD encoding is refused rather than truncated.
    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new("e")).encryption_context("k".repeat(65_536), "v").send().await,
        "ValidationException",
        "Invalid EncryptionContext",
    );

    // Tampering anywhere in the blob: InvalidCiphertextException with no message.
    for i in [0, 1, 16, 17, 48, 49, 60, 61, ct.len() - 17, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            err_of(c.decrypt().ciphertext_blob(Blob::new(bad)).send().await, "InvalidCiphertextException"),
            None,
            "byte {i}"
        );
    }
    for len in [1, 48, 76, ct.len() - 1] {
        let cut = &ct[..len];
        assert_eq!(
            err_of(c.decrypt().ciphertext_blob(Blob::new(cut)).send().await, "InvalidCiphertextException"),
            None,
            "{len} bytes"
        );
    }
    let mut longer = ct.clone();
    longer.push(0);
    assert_eq!(err_of(c.decrypt().ciphertext_blob(Blob::new(longer)).send().await, "InvalidCiphertextException"), None);
    // A blob naming a key that does not exist.
    let mut foreign = ct.clone();
    foreign[1..17].copy_from_slice(&[0x42; 16]);
    assert_eq!(
        err_of(c.decrypt().ciphertext_blob(Blob::new(foreign)).send().await, "InvalidCiphertextException"),
        None
    );

    // ReEncrypt moves a ciphertext to another key and context without revealing it.
    let re = c
        .re_encrypt()
        .ciphertext_blob(ctx.clone())
        .source_encryption_context("purpose", "test")
        .source_encryption_context("tenant", "a")
        .destination_key_id(&id2)
        .destination_encryption_context("moved", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(re.source_key_id(), Some(arn.as_str()));
    assert_eq!(re.key_id(), Some(arn2.as_str()));
    assert_eq!(re.source_encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    assert_eq!(re.destination_encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    assert_eq!(re.source_key_material_id(), md.current_key_material_id());
    let moved = re.ciphertext_blob.unwrap();
    let dec = c.decrypt().ciphertext_blob(moved.clone()).encryption_context("moved", "yes").send().await.unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"with context");
    assert_eq!(dec.key_id(), Some(arn2.as_str()));
    err_of(c.decrypt().ciphertext_blob(moved).send().await, "InvalidCiphertextException");
    // Wrong source context, wrong source key, tampered input.
    err_of(
        c.re_encrypt().ciphertext_blob(ctx.clone()).destination_key_id(&id2).send().await,
        "InvalidCiphertextException",
    );
    err_of(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).source_key_id(&id2).destination_key_id(&id).send().await,
        "IncorrectKeyException",
    );
    let mut bad = ct.clone();
    bad[70] ^= 0x80;
    err_of(
        c.re_encrypt().ciphertext_blob(Blob::new(bad)).destination_key_id(&id).send().await,
        "InvalidCiphertextException",
    );
    err_of(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).destination_key_id("alias/none").send().await,
        "NotFoundException",
    );

    // GenerateDataKey: KeySpec or NumberOfBytes; the blob decrypts to the plaintext.
    for (spec, n) in
        [(Some(DataKeySpec::Aes256), 32), (Some(DataKeySpec::Aes128), 16), (None, 1), (None, 64), (None, 1024)]
    {
        let mut req = c.generate_data_key().key_id(&id).encryption_context("dk", "1");
        req = match spec {
            Some(s) => req.key_spec(s),
            None => req.number_of_bytes(n),
        };
        let out = req.send().await.unwrap();
        assert_eq!(out.key_id(), Some(arn.as_str()));
        let plain = out.plaintext().unwrap().as_ref().to_vec();
        assert_eq!(plain.len(), n as usize);
        assert_eq!(out.key_material_id(), md.current_key_material_id());
        let back = c
            .decrypt()
            .ciphertext_blob(out.ciphertext_blob.unwrap())
            .encryption_context("dk", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext().unwrap().as_ref(), plain);
    }
    let a = c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).send().await.unwrap();
    let b = c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).send().await.unwrap();
    assert_ne!(a.plaintext(), b.plaintext(), "data keys are random");
    let either = "Please specify either number of bytes or key spec.";
    expect_err(c.generate_data_key().key_id(&id).send().await, "ValidationException", either);
    expect_err(
        c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).number_of_bytes(32).send().await,
        "ValidationException",
        either,
    );
    expect_err(c.generate_data_key_without_plaintext().key_id(&id).send().await, "ValidationException", either);

    // GenerateDataKeyWithoutPlaintext: only the blob, which decrypts to a key of the asked size.
    for (spec, n) in [(Some(DataKeySpec::Aes256), 32), (Some(DataKeySpec::Aes128), 16), (None, 7)] {
        let mut req = c.generate_data_key_without_plaintext().key_id(&arn);
        req = match spec {
            Some(s) => req.key_spec(s),
            None => req.number_of_bytes(n),
        };
        let out = req.send().await.unwrap();
        assert_eq!(out.key_id(), Some(arn.as_str()));
        assert_eq!(out.key_material_id(), md.current_key_material_id());
        assert_eq!(decrypt(&c, out.ciphertext_blob().unwrap().as_ref()).await.len(), n as usize);
    }

    // GenerateRandom.
    for n in [1, 32, 1024] {
        let out = c.generate_random().number_of_bytes(n).send().await.unwrap();
        assert_eq!(out.plaintext().unwrap().as_ref().len(), n as usize);
    }
    let r1 = c.generate_random().number_of_bytes(32).send().await.unwrap();
    let r2 = c.generate_random().number_of_bytes(32).send().await.unwrap();
    assert_ne!(r1.plaintext(), r2.plaintext());
}

#[tokio::test]
async fn dry_run_is_honoured() {
    let s = TestServer::start_unthrottled();
    let c = s.kms_client().await;
    let (id, _) = new_key(&c).await;
    let (id2, _) = new_key(&c).await;
    let ct = encrypt(&c, &id, b"dry").await;

    expect_err(
        c.encrypt().key_id(&id).plaintext(Blob::new("x")).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.decrypt().ciphertext_blob(Blob::new(ct.clone())).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.decrypt().key_id(&id).dry_run(true).dry_run_modifiers(DryRunModifierType::IgnoreCiphertext).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.re_encrypt().ciphertext_blob(Blob::new(ct.clone())).destination_key_id(&id2).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.generate_data_key().key_id(&id).key_spec(DataKeySpec::Aes256).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    expect_err(
        c.generate_data_key_without_plaintext().key_id(&id).number_of_bytes(8).dry_run(true).send().await,
        "DryRunOperationException",
        DRY_RUN,
    );
    // DryRun=false is an ordinary call.
    c.encrypt().key_id(&id).plaintext(Blob::new("x")).dry_run(false).send().await.unwrap();

    // A dry run still reports what the real call would fail with.
    err_of(c.encrypt().key_id("alias/none").plaintext(Blob::new("x")).dry_run(true).send().await, "NotFoundException");
    let mut bad = ct.clone();
    bad[60] ^= 1;
    err_of(c.decrypt().ciphertext_blob(Blob::new(bad)).dry_run(true).send().await, "InvalidCiphertextException");
    err_of(
        c.decrypt().ciphertext_blob(Blob::new(ct.clone())).key_id(&id2).dry_run(true).send().await,
        "IncorrectKeyException",
    );
    c.disable_key().key_id(&id).send().await.unwrap();
    err_of(c.encrypt().key_id(&id).plaintext(Blob::new("x")).dry_run(true).send().await, "DisabledException");
    err_of(
        c.decrypt().key_id(&id).dry_run(true).dry_run_modifiers(DryRunModifierType::IgnoreCiphertext).send().await,
        "DisabledException",
    );
    err_of(c.generate_data_key().key_id(&id).number_of_bytes(8).dry_run(true).send().await, "DisabledException");
    // Nothing counted a dry run as a success.
    assert_eq!(s.op_count("GenerateDataKey"), 0);
    assert_eq!(s.op_count("ReEncrypt"), 0);
}
