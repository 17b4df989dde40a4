//! Helpers for the asymmetric, HMAC and imported-key tests: a server whose
//! management quotas do not get in the way, and the openssl command line as
//! the independent implementation every Trent result is checked against
//! (signatures, public keys, key wrapping for import).

use std::process::Command;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{AlgorithmSpec, KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec, WrappingKeySpec};

use super::TestServer;
use super::api::{err_of, expect_err, key_arn, now};

/// Quota overrides that keep key management out of the way: these tests
/// create and import many keys within seconds (AWS allows 5 CreateKey per
/// second and one GetParametersForImport per second).
pub const MANAGEMENT_QUOTAS: &str = r#"
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

/// A server with [`MANAGEMENT_QUOTAS`]: request quotas on, key management out of the way.
pub fn server() -> TestServer {
    TestServer::start_with_config(Some(MANAGEMENT_QUOTAS))
}

/// A new key of `spec` for `usage`; returns its key id.
pub async fn create(c: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    created(c.create_key().key_spec(spec).key_usage(usage)).await
}

/// A new key of `spec` for `usage` waiting for imported material (Origin EXTERNAL).
pub async fn create_external(c: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    created(c.create_key().key_spec(spec).key_usage(usage).origin(aws_sdk_kms::types::OriginType::External)).await
}

/// A new multi-Region primary key of `spec` for `usage`.
pub async fn create_multi_region(c: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    created(c.create_key().key_spec(spec).key_usage(usage).multi_region(true)).await
}

/// Sends a CreateKey; the new key's id.
async fn created(request: aws_sdk_kms::operation::create_key::builders::CreateKeyFluentBuilder) -> String {
    request.send().await.unwrap().key_metadata().unwrap().key_id().to_owned()
}

/// Runs openssl; panics with its stderr if it fails.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("/usr/bin/openssl").args(args).output().expect("run openssl");
    assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A temporary directory for the files openssl reads and writes.
pub struct Dir(tempfile::TempDir);

impl Dir {
    /// A new, empty directory, removed on drop.
    pub fn new() -> Self {
        Dir(tempfile::tempdir().unwrap())
    }
    /// Writes `data` to the file `name`; returns its path.
    pub fn write(&self, name: &str, data: &[u8]) -> String {
        let p = self.0.path().join(name);
        std::fs::write(&p, data).unwrap();
        p.to_str().unwrap().to_owned()
    }
    /// The path of the file `name` (which need not exist yet).
    pub fn path(&self, name: &str) -> String {
        self.0.path().join(name).to_str().unwrap().to_owned()
    }
    /// The contents of the file `name`.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.0.path().join(name)).unwrap()
    }
}

/// GetPublicKey written as PEM (via `openssl pkey -pubin -inform DER`).
pub async fn public_pem(c: &Client, key: &str, dir: &Dir, name: &str) -> String {
    let der = c.get_public_key().key_id(key).send().await.unwrap().public_key().unwrap().as_ref().to_vec();
    let der_path = dir.write(&format!("{name}.der"), &der);
    let pem = dir.path(&format!("{name}.pem"));
    openssl(&["pkey", "-pubin", "-inform", "DER", "-in", &der_path, "-out", &pem]);
    pem
}

/// The openssl digest name (`sha256`, ...) a signing algorithm hashes with.
pub fn sha(alg: &SigningAlgorithmSpec) -> &'static str {
    let s = alg.as_str();
    if s.ends_with("256") {
        "sha256"
    } else if s.ends_with("384") {
        "sha384"
    } else {
        "sha512"
    }
}

/// The digest of `msg` for `alg`, computed by openssl.
pub fn digest(alg: &SigningAlgorithmSpec, msg: &[u8], dir: &Dir) -> Vec<u8> {
    let m = dir.write("to-digest.bin", msg);
    openssl(&["dgst", &format!("-{}", sha(alg)), "-binary", &m])
}

/// Every RSA signing algorithm KMS offers.
pub const RSA_SIGNING: [SigningAlgorithmSpec; 6] = [
    SigningAlgorithmSpec::RsassaPssSha256,
    SigningAlgorithmSpec::RsassaPssSha384,
    SigningAlgorithmSpec::RsassaPssSha512,
    SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
    SigningAlgorithmSpec::RsassaPkcs1V15Sha384,
    SigningAlgorithmSpec::RsassaPkcs1V15Sha512,
];

/// Signs with Trent (RAW and DIGEST), verifies with openssl and with Trent,
/// and checks the refusals of a bad signature and a bad digest length.
pub async fn sign_and_prove(c: &Client, key: &str, alg: SigningAlgorithmSpec, pem: &str, dir: &Dir) {
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

/// GetParametersForImport, then wraps `material` with openssl for `alg`.
pub async fn wrap_with_openssl(
    c: &Client,
    key: &str,
    alg: AlgorithmSpec,
    material: &[u8],
    dir: &Dir,
) -> (Blob, Vec<u8>) {
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
    let now = now() as i64;
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
