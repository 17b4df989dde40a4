//! Server-side AWS Signature Version 4 verification for AWS JSON 1.1 requests
//! (header authentication), answering with the errors AWS answers with.
//!
//! A verification hashes the body and the canonical request (two SHA-256s) and
//! signs the string to sign with a cached, derived signing key (one HMAC); a
//! cache miss costs the four HMACs of the key derivation on top. Query-string
//! (presigned) authentication is refused. Secrets never leave [`Principal`]
//! and are never logged.
//!
//! The canonical request, the string to sign, the key derivation and the
//! date format come from trent-sigv4, which the load lab's signer uses too;
//! what is the verifier's own (header parsing, scope and clock checks, the key
//! cache, AWS's error wording) lives here.

mod authorization;
mod errors;
mod signing_key;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use aws_lc_rs::{constant_time, digest, hmac};
use http::{HeaderMap, HeaderName, Method, Uri, header};
use trent_core::{Caller, KmsError};
use zeroize::Zeroizing;

use authorization::{Credential, Signed, TERMINATOR};
use trent_sigv4::string_to_sign::write as write_string_to_sign;
use trent_sigv4::{amz_date, canonical, hex_into};

static X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
static X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");

/// How many derived signing keys are kept before the cache is emptied.
pub const SIGNING_KEY_CACHE_CAPACITY: usize = 4096;

/// An identity requests can be signed as: the access key pair a client is
/// configured with, and the account and ARN its requests act as.
#[derive(Clone)]
pub struct Principal {
    /// The access key ID clients put in the credential scope.
    pub access_key_id: String,
    /// The secret key signatures are derived from; wiped from memory on drop.
    pub secret_access_key: Zeroizing<String>,
    /// The 12-digit account the principal's keys and quotas belong to.
    pub account_id: String,
    /// The principal's ARN, reported back as the caller.
    pub arn: String,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("account_id", &self.account_id)
            .field("arn", &self.arn)
            .finish()
    }
}

/// Verifies SigV4-signed requests against a fixed set of principals; shared by
/// all connections (it is `Send + Sync` and keeps its key cache behind a lock).
pub struct Verifier {
    principals: HashMap<String, Principal>,
    max_skew_secs: i64,
    skew_label: String,
    keys: signing_key::SigningKeyCache,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("principals", &self.principals.len())
            .field("max_skew_secs", &self.max_skew_secs)
            .field("cached_signing_keys", &self.keys.len())
            .finish()
    }
}

impl Verifier {
    /// A verifier accepting requests signed by any of `principals` (the first of
    /// duplicate access key IDs wins) whose time is within `max_skew` of now.
    pub fn new(principals: Vec<Principal>, max_skew: Duration) -> Self {
        Self::with_cache_capacity(principals, max_skew, SIGNING_KEY_CACHE_CAPACITY)
    }

    /// Like [`Verifier::new`] with a chosen signing-key cache size (tests use tiny ones).
    pub fn with_cache_capacity(principals: Vec<Principal>, max_skew: Duration, cache_capacity: usize) -> Self {
        let mut map = HashMap::with_capacity(principals.len());
        for p in principals {
            map.entry(p.access_key_id.clone()).or_insert(p);
        }
        Self {
            principals: map,
            max_skew_secs: i64::try_from(max_skew.as_secs()).unwrap_or(i64::MAX),
            skew_label: skew_label(max_skew),
            keys: signing_key::SigningKeyCache::new(cache_capacity),
        }
    }

    /// How many derived signing keys are cached (for metrics and tests).
    pub fn cached_signing_keys(&self) -> usize {
        self.keys.len()
    }

    /// Verifies a request; `expected_service` is "kms" or "servicequotas".
    ///
    /// Returns the caller named by the credential scope, or the error AWS would
    /// send. Never panics, whatever the header bytes.
    pub fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        expected_service: &str,
        now: SystemTime,
    ) -> Result<Caller, KmsError> {
        let Some(auth_value) = headers.get(header::AUTHORIZATION) else {
            return Err(if uri.query().is_some_and(is_presigned_query) {
                errors::presigned_query_unsupported()
            } else {
                errors::missing_authentication_token()
            });
        };
        let auth_text = match std::str::from_utf8(auth_value.as_bytes()) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(auth_value.as_bytes()),
        };
        // X-Amz-Date takes precedence over Date.
        let (date_name, date_value) = match headers.get(&X_AMZ_DATE) {
            Some(v) => ("X-Amz-Date", Some(v)),
            None => ("Date", headers.get(header::DATE)),
        };
        let auth = authorization::parse(&auth_text, date_value.is_some())?;
        let date_bytes = date_value.map(|v| v.as_bytes()).unwrap_or_default();
        let Some(request_time) = amz_date::parse_basic(date_bytes) else {
            return Err(errors::bad_date_format(&String::from_utf8_lossy(date_bytes)));
        };
        // parse_basic accepted only ASCII.
        let amz_date = std::str::from_utf8(date_bytes).unwrap_or_default();
        let credential = Credential::parse(auth.credential)?;

        let signed = Signed::scan(auth.signed_headers);
        if !signed.host {
            return Err(errors::host_not_signed());
        }
        let date_signed = if date_name == "Date" { signed.date } else { signed.x_amz_date };
        if !date_signed {
            return Err(errors::date_not_signed(date_name));
        }
        self.check_scope(&credential, expected_service, amz_date)?;
        self.check_clock(request_time, now)?;

        let principal = self.principals.get(credential.access_key_id).ok_or_else(errors::unrecognized_client)?;

        let mut payload_hash = [0u8; 64];
        hex_into(digest::digest(&digest::SHA256, body).as_ref(), &mut payload_hash);
        if signed.content_sha256
            && let Some(claimed) = headers.get(&X_AMZ_CONTENT_SHA256)
            && claimed.as_bytes() != payload_hash
        {
            return Err(errors::content_sha256_mismatch());
        }

        let signature = with_scratch(|buf| {
            let request = canonical::Request {
                method,
                uri,
                headers,
                signed_headers: auth.signed_headers,
                payload_hash: std::str::from_utf8(&payload_hash).unwrap_or_default(),
            };
            canonical::write(buf, &request);
            let creq_hash = digest::digest(&digest::SHA256, buf);
            buf.clear();
            write_string_to_sign(buf, amz_date, credential.scope, creq_hash.as_ref());
            self.sign(principal, &credential, buf)
        });

        let mut expected = [0u8; 64];
        hex_into(signature.tag.as_ref(), &mut expected);
        if constant_time::verify_slices_are_equal(&expected, auth.signature.as_bytes()).is_err() {
            return Err(errors::signature_mismatch());
        }
        if let Some(key) = signature.new_key {
            self.keys.insert(credential.key_id, key);
        }
        Ok(Caller {
            account_id: principal.account_id.clone(),
            region: credential.region.to_owned(),
            principal_arn: principal.arn.clone(),
            access_key_id: principal.access_key_id.clone(),
        })
    }

    fn check_scope(&self, credential: &Credential<'_>, expected_service: &str, amz_date: &str) -> Result<(), KmsError> {
        if credential.terminator != TERMINATOR {
            return Err(errors::bad_terminator(credential.terminator));
        }
        if credential.service != expected_service {
            return Err(errors::wrong_service(expected_service));
        }
        if !is_valid_region(credential.region) {
            return Err(errors::bad_region(credential.region));
        }
        if amz_date.get(..8) != Some(credential.date) {
            return Err(errors::scope_date_mismatch(credential.date, amz_date));
        }
        Ok(())
    }

    fn check_clock(&self, request_time: i64, now: SystemTime) -> Result<(), KmsError> {
        let now = amz_date::epoch_seconds(now);
        let earliest = now.saturating_sub(self.max_skew_secs);
        let latest = now.saturating_add(self.max_skew_secs);
        let fmt = amz_date::format_basic;
        if request_time < earliest {
            return Err(errors::expired(&fmt(request_time), &fmt(earliest), &fmt(now), &self.skew_label));
        }
        if request_time > latest {
            return Err(errors::not_yet_current(&fmt(request_time), &fmt(latest), &fmt(now), &self.skew_label));
        }
        Ok(())
    }

    /// Signs the string to sign with the cached key, or derives one (returned
    /// so the caller can cache it once the signature has verified).
    fn sign(&self, principal: &Principal, credential: &Credential<'_>, string_to_sign: &[u8]) -> Signature {
        if let Some(tag) = self.keys.sign(credential.key_id, string_to_sign) {
            return Signature { tag, new_key: None };
        }
        let key =
            signing_key::derive(&principal.secret_access_key, credential.date, credential.region, credential.service);
        Signature { tag: hmac::sign(&key, string_to_sign), new_key: Some(key) }
    }
}

struct Signature {
    tag: hmac::Tag,
    new_key: Option<hmac::Key>,
}

/// A region is a short run of lowercase letters, digits and hyphens.
fn is_valid_region(region: &str) -> bool {
    (1..=64).contains(&region.len())
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_presigned_query(query: &str) -> bool {
    query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        matches!(key, "X-Amz-Algorithm" | "X-Amz-Credential" | "X-Amz-Signature")
    })
}

/// AWS writes the allowed skew as "5 min.".
fn skew_label(skew: Duration) -> String {
    let secs = skew.as_secs();
    if secs.is_multiple_of(60) { format!("{} min.", secs / 60) } else { format!("{secs} sec.") }
}

const SCRATCH_KEEP: usize = 64 * 1024;

thread_local! {
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with this thread's cleared scratch buffer (a fresh one if it is
/// unavailable), so the canonical request costs no allocation in steady state.
fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut buf = SCRATCH.try_with(Cell::take).unwrap_or_default();
    buf.clear();
    let result = f(&mut buf);
    if buf.capacity() <= SCRATCH_KEEP {
        let _ = SCRATCH.try_with(|cell| cell.set(buf));
    }
    result
}

#[cfg(test)]
mod tests;
