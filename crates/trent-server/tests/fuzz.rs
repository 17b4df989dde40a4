//! Property-based fuzzing of every parser a request reaches, on stable Rust:
//! SigV4 (the Authorization header, dates, canonicalization), every KMS
//! operation's JSON decoding and validation through the real dispatcher,
//! the ciphertext blob, key policies (parsed by PutKeyPolicy, evaluated by
//! the next call) and the configuration file.
//!
//! The property is the same everywhere: any input ends in a value or a typed
//! AWS error, never a panic, and never `KMSInternalException` (bad input is
//! the caller's fault, and AWS says so with a 4xx). CI runs
//! `TRENT_FUZZ_CASES` cases per target (default 256); `scripts/fuzz.sh`
//! runs many more.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use common::Service;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use trent_core::{ErrorKind, KmsError, Operation};
use trent_server::config::Config;
use trent_server::sigv4::{Principal, Verifier};

/// Cases per target: `TRENT_FUZZ_CASES`, default 256.
fn cases() -> u32 {
    std::env::var("TRENT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() }
}

/// Member names of KMS requests, so generated bodies reach past "unknown member".
const MEMBERS: &[&str] = &[
    "KeyId",
    "Plaintext",
    "CiphertextBlob",
    "EncryptionContext",
    "GrantTokens",
    "KeySpec",
    "KeyUsage",
    "Policy",
    "PolicyName",
    "AliasName",
    "TargetKeyId",
    "Tags",
    "TagKeys",
    "Limit",
    "Marker",
    "GranteePrincipal",
    "RetiringPrincipal",
    "Operations",
    "Constraints",
    "Name",
    "GrantId",
    "GrantToken",
    "Description",
    "Origin",
    "CustomKeyStoreId",
    "MultiRegion",
    "NumberOfBytes",
    "SigningAlgorithm",
    "MessageType",
    "Message",
    "Signature",
    "MacAlgorithm",
    "Mac",
    "EncryptionAlgorithm",
    "SourceKeyId",
    "DestinationKeyId",
    "SourceEncryptionContext",
    "DestinationEncryptionContext",
    "SourceEncryptionAlgorithm",
    "DestinationEncryptionAlgorithm",
    "PendingWindowInDays",
    "RotationPeriodInDays",
    "ImportToken",
    "EncryptedKeyMaterial",
    "ExpirationModel",
    "ValidTo",
    "WrappingAlgorithm",
    "WrappingKeySpec",
    "KeyAgreementAlgorithm",
    "PublicKey",
    "BypassPolicyLockoutSafetyCheck",
    "KeyPairSpec",
    "DryRun",
    "Recipient",
    "CustomKeyStoreName",
    "CloudHsmClusterId",
    "TrustAnchorCertificate",
    "KeyStorePassword",
    "CustomKeyStoreType",
    "XksProxyUriEndpoint",
    "XksProxyUriPath",
    "XksProxyConnectivity",
    "XksProxyAuthenticationCredential",
    "XksKeyId",
    "IncludeKeyRotationHistory",
    "OnDemand",
];

/// Strings that mean something to KMS, plus arbitrary ones.
fn text(key: &str) -> BoxedStrategy<String> {
    let key = key.to_owned();
    prop_oneof![
        Just(key.clone()),
        Just(format!("arn:aws:kms:us-east-1:111122223333:key/{key}")),
        Just("alias/fuzz".to_owned()),
        Just("arn:aws:kms:us-east-1:111122223333:alias/fuzz".to_owned()),
        Just("SYMMETRIC_DEFAULT".to_owned()),
        Just("RSAES_OAEP_SHA_256".to_owned()),
        Just("ENCRYPT_DECRYPT".to_owned()),
        Just("HMAC_256".to_owned()),
        Just("default".to_owned()),
        Just("arn:aws:iam::111122223333:root".to_owned()),
        Just("AQIDBAUGBwgJCgsMDQ4PEA==".to_owned()),
        "[A-Za-z0-9+/=:_-]{0,64}",
        ".{0,80}",
    ]
    .boxed()
}

/// Any JSON value, nested a few levels, with KMS member names as keys.
fn value(key: &str) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e12).prop_map(Value::from),
        text(key).prop_map(Value::from),
    ];
    let key = key.to_owned();
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(member(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(move |v| if v.is_null() && key.is_empty() { json!({}) } else { v })
    .boxed()
}

fn member() -> BoxedStrategy<String> {
    prop_oneof![4 => proptest::sample::select(MEMBERS).prop_map(str::to_owned), 1 => "[A-Za-z]{1,20}"].boxed()
}

/// A request body: an object of members, the top-level shape AWS JSON 1.1 sends.
fn body(key: &str) -> BoxedStrategy<Value> {
    proptest::collection::btree_map(member(), value(key), 0..8)
        .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect()))
        .boxed()
}

/// The failure the properties forbid.
fn internal(e: &KmsError) -> bool {
    e.kind == ErrorKind::KmsInternal
}

#[test]
fn every_operation_answers_any_json_body_with_a_value_or_a_typed_error() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let svc = rt.block_on(Service::new());
    let (key, _) = rt.block_on(svc.create_key());
    rt.block_on(svc.call(Operation::CreateAlias, json!({"AliasName": "alias/fuzz", "TargetKeyId": key}))).unwrap();
    let mut runner = TestRunner::new(config());
    let ops = Operation::ALL.to_vec();
    runner
        .run(&(proptest::sample::select(ops), body(&key)), |(op, body)| {
            let out = rt.block_on(trent_core::ops::dispatch(&svc.kms, &svc.caller, op, body.to_string().as_bytes()));
            match out {
                Ok(bytes) => {
                    prop_assert!(serde_json::from_slice::<Value>(&bytes).is_ok(), "{op:?}: answer is not JSON")
                }
                Err(e) => prop_assert!(!internal(&e), "{op:?} {body}: {e}"),
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_operation_answers_any_bytes_with_a_typed_error() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let svc = rt.block_on(Service::new());
    let mut runner = TestRunner::new(config());
    let ops = Operation::ALL.to_vec();
    runner
        .run(&(proptest::sample::select(ops), proptest::collection::vec(any::<u8>(), 0..512)), |(op, bytes)| {
            if let Err(e) = rt.block_on(trent_core::ops::dispatch(&svc.kms, &svc.caller, op, &bytes)) {
                prop_assert!(!internal(&e), "{op:?}: {e}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn decrypt_answers_any_ciphertext_blob_with_a_typed_error() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let svc = rt.block_on(Service::new());
    let (key, _) = rt.block_on(svc.create_key());
    let ct = rt.block_on(svc.ok(Operation::Encrypt, json!({"KeyId": key, "Plaintext": "aGVsbG8="})));
    let blob = b64.decode(ct["CiphertextBlob"].as_str().unwrap()).unwrap();
    let mut runner = TestRunner::new(config());
    // A real blob with bytes changed, cut or added, and arbitrary blobs.
    let mutated =
        (proptest::collection::vec((0..blob.len(), any::<u8>()), 0..4), 0..=blob.len(), 0usize..3).prop_map({
            let blob = blob.clone();
            move |(changes, cut, extra)| {
                let mut b = blob.clone();
                for (i, v) in changes {
                    b[i] = v;
                }
                b.truncate(cut.max(1));
                b.extend(std::iter::repeat_n(0xA5, extra));
                b
            }
        });
    let strategy = prop_oneof![mutated, proptest::collection::vec(any::<u8>(), 1..200)];
    runner
        .run(&strategy, |bytes| {
            if let Some(b) = trent_core::key::ciphertext::SymmetricBlob::parse(&bytes) {
                // A parsed blob splits the input exactly, its header first.
                prop_assert_eq!(b.header.len() + b.sealed.len(), bytes.len());
                prop_assert_eq!(b.header.len(), trent_core::key::ciphertext::HEADER_LEN);
            }
            let out = rt.block_on(svc.call(Operation::Decrypt, json!({"CiphertextBlob": b64.encode(&bytes)})));
            match out {
                Ok(v) => prop_assert_eq!(&bytes, &blob, "a changed blob decrypted: {}", v),
                Err(e) => prop_assert!(!internal(&e), "{e}"),
            }
            Ok(())
        })
        .unwrap();
}

/// Policy statements with the elements KMS key policies use, some of them wrong.
fn statement() -> BoxedStrategy<Value> {
    let principal = prop_oneof![
        Just(json!("*")),
        Just(json!({"AWS": "arn:aws:iam::111122223333:root"})),
        Just(json!({"AWS": ["111122223333", "arn:aws:iam::444455556666:user/x"]})),
        Just(json!({"Service": "s3.amazonaws.com"})),
        value("").prop_map(|v| json!({ "AWS": v })),
    ];
    let action =
        prop_oneof![Just(json!("kms:*")), Just(json!(["kms:Encrypt", "kms:Decrypt"])), text("").prop_map(Value::from)];
    let condition = prop_oneof![
        Just(Value::Null),
        Just(json!({"StringEquals": {"kms:EncryptionContext:a": "b"}})),
        Just(json!({"ForAnyValue:StringLike": {"kms:EncryptionContextKeys": ["a*"]}})),
        Just(json!({"Bool": {"kms:GrantIsForAWSResource": "true"}})),
        Just(json!({"NumericLessThan": {"kms:ViaService": "x"}})),
        value(""),
    ];
    (
        prop_oneof![Just("Allow"), Just("Deny"), Just("Maybe")],
        principal,
        action,
        prop_oneof![Just(json!("*")), text("").prop_map(Value::from)],
        condition,
        any::<bool>(),
    )
        .prop_map(|(effect, principal, action, resource, condition, not)| {
            let mut s = json!({"Effect": effect, "Resource": resource});
            s[if not { "NotAction" } else { "Action" }] = action;
            s["Principal"] = principal;
            if !condition.is_null() {
                s["Condition"] = condition;
            }
            s
        })
        .boxed()
}

#[test]
fn key_policies_parse_and_evaluate_without_panicking() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let svc = rt.block_on(Service::new());
    let mut runner = TestRunner::new(config());
    let documents = prop_oneof![
        proptest::collection::vec(statement(), 1..5)
            .prop_map(|s| json!({"Version": "2012-10-17", "Statement": s}).to_string()),
        ".{0,200}",
    ];
    runner
        .run(&documents, |policy| {
            let (key, _) = rt.block_on(svc.create_key());
            let put = rt.block_on(svc.call(
                Operation::PutKeyPolicy,
                json!({"KeyId": key, "PolicyName": "default", "Policy": policy, "BypassPolicyLockoutSafetyCheck": true}),
            ));
            if let Err(e) = &put {
                prop_assert!(!internal(e), "PutKeyPolicy {policy}: {e}");
            }
            // Evaluated by every call on the key.
            let enc = rt.block_on(svc.call(
                Operation::Encrypt,
                json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": {"a": "b"}}),
            ));
            if let Err(e) = &enc {
                prop_assert!(!internal(e), "Encrypt under {policy}: {e}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn sigv4_verification_answers_any_headers_with_a_typed_error() {
    let verifier = Verifier::new(
        vec![Principal {
            access_key_id: "AKIATRENTDEV00000000".into(),
            secret_access_key: zeroize::Zeroizing::new("secret".into()),
            account_id: "111122223333".into(),
            arn: "arn:aws:iam::111122223333:user/x".into(),
        }],
        Duration::from_secs(300),
    );
    let credential = prop_oneof![
        Just("AKIATRENTDEV00000000/20250615/us-east-1/kms/aws4_request".to_owned()),
        "[A-Z0-9]{0,24}/[0-9]{0,8}/[a-z0-9-]{0,12}/[a-z]{0,8}/[a-z0-9_]{0,14}",
        ".{0,60}",
    ];
    let authorization = (
        prop_oneof![Just("AWS4-HMAC-SHA256"), Just("AWS4-HMAC-SHA512"), Just("")],
        credential,
        prop_oneof![Just("host;x-amz-date".to_owned()), "[a-z;-]{0,40}", ".{0,40}"],
        prop_oneof![Just("0".repeat(64)), "[0-9a-f]{0,70}", ".{0,70}"],
        prop_oneof![Just(", "), Just(","), Just(" "), Just(",,")],
    )
        .prop_map(|(alg, cred, signed, sig, sep)| {
            format!("{alg} Credential={cred}{sep}SignedHeaders={signed}{sep}Signature={sig}")
        });
    let date = prop_oneof![Just("20250615T150640Z".to_owned()), "[0-9TZ]{0,20}", ".{0,30}"];
    let extra = proptest::collection::vec(("[a-z-]{1,20}", proptest::collection::vec(any::<u8>(), 0..40)), 0..6);
    let uri = prop_oneof![Just("/".to_owned()), "/[a-zA-Z0-9%._~-]{0,30}(\\?[a-zA-Z0-9=&%-]{0,40})?"];
    let mut runner = TestRunner::new(config());
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    runner
        .run(
            &(prop_oneof![authorization, ".{0,200}"], date, extra, uri, proptest::collection::vec(any::<u8>(), 0..64)),
            |(auth, date, extra, uri, body)| {
                let mut headers = HeaderMap::new();
                if let Ok(v) = HeaderValue::from_str(&auth) {
                    headers.insert("authorization", v);
                }
                if let Ok(v) = HeaderValue::from_str(&date) {
                    headers.insert("x-amz-date", v);
                }
                headers.insert("host", HeaderValue::from_static("127.0.0.1:4599"));
                for (name, value) in extra {
                    if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(&value)) {
                        headers.append(n, v);
                    }
                }
                let uri: Uri = uri.parse().unwrap_or_else(|_| Uri::from_static("/"));
                match verifier.verify(&Method::POST, &uri, &headers, &body, "kms", now) {
                    Ok(caller) => prop_assert_eq!(caller.account_id, "111122223333"),
                    Err(e) => prop_assert!(!internal(&e) && e.kind.http_status() < 500, "{auth}: {e}"),
                }
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn the_config_parser_answers_any_text_with_a_value_or_an_error() {
    let sections = proptest::collection::vec(
        (
            prop_oneof![
                Just(""),
                Just("[quotas]"),
                Just("[service_quotas]"),
                Just("[store]"),
                Just("[[principals]]"),
                Just("[[quotas.overrides]]")
            ],
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("algorithm".to_owned()),
                        Just("profile".to_owned()),
                        Just("window_seconds".to_owned()),
                        Just("burst_seconds".to_owned()),
                        Just("enabled".to_owned()),
                        Just("limiter".to_owned()),
                        Just("approval".to_owned()),
                        Just("approval_delay".to_owned()),
                        Just("hot_key_per_second".to_owned()),
                        Just("quota_code".to_owned()),
                        Just("value".to_owned()),
                        Just("account_id".to_owned()),
                        Just("region".to_owned()),
                        Just("url".to_owned()),
                        Just("listen".to_owned()),
                        "[a-z_]{1,12}"
                    ],
                    prop_oneof![
                        Just("\"window\"".to_owned()),
                        Just("\"token-bucket\"".to_owned()),
                        Just("\"2020\"".to_owned()),
                        Just("\"after\"".to_owned()),
                        Just("\"30s\"".to_owned()),
                        Just("-1".to_owned()),
                        Just("0".to_owned()),
                        Just("1e400".to_owned()),
                        Just("nan".to_owned()),
                        Just("true".to_owned()),
                        Just("\"L-6E3AF000\"".to_owned()),
                        "-?[0-9]{1,6}(\\.[0-9]{1,3})?",
                        "\"[^\"\\\\]{0,20}\"",
                    ],
                ),
                0..5,
            ),
        ),
        0..5,
    )
    .prop_map(|sections| {
        sections
            .into_iter()
            .map(|(head, lines)| {
                let body: Vec<String> = lines.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{head}\n{}\n", body.join("\n"))
            })
            .collect::<String>()
    });
    let mut runner = TestRunner::new(config());
    runner
        .run(&prop_oneof![sections, ".{0,300}"], |text| {
            if let Ok(c) = Config::from_toml(&text) {
                // What `trent serve` checks next, at start.
                let _ = c.service_quotas.policy();
                let clock = std::sync::Arc::new(trent_core::quota::SystemMonotonicClock::new());
                let _ = trent_core::quota::QuotaEngine::new(&c.quotas, clock);
            }
            Ok(())
        })
        .unwrap();
}
