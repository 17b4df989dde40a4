//! aws-sdk-kms helpers for the API tests: ARNs of the development account,
//! AWS's error checks (code, status, body and message as AWS sends them), and
//! the few calls nearly every test makes. Shared so every test file checks
//! errors the same, strict way.

use std::fmt::Debug;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyState, Tag};

use super::{DEV_ACCOUNT_ID, REGION};

/// Wall-clock now in epoch seconds, for checking the dates Trent reports.
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// The ARN of key `id` of the development account in [`REGION`].
pub fn key_arn(id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{DEV_ACCOUNT_ID}:key/{id}")
}

/// The ARN of alias `name` of the development account in [`REGION`].
pub fn alias_arn(name: &str) -> String {
    format!("arn:aws:kms:{REGION}:{DEV_ACCOUNT_ID}:{name}")
}

/// AWS's ValidationException message for one model-constraint violation.
pub fn validation(violation: &str) -> String {
    format!("1 validation error detected: {violation}")
}

/// Text that must never reach a client: storage and implementation detail.
pub fn assert_no_internals(body: &str) {
    let lower = body.to_ascii_lowercase();
    for needle in
        ["sqlite", "sqlx", "storage backend", "database", "panicked", "src/", ".rs:", "serde", "trent_core", "unwrap"]
    {
        assert!(!lower.contains(needle), "error body leaks {needle:?}: {body}");
    }
}

/// Asserts that `r` failed with HTTP 400 and the AWS error `code`, that the raw
/// body is `{"__type": code, ...}` without internal detail, and returns the message.
pub fn err_of<T: Debug, E>(r: Result<T, SdkError<E>>, code: &str) -> Option<String>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = match r {
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
        Err(e) => e,
    };
    let raw = e.raw_response().unwrap_or_else(|| panic!("no HTTP response for expected {code}: {e:?}"));
    let status = raw.status().as_u16();
    let body = String::from_utf8(raw.body().bytes().expect("error body in memory").to_vec()).unwrap();
    assert_eq!(e.code(), Some(code), "body: {body}");
    assert_eq!(status, 400, "{code} must be a client error; body: {body}");
    assert_no_internals(&body);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["__type"], code, "body: {body}");
    assert_eq!(json.get("message").and_then(|m| m.as_str()), e.message(), "body: {body}");
    e.message().map(str::to_owned)
}

/// Asserts that `r` failed with `code` and exactly `message`.
pub fn expect_err<T: Debug, E>(r: Result<T, SdkError<E>>, code: &str, message: &str)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    assert_eq!(err_of(r, code).as_deref(), Some(message));
}

/// A new symmetric key: (key id, key ARN).
pub async fn new_key(c: &Client) -> (String, String) {
    let md = c.create_key().send().await.unwrap().key_metadata.unwrap();
    let id = md.key_id().to_owned();
    assert_eq!(md.arn(), Some(key_arn(&id).as_str()));
    (id.clone(), key_arn(&id))
}

/// Encrypts `plaintext` under `key`; returns the ciphertext blob.
pub async fn encrypt(c: &Client, key: &str, plaintext: &[u8]) -> Vec<u8> {
    let out = c.encrypt().key_id(key).plaintext(Blob::new(plaintext)).send().await.unwrap();
    out.ciphertext_blob.unwrap().into_inner()
}

/// Decrypts `blob` (the key is read from the blob); returns the plaintext.
pub async fn decrypt(c: &Client, blob: &[u8]) -> Vec<u8> {
    c.decrypt().ciphertext_blob(Blob::new(blob)).send().await.unwrap().plaintext.unwrap().into_inner()
}

/// The state DescribeKey reports for `key`.
pub async fn state_of(c: &Client, key: &str) -> KeyState {
    c.describe_key().key_id(key).send().await.unwrap().key_metadata.unwrap().key_state().unwrap().clone()
}

/// A tag, for TagResource and CreateKey.
pub fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

/// One HTTP/1.1 request on a fresh connection: (status, headers, body).
pub fn raw_http(endpoint: &str, request_head: &str, body: &[u8]) -> (u16, String, String) {
    let addr = endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "{request_head}Host: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}
