//! RSA, ECC and HMAC keys of a real `trent serve`, driven by `aws-sdk-kms`:
//! which key spec and usage combinations CreateKey accepts and the algorithms
//! DescribeKey lists, AWS's errors for a key used for the wrong purpose (and
//! for rotation, deletion, disabling and aliases), the RSA / ECC / symmetric /
//! per-spec GenerateDataKeyPair request quotas, and durability across SIGKILL.
#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Debug;

use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeySpec, KeyState, KeyUsageType,
    MacAlgorithmSpec, MessageType, OriginType, SigningAlgorithmSpec,
};
use common::TestServer;
use common::api::{err_of, expect_err, key_arn};
use common::asymmetric::{MANAGEMENT_QUOTAS, create, server};

#[tokio::test]
async fn create_key_accepts_what_aws_accepts_and_describe_key_lists_the_algorithms() {
    let server = server();
    let c = server.kms_client().await;
    let rsa_sign = [
        "RSASSA_PSS_SHA_256",
        "RSASSA_PSS_SHA_384",
        "RSASSA_PSS_SHA_512",
        "RSASSA_PKCS1_V1_5_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_384",
        "RSASSA_PKCS1_V1_5_SHA_512",
    ];
    #[allow(clippy::type_complexity)]
    let cases: Vec<(KeySpec, KeyUsageType, Vec<&str>, Vec<&str>, Vec<&str>, Vec<&str>)> = vec![
        (
            KeySpec::Rsa2048,
            KeyUsageType::EncryptDecrypt,
            vec!["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
            vec![],
            vec![],
            vec![],
        ),
        (KeySpec::Rsa2048, KeyUsageType::SignVerify, vec![], rsa_sign.to_vec(), vec![], vec![]),
        (KeySpec::EccNistP256, KeyUsageType::SignVerify, vec![], vec!["ECDSA_SHA_256"], vec![], vec![]),
        (KeySpec::EccNistP384, KeyUsageType::SignVerify, vec![], vec!["ECDSA_SHA_384"], vec![], vec![]),
        (KeySpec::EccNistP521, KeyUsageType::SignVerify, vec![], vec!["ECDSA_SHA_512"], vec![], vec![]),
        (KeySpec::EccSecgP256K1, KeyUsageType::SignVerify, vec![], vec!["ECDSA_SHA_256"], vec![], vec![]),
        (KeySpec::EccNistP256, KeyUsageType::KeyAgreement, vec![], vec![], vec![], vec!["ECDH"]),
        (KeySpec::EccNistP384, KeyUsageType::KeyAgreement, vec![], vec![], vec![], vec!["ECDH"]),
        (KeySpec::EccNistP521, KeyUsageType::KeyAgreement, vec![], vec![], vec![], vec!["ECDH"]),
        (KeySpec::Hmac224, KeyUsageType::GenerateVerifyMac, vec![], vec![], vec!["HMAC_SHA_224"], vec![]),
        (KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac, vec![], vec![], vec!["HMAC_SHA_256"], vec![]),
        (KeySpec::Hmac384, KeyUsageType::GenerateVerifyMac, vec![], vec![], vec!["HMAC_SHA_384"], vec![]),
        (KeySpec::Hmac512, KeyUsageType::GenerateVerifyMac, vec![], vec![], vec!["HMAC_SHA_512"], vec![]),
    ];
    for (spec, usage, enc, sig, mac, agree) in cases {
        let created = c.create_key().key_spec(spec.clone()).key_usage(usage.clone()).send().await.unwrap();
        let id = created.key_metadata().unwrap().key_id().to_owned();
        let md = c.describe_key().key_id(&id).send().await.unwrap().key_metadata().unwrap().clone();
        assert_eq!(md.key_spec(), Some(&spec));
        #[allow(deprecated)]
        let cmk = md.customer_master_key_spec().map(|s| s.as_str().to_owned());
        assert_eq!(cmk.as_deref(), Some(spec.as_str()));
        assert_eq!(md.key_usage(), Some(&usage));
        assert_eq!(md.key_state(), Some(&KeyState::Enabled));
        assert_eq!(md.origin(), Some(&OriginType::AwsKms));
        let names = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(md.encryption_algorithms().iter().map(|a| a.as_str().to_owned()).collect::<Vec<_>>(), names(enc));
        assert_eq!(md.signing_algorithms().iter().map(|a| a.as_str().to_owned()).collect::<Vec<_>>(), names(sig));
        assert_eq!(md.mac_algorithms().iter().map(|a| a.as_str().to_owned()).collect::<Vec<_>>(), names(mac));
        assert_eq!(
            md.key_agreement_algorithms().iter().map(|a| a.as_str().to_owned()).collect::<Vec<_>>(),
            names(agree)
        );
        // AWS reports CurrentKeyMaterialId only for symmetric encryption keys.
        assert_eq!(md.current_key_material_id(), None, "{spec:?}");
        // The CreateKey response carries the same metadata.
        assert_eq!(created.key_metadata().unwrap().signing_algorithms(), md.signing_algorithms());
    }

    // Combinations AWS refuses, with AWS's error.
    for (spec, usage) in [
        (KeySpec::Rsa2048, KeyUsageType::KeyAgreement),
        (KeySpec::EccSecgP256K1, KeyUsageType::KeyAgreement),
        (KeySpec::EccNistP256, KeyUsageType::EncryptDecrypt),
        (KeySpec::Hmac256, KeyUsageType::EncryptDecrypt),
        (KeySpec::Hmac256, KeyUsageType::SignVerify),
        (KeySpec::SymmetricDefault, KeyUsageType::SignVerify),
        (KeySpec::SymmetricDefault, KeyUsageType::GenerateVerifyMac),
        (KeySpec::Rsa4096, KeyUsageType::GenerateVerifyMac),
    ] {
        let r = c.create_key().key_spec(spec.clone()).key_usage(usage.clone()).send().await;
        expect_err(
            r,
            "ValidationException",
            &format!("KeyUsage {} is not compatible with KeySpec {}", usage.as_str(), spec.as_str()),
        );
    }
    for spec in [KeySpec::Hmac256, KeySpec::Rsa2048, KeySpec::EccNistP256] {
        expect_err(
            c.create_key().key_spec(spec).send().await,
            "ValidationException",
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
        );
    }
    // The deprecated CustomerMasterKeySpec works too.
    #[allow(deprecated)]
    let r = c
        .create_key()
        .customer_master_key_spec(aws_sdk_kms::types::CustomerMasterKeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap();
    assert_eq!(r.key_metadata().unwrap().key_spec(), Some(&KeySpec::EccNistP256));
}

#[tokio::test]
async fn wrong_purposes_rotation_deletion_disabling_and_aliases() {
    let server = server();
    let c = server.kms_client().await;
    let sym = c.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    let rsa_enc = create(&c, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let rsa_sign = create(&c, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let ecc = create(&c, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let ecdh = create(&c, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let hmac = create(&c, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let usage = |id: &str, u: &str, op: &str| format!("{} key usage is {u} which is not valid for {op}.", key_arn(id));

    // A key used for the wrong purpose: InvalidKeyUsageException with AWS's words.
    let sign = |k: &str| {
        c.sign().key_id(k).message(Blob::new("m")).signing_algorithm(SigningAlgorithmSpec::EcdsaSha256).send()
    };
    expect_err(sign(&hmac).await, "InvalidKeyUsageException", &usage(&hmac, "GENERATE_VERIFY_MAC", "Sign"));
    expect_err(sign(&sym).await, "InvalidKeyUsageException", &usage(&sym, "ENCRYPT_DECRYPT", "Sign"));
    expect_err(sign(&ecdh).await, "InvalidKeyUsageException", &usage(&ecdh, "KEY_AGREEMENT", "Sign"));
    let r = c
        .verify()
        .key_id(&rsa_enc)
        .message(Blob::new("m"))
        .signature(Blob::new("s"))
        .signing_algorithm(SigningAlgorithmSpec::RsassaPssSha256)
        .send()
        .await;
    expect_err(r, "InvalidKeyUsageException", &usage(&rsa_enc, "ENCRYPT_DECRYPT", "Verify"));
    let r = c.encrypt().key_id(&rsa_sign).plaintext(Blob::new("p")).send().await;
    expect_err(r, "InvalidKeyUsageException", &usage(&rsa_sign, "SIGN_VERIFY", "Encrypt"));
    let r = c.encrypt().key_id(&hmac).plaintext(Blob::new("p")).send().await;
    expect_err(r, "InvalidKeyUsageException", &usage(&hmac, "GENERATE_VERIFY_MAC", "Encrypt"));
    let mac =
        |k: &str| c.generate_mac().key_id(k).message(Blob::new("m")).mac_algorithm(MacAlgorithmSpec::HmacSha256).send();
    expect_err(mac(&sym).await, "InvalidKeyUsageException", &usage(&sym, "ENCRYPT_DECRYPT", "GenerateMac"));
    expect_err(mac(&ecc).await, "InvalidKeyUsageException", &usage(&ecc, "SIGN_VERIFY", "GenerateMac"));
    let derive = |k: &str| {
        c.derive_shared_secret()
            .key_id(k)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(vec![0x30, 0x00]))
            .send()
    };
    expect_err(derive(&ecc).await, "InvalidKeyUsageException", &usage(&ecc, "SIGN_VERIFY", "DeriveSharedSecret"));
    expect_err(derive(&sym).await, "InvalidKeyUsageException", &usage(&sym, "ENCRYPT_DECRYPT", "DeriveSharedSecret"));
    // Algorithms the key does not offer.
    let r = c.encrypt().key_id(&rsa_enc).plaintext(Blob::new("p")).send().await;
    expect_err(r, "InvalidKeyUsageException", "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.");
    let r = c
        .encrypt()
        .key_id(&sym)
        .plaintext(Blob::new("p"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await;
    expect_err(
        r,
        "InvalidKeyUsageException",
        "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.",
    );
    let r =
        c.sign().key_id(&ecc).message(Blob::new("m")).signing_algorithm(SigningAlgorithmSpec::EcdsaSha384).send().await;
    expect_err(r, "InvalidKeyUsageException", "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.");
    let r = c
        .sign()
        .key_id(&rsa_sign)
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await;
    expect_err(r, "InvalidKeyUsageException", "Algorithm ECDSA_SHA_256 is incompatible with key spec RSA_2048.");
    let r =
        c.generate_mac().key_id(&hmac).message(Blob::new("m")).mac_algorithm(MacAlgorithmSpec::HmacSha512).send().await;
    expect_err(r, "InvalidKeyUsageException", "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.");
    let r = c.generate_data_key().key_id(&rsa_enc).number_of_bytes(32).send().await;
    expect_err(r, "InvalidKeyUsageException", "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.");
    let r = c.generate_data_key_pair().key_id(&rsa_enc).key_pair_spec(DataKeyPairSpec::EccNistP256).send().await;
    expect_err(r, "InvalidKeyUsageException", "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.");
    // GetPublicKey needs an asymmetric key.
    err_of(c.get_public_key().key_id(&sym).send().await, "UnsupportedOperationException");
    err_of(c.get_public_key().key_id(&hmac).send().await, "UnsupportedOperationException");
    // Bad enum values and missing members: ValidationException.
    let r = c
        .sign()
        .key_id(&ecc)
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::from("NOPE"))
        .send()
        .await;
    assert!(
        err_of(r, "ValidationException")
            .unwrap_or_default()
            .contains("at 'signingAlgorithm' failed to satisfy constraint")
    );
    let r = c
        .sign()
        .key_id(&ecc)
        .message(Blob::new(vec![0u8; 4097]))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await;
    expect_err(
        r,
        "ValidationException",
        "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    let r = c
        .sign()
        .key_id(&ecc)
        .message(Blob::new("m"))
        .message_type(MessageType::ExternalMu)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await;
    expect_err(r, "ValidationException", "Message type EXTERNAL_MU is incompatible with key spec ECC_NIST_P256.");

    // Rotation is for symmetric encryption keys only.
    for k in [&rsa_sign, &ecc, &hmac] {
        err_of(c.enable_key_rotation().key_id(k).send().await, "UnsupportedOperationException");
        err_of(c.get_key_rotation_status().key_id(k).send().await, "UnsupportedOperationException");
        err_of(c.rotate_key_on_demand().key_id(k).send().await, "UnsupportedOperationException");
    }

    // Aliases name asymmetric keys like any other.
    c.create_alias().alias_name("alias/signer").target_key_id(&ecc).send().await.unwrap();
    let s = c
        .sign()
        .key_id("alias/signer")
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    assert_eq!(s.key_id(), Some(key_arn(&ecc).as_str()));
    let pk = c.get_public_key().key_id("alias/signer").send().await.unwrap();
    assert_eq!(pk.key_id(), Some(key_arn(&ecc).as_str()));
    assert_eq!(pk.key_usage(), Some(&KeyUsageType::SignVerify));
    assert_eq!(pk.key_spec(), Some(&KeySpec::EccNistP256));
    assert_eq!(pk.signing_algorithms(), &[SigningAlgorithmSpec::EcdsaSha256]);

    // Disabled keys refuse cryptography; pending deletion too; cancelling brings them back disabled.
    c.disable_key().key_id(&ecc).send().await.unwrap();
    expect_err(sign(&ecc).await, "DisabledException", &format!("{} is disabled.", key_arn(&ecc)));
    expect_err(
        c.get_public_key().key_id(&ecc).send().await,
        "DisabledException",
        &format!("{} is disabled.", key_arn(&ecc)),
    );
    c.enable_key().key_id(&ecc).send().await.unwrap();
    sign(&ecc).await.unwrap();
    c.schedule_key_deletion().key_id(&hmac).pending_window_in_days(7).send().await.unwrap();
    expect_err(mac(&hmac).await, "KMSInvalidStateException", &format!("{} is pending deletion.", key_arn(&hmac)));
    c.cancel_key_deletion().key_id(&hmac).send().await.unwrap();
    c.enable_key().key_id(&hmac).send().await.unwrap();
    mac(&hmac).await.unwrap();
}

#[tokio::test]
async fn asymmetric_calls_draw_on_the_rsa_ecc_symmetric_and_key_pair_quotas() {
    let config = &format!(
        "{MANAGEMENT_QUOTAS}{}",
        r#"
[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-2AC98190"
value = 4.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-DC14942D"
value = 4.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-6E3AF000"
value = 4.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-D2EEB5E0"
value = 2.0
"#
    );
    let server = TestServer::start_with_config(Some(config));
    let c = server.kms_client().await;
    let rsa = create(&c, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let ecc = create(&c, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let ecdh = create(&c, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let hmac = create(&c, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let sym = c.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    async fn burst<F, Fut, T, E>(n: usize, f: F) -> (usize, usize)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        T: Debug,
    {
        let (mut ok, mut throttled) = (0, 0);
        for _ in 0..n {
            match f().await {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert_eq!(e.code(), Some("ThrottlingException"), "{e:?}");
                    throttled += 1;
                }
            }
        }
        (ok, throttled)
    }
    let sign = |k: String, alg: SigningAlgorithmSpec| {
        let c = c.clone();
        move || c.clone().sign().key_id(k.clone()).message(Blob::new("m")).signing_algorithm(alg.clone()).send()
    };
    // The RSA pool: RSA Sign throttles; ECC Sign and HMAC are unaffected.
    let (ok, throttled) = burst(12, sign(rsa.clone(), SigningAlgorithmSpec::RsassaPssSha256)).await;
    assert!(ok >= 4 && throttled > 0, "rsa {ok}/{throttled}");
    let (ok, _) = burst(3, sign(ecc.clone(), SigningAlgorithmSpec::EcdsaSha256)).await;
    assert_eq!(ok, 3, "ECC pool is separate from RSA");
    // The ECC pool: ECDSA and ECDH share it.
    let (_, throttled) = burst(8, sign(ecc.clone(), SigningAlgorithmSpec::EcdsaSha256)).await;
    assert!(throttled > 0);
    let r = c
        .derive_shared_secret()
        .key_id(&ecdh)
        .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
        .public_key(Blob::new(vec![0x30]))
        .send()
        .await;
    assert_eq!(r.unwrap_err().into_service_error().code(), Some("ThrottlingException"));
    // HMAC draws on the symmetric pool, shared with Encrypt.
    let mac = {
        let c = c.clone();
        let hmac = hmac.clone();
        move || {
            c.clone()
                .generate_mac()
                .key_id(hmac.clone())
                .message(Blob::new("m"))
                .mac_algorithm(MacAlgorithmSpec::HmacSha256)
                .send()
        }
    };
    let (ok, _) = burst(3, mac.clone()).await;
    assert_eq!(ok, 3);
    let enc = {
        let c = c.clone();
        let sym = sym.clone();
        move || c.clone().encrypt().key_id(sym.clone()).plaintext(Blob::new("p")).send()
    };
    let _ = burst(6, enc).await;
    let (_, throttled) = burst(2, mac).await;
    assert!(throttled > 0, "GenerateMac shares the symmetric pool");
    // GenerateDataKeyPair: each KeyPairSpec has its own quota.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let pair = |spec: DataKeyPairSpec| {
        let c = c.clone();
        let sym = sym.clone();
        move || {
            c.clone().generate_data_key_pair_without_plaintext().key_id(sym.clone()).key_pair_spec(spec.clone()).send()
        }
    };
    let (ok, throttled) = burst(5, pair(DataKeyPairSpec::EccNistP256)).await;
    assert!((2..=3).contains(&ok) && throttled > 0, "P-256 pairs {ok}/{throttled}");
    let (ok, _) = burst(3, pair(DataKeyPairSpec::EccNistP384)).await;
    assert_eq!(ok, 3, "P-384 pairs have their own quota");
}

#[tokio::test]
async fn asymmetric_and_hmac_keys_survive_sigkill() {
    let server = server();
    let c = server.kms_client().await;
    let ecc = create(&c, KeySpec::EccNistP384, KeyUsageType::SignVerify).await;
    let rsa = create(&c, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let hmac = create(&c, KeySpec::Hmac512, KeyUsageType::GenerateVerifyMac).await;
    let public = c.get_public_key().key_id(&ecc).send().await.unwrap().public_key().unwrap().clone();
    let sig = c
        .sign()
        .key_id(&ecc)
        .message(Blob::new("durable"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
        .send()
        .await
        .unwrap()
        .signature()
        .unwrap()
        .clone();
    let ct = c
        .encrypt()
        .key_id(&rsa)
        .plaintext(Blob::new("durable"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .clone();
    let mac = || {
        c.generate_mac().key_id(&hmac).message(Blob::new("durable")).mac_algorithm(MacAlgorithmSpec::HmacSha512).send()
    };
    let tag = mac().await.unwrap().mac().unwrap().clone();

    let server = server.kill9_and_restart();
    let c = server.kms_client().await;
    assert_eq!(c.get_public_key().key_id(&ecc).send().await.unwrap().public_key(), Some(&public));
    let v = c
        .verify()
        .key_id(&ecc)
        .message(Blob::new("durable"))
        .signature(sig)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
        .send()
        .await
        .unwrap();
    assert!(v.signature_valid());
    let d = c
        .decrypt()
        .key_id(&rsa)
        .ciphertext_blob(ct)
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), b"durable");
    let again = c
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new("durable"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha512)
        .send()
        .await
        .unwrap();
    assert_eq!(again.mac(), Some(&tag));
}
