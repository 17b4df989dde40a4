//! Known-answer tests against the official Python ESDK, with a raw AES wrapping key so no KMS
//! is needed: (1) messages the Python SDK wrote for all eleven suites, framed and non-framed,
//! decrypt here; (2) messages written here for every suite decrypt with the Python SDK (runs
//! when the workspace venv exists; mandatory when CI=true).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use trent_client::{
    AlgorithmSuite, ClientConfig, CommitmentPolicy, ContentType, DecryptOptions, EncryptOptions, EnvelopeClient, Error,
    RawAesKeyring, Stats,
};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn raw_client(policy: CommitmentPolicy) -> EnvelopeClient {
    let key: Vec<u8> = (0u8..32).collect();
    let keyring = Arc::new(RawAesKeyring::new("trent-test", "kat-key", &key).unwrap());
    let config = ClientConfig { commitment_policy: policy, ..ClientConfig::default() };
    EnvelopeClient::from_keyring(keyring, Arc::new(Stats::default()), &config).unwrap()
}

#[tokio::test]
async fn python_messages_decrypt_for_every_suite_and_layout() {
    let plaintext = std::fs::read(vectors().join("plaintext.bin")).unwrap();
    let client = raw_client(CommitmentPolicy::RequireEncryptAllowDecrypt);
    let mut seen = 0;
    for suite in AlgorithmSuite::ALL {
        for layout in ["framed", "nonframed"] {
            let path = vectors().join(format!("{:04x}-{layout}.bin", suite.id()));
            let Ok(message) = std::fs::read(&path) else {
                assert!(layout == "nonframed" && suite.is_committing(), "missing {path:?}");
                continue;
            };
            let out = client
                .decrypt_bytes(&message, &DecryptOptions::default())
                .await
                .unwrap_or_else(|e| panic!("{path:?}: {e}"));
            assert_eq!(out.plaintext, plaintext, "{path:?}");
            assert_eq!(out.header.suite, suite);
            assert_eq!(
                out.header.content_type,
                if layout == "framed" { ContentType::Framed } else { ContentType::NonFramed }
            );
            assert_eq!(out.header.encryption_context.get("purpose"), Some("kat"));
            seen += 1;
        }
    }
    assert_eq!(seen, 20);
}

#[tokio::test]
async fn python_vectors_fail_when_tampered_or_wrong_key() {
    let message = std::fs::read(vectors().join("0578-framed.bin")).unwrap();
    let client = raw_client(CommitmentPolicy::default());
    // Flip a bit in the last body byte before the footer: the signature or a tag must catch it.
    let mut bad = message.clone();
    let i = bad.len() - 110;
    bad[i] ^= 1;
    let err = client.decrypt_bytes(&bad, &DecryptOptions::default()).await.unwrap_err();
    assert!(err.is_integrity_failure(), "{err}");

    let other: Vec<u8> = (1u8..33).collect();
    let keyring = Arc::new(RawAesKeyring::new("trent-test", "kat-key", &other).unwrap());
    let wrong = EnvelopeClient::from_keyring(keyring, Arc::new(Stats::default()), &ClientConfig::default()).unwrap();
    assert!(matches!(wrong.decrypt_bytes(&message, &DecryptOptions::default()).await, Err(Error::NoDecryptableKey(_))));
}

fn venv_python() -> Option<PathBuf> {
    let venv = std::env::var_os("TRENT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    let py = venv.join("bin/python");
    if py.exists() {
        Some(py)
    } else if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but no Python venv at {venv:?}; run scripts/setup-python.sh");
    } else {
        eprintln!("skipping: no Python venv at {venv:?} (run scripts/setup-python.sh)");
        None
    }
}

const PY_DECRYPT: &str = r#"
import sys, os
import aws_encryption_sdk
from aws_encryption_sdk.identifiers import CommitmentPolicy, EncryptionKeyType, WrappingAlgorithm
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKeyProvider

class P(RawMasterKeyProvider):
    provider_id = "trent-test"
    def _get_raw_key(self, key_id):
        return WrappingKey(wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
                           wrapping_key=bytes(range(32)), wrapping_key_type=EncryptionKeyType.SYMMETRIC)

p = P(); p.add_master_key(b"kat-key")
client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT)
d = sys.argv[1]
n = 0
for name in sorted(os.listdir(d)):
    if not name.endswith(".msg"):
        continue
    ct = open(os.path.join(d, name), "rb").read()
    pt, header = client.decrypt(source=ct, key_provider=p)
    want = open(os.path.join(d, name[:-4] + ".plain"), "rb").read()
    assert pt == want, name
    assert header.encryption_context.get("origin") == "trent", name
    n += 1
print(n)
"#;

#[tokio::test]
async fn rust_messages_decrypt_with_the_python_sdk() {
    let Some(python) = venv_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut count = 0;
    for suite in AlgorithmSuite::ALL {
        let policy = if suite.is_committing() {
            CommitmentPolicy::RequireEncryptRequireDecrypt
        } else {
            CommitmentPolicy::ForbidEncryptAllowDecrypt
        };
        let client = raw_client(policy);
        for len in [0usize, 1, 127, 128, 129, 1000] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
            let opts = EncryptOptions {
                encryption_context: [("origin", "trent")].into_iter().collect(),
                suite: Some(suite),
                frame_length: 128,
            };
            let message = client.encrypt_bytes(&plaintext, &opts).await.unwrap();
            let stem = format!("{:04x}-{len}", suite.id());
            std::fs::write(dir.path().join(format!("{stem}.msg")), message).unwrap();
            std::fs::write(dir.path().join(format!("{stem}.plain")), plaintext).unwrap();
            count += 1;
        }
    }
    let out = std::process::Command::new(python).arg("-c").arg(PY_DECRYPT).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), count.to_string());
}
