//! Imported key material on a real `trent serve`, wrapped by the openssl
//! command line with every wrapping algorithm: HMAC, symmetric and ECC
//! material, and the import lifecycle as AWS runs it (PendingImport,
//! expiry, deletion and re-import, token binding).
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, KeySpec, KeyState, KeyUsageType, MacAlgorithmSpec, OriginType,
    SigningAlgorithmSpec, WrappingKeySpec,
};
use common::api::{err_of, expect_err, key_arn, now};
use common::asymmetric::{Dir, openssl, public_pem, server, sign_and_prove, wrap_with_openssl};

#[tokio::test]
async fn imported_hmac_material_matches_openssl_and_the_import_lifecycle_is_aws_s() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    let created = c
        .create_key()
        .key_spec(KeySpec::Hmac256)
        .key_usage(KeyUsageType::GenerateVerifyMac)
        .origin(OriginType::External)
        .send()
        .await
        .unwrap();
    let key = created.key_metadata().unwrap().key_id().to_owned();
    let md = created.key_metadata().unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
    assert!(!md.enabled());
    assert_eq!(md.origin(), Some(&OriginType::External));
    assert_eq!(md.mac_algorithms(), &[MacAlgorithmSpec::HmacSha256]);
    let mac = || {
        c.generate_mac().key_id(&key).message(Blob::new("imported")).mac_algorithm(MacAlgorithmSpec::HmacSha256).send()
    };
    expect_err(mac().await, "KMSInvalidStateException", &format!("{} is pending import.", key_arn(&key)));

    let material: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(13).wrapping_add(5)).collect();
    let (token, wrapped) = wrap_with_openssl(&c, &key, AlgorithmSpec::RsaesOaepSha256, &material, &dir).await;
    let r = c
        .import_key_material()
        .key_id(&key)
        .import_token(token.clone())
        .encrypted_key_material(Blob::new(wrapped.clone()))
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .send()
        .await;
    expect_err(r, "ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
    c.import_key_material()
        .key_id(&key)
        .import_token(token.clone())
        .encrypted_key_material(Blob::new(wrapped.clone()))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().clone();
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.expiration_model(), Some(&ExpirationModelType::KeyMaterialDoesNotExpire));

    // Trent's MAC is openssl's HMAC-SHA256 with the same material.
    let tag = mac().await.unwrap().mac().unwrap().as_ref().to_vec();
    let msg = dir.write("msg.bin", b"imported");
    let hexkey: String = material.iter().map(|b| format!("{b:02x}")).collect();
    let out =
        String::from_utf8(openssl(&["dgst", "-sha256", "-mac", "HMAC", "-macopt", &format!("hexkey:{hexkey}"), &msg]))
            .unwrap();
    let expected: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    assert!(out.trim().ends_with(&expected), "openssl {out} vs trent {expected}");

    // Deleting the material: PendingImport again; the same material comes back, other material does not.
    c.delete_imported_key_material().key_id(&key).send().await.unwrap();
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().clone();
    assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
    assert_eq!(md.expiration_model(), None);
    expect_err(mac().await, "KMSInvalidStateException", &format!("{} is pending import.", key_arn(&key)));
    let other: Vec<u8> = vec![9u8; 32];
    let (token2, wrapped2) = wrap_with_openssl(&c, &key, AlgorithmSpec::RsaesOaepSha1, &other, &dir).await;
    let r = c
        .import_key_material()
        .key_id(&key)
        .import_token(token2)
        .encrypted_key_material(Blob::new(wrapped2))
        .send()
        .await;
    err_of(r, "IncorrectKeyMaterialException");
    c.import_key_material()
        .key_id(&key)
        .import_token(token.clone())
        .encrypted_key_material(Blob::new(wrapped.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(mac().await.unwrap().mac().unwrap().as_ref(), &tag[..]);

    // Material that expires: gone once ValidTo passes.
    let soon = now() + 2.0;
    c.import_key_material()
        .key_id(&key)
        .import_token(token.clone())
        .encrypted_key_material(Blob::new(wrapped))
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .valid_to(DateTime::from_secs_f64(soon))
        .send()
        .await
        .unwrap();
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().clone();
    assert_eq!(md.expiration_model(), Some(&ExpirationModelType::KeyMaterialExpires));
    assert!(md.valid_to().is_some());
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().clone();
    assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
    assert_eq!(md.valid_to(), None);

    // A token is bound to its key; keys not made for import refuse it all.
    let other_key =
        c.create_key().origin(OriginType::External).send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    let r = c
        .import_key_material()
        .key_id(&other_key)
        .import_token(token)
        .encrypted_key_material(Blob::new(vec![1u8; 256]))
        .send()
        .await;
    err_of(r, "InvalidImportTokenException");
    let kms_key = c.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    let r = c
        .get_parameters_for_import()
        .key_id(&kms_key)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await;
    expect_err(
        r,
        "UnsupportedOperationException",
        &format!("{} origin is AWS_KMS which is not valid for this operation.", key_arn(&kms_key)),
    );
    let r = c.delete_imported_key_material().key_id(&kms_key).send().await;
    expect_err(
        r,
        "UnsupportedOperationException",
        &format!("{} origin is AWS_KMS which is not valid for this operation.", key_arn(&kms_key)),
    );
}

#[tokio::test]
async fn imported_symmetric_and_ecc_material_with_every_wrapping_algorithm() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    for alg in [
        AlgorithmSpec::RsaesOaepSha1,
        AlgorithmSpec::RsaesOaepSha256,
        AlgorithmSpec::RsaAesKeyWrapSha1,
        AlgorithmSpec::RsaAesKeyWrapSha256,
    ] {
        let key = c
            .create_key()
            .origin(OriginType::External)
            .send()
            .await
            .unwrap()
            .key_metadata()
            .unwrap()
            .key_id()
            .to_owned();
        let material = vec![0x42u8; 32];
        let (token, wrapped) = wrap_with_openssl(&c, &key, alg.clone(), &material, &dir).await;
        let r = c
            .import_key_material()
            .key_id(&key)
            .import_token(token.clone())
            .encrypted_key_material(Blob::new(wrapped.clone()))
            .send()
            .await
            .unwrap();
        let material_id = r.key_material_id().unwrap().to_owned();
        let ct = c.encrypt().key_id(&key).plaintext(Blob::new("imported symmetric")).send().await.unwrap();
        // Ciphertexts survive deletion and re-import of the same material.
        c.delete_imported_key_material().key_id(&key).send().await.unwrap();
        err_of(
            c.decrypt().ciphertext_blob(ct.ciphertext_blob().unwrap().clone()).send().await,
            "KMSInvalidStateException",
        );
        let r = c
            .import_key_material()
            .key_id(&key)
            .import_token(token)
            .encrypted_key_material(Blob::new(wrapped))
            .send()
            .await
            .unwrap();
        assert_eq!(r.key_material_id(), Some(material_id.as_str()));
        let d = c.decrypt().ciphertext_blob(ct.ciphertext_blob().unwrap().clone()).send().await.unwrap();
        assert_eq!(d.plaintext().unwrap().as_ref(), b"imported symmetric", "{alg:?}");
        // Material of the wrong size for the key.
        let key2 = c
            .create_key()
            .origin(OriginType::External)
            .send()
            .await
            .unwrap()
            .key_metadata()
            .unwrap()
            .key_id()
            .to_owned();
        let (token, wrapped) = wrap_with_openssl(&c, &key2, alg.clone(), &[1u8; 16], &dir).await;
        let r = c
            .import_key_material()
            .key_id(&key2)
            .import_token(token)
            .encrypted_key_material(Blob::new(wrapped))
            .send()
            .await;
        err_of(r, "IncorrectKeyMaterialException");
    }
    // An ECC signing key from an openssl private key: Trent's signatures verify with openssl's public key.
    let key = common::asymmetric::create_external(&c, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let pem = dir.path("ec.pem");
    openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", &pem]);
    let p8 = dir.path("ec.p8");
    openssl(&["pkcs8", "-topk8", "-nocrypt", "-in", &pem, "-outform", "DER", "-out", &p8]);
    let (token, wrapped) =
        wrap_with_openssl(&c, &key, AlgorithmSpec::RsaAesKeyWrapSha256, &dir.read("ec.p8"), &dir).await;
    let r = c
        .import_key_material()
        .key_id(&key)
        .import_token(token)
        .encrypted_key_material(Blob::new(wrapped))
        .send()
        .await
        .unwrap();
    assert_eq!(r.key_material_id(), None, "AWS reports material ids for symmetric keys only");
    let pub_pem = dir.path("ec-pub.pem");
    openssl(&["pkey", "-in", &pem, "-pubout", "-out", &pub_pem]);
    let kms_pub = public_pem(&c, &key, &dir, "kms-ec").await;
    assert_eq!(std::fs::read(&pub_pem).unwrap(), std::fs::read(&kms_pub).unwrap());
    sign_and_prove(&c, &key, SigningAlgorithmSpec::EcdsaSha256, &pub_pem, &dir).await;
}
