//! The newest key specs on a real `trent serve`: ECC_NIST_EDWARDS25519
//! (Ed25519 and Ed25519ph), ML_DSA_44/65/87 (RAW and EXTERNAL_MU) and
//! ML_KEM_512/768/1024 (Encapsulate / Decapsulate), each checked by an
//! independent implementation: openssl and pycryptodome for Ed25519, Python's
//! `cryptography` for ML-DSA and ML-KEM-768/1024, kyber-py for ML-KEM-512.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{EncapsulationAlgorithmSpec, KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use common::api::{err_of, expect_err, key_arn};
use common::asymmetric::{Dir, create, openssl, public_pem, server};
use common::{run_boto3, venv_bin};

/// Runs a Python `script` with `args`; it must exit 0 and print `done`.
fn python(script: &str, args: &[&str], done: &str) {
    let out = Command::new(venv_bin("python")).arg("-c").arg(script).args(args).output().expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "python failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(done), "{done:?} not printed: {stdout}");
}

/// Ed25519ph (RFC 8032 HashEdDSA) and pure Ed25519, verified by pycryptodome.
const PYCRYPTODOME_ED25519: &str = r#"
import sys
from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa
from Crypto.Hash import SHA512
spki, msg, pure, digest, ph = (bytes.fromhex(a) for a in sys.argv[1:6])
v = eddsa.new(ECC.import_key(spki), 'rfc8032')
v.verify(msg, pure)
# AWS applies the SHA-512 prehash to the digest it is given: Ed25519ph over M = digest.
v.verify(SHA512.new(digest), ph)
try:
    v.verify(SHA512.new(msg), ph)
    raise SystemExit('a prehash signature of the digest verified over the message')
except ValueError:
    pass
print('ed25519 verified')
"#;

#[tokio::test]
async fn ed25519_signs_pure_and_prehashed_as_openssl_and_pycryptodome_verify() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    let key = create(&c, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;
    let md = c.describe_key().key_id(&key).send().await.unwrap().key_metadata().unwrap().clone();
    assert_eq!(md.key_spec(), Some(&KeySpec::EccNistEdwards25519));
    assert_eq!(md.signing_algorithms(), &[SigningAlgorithmSpec::Ed25519Sha512, SigningAlgorithmSpec::Ed25519PhSha512]);
    assert_eq!(md.current_key_material_id(), None);
    let pk = c.get_public_key().key_id(&key).send().await.unwrap();
    assert_eq!(pk.key_usage(), Some(&KeyUsageType::SignVerify));
    assert_eq!(pk.signing_algorithms(), md.signing_algorithms());
    let spki = pk.public_key().unwrap().as_ref().to_vec();
    assert_eq!(spki.len(), 44);

    // Pure Ed25519 over the message: openssl verifies it.
    let msg = b"an Ed25519 message".to_vec();
    let sign = |alg: SigningAlgorithmSpec, m: Vec<u8>, t: MessageType| {
        c.sign().key_id(&key).message(Blob::new(m)).message_type(t).signing_algorithm(alg).send()
    };
    let pure = sign(SigningAlgorithmSpec::Ed25519Sha512, msg.clone(), MessageType::Raw).await.unwrap();
    assert_eq!(pure.signing_algorithm(), Some(&SigningAlgorithmSpec::Ed25519Sha512));
    let pure = pure.signature().unwrap().as_ref().to_vec();
    assert_eq!(pure.len(), 64);
    let pem = public_pem(&c, &key, &dir, "ed").await;
    let (m, s) = (dir.write("m.bin", &msg), dir.write("s.bin", &pure));
    let out = openssl(&["pkeyutl", "-verify", "-pubin", "-inkey", &pem, "-rawin", "-in", &m, "-sigfile", &s]);
    assert!(String::from_utf8_lossy(&out).contains("Signature Verified Successfully"));

    // Ed25519ph over a SHA-512 digest: pycryptodome verifies it (openssl 3.0 has no Ed25519ph).
    let digest = openssl(&["dgst", "-sha512", "-binary", &m]);
    let ph = sign(SigningAlgorithmSpec::Ed25519PhSha512, digest.clone(), MessageType::Digest).await.unwrap();
    let ph = ph.signature().unwrap().as_ref().to_vec();
    python(
        PYCRYPTODOME_ED25519,
        &[&hex::encode(&spki), &hex::encode(&msg), &hex::encode(&pure), &hex::encode(&digest), &hex::encode(&ph)],
        "ed25519 verified",
    );

    // Trent verifies both, and refuses a signature under the other algorithm.
    let verify = |alg: SigningAlgorithmSpec, m: Vec<u8>, t: MessageType, sig: Vec<u8>| {
        c.verify()
            .key_id(&key)
            .message(Blob::new(m))
            .message_type(t)
            .signing_algorithm(alg)
            .signature(Blob::new(sig))
            .send()
    };
    assert!(
        verify(SigningAlgorithmSpec::Ed25519Sha512, msg.clone(), MessageType::Raw, pure.clone())
            .await
            .unwrap()
            .signature_valid()
    );
    assert!(
        verify(SigningAlgorithmSpec::Ed25519PhSha512, digest.clone(), MessageType::Digest, ph.clone())
            .await
            .unwrap()
            .signature_valid()
    );
    err_of(
        verify(SigningAlgorithmSpec::Ed25519PhSha512, digest.clone(), MessageType::Digest, pure.clone()).await,
        "KMSInvalidSignatureException",
    );

    // AWS's pairing of algorithm and MessageType, and the digest length.
    expect_err(
        sign(SigningAlgorithmSpec::Ed25519Sha512, digest.clone(), MessageType::Digest).await,
        "ValidationException",
        "Message type DIGEST is incompatible with algorithm ED25519_SHA_512.",
    );
    expect_err(
        sign(SigningAlgorithmSpec::Ed25519PhSha512, msg.clone(), MessageType::Raw).await,
        "ValidationException",
        "Message type RAW is incompatible with algorithm ED25519_PH_SHA_512.",
    );
    expect_err(
        sign(SigningAlgorithmSpec::Ed25519PhSha512, digest[..32].to_vec(), MessageType::Digest).await,
        "ValidationException",
        "Digest is invalid length for algorithm ED25519_PH_SHA_512.",
    );
    expect_err(
        sign(SigningAlgorithmSpec::EcdsaSha256, msg.clone(), MessageType::Raw).await,
        "InvalidKeyUsageException",
        "Algorithm ECDSA_SHA_256 is incompatible with key spec ECC_NIST_EDWARDS25519.",
    );
    expect_err(
        c.create_key().key_spec(KeySpec::EccNistEdwards25519).key_usage(KeyUsageType::KeyAgreement).send().await,
        "ValidationException",
        "KeyUsage KEY_AGREEMENT is not compatible with KeySpec ECC_NIST_EDWARDS25519",
    );

    // Ed25519 data key pairs: openssl reads the PKCS#8 private key and derives the same public key.
    let sym = create(&c, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    let pair = c
        .generate_data_key_pair()
        .key_id(&sym)
        .key_pair_spec(aws_sdk_kms::types::DataKeyPairSpec::EccNistEdwards25519)
        .send()
        .await
        .unwrap();
    let private = dir.write("dkp.der", pair.private_key_plaintext().unwrap().as_ref());
    let derived = openssl(&["pkey", "-inform", "DER", "-in", &private, "-pubout", "-outform", "DER"]);
    assert_eq!(derived, pair.public_key().unwrap().as_ref());
}

/// ML-DSA through boto3: RAW and EXTERNAL_MU signatures checked by Python's
/// `cryptography`, mu computed by hashlib from FIPS 204 §6.2, and AWS's refusals.
const ML_DSA_SCRIPT: &str = r#"
import hashlib, boto3, botocore
from cryptography.hazmat.primitives.serialization import load_der_public_key
from cryptography.hazmat.primitives.asymmetric import mldsa
kms = boto3.client('kms')
sizes = {'ML_DSA_44': (1312, 2420, mldsa.MLDSA44PublicKey),
         'ML_DSA_65': (1952, 3309, mldsa.MLDSA65PublicKey),
         'ML_DSA_87': (2592, 4627, mldsa.MLDSA87PublicKey)}
def code_and_message(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code'], e.response['Error']['Message']
    raise SystemExit('no error')
for spec, (pk_len, sig_len, cls) in sizes.items():
    md = kms.create_key(KeySpec=spec, KeyUsage='SIGN_VERIFY')['KeyMetadata']
    key = md['KeyId']
    assert md['SigningAlgorithms'] == ['ML_DSA_SHAKE_256'], md
    assert md['KeyUsage'] == 'SIGN_VERIFY'
    pub = kms.get_public_key(KeyId=key)
    assert pub['KeySpec'] == spec and pub['SigningAlgorithms'] == ['ML_DSA_SHAKE_256'], pub
    public = load_der_public_key(pub['PublicKey'])
    assert isinstance(public, cls), type(public)
    raw_pk = public.public_bytes_raw()
    assert len(raw_pk) == pk_len
    msg = b'ML-DSA message ' * 200  # 3000 bytes: RAW takes up to 4096
    sig = kms.sign(KeyId=key, Message=msg, MessageType='RAW', SigningAlgorithm='ML_DSA_SHAKE_256')['Signature']
    assert len(sig) == sig_len
    public.verify(sig, msg)
    # A message too long for RAW, signed as its external mu (FIPS 204 6.2, empty context).
    big = b'x' * 100000
    tr = hashlib.shake_256(raw_pk).digest(64)
    mu = hashlib.shake_256(tr + b'\x00\x00' + big).digest(64)
    sig = kms.sign(KeyId=key, Message=mu, MessageType='EXTERNAL_MU', SigningAlgorithm='ML_DSA_SHAKE_256')['Signature']
    public.verify(sig, big)
    assert kms.verify(KeyId=key, Message=mu, MessageType='EXTERNAL_MU', Signature=sig,
                      SigningAlgorithm='ML_DSA_SHAKE_256')['SignatureValid']
    code, _ = code_and_message(lambda: kms.verify(KeyId=key, Message=bytes(64), MessageType='EXTERNAL_MU',
                                                  Signature=sig, SigningAlgorithm='ML_DSA_SHAKE_256'))
    assert code == 'KMSInvalidSignatureException', code
    assert code_and_message(lambda: kms.sign(KeyId=key, Message=mu[:32], MessageType='EXTERNAL_MU',
                                             SigningAlgorithm='ML_DSA_SHAKE_256')) == \
        ('ValidationException', 'Digest is invalid length for algorithm ML_DSA_SHAKE_256.')
    assert code_and_message(lambda: kms.sign(KeyId=key, Message=mu, MessageType='DIGEST',
                                             SigningAlgorithm='ML_DSA_SHAKE_256')) == \
        ('ValidationException', f'Message type DIGEST is incompatible with key spec {spec}.')
    assert code_and_message(lambda: kms.sign(KeyId=key, Message=msg, SigningAlgorithm='ECDSA_SHA_256')) == \
        ('InvalidKeyUsageException', f'Algorithm ECDSA_SHA_256 is incompatible with key spec {spec}.')
    assert code_and_message(lambda: kms.encrypt(KeyId=key, Plaintext=b'p', EncryptionAlgorithm='RSAES_OAEP_SHA_256'))[0] \
        == 'InvalidKeyUsageException'
assert code_and_message(lambda: kms.create_key(KeySpec='ML_DSA_65', KeyUsage='ENCRYPT_DECRYPT')) == \
    ('ValidationException', 'KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ML_DSA_65')
print('ml-dsa ok')
"#;

#[tokio::test]
async fn ml_dsa_raw_and_external_mu_signatures_verify_with_python_cryptography() {
    let server = server();
    run_boto3(&server, ML_DSA_SCRIPT, "ml-dsa ok");
}

/// ML-KEM through boto3: Python encapsulates to Trent's public key
/// (`cryptography` for 768/1024, kyber-py for 512) and Trent decapsulates the same secret.
const ML_KEM_SCRIPT: &str = r#"
import boto3, botocore
from cryptography.hazmat.primitives.serialization import load_der_public_key
from kyber_py.ml_kem import ML_KEM_512
kms = boto3.client('kms')
def code_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
    raise SystemExit('no error')
for spec, ct_len in [('ML_KEM_512', 768), ('ML_KEM_768', 1088), ('ML_KEM_1024', 1568)]:
    md = kms.create_key(KeySpec=spec, KeyUsage='ENCAPSULATE_DECAPSULATE')['KeyMetadata']
    key = md['KeyId']
    assert md['EncapsulationAlgorithms'] == ['ML_KEM'], md
    assert 'SigningAlgorithms' not in md and 'EncryptionAlgorithms' not in md
    pub = kms.get_public_key(KeyId=key)
    assert pub['KeyUsage'] == 'ENCAPSULATE_DECAPSULATE' and pub['EncapsulationAlgorithms'] == ['ML_KEM'], pub
    if spec == 'ML_KEM_512':
        # cryptography has no ML-KEM-512: take the encapsulation key out of the SubjectPublicKeyInfo.
        der = pub['PublicKey']
        assert der[6:17] == bytes.fromhex('0609608648016503040401'), der[:20].hex()
        secret, ct = ML_KEM_512.encaps(der[-800:])
    else:
        secret, ct = load_der_public_key(pub['PublicKey']).encapsulate()
    assert len(ct) == ct_len
    got = kms.decapsulate(KeyId=key, SharedSecretCiphertextBlob=ct, EncapsulationAlgorithm='ML_KEM')
    assert got['SharedSecret'] == secret, spec
    assert got['EncapsulationAlgorithm'] == 'ML_KEM' and got['KeyId'].endswith(key)
    e = kms.encapsulate(KeyId=key, EncapsulationAlgorithm='ML_KEM')
    assert len(e['SharedSecret']) == 32 and len(e['SharedSecretCiphertextBlob']) == ct_len
    assert kms.decapsulate(KeyId=key, SharedSecretCiphertextBlob=e['SharedSecretCiphertextBlob'],
                           EncapsulationAlgorithm='ML_KEM')['SharedSecret'] == e['SharedSecret']
    # Implicit rejection: an altered ciphertext gives some other 32 bytes, a wrong length is refused.
    bad = bytes([ct[0] ^ 1]) + ct[1:]
    other = kms.decapsulate(KeyId=key, SharedSecretCiphertextBlob=bad, EncapsulationAlgorithm='ML_KEM')['SharedSecret']
    assert len(other) == 32 and other != secret
    assert code_of(lambda: kms.decapsulate(KeyId=key, SharedSecretCiphertextBlob=ct[:-1],
                                           EncapsulationAlgorithm='ML_KEM')) == 'InvalidCiphertextException'
    assert code_of(lambda: kms.sign(KeyId=key, Message=b'm', SigningAlgorithm='ML_DSA_SHAKE_256')) == \
        'InvalidKeyUsageException'
print('ml-kem ok')
"#;

#[tokio::test]
async fn ml_kem_secrets_agree_with_python_and_the_refusals_are_aws_s() {
    let server = server();
    run_boto3(&server, ML_KEM_SCRIPT, "ml-kem ok");
    let c = server.kms_client().await;
    let key = create(&c, KeySpec::MlKem768, KeyUsageType::EncapsulateDecapsulate).await;
    let sym = create(&c, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    expect_err(
        c.encapsulate().key_id(&sym).encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem).send().await,
        "InvalidKeyUsageException",
        &format!("{} key usage is ENCRYPT_DECRYPT which is not valid for Encapsulate.", key_arn(&sym)),
    );
    expect_err(
        c.encapsulate().key_id(&key).encapsulation_algorithm(EncapsulationAlgorithmSpec::from("ML_KEM_2")).send().await,
        "ValidationException",
        "1 validation error detected: Value 'ML_KEM_2' at 'encapsulationAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ML_KEM]",
    );
    expect_err(
        c.create_key().key_spec(KeySpec::MlKem768).key_usage(KeyUsageType::KeyAgreement).send().await,
        "ValidationException",
        "KeyUsage KEY_AGREEMENT is not compatible with KeySpec ML_KEM_768",
    );
    err_of(
        c.encapsulate()
            .key_id(&key)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    c.disable_key().key_id(&key).send().await.unwrap();
    expect_err(
        c.encapsulate().key_id(&key).encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem).send().await,
        "DisabledException",
        &format!("{} is disabled.", key_arn(&key)),
    );
    c.enable_key().key_id(&key).send().await.unwrap();

    // The private key is durable: a secret encapsulated before kill -9 decapsulates after it.
    let e =
        c.encapsulate().key_id(&key).encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem).send().await.unwrap();
    let server = server.kill9_and_restart();
    let c = server.kms_client().await;
    let d = c
        .decapsulate()
        .key_id(&key)
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .shared_secret_ciphertext_blob(e.shared_secret_ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(d.shared_secret().unwrap().as_ref(), e.shared_secret().unwrap().as_ref());
}

/// A key policy can deny kms:Encapsulate while it allows kms:Decapsulate.
#[tokio::test]
async fn key_policies_govern_encapsulate_and_decapsulate_separately() {
    let server = server();
    let c = server.kms_client().await;
    let account = key_arn("x").split(':').nth(4).unwrap().to_owned();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}},
            {{"Effect":"Deny","Principal":{{"AWS":"*"}},"Action":"kms:Encapsulate","Resource":"*"}}]}}"#
    );
    let key = c
        .create_key()
        .key_spec(KeySpec::MlKem512)
        .key_usage(KeyUsageType::EncapsulateDecapsulate)
        .policy(policy)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned();
    err_of(
        c.encapsulate().key_id(&key).encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem).send().await,
        "AccessDeniedException",
    );
    let d = c
        .decapsulate()
        .key_id(&key)
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .shared_secret_ciphertext_blob(Blob::new(vec![7u8; 768]))
        .send()
        .await
        .unwrap();
    assert_eq!(d.shared_secret().unwrap().as_ref().len(), 32);
}

/// `trent load` sends Encapsulate and Decapsulate (creating an ML_KEM_768 key)
/// and groups them under the ML-KEM pool, as the server charges them.
#[test]
fn trent_load_sends_encapsulate_and_decapsulate_on_the_ml_kem_pool() {
    let server = server();
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["load", "--endpoint", &server.endpoint, "--output", "json", "--progress", "never"])
        .args(["--settle", "200ms", "--drain", "2s", "--rate", "40", "--duration", "1s"])
        .args(["--operation", "Encapsulate,Decapsulate"])
        .envs(server.envs())
        .output()
        .expect("run trent load");
    assert!(out.status.success(), "trent load failed: {}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["errors"].as_u64(), Some(0), "{r}");
    let ok = server.count("Encapsulate", "ok") + server.count("Decapsulate", "ok");
    // Setup encapsulates once for the Decapsulate bodies.
    assert_eq!(r["succeeded"].as_u64().unwrap() + 1, ok, "{r}");
    assert!(server.count("Decapsulate", "ok") >= 10, "{r}");
    assert_eq!(r["quota"][0]["quota_code"], "T-Crypto-MLKEM", "{r}");

    // The same through aws-sdk-kms (the SDK's standard retry mode).
    let before = server.count("Decapsulate", "ok");
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["load", "--endpoint", &server.endpoint, "--output", "json", "--progress", "never"])
        .args(["--settle", "200ms", "--drain", "2s", "--rate", "40", "--duration", "1s", "--retry", "standard"])
        .args(["--operation", "Decapsulate"])
        .envs(server.envs())
        .output()
        .expect("run trent load");
    assert!(out.status.success(), "trent load failed: {}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["errors"].as_u64(), Some(0), "{r}");
    assert_eq!(server.count("Decapsulate", "ok") - before, r["succeeded"].as_u64().unwrap(), "{r}");
    assert!(r["succeeded"].as_u64().unwrap() >= 10, "{r}");
}

/// An Ed25519 private key made by openssl, imported (RSAES_OAEP_SHA_256), signs as openssl
/// verifies, and Ed25519ph signatures pycryptodome makes with it verify in Trent.
#[tokio::test]
async fn imported_ed25519_material_signs_as_openssl_verifies() {
    let server = server();
    let c = server.kms_client().await;
    let dir = Dir::new();
    let key = common::asymmetric::create_external(&c, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;
    let private = dir.path("ed.der");
    openssl(&["genpkey", "-algorithm", "ED25519", "-outform", "DER", "-out", &private]);
    let pkcs8 = dir.read("ed.der");
    let (token, wrapped) = common::asymmetric::wrap_with_openssl(
        &c,
        &key,
        aws_sdk_kms::types::AlgorithmSpec::RsaesOaepSha256,
        &pkcs8,
        &dir,
    )
    .await;
    c.import_key_material()
        .key_id(&key)
        .import_token(token)
        .encrypted_key_material(Blob::new(wrapped))
        .expiration_model(aws_sdk_kms::types::ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    let spki = openssl(&["pkey", "-inform", "DER", "-in", &private, "-pubout", "-outform", "DER"]);
    let pk = c.get_public_key().key_id(&key).send().await.unwrap();
    assert_eq!(pk.public_key().unwrap().as_ref(), &spki[..], "the public key openssl derives");
    let sig = c
        .sign()
        .key_id(&key)
        .message(Blob::new("imported"))
        .signing_algorithm(SigningAlgorithmSpec::Ed25519Sha512)
        .send()
        .await
        .unwrap();
    let pem = public_pem(&c, &key, &dir, "imported").await;
    let (m, s) = (dir.write("im.bin", b"imported"), dir.write("is.bin", sig.signature().unwrap().as_ref()));
    let out = openssl(&["pkeyutl", "-verify", "-pubin", "-inkey", &pem, "-rawin", "-in", &m, "-sigfile", &s]);
    assert!(String::from_utf8_lossy(&out).contains("Signature Verified Successfully"));

    // Ed25519ph signatures pycryptodome makes with the same private key verify in Trent.
    let digest = openssl(&["dgst", "-sha512", "-binary", &m]);
    let out = Command::new(venv_bin("python"))
        .arg("-c")
        .arg(PYCRYPTODOME_ED25519PH_SIGN)
        .args([hex::encode(&pkcs8), hex::encode(&digest)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ph = hex::decode(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    let verified = c
        .verify()
        .key_id(&key)
        .message(Blob::new(digest))
        .message_type(MessageType::Digest)
        .signing_algorithm(SigningAlgorithmSpec::Ed25519PhSha512)
        .signature(Blob::new(ph))
        .send()
        .await
        .unwrap();
    assert!(verified.signature_valid());
}

/// Signs a digest with Ed25519ph (prehashing it once more, as AWS does) using pycryptodome.
const PYCRYPTODOME_ED25519PH_SIGN: &str = r#"
import sys
from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa
from Crypto.Hash import SHA512
pkcs8, digest = (bytes.fromhex(a) for a in sys.argv[1:3])
print(eddsa.new(ECC.import_key(pkcs8), 'rfc8032').sign(SHA512.new(digest)).hex())
"#;

/// ML-DSA material made by Python's `cryptography` (RFC 9881 seed PKCS#8),
/// wrapped by it with RSAES_OAEP_SHA_256 and imported: the public key and
/// signatures agree both ways.
const IMPORTED_ML_DSA_SCRIPT: &str = r#"
import boto3, datetime
from cryptography.hazmat.primitives import hashes, serialization as s
from cryptography.hazmat.primitives.asymmetric import mldsa, padding
kms = boto3.client('kms')
key = kms.create_key(KeySpec='ML_DSA_65', KeyUsage='SIGN_VERIFY', Origin='EXTERNAL')['KeyMetadata']['KeyId']
private = mldsa.MLDSA65PrivateKey.generate()
pkcs8 = private.private_bytes(s.Encoding.DER, s.PrivateFormat.PKCS8, s.NoEncryption())
p = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm='RSAES_OAEP_SHA_256', WrappingKeySpec='RSA_3072')
wrapping = s.load_der_public_key(p['PublicKey'])
oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
kms.import_key_material(KeyId=key, ImportToken=p['ImportToken'], EncryptedKeyMaterial=wrapping.encrypt(pkcs8, oaep),
                        ExpirationModel='KEY_MATERIAL_DOES_NOT_EXPIRE')
spki = private.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
assert kms.get_public_key(KeyId=key)['PublicKey'] == spki
msg = b'signed outside, verified inside'
assert kms.verify(KeyId=key, Message=msg, Signature=private.sign(msg), SigningAlgorithm='ML_DSA_SHAKE_256')['SignatureValid']
sig = kms.sign(KeyId=key, Message=msg, SigningAlgorithm='ML_DSA_SHAKE_256')['Signature']
private.public_key().verify(sig, msg)
print('imported ml-dsa ok')
"#;

#[tokio::test]
async fn imported_ml_dsa_material_from_python_cryptography_agrees_both_ways() {
    let server = server();
    run_boto3(&server, IMPORTED_ML_DSA_SCRIPT, "imported ml-dsa ok");
}

/// ML-KEM material made by Python's `cryptography` (seed PKCS#8), imported:
/// GetPublicKey is byte for byte cryptography's SubjectPublicKeyInfo, and
/// secrets agree both ways.
const IMPORTED_ML_KEM_SCRIPT: &str = r#"
import boto3
from cryptography.hazmat.primitives import hashes, serialization as s
from cryptography.hazmat.primitives.asymmetric import mlkem, padding
kms = boto3.client('kms')
key = kms.create_key(KeySpec='ML_KEM_768', KeyUsage='ENCAPSULATE_DECAPSULATE', Origin='EXTERNAL')['KeyMetadata']['KeyId']
private = mlkem.MLKEM768PrivateKey.generate()
pkcs8 = private.private_bytes(s.Encoding.DER, s.PrivateFormat.PKCS8, s.NoEncryption())
p = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm='RSAES_OAEP_SHA_256', WrappingKeySpec='RSA_2048')
oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
kms.import_key_material(KeyId=key, ImportToken=p['ImportToken'],
                        EncryptedKeyMaterial=s.load_der_public_key(p['PublicKey']).encrypt(pkcs8, oaep),
                        ExpirationModel='KEY_MATERIAL_DOES_NOT_EXPIRE')
spki = private.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
assert kms.get_public_key(KeyId=key)['PublicKey'] == spki
secret, ct = private.public_key().encapsulate()
assert kms.decapsulate(KeyId=key, SharedSecretCiphertextBlob=ct, EncapsulationAlgorithm='ML_KEM')['SharedSecret'] == secret
e = kms.encapsulate(KeyId=key, EncapsulationAlgorithm='ML_KEM')
assert private.decapsulate(e['SharedSecretCiphertextBlob']) == e['SharedSecret']
print('imported ml-kem ok')
"#;

#[tokio::test]
async fn imported_ml_kem_material_from_python_cryptography_agrees_both_ways() {
    let server = server();
    run_boto3(&server, IMPORTED_ML_KEM_SCRIPT, "imported ml-kem ok");
}
