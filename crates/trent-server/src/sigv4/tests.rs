//! Unit tests that need the verifier's internals: published intermediate
//! values of the AWS test suite and the signing-key cache hit path.

use super::*;
use http::HeaderValue;
use std::time::UNIX_EPOCH;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const VANILLA_TIME: u64 = 1_440_938_160; // 20150830T123600Z

fn verifier() -> Verifier {
    Verifier::new(
        vec![Principal {
            access_key_id: AKID.into(),
            secret_access_key: Zeroizing::new(SECRET.into()),
            account_id: "111122223333".into(),
            arn: "arn:aws:iam::111122223333:user/example".into(),
        }],
        Duration::from_secs(300),
    )
}

fn vanilla_headers(signature: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::HOST, HeaderValue::from_static("example.amazonaws.com"));
    h.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
    );
    h.insert(header::AUTHORIZATION, HeaderValue::from_str(&auth).expect("ascii"));
    h
}

#[test]
fn post_vanilla_intermediate_values_match_the_test_suite() {
    let headers = vanilla_headers("x");
    let uri: Uri = "/".parse().expect("uri");
    let mut payload_hash = [0u8; 64];
    hex_into(digest::digest(&digest::SHA256, b"").as_ref(), &mut payload_hash);
    let mut buf = Vec::new();
    canonical::write(
        &mut buf,
        &canonical::Request {
            method: &Method::POST,
            uri: &uri,
            headers: &headers,
            signed_headers: "host;x-amz-date",
            payload_hash: std::str::from_utf8(&payload_hash).expect("hex"),
        },
    );
    assert_eq!(
        String::from_utf8_lossy(&buf),
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let creq_hash = digest::digest(&digest::SHA256, &buf);
    let mut sts = Vec::new();
    write_string_to_sign(&mut sts, "20150830T123600Z", "20150830/us-east-1/service/aws4_request", creq_hash.as_ref());
    assert_eq!(
        String::from_utf8_lossy(&sts),
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"
    );
    let key = signing_key::derive(SECRET, "20150830", "us-east-1", "service");
    assert_eq!(hex::encode(hmac::sign(&key, &sts)), "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

#[test]
fn cache_hit_uses_the_cached_key() {
    let v = verifier();
    let uri: Uri = "/".parse().expect("uri");
    let now = UNIX_EPOCH + Duration::from_secs(VANILLA_TIME);
    let good = vanilla_headers("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    let verify = |h: &HeaderMap| v.verify(&Method::GET, &uri, h, b"", "service", now);

    assert_eq!(v.cached_signing_keys(), 0);
    verify(&good).expect("first verification derives the key");
    assert_eq!(v.cached_signing_keys(), 1);
    verify(&good).expect("second verification hits the cache");
    assert_eq!(v.cached_signing_keys(), 1);

    // Poison the cached entry: if verification still consulted the secret it
    // would pass; failing proves the cache is what signs on a hit.
    v.keys.insert(
        "AKIDEXAMPLE/20150830/us-east-1/service",
        signing_key::derive("other", "20150830", "us-east-1", "service"),
    );
    assert_eq!(verify(&good).expect_err("poisoned key").message.as_deref(), Some(errors::SIGNATURE_MISMATCH));
}

#[test]
fn failed_verifications_do_not_fill_the_cache() {
    let v = verifier();
    let uri: Uri = "/".parse().expect("uri");
    let now = UNIX_EPOCH + Duration::from_secs(VANILLA_TIME);
    let bad = vanilla_headers("0000000000000000000000000000000000000000000000000000000000000000");
    v.verify(&Method::GET, &uri, &bad, b"", "service", now).expect_err("bad signature");
    assert_eq!(v.cached_signing_keys(), 0);
}

#[test]
fn scratch_buffer_is_reused_and_reentrant() {
    let outer = with_scratch(|a| {
        a.extend_from_slice(b"outer");
        let inner = with_scratch(|b| {
            b.extend_from_slice(b"inner");
            b.len()
        });
        a.len() + inner
    });
    assert_eq!(outer, 10);
    let cap = with_scratch(|a| {
        assert!(a.is_empty());
        a.capacity()
    });
    assert!(cap >= 5);
}

#[test]
fn skew_labels() {
    assert_eq!(skew_label(Duration::from_secs(300)), "5 min.");
    assert_eq!(skew_label(Duration::from_secs(90)), "90 sec.");
}

#[test]
fn principal_debug_redacts_the_secret() {
    let v = verifier();
    let shown = format!("{:?}", v.principals.values().next().expect("one"));
    assert!(!shown.contains(SECRET) && shown.contains("<redacted>"));
}
