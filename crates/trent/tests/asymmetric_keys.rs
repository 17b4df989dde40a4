//! RSA, ECC and HMAC keys of a real `trent serve`, driven by `aws-sdk-kms`,
//! with the openssl command line as the independent implementation: it
//! verifies every Trent signature algorithm with the key from GetPublicKey,
//! encrypts (RSA-OAEP) for Trent to decrypt, wraps key material for import,
//! computes the HMACs Trent must match and the ECDH secrets DeriveSharedSecret
//! must match. Also: every key spec × algorithm round trip, AWS's errors, and
//! the RSA / ECC / symmetric / per-spec GenerateDataKeyPair quotas.
#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Debug;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, DataKeyPairSpec, EncryptionAlgorithmSpec, ExpirationModelType, KeyAgreementAlgorithmSpec, KeySpec,
    KeyState, KeyUsageType, MacAlgorithmSpec, MessageType, OriginType, SigningAlgorithmSpec, WrappingKeySpec,
};
use common::{DEV_ACCOUNT_ID, REGION, TestServer};

// ---------------------------------------------------------------- helpers

/// Quota overrides that keep key management out of the way: these tests
/// create and import many keys within seconds (AWS allows 5 CreateKey per
/// second and one GetParametersForImport per second).
const MANAGEMENT_QUOTAS: &str = r#"
[quotas]
profile = "current"

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-32B67F4A"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "T-GetParametersForImport"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "T-ImportKeyMaterial"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-1233BF9B"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "T-GDKP-RSA-2048"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "T-GDKP-RSA-3072"
value = 1000.0

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "T-GDKP-RSA-4096"
value = 1000.0
"#;

fn server() -> TestServer {
    TestServer::start_with_config(Some(MANAGEMENT_QUOTAS))
}

fn key_arn(id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{DEV_ACCOUNT_ID}:key/{id}")
}

/// Asserts that `r` failed with the AWS error `code` and returns its message.
fn err_of<T: Debug, E>(r: Result<T, SdkError<E>>, code: &str) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = r.expect_err("expected an error");
    assert_eq!(e.code(), Some(code), "{e:?}");
    e.message().unwrap_or_default().to_owned()
}

fn expect_err<T: Debug, E>(r: Result<T, SdkError<E>>, code: &str, message: &str)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    assert_eq!(err_of(r, code), message);
}

/// Runs openssl; panics with its stderr if it fails.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("/usr/bin/openssl").args(args).output().expect("run openssl");
    assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Dir(tempfile::tempdir().unwrap())
    }
    fn write(&self, name: &str, data: &[u8]) -> String {
        let p = self.0.path().join(name);
        std::fs::write(&p, data).unwrap();
        p.to_str().unwrap().to_owned()
    }
    fn path(&self, name: &str) -> String {
        self.0.path().join(name).to_str().unwrap().to_owned()
    }
    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.0.path().join(name)).unwrap()
    }
}

async fn create(c: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let r = c.create_key().key_spec(spec).key_usage(usage).send().await.unwrap();
    r.key_metadata().unwrap().key_id().to_owned()
}

/// GetPublicKey written as PEM (via `openssl pkey -pubin -inform DER`).
async fn public_pem(c: &Client, key: &str, dir: &Dir, name: &str) -> String {
    let der = c.get_public_key().key_id(key).send().await.unwrap().public_key().unwrap().as_ref().to_vec();
    let der_path = dir.write(&format!("{name}.der"), &der);
    let pem = dir.path(&format!("{name}.pem"));
    openssl(&["pkey", "-pubin", "-inform", "DER", "-in", &der_path, "-out", &pem]);
    pem
}

fn sha(alg: &SigningAlgorithmSpec) -> &'static str {
    let s = alg.as_str();
    if s.ends_with("256") {
        "sha256"
    } else if s.ends_with("384") {
        "sha384"
    } else {
        "sha512"
    }
}

fn digest(alg: &SigningAlgorithmSpec, msg: &[u8], dir: &Dir) -> Vec<u8> {
    let m = dir.write("to-digest.bin", msg);
    openssl(&["dgst", &format!("-{}", sha(alg)), "-binary", &m])
}

const RSA_SIGNING: [SigningAlgorithmSpec; 6] = [
    SigningAlgorithmSpec::RsassaPssSha256,
    SigningAlgorithmSpec::RsassaPssSha384,
    SigningAlgorithmSpec::RsassaPssSha512,
    SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
    SigningAlgorithmSpec::RsassaPkcs1V15Sha384,
    SigningAlgorithmSpec::RsassaPkcs1V15Sha512,
];

/// Signs with Trent (RAW and DIGEST), verifies with openssl and with Trent,
/// and checks the refusals of a bad signature and a bad digest length.
async fn sign_and_prove(c: &Client, key: &str, alg: SigningAlgorithmSpec, pem: &str, dir: &Dir) {
    let msg = format!("message for {alg:?} under {key}").into_bytes();
    let msg_path = dir.write("msg.bin", &msg);
    let raw = c.sign().key_id(key).message(Blob::new(msg.clone())).signing_algorithm(alg.clone()).send().await.unwrap();
    assert_eq!(raw.key_id(), Some(key_arn(key).as_str()));
    assert_eq!(raw.signing_algorithm(), Some(&alg));
    let d = digest(&alg, &msg, dir);
    let by_digest = c
        .sign()
        .key_id(key)
        .message(Blob::new(d.clone()))
        .message_type(MessageType::Digest)
        .signing_algorithm(alg.clone())
        .send()
        .await
        .unwrap();
    for sig in [raw.signature().unwrap().as_ref(), by_digest.signature().unwrap().as_ref()] {
        let sig_path = dir.write("sig.bin", sig);
        let mut args = vec!["dgst".to_owned(), format!("-{}", sha(&alg)), "-verify".into(), pem.into()];
        if alg.as_str().starts_with("RSASSA_PSS") {
            args.extend([
                "-sigopt".into(),
                "rsa_padding_mode:pss".into(),
                "-sigopt".into(),
                "rsa_pss_saltlen:digest".into(),
            ]);
        }
        args.extend(["-signature".into(), sig_path, msg_path.clone()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = openssl(&args);
        assert!(String::from_utf8_lossy(&out).contains("Verified OK"), "{alg:?}");
        // Trent verifies its own signature both ways (RAW and DIGEST).
        let v = c
            .verify()
            .key_id(key)
            .message(Blob::new(msg.clone()))
            .signature(Blob::new(sig.to_vec()))
            .signing_algorithm(alg.clone())
            .send()
            .await
            .unwrap();
        assert!(v.signature_valid());
        let v = c
            .verify()
            .key_id(key)
            .message(Blob::new(d.clone()))
            .message_type(MessageType::Digest)
            .signature(Blob::new(sig.to_vec()))
            .signing_algorithm(alg.clone())
            .send()
            .await
            .unwrap();
        assert!(v.signature_valid());
    }
    // A signature over another message: KMSInvalidSignatureException.
    let r = c
        .verify()
        .key_id(key)
        .message(Blob::new("another message"))
        .signature(Blob::new(raw.signature().unwrap().as_ref().to_vec()))
        .signing_algorithm(alg.clone())
        .send()
        .await;
    err_of(r, "KMSInvalidSignatureException");
    // A digest of the wrong length.
    let r = c
        .sign()
        .key_id(key)
        .message(Blob::new(vec![1u8; 20]))
        .message_type(MessageType::Digest)
        .signing_algorithm(alg.clone())
        .send()
        .await;
    expect_err(r, "ValidationException", &format!("Digest is invalid length for algorithm {}.", alg.as_str()));
}

// ---------------------------------------------------------------- key specs and usages

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
    assert!(err_of(r, "ValidationException").contains("at 'signingAlgorithm' failed to satisfy constraint"));
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

// ---------------------------------------------------------------- proof with openssl

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

// ---------------------------------------------------------------- imported key material

/// GetParametersForImport, then wraps `material` with openssl for `alg`.
async fn wrap_with_openssl(c: &Client, key: &str, alg: AlgorithmSpec, material: &[u8], dir: &Dir) -> (Blob, Vec<u8>) {
    let p = c
        .get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(alg.clone())
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    assert_eq!(p.key_id(), Some(key_arn(key).as_str()));
    let valid_to = p.parameters_valid_to().unwrap().secs();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((valid_to - now - 86_400).abs() < 60, "valid for 24 hours");
    let der = dir.write("wrap.der", p.public_key().unwrap().as_ref());
    let pem = dir.path("wrap.pem");
    openssl(&["pkey", "-pubin", "-inform", "DER", "-in", &der, "-out", &pem]);
    let mat = dir.write("material.bin", material);
    let out = dir.path("wrapped.bin");
    let md =
        if matches!(alg, AlgorithmSpec::RsaesOaepSha1 | AlgorithmSpec::RsaAesKeyWrapSha1) { "sha1" } else { "sha256" };
    let oaep = |input: &str, output: &str| {
        openssl(&[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            &pem,
            "-in",
            input,
            "-out",
            output,
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &format!("rsa_oaep_md:{md}"),
            "-pkeyopt",
            &format!("rsa_mgf1_md:{md}"),
        ]);
    };
    let wrapped = if matches!(alg, AlgorithmSpec::RsaesOaepSha1 | AlgorithmSpec::RsaesOaepSha256) {
        oaep(&mat, &out);
        dir.read("wrapped.bin")
    } else {
        // RSA_AES_KEY_WRAP: an ephemeral AES-256 key under RSA-OAEP, then the material under AES-KWP.
        let aes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
        let aes_path = dir.write("aes.bin", &aes);
        oaep(&aes_path, &out);
        let mut wrapped = dir.read("wrapped.bin");
        let kwp = dir.path("kwp.bin");
        let hexkey: String = aes.iter().map(|b| format!("{b:02x}")).collect();
        openssl(&["enc", "-id-aes256-wrap-pad", "-K", &hexkey, "-iv", "A65959A6", "-in", &mat, "-out", &kwp]);
        wrapped.extend(dir.read("kwp.bin"));
        wrapped
    };
    (p.import_token().unwrap().clone(), wrapped)
}

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
    let soon = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() + 2.0;
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
    let key = c
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .origin(OriginType::External)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned();
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

// ---------------------------------------------------------------- quotas

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
