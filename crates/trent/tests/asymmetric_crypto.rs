//! Asymmetric and HMAC cryptography of a real `trent serve`, with the openssl
//! command line as the independent implementation: it verifies every Trent
//! signature algorithm with the key from GetPublicKey, encrypts (RSA-OAEP)
//! for Trent to decrypt, computes the HMACs Trent must match and the ECDH
//! secrets DeriveSharedSecret must match, and reads every data key pair.
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType, MacAlgorithmSpec,
    OriginType, SigningAlgorithmSpec,
};
use common::api::{err_of, expect_err, key_arn};
use common::asymmetric::{Dir, RSA_SIGNING, create, openssl, public_pem, server, sign_and_prove};

#[tokio::test]
async fn every_signing_algorithm_verifies_with_openssl() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
        let key = create(&c, spec.clone(), KeyUsageType::SignVerify).await;
        let pem = public_pem(&c, &key, &dir, "rsa").await;
        let text = String::from_utf8(openssl(&["pkey", "-pubin", "-in", &pem, "-noout", "-text"])).unwrap();
        let bits = &spec.as_str()[4..];
        assert!(text.contains(&format!("({bits} bit)")), "{text}");
        for alg in RSA_SIGNING {
            sign_and_prove(&c, &key, alg, &pem, &dir).await;
        }
    }
    for (spec, alg, curve) in [
        (KeySpec::EccNistP256, SigningAlgorithmSpec::EcdsaSha256, "prime256v1"),
        (KeySpec::EccNistP384, SigningAlgorithmSpec::EcdsaSha384, "secp384r1"),
        (KeySpec::EccNistP521, SigningAlgorithmSpec::EcdsaSha512, "secp521r1"),
        (KeySpec::EccSecgP256K1, SigningAlgorithmSpec::EcdsaSha256, "secp256k1"),
    ] {
        let key = create(&c, spec, KeyUsageType::SignVerify).await;
        let pem = public_pem(&c, &key, &dir, "ecc").await;
        let text = String::from_utf8(openssl(&["pkey", "-pubin", "-in", &pem, "-noout", "-text"])).unwrap();
        assert!(text.contains(curve), "{text}");
        sign_and_prove(&c, &key, alg, &pem, &dir).await;
    }
}

#[tokio::test]
async fn rsa_oaep_openssl_encrypts_trent_decrypts_within_aws_limits() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    let sym = c.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    for (spec, limits) in [(KeySpec::Rsa2048, (214, 190)), (KeySpec::Rsa3072, (342, 318))] {
        let key = create(&c, spec.clone(), KeyUsageType::EncryptDecrypt).await;
        let pem = public_pem(&c, &key, &dir, "rsa-enc").await;
        for (alg, md, max) in [
            (EncryptionAlgorithmSpec::RsaesOaepSha1, "sha1", limits.0),
            (EncryptionAlgorithmSpec::RsaesOaepSha256, "sha256", limits.1),
        ] {
            // openssl encrypts, Trent decrypts.
            let plaintext: Vec<u8> = (0..max).map(|i| (i * 7 % 251) as u8).collect();
            let p = dir.write("plain.bin", &plaintext);
            let out = dir.path("ct.bin");
            openssl(&[
                "pkeyutl",
                "-encrypt",
                "-pubin",
                "-inkey",
                &pem,
                "-in",
                &p,
                "-out",
                &out,
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                &format!("rsa_oaep_md:{md}"),
                "-pkeyopt",
                &format!("rsa_mgf1_md:{md}"),
            ]);
            let ct = dir.read("ct.bin");
            let d = c
                .decrypt()
                .key_id(&key)
                .ciphertext_blob(Blob::new(ct.clone()))
                .encryption_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(d.plaintext().unwrap().as_ref(), &plaintext[..]);
            assert_eq!(d.encryption_algorithm(), Some(&alg));
            assert_eq!(d.key_id(), Some(key_arn(&key).as_str()));
            // The other OAEP hash does not decrypt it.
            let other = if md == "sha1" {
                EncryptionAlgorithmSpec::RsaesOaepSha256
            } else {
                EncryptionAlgorithmSpec::RsaesOaepSha1
            };
            let r = c
                .decrypt()
                .key_id(&key)
                .ciphertext_blob(Blob::new(ct.clone()))
                .encryption_algorithm(other)
                .send()
                .await;
            err_of(r, "InvalidCiphertextException");
            // Without the algorithm, AWS's default (SYMMETRIC_DEFAULT) is refused.
            let r = c.decrypt().key_id(&key).ciphertext_blob(Blob::new(ct)).send().await;
            expect_err(
                r,
                "InvalidKeyUsageException",
                &format!("Algorithm SYMMETRIC_DEFAULT is incompatible with key spec {}.", spec.as_str()),
            );
            // Trent encrypts at the limit; one byte more is AWS's ValidationException.
            let e = c
                .encrypt()
                .key_id(&key)
                .plaintext(Blob::new(plaintext.clone()))
                .encryption_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(e.encryption_algorithm(), Some(&alg));
            assert_eq!(e.ciphertext_blob().unwrap().as_ref().len() * 8, spec.as_str()[4..].parse::<usize>().unwrap());
            let d = c
                .decrypt()
                .key_id(&key)
                .ciphertext_blob(e.ciphertext_blob().unwrap().clone())
                .encryption_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(d.plaintext().unwrap().as_ref(), &plaintext[..]);
            let mut too_long = plaintext.clone();
            too_long.push(0);
            let r =
                c.encrypt().key_id(&key).plaintext(Blob::new(too_long)).encryption_algorithm(alg.clone()).send().await;
            expect_err(
                r,
                "ValidationException",
                &format!(
                    "Algorithm {} and key spec {} cannot encrypt data larger than {max} bytes.",
                    alg.as_str(),
                    spec.as_str()
                ),
            );
        }
        // ReEncrypt between RSA and symmetric keys, both ways.
        let e = c
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new("re-encrypt me"))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await
            .unwrap();
        let r = c
            .re_encrypt()
            .ciphertext_blob(e.ciphertext_blob().unwrap().clone())
            .source_key_id(&key)
            .source_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .destination_key_id(&sym)
            .send()
            .await
            .unwrap();
        assert_eq!(r.source_encryption_algorithm(), Some(&EncryptionAlgorithmSpec::RsaesOaepSha256));
        assert_eq!(r.destination_encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
        let back = c.decrypt().ciphertext_blob(r.ciphertext_blob().unwrap().clone()).send().await.unwrap();
        assert_eq!(back.plaintext().unwrap().as_ref(), b"re-encrypt me");
        let r = c
            .re_encrypt()
            .ciphertext_blob(r.ciphertext_blob().unwrap().clone())
            .destination_key_id(&key)
            .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
            .await
            .unwrap();
        assert_eq!(r.key_id(), Some(key_arn(&key).as_str()));
        let back = c
            .decrypt()
            .key_id(&key)
            .ciphertext_blob(r.ciphertext_blob().unwrap().clone())
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext().unwrap().as_ref(), b"re-encrypt me");
    }
}

#[tokio::test]
async fn hmac_keys_generate_and_verify_macs_of_every_size() {
    let server = server();
    let c = server.kms_client().await;
    for (spec, alg, len) in [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224, 28),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256, 32),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, 48),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512, 64),
    ] {
        let key = create(&c, spec, KeyUsageType::GenerateVerifyMac).await;
        let m =
            c.generate_mac().key_id(&key).message(Blob::new("hello")).mac_algorithm(alg.clone()).send().await.unwrap();
        assert_eq!(m.mac_algorithm(), Some(&alg));
        assert_eq!(m.key_id(), Some(key_arn(&key).as_str()));
        let tag = m.mac().unwrap().as_ref().to_vec();
        assert_eq!(tag.len(), len);
        let again =
            c.generate_mac().key_id(&key).message(Blob::new("hello")).mac_algorithm(alg.clone()).send().await.unwrap();
        assert_eq!(again.mac().unwrap().as_ref(), &tag[..], "HMAC is deterministic");
        let v = c
            .verify_mac()
            .key_id(&key)
            .message(Blob::new("hello"))
            .mac(Blob::new(tag.clone()))
            .mac_algorithm(alg.clone())
            .send()
            .await
            .unwrap();
        assert!(v.mac_valid());
        let r =
            c.verify_mac().key_id(&key).message(Blob::new("hellO")).mac(Blob::new(tag)).mac_algorithm(alg).send().await;
        err_of(r, "KMSInvalidMacException");
    }
}

#[tokio::test]
async fn derive_shared_secret_matches_openssl_ecdh() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    for (spec, curve, len) in
        [(KeySpec::EccNistP256, "P-256", 32), (KeySpec::EccNistP384, "P-384", 48), (KeySpec::EccNistP521, "P-521", 66)]
    {
        let key = create(&c, spec.clone(), KeyUsageType::KeyAgreement).await;
        let kms_pub = public_pem(&c, &key, &dir, "kms-ecdh").await;
        let pk = c.get_public_key().key_id(&key).send().await.unwrap();
        assert_eq!(pk.key_agreement_algorithms(), &[KeyAgreementAlgorithmSpec::Ecdh]);
        let peer = dir.path("peer.pem");
        openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", &format!("ec_paramgen_curve:{curve}"), "-out", &peer]);
        let peer_der = dir.path("peer-pub.der");
        openssl(&["pkey", "-in", &peer, "-pubout", "-outform", "DER", "-out", &peer_der]);
        let r = c
            .derive_shared_secret()
            .key_id(&key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(dir.read("peer-pub.der")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.key_agreement_algorithm(), Some(&KeyAgreementAlgorithmSpec::Ecdh));
        assert_eq!(r.key_origin(), Some(&OriginType::AwsKms));
        let secret = r.shared_secret().unwrap().as_ref().to_vec();
        assert_eq!(secret.len(), len);
        let ss = dir.path("ss.bin");
        openssl(&["pkeyutl", "-derive", "-inkey", &peer, "-peerkey", &kms_pub, "-out", &ss]);
        assert_eq!(dir.read("ss.bin"), secret, "{spec:?}");
        // A peer key on another curve, or not a key at all: ValidationException.
        let other = dir.path("other.pem");
        let other_curve = if curve == "P-256" { "P-384" } else { "P-256" };
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{other_curve}"),
            "-out",
            &other,
        ]);
        let other_der = dir.path("other.der");
        openssl(&["pkey", "-in", &other, "-pubout", "-outform", "DER", "-out", &other_der]);
        for bad in [dir.read("other.der"), b"not a key".to_vec()] {
            let r = c
                .derive_shared_secret()
                .key_id(&key)
                .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
                .public_key(Blob::new(bad))
                .send()
                .await;
            err_of(r, "ValidationException");
        }
    }
}

#[tokio::test]
async fn data_key_pairs_for_every_key_pair_spec() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    let sym = c.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    for spec in [
        DataKeyPairSpec::Rsa2048,
        DataKeyPairSpec::Rsa3072,
        DataKeyPairSpec::Rsa4096,
        DataKeyPairSpec::EccNistP256,
        DataKeyPairSpec::EccNistP384,
        DataKeyPairSpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256K1,
    ] {
        let r = c
            .generate_data_key_pair()
            .key_id(&sym)
            .key_pair_spec(spec.clone())
            .encryption_context("purpose", "test")
            .send()
            .await
            .unwrap();
        assert_eq!(r.key_pair_spec(), Some(&spec));
        assert_eq!(r.key_id(), Some(key_arn(&sym).as_str()));
        let private = r.private_key_plaintext().unwrap().as_ref().to_vec();
        let public = r.public_key().unwrap().as_ref().to_vec();
        // openssl reads the PKCS#8 private key and derives the same public key.
        let priv_path = dir.write("priv.der", &private);
        let derived = dir.path("derived.der");
        openssl(&["pkey", "-inform", "DER", "-in", &priv_path, "-pubout", "-outform", "DER", "-out", &derived]);
        assert_eq!(dir.read("derived.der"), public, "{spec:?}");
        // The private key decrypts from its ciphertext under the symmetric key and context.
        let d = c
            .decrypt()
            .ciphertext_blob(r.private_key_ciphertext_blob().unwrap().clone())
            .encryption_context("purpose", "test")
            .send()
            .await
            .unwrap();
        assert_eq!(d.plaintext().unwrap().as_ref(), &private[..]);
        let r =
            c.generate_data_key_pair_without_plaintext().key_id(&sym).key_pair_spec(spec.clone()).send().await.unwrap();
        assert_eq!(r.key_pair_spec(), Some(&spec));
        let d = c.decrypt().ciphertext_blob(r.private_key_ciphertext_blob().unwrap().clone()).send().await.unwrap();
        let priv_path = dir.write("priv2.der", d.plaintext().unwrap().as_ref());
        openssl(&["pkey", "-inform", "DER", "-in", &priv_path, "-pubout", "-outform", "DER", "-out", &derived]);
        assert_eq!(dir.read("derived.der"), r.public_key().unwrap().as_ref());
    }
    let r = c.generate_data_key_pair().key_id(&sym).key_pair_spec(DataKeyPairSpec::Sm2).send().await;
    err_of(r, "UnsupportedOperationException");
    let r =
        c.generate_data_key_pair().key_id(&sym).key_pair_spec(DataKeyPairSpec::EccNistP256).dry_run(true).send().await;
    expect_err(r, "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.");
}
