//! Everything before the measured window: keys (given, or created on a non-AWS endpoint),
//! the ciphertexts, signatures and MACs that Decrypt / ReEncrypt / Verify / VerifyMac need,
//! the prepared request bodies, the quota buckets they draw on, and the quota values
//! (Service Quotas `GetServiceQuota`). Failures here are reported, never papered over: an
//! operation whose key could not be made still runs and the server's errors are counted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::client::{Identity, Prepared};
use super::conn::Endpoint;
use super::error::{Error, Result, ensure_usage};
use trent_core::quota::QuotaId;
use trent_core::service_quotas::TARGET_PREFIX as SERVICE_QUOTAS_PREFIX;

use super::ops::{self, KeyRole, Material, Mix, Operation};
use super::raw_http_client::{Body, Failure, RawHttpKms};
use super::retry::Backoff;

/// A quota bucket: the server throttles per (account, region, quota code).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bucket {
    /// Calling account.
    pub account: String,
    /// Region of the calls.
    pub region: String,
    /// Quota code.
    pub quota_code: String,
    /// Its value in requests per second, if known.
    pub quota: Option<f64>,
}

/// What setup produced.
pub struct Setup {
    /// Quota buckets the workload draws on.
    pub buckets: Vec<Bucket>,
    /// Per identity, per mix entry: the request variants (one per key).
    pub requests: Vec<Vec<Vec<Prepared>>>,
    /// Per identity: the key ARN envelope mode wraps data keys under and its bucket.
    pub envelope: Vec<Option<(String, usize)>>,
    /// Things the user should know (keys that could not be made, quotas not found).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone)]
struct Key {
    id: String,
    spec: String,
}

const SETUP_RETRY: Backoff = Backoff { base: Duration::from_millis(100), cap: Duration::from_secs(2), max_attempts: 8 };

/// One setup call with generous retries; answers JSON.
pub async fn call(kms: &RawHttpKms, target: &str, body: Value) -> Result<Value, Failure> {
    let body = Body::new(body.to_string().into_bytes());
    let mut attempt = 0;
    loop {
        attempt += 1;
        let r = if target.starts_with(SERVICE_QUOTAS_PREFIX) {
            kms.call_quotas(target, &body).await
        } else {
            kms.call(target, &body).await
        };
        match r {
            Ok(bytes) => return Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null)),
            Err(f) if f.retryable() => match SETUP_RETRY.delay(attempt) {
                Some(d) => tokio::time::sleep(d).await,
                None => return Err(f),
            },
            Err(f) => return Err(f),
        }
    }
}

fn b64(v: &Value, field: &str) -> Option<Vec<u8>> {
    v.get(field).and_then(Value::as_str).and_then(|s| B64.decode(s).ok())
}

async fn describe(kms: &RawHttpKms, id: &str, notes: &mut Vec<String>) -> Key {
    match call(kms, &ops::target(Operation::DescribeKey), json!({"KeyId": id})).await {
        Ok(v) => {
            let md = &v["KeyMetadata"];
            Key {
                id: md["Arn"].as_str().unwrap_or(id).to_owned(),
                spec: md["KeySpec"].as_str().unwrap_or("SYMMETRIC_DEFAULT").to_owned(),
            }
        }
        Err(f) => {
            notes.push(format!("DescribeKey {id}: {f}; assuming a SYMMETRIC_DEFAULT key"));
            Key { id: id.to_owned(), spec: "SYMMETRIC_DEFAULT".into() }
        }
    }
}

async fn create(kms: &RawHttpKms, usage: &str, spec: &str) -> Result<Key, Failure> {
    let body = json!({"KeyUsage": usage, "KeySpec": spec, "Description": "trent load"});
    let v = call(kms, &ops::target(Operation::CreateKey), body).await?;
    let md = &v["KeyMetadata"];
    Ok(Key {
        id: md["Arn"].as_str().or_else(|| md["KeyId"].as_str()).unwrap_or_default().to_owned(),
        spec: md["KeySpec"].as_str().unwrap_or(spec).to_owned(),
    })
}

fn signing_algorithm(spec: &str) -> &'static str {
    match spec {
        "ECC_NIST_P384" => "ECDSA_SHA_384",
        "ECC_NIST_P521" => "ECDSA_SHA_512",
        s if s.starts_with("RSA_") => "RSASSA_PSS_SHA_256",
        s if s.starts_with("ML_DSA_") => "ML_DSA_SHAKE_256",
        "ECC_NIST_EDWARDS25519" => "ED25519_SHA_512",
        "SM2" => "SM2DSA",
        _ => "ECDSA_SHA_256",
    }
}

fn mac_algorithm(spec: &str) -> &'static str {
    match spec {
        "HMAC_224" => "HMAC_SHA_224",
        "HMAC_384" => "HMAC_SHA_384",
        "HMAC_512" => "HMAC_SHA_512",
        _ => "HMAC_SHA_256",
    }
}

/// What to run, as far as setup is concerned.
pub struct Wanted<'a> {
    /// The operation mix (ignored in envelope mode).
    pub mix: &'a Mix,
    /// Envelope mode.
    pub envelope: bool,
    /// Given symmetric keys.
    pub key_ids: &'a [String],
    /// Given signing key.
    pub sign_key_id: Option<&'a str>,
    /// Given HMAC key.
    pub mac_key_id: Option<&'a str>,
    /// Given ML-KEM key.
    pub kem_key_id: Option<&'a str>,
    /// Keys to create per identity.
    pub create_keys: usize,
    /// Encrypt plaintext size.
    pub payload_size: usize,
    /// `--quota`.
    pub quota: Option<f64>,
}

/// Prepares keys, bodies and quota buckets for every identity. `setup[i]` is a client of
/// identity `i`.
pub async fn prepare(
    identities: &[Identity],
    setup: &[RawHttpKms],
    endpoint: &Endpoint,
    want: &Wanted<'_>,
) -> Result<Setup> {
    let mut notes = Vec::new();
    let mut buckets: Vec<Bucket> = Vec::new();
    let mut bucket_index: HashMap<(String, String, String), usize> = HashMap::new();
    let mut requests = Vec::new();
    let mut envelope = Vec::new();
    let mix = if want.envelope { Mix::new(vec![(Operation::GenerateDataKey, 1.0)]) } else { want.mix.clone() };
    for (ident, kms) in identities.iter().zip(setup) {
        // Symmetric keys.
        let mut sym = Vec::new();
        if mix.needs(KeyRole::Symmetric) {
            if want.key_ids.is_empty() {
                ensure_usage!(
                    !endpoint.is_aws(),
                    "give --key-id: trent load never creates keys on an AWS endpoint ({})",
                    endpoint.url
                );
                for _ in 0..want.create_keys.max(1) {
                    let k = create(kms, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT").await.map_err(|f| {
                        Error::setup(format!("CreateKey in {} / {}", ident.account, ident.region), Some(f.into()))
                    })?;
                    sym.push(k);
                }
            } else {
                for id in want.key_ids {
                    sym.push(describe(kms, id, &mut notes).await);
                }
            }
        }
        let mut role_key: HashMap<&'static str, Key> = HashMap::new();
        for (role, given) in
            [(KeyRole::Signing, want.sign_key_id), (KeyRole::Mac, want.mac_key_id), (KeyRole::Kem, want.kem_key_id)]
        {
            if !mix.needs(role) {
                continue;
            }
            let (usage, spec, name) = match role {
                KeyRole::Signing => ("SIGN_VERIFY", "ECC_NIST_P256", "signing"),
                KeyRole::Kem => ("ENCAPSULATE_DECAPSULATE", "ML_KEM_768", "kem"),
                _ => ("GENERATE_VERIFY_MAC", "HMAC_256", "mac"),
            };
            let key = match given {
                Some(id) => describe(kms, id, &mut notes).await,
                None if endpoint.is_aws() => {
                    return Err(Error::usage(format!(
                        "give --{}-key-id: trent load never creates keys on AWS",
                        if name == "signing" { "sign" } else { name }
                    )));
                }
                None => match create(kms, usage, spec).await {
                    Ok(k) => k,
                    Err(f) => {
                        let fallback = match sym.first() {
                            Some(k) => k.clone(),
                            None => create(kms, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT")
                                .await
                                .map_err(|f| Error::setup("CreateKey", Some(f.into())))?,
                        };
                        notes.push(format!(
                            "CreateKey {spec} ({usage}) failed: {f}. The {name} operations use the symmetric key {} and the server's answers are reported as they come",
                            fallback.id
                        ));
                        fallback
                    }
                },
            };
            role_key.insert(name, key);
        }

        // Materials per key.
        let plaintext: Vec<u8> = (0..want.payload_size.clamp(1, 4096)).map(|i| b'a' + (i % 26) as u8).collect();
        let message = b"trent load message".to_vec();
        let mut materials: HashMap<String, Arc<Material>> = HashMap::new();
        let mut keys_for_role: HashMap<&'static str, Vec<Key>> = HashMap::new();
        keys_for_role.insert("sym", sym.clone());
        for (name, k) in &role_key {
            keys_for_role.insert(name, vec![k.clone()]);
        }
        for (role, keys) in &keys_for_role {
            for k in keys {
                let mut m = Material {
                    key_id: k.id.clone(),
                    plaintext: plaintext.clone(),
                    message: message.clone(),
                    signing_algorithm: signing_algorithm(&k.spec).into(),
                    mac_algorithm: mac_algorithm(&k.spec).into(),
                    ..Material::default()
                };
                if *role == "sym" && (mix.contains(Operation::Decrypt) || mix.contains(Operation::ReEncrypt)) {
                    let r = call(
                        kms,
                        &ops::target(Operation::Encrypt),
                        json!({"KeyId": k.id, "Plaintext": B64.encode(&plaintext)}),
                    )
                    .await;
                    m.ciphertext = match r.map(|v| b64(&v, "CiphertextBlob")) {
                        Ok(Some(c)) => c,
                        other => {
                            notes.push(format!("Encrypt under {} for Decrypt/ReEncrypt failed: {other:?}", k.id));
                            vec![0u8; 64]
                        }
                    };
                }
                if *role == "signing" && mix.contains(Operation::Verify) {
                    let body = json!({"KeyId": k.id, "Message": B64.encode(&message), "MessageType": "RAW", "SigningAlgorithm": m.signing_algorithm});
                    m.signature =
                        match call(kms, &ops::target(Operation::Sign), body).await.map(|v| b64(&v, "Signature")) {
                            Ok(Some(s)) => s,
                            other => {
                                notes.push(format!("Sign for Verify under {} failed: {}", k.id, describe_err(other)));
                                vec![0u8; 64]
                            }
                        };
                }
                if *role == "mac" && mix.contains(Operation::VerifyMac) {
                    let body = json!({"KeyId": k.id, "Message": B64.encode(&message), "MacAlgorithm": m.mac_algorithm});
                    m.mac = match call(kms, &ops::target(Operation::GenerateMac), body).await.map(|v| b64(&v, "Mac")) {
                        Ok(Some(s)) => s,
                        other => {
                            notes.push(format!(
                                "GenerateMac for VerifyMac under {} failed: {}",
                                k.id,
                                describe_err(other)
                            ));
                            vec![0u8; 32]
                        }
                    };
                }
                if *role == "kem" && mix.contains(Operation::Decapsulate) {
                    let body = json!({"KeyId": k.id, "EncapsulationAlgorithm": "ML_KEM"});
                    m.shared_secret_ciphertext = match call(kms, &ops::target(Operation::Encapsulate), body)
                        .await
                        .map(|v| b64(&v, "SharedSecretCiphertextBlob"))
                    {
                        Ok(Some(s)) => s,
                        other => {
                            notes.push(format!(
                                "Encapsulate for Decapsulate under {} failed: {}",
                                k.id,
                                describe_err(other)
                            ));
                            vec![0u8; 1088]
                        }
                    };
                }
                materials.insert(format!("{role}/{}", k.id), Arc::new(m));
            }
        }

        let mut bucket_of = |code: &str| -> usize {
            let key = (ident.account.clone(), ident.region.clone(), code.to_owned());
            *bucket_index.entry(key).or_insert_with(|| {
                buckets.push(Bucket {
                    account: ident.account.clone(),
                    region: ident.region.clone(),
                    quota_code: code.to_owned(),
                    quota: want.quota,
                });
                buckets.len() - 1
            })
        };
        let mut per_entry = Vec::new();
        for (op, _) in &mix.entries {
            let (role, keys): (&str, Vec<Key>) = match ops::key_role(*op) {
                KeyRole::None => ("none", vec![Key { id: String::new(), spec: "SYMMETRIC_DEFAULT".into() }]),
                KeyRole::Symmetric => ("sym", sym.clone()),
                KeyRole::Signing => ("signing", keys_for_role.get("signing").cloned().unwrap_or_default()),
                KeyRole::Mac => ("mac", keys_for_role.get("mac").cloned().unwrap_or_default()),
                KeyRole::Kem => ("kem", keys_for_role.get("kem").cloned().unwrap_or_default()),
            };
            let mut variants = Vec::new();
            for k in keys {
                let material = materials
                    .get(&format!("{role}/{}", k.id))
                    .cloned()
                    .unwrap_or_else(|| Arc::new(Material { key_id: k.id.clone(), ..Material::default() }));
                let code = ops::quota_code(*op, &k.spec)
                    .ok_or_else(|| Error::setup(format!("{} draws on no request quota", op.name()), None))?;
                let bucket = bucket_of(code);
                let body = Body::new(ops::body(*op, &material));
                variants.push(Prepared { op: *op, target: ops::target(*op), body, material, bucket });
            }
            if variants.is_empty() {
                return Err(Error::setup(format!("no key for {}", op.name()), None));
            }
            per_entry.push(variants);
        }
        // GenerateDataKey always draws on the symmetric pool (ops::quota).
        let gdk =
            |spec: &str| ops::quota_code(Operation::GenerateDataKey, spec).unwrap_or(QuotaId::SYMMETRIC.def().code);
        envelope.push(sym.first().map(|k| (k.id.clone(), bucket_of(gdk(&k.spec)))));
        requests.push(per_entry);
    }

    // Quota values.
    if want.quota.is_none() {
        for b in &mut buckets {
            let Some(i) = identities.iter().position(|id| id.account == b.account && id.region == b.region) else {
                continue;
            };
            let body = json!({"ServiceCode": "kms", "QuotaCode": b.quota_code});
            let target = format!("{SERVICE_QUOTAS_PREFIX}GetServiceQuota");
            match call(&setup[i], &target, body).await {
                Ok(v) => b.quota = v["Quota"]["Value"].as_f64(),
                Err(f) => notes.push(format!("GetServiceQuota {} in {}: {f}", b.quota_code, b.region)),
            }
        }
    }
    Ok(Setup { buckets, requests, envelope, notes })
}

fn describe_err(r: Result<Option<Vec<u8>>, Failure>) -> String {
    match r {
        Ok(_) => "the answer had no value".into(),
        Err(f) => f.to_string(),
    }
}
