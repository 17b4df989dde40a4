//! Signing of outgoing requests with the shared canonical request, string to
//! sign and key derivation, for clients that sign many requests per second:
//! the derived key is kept for the current day, and the caller supplies the
//! payload hash so a body sent many times is hashed once.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::time::SystemTime;

use aws_lc_rs::{digest, hmac};
use http::header::{AUTHORIZATION, HeaderName, HeaderValue, InvalidHeaderValue};
use http::{HeaderMap, Method, Uri};
use parking_lot::Mutex;
use zeroize::Zeroizing;

use crate::scheme::{ALGORITHM, TERMINATOR};
use crate::{amz_date, canonical, signing_key, string_to_sign};

static X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
static X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

/// The key pair (and session token) a client signs with.
#[derive(Clone)]
pub struct Credentials {
    /// Access key id, named in the credential scope.
    pub access_key_id: String,
    /// Secret access key the signing key is derived from; wiped from memory on drop.
    pub secret_access_key: Zeroizing<String>,
    /// Session token of temporary credentials, sent (and signed) as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// Why a request could not be signed: a header the signature adds would not be
/// a valid HTTP header value (an access key id or session token with control
/// characters, say), so no request is sent rather than a malformed one.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// The named header's value is not a valid HTTP header value.
    #[error("cannot sign: the {header} header would not be a valid HTTP header value")]
    InvalidHeaderValue {
        /// The header whose value was refused.
        header: &'static str,
        /// What the http crate said.
        #[source]
        source: InvalidHeaderValue,
    },
}

fn header_value(header: &'static str, value: &str) -> Result<HeaderValue, SignerError> {
    HeaderValue::from_str(value).map_err(|source| SignerError::InvalidHeaderValue { header, source })
}

/// Signs requests for one (credentials, region, service), keeping the signing
/// key of the current day so a signature costs two SHA-256s and one HMAC.
pub struct Signer {
    credentials: Credentials,
    region: String,
    service: String,
    id: u64,
    /// (yyyymmdd, derived key) of the last day used.
    key: Mutex<Option<(String, hmac::Key)>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("credentials", &self.credentials)
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for `service` (`kms`, `servicequotas`, …) in `region`.
    pub fn new(credentials: Credentials, region: &str, service: &str) -> Self {
        // Signers with equal credentials, region and service produce equal signatures.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &credentials.access_key_id,
            credentials.secret_access_key.as_str(),
            &credentials.session_token,
            region,
            service,
        )
            .hash(&mut h);
        Self {
            credentials,
            region: region.to_owned(),
            service: service.to_owned(),
            id: h.finish(),
            key: Mutex::new(None),
        }
    }

    /// Equal for signers that sign identically (same credentials, region and
    /// service), so a caller can reuse a signature made by an equal signer.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The session token the signature covers, as sent (trimmed), if any.
    pub fn session_token(&self) -> Option<&str> {
        self.credentials.session_token.as_deref().map(str::trim)
    }

    /// Signs a request at `now`: adds `X-Amz-Date` (and `X-Amz-Security-Token`
    /// for temporary credentials) to `headers`, signs every header then in the
    /// map, and adds the `Authorization` header. `payload_hash` is the body's
    /// [`crate::scheme::payload_hash`].
    pub fn sign(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &mut HeaderMap,
        payload_hash: &str,
        now: SystemTime,
    ) -> Result<(), SignerError> {
        let amz_date = amz_date::format_basic(amz_date::epoch_seconds(now));
        let day = amz_date.get(..8).unwrap_or_default();
        headers.remove(AUTHORIZATION);
        headers.insert(X_AMZ_DATE.clone(), header_value("x-amz-date", &amz_date)?);
        if let Some(token) = self.session_token() {
            headers.insert(X_AMZ_SECURITY_TOKEN.clone(), header_value("x-amz-security-token", token)?);
        }
        let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        let signed_headers = names.join(";");

        let mut buf = Vec::with_capacity(512);
        let request = canonical::Request { method, uri, headers, signed_headers: &signed_headers, payload_hash };
        canonical::write(&mut buf, &request);
        let creq_hash = digest::digest(&digest::SHA256, &buf);
        let scope = format!("{day}/{}/{}/{TERMINATOR}", self.region, self.service);
        buf.clear();
        string_to_sign::write(&mut buf, &amz_date, &scope, creq_hash.as_ref());
        let tag = self.with_key(day, |key| hmac::sign(key, &buf));

        let mut authorization = String::with_capacity(256);
        let _ = write!(
            authorization,
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={}",
            self.credentials.access_key_id,
            hex::encode(tag)
        );
        headers.insert(AUTHORIZATION, header_value("authorization", &authorization)?);
        Ok(())
    }

    fn with_key<R>(&self, day: &str, f: impl FnOnce(&hmac::Key) -> R) -> R {
        let mut guard = self.key.lock();
        match &*guard {
            Some((d, key)) if d == day => f(key),
            _ => {
                let key = signing_key::derive(&self.credentials.secret_access_key, day, &self.region, &self.service);
                let r = f(&key);
                *guard = Some((day.to_owned(), key));
                r
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn json_post(host: &str, target: &str, body_len: usize) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body_len));
        h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.1"));
        h.insert(http::header::HOST, HeaderValue::from_str(host).expect("host"));
        h.insert("x-amz-target", HeaderValue::from_str(target).expect("target"));
        h
    }

    /// Our signature equals the one aws-sigv4 (the SDK's signer) computes for the same request.
    #[test]
    fn matches_aws_sigv4() {
        use aws_credential_types::Credentials as AwsCreds;
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_sigv4::sign::v4;

        for token in [None, Some("session-token-value")] {
            let creds = Credentials {
                access_key_id: AKID.into(),
                secret_access_key: Zeroizing::new(SECRET.into()),
                session_token: token.map(str::to_owned),
            };
            let signer = Signer::new(creds, "us-east-1", "kms");
            let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let body = br#"{"KeyId":"alias/x","Plaintext":"aGVsbG8="}"#;
            let mut ours = json_post("127.0.0.1:4599", "TrentService.Encrypt", body.len());
            let uri = Uri::from_static("/");
            signer.sign(&Method::POST, &uri, &mut ours, &crate::scheme::payload_hash(body), now).expect("sign");
            assert_eq!(ours.get("x-amz-date").expect("date"), "20231114T221320Z");
            assert_eq!(ours.get("x-amz-security-token").map(|v| v.to_str().expect("ascii")), token);

            let identity = AwsCreds::new(AKID, SECRET, token.map(str::to_owned), None, "t").into();
            let mut settings = SigningSettings::default();
            settings.excluded_headers = Some(vec![]);
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name("kms")
                .time(now)
                .settings(settings)
                .build()
                .expect("params")
                .into();
            let len = body.len().to_string();
            let headers = [
                ("content-length", len.as_str()),
                ("content-type", "application/x-amz-json-1.1"),
                ("host", "127.0.0.1:4599"),
                ("x-amz-target", "TrentService.Encrypt"),
            ];
            let req =
                SignableRequest::new("POST", "http://127.0.0.1:4599/", headers.into_iter(), SignableBody::Bytes(body))
                    .expect("signable");
            let (instructions, _) = sign(req, &params).expect("aws-sigv4 signs").into_parts();
            let (hdrs, _) = instructions.into_parts();
            let auth = hdrs.iter().find(|h| h.name() == "authorization").expect("authorization").value();
            assert_eq!(ours.get(AUTHORIZATION).expect("authorization"), auth, "token {token:?}");
        }
    }

    #[test]
    fn resigning_replaces_the_signature_and_keeps_the_day_key() {
        let creds = Credentials {
            access_key_id: AKID.into(),
            secret_access_key: Zeroizing::new(SECRET.into()),
            session_token: None,
        };
        let signer = Signer::new(creds, "eu-west-1", "kms");
        let uri = Uri::from_static("/");
        let mut h = json_post("h", "TrentService.ListKeys", 2);
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        signer.sign(&Method::POST, &uri, &mut h, &crate::scheme::payload_hash(b"{}"), t0).expect("sign");
        let first = h.get(AUTHORIZATION).cloned();
        signer.sign(&Method::POST, &uri, &mut h, &crate::scheme::payload_hash(b"{}"), t0).expect("sign again");
        assert_eq!(h.get(AUTHORIZATION).cloned(), first, "authorization is not signed into itself");
        assert_eq!(h.get_all(AUTHORIZATION).iter().count(), 1);
        let auth = first.expect("signed");
        let auth = auth.to_str().expect("ascii");
        assert!(auth.contains("SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target,"), "{auth}");
        assert!(auth.contains("Credential=AKIDEXAMPLE/20231114/eu-west-1/kms/aws4_request,"), "{auth}");
    }

    #[test]
    fn refuses_header_values_http_cannot_carry() {
        let creds = Credentials {
            access_key_id: "AKID\nX".into(),
            secret_access_key: Zeroizing::new(SECRET.into()),
            session_token: None,
        };
        let mut h = json_post("h", "TrentService.ListKeys", 2);
        let err = Signer::new(creds, "us-east-1", "kms")
            .sign(&Method::POST, &Uri::from_static("/"), &mut h, "", UNIX_EPOCH)
            .expect_err("newline in the access key id");
        assert!(matches!(err, SignerError::InvalidHeaderValue { header: "authorization", .. }), "{err}");
    }
}
