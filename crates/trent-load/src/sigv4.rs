//! SigV4 signing of AWS JSON 1.1 requests, lean enough for tens of thousands of requests per
//! second: the derived signing key is cached per day, the payload hash is computed once per
//! prepared body, and a signature costs two SHA-256s and one HMAC.
//!
//! The full aws-sdk-kms stack (orchestrator, interceptors, endpoint resolution, signing
//! through aws-sigv4) costs far more per request; it is used only for the SDK's own retry
//! modes (see `sdk.rs`).

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, hmac};
use parking_lot::Mutex;
use zeroize::Zeroizing;

/// Credentials one simulated client signs with.
#[derive(Clone)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: Zeroizing<String>,
    /// Session token of temporary credentials, sent as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// The headers a signature adds to a request.
pub struct SignedHeaders {
    /// `X-Amz-Date` value.
    pub amz_date: String,
    /// `Authorization` value.
    pub authorization: String,
}

/// Signs requests for one (credentials, region, service).
pub struct Signer {
    credentials: Credentials,
    region: String,
    service: &'static str,
    id: u64,
    /// (yyyymmdd, derived key) of the last day used.
    key: Mutex<Option<(String, hmac::Key)>>,
}

/// Hex SHA-256 of a body, as the canonical request wants it.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, body))
}

impl Signer {
    /// A signer for `service` (`kms` or `servicequotas`) in `region`.
    pub fn new(credentials: Credentials, region: &str, service: &'static str) -> Self {
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
        Self { credentials, region: region.to_owned(), service, id: h.finish(), key: Mutex::new(None) }
    }

    /// Equal for signers that sign identically (same credentials, region and service).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Signs `POST /` with the headers Trent and AWS expect from an AWS JSON 1.1 client
    /// (`content-length;content-type;host;x-amz-date;x-amz-target`, plus the session token).
    pub fn sign(
        &self,
        now: SystemTime,
        host: &str,
        target: &str,
        body_len: usize,
        payload_hash: &str,
    ) -> SignedHeaders {
        let amz_date = amz_date(now);
        let day = &amz_date[..8];
        let mut creq = String::with_capacity(384);
        let _ = write!(
            creq,
            "POST\n/\n\ncontent-length:{body_len}\ncontent-type:application/x-amz-json-1.1\nhost:{host}\nx-amz-date:{amz_date}\n"
        );
        let signed = if let Some(token) = &self.credentials.session_token {
            let _ = writeln!(creq, "x-amz-security-token:{}", token.trim());
            "content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
        } else {
            "content-length;content-type;host;x-amz-date;x-amz-target"
        };
        let _ = write!(creq, "x-amz-target:{target}\n\n{signed}\n{payload_hash}");
        let creq_hash = digest::digest(&digest::SHA256, creq.as_bytes());
        let scope = format!("{day}/{}/{}/aws4_request", self.region, self.service);
        let mut sts = String::with_capacity(160);
        let _ = write!(sts, "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex::encode(creq_hash));
        let tag = self.with_key(day, |key| hmac::sign(key, sts.as_bytes()));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={}",
            self.credentials.access_key_id,
            hex::encode(tag)
        );
        SignedHeaders { amz_date, authorization }
    }

    /// The session token to send, if any.
    pub fn session_token(&self) -> Option<&str> {
        self.credentials.session_token.as_deref()
    }

    fn with_key<R>(&self, day: &str, f: impl FnOnce(&hmac::Key) -> R) -> R {
        let mut guard = self.key.lock();
        match &*guard {
            Some((d, key)) if d == day => f(key),
            _ => {
                let key = derive(&self.credentials.secret_access_key, day, &self.region, self.service);
                let r = f(&key);
                *guard = Some((day.to_owned(), key));
                r
            }
        }
    }
}

/// The SigV4 key derivation: HMAC chain over date, region, service and `aws4_request`.
fn derive(secret: &str, day: &str, region: &str, service: &str) -> hmac::Key {
    let k_secret = Zeroizing::new(format!("AWS4{secret}"));
    let mut k = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, k_secret.as_bytes()), day.as_bytes());
    for part in [region, service, "aws4_request"] {
        k = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, k.as_ref()), part.as_bytes());
    }
    hmac::Key::new(hmac::HMAC_SHA256, k.as_ref())
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
pub fn amz_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_dates() {
        assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(amz_date(UNIX_EPOCH + Duration::from_secs(1_440_938_160)), "20150830T123600Z");
        assert_eq!(amz_date(UNIX_EPOCH + Duration::from_secs(951_782_400)), "20000229T000000Z");
    }

    /// Our signature equals the one aws-sigv4 (the SDK's signer) computes for the same request.
    #[test]
    fn matches_aws_sigv4() {
        use aws_credential_types::Credentials as AwsCreds;
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_sigv4::sign::v4;

        for token in [None, Some("session-token-value")] {
            let creds = Credentials {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: Zeroizing::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
                session_token: token.map(str::to_owned),
            };
            let signer = Signer::new(creds, "us-east-1", "kms");
            let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let body = br#"{"KeyId":"alias/x","Plaintext":"aGVsbG8="}"#;
            let ours = signer.sign(now, "127.0.0.1:4599", "TrentService.Encrypt", body.len(), &payload_hash(body));

            let identity = AwsCreds::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                token.map(str::to_owned),
                None,
                "t",
            )
            .into();
            let mut settings = SigningSettings::default();
            settings.excluded_headers = Some(vec![]);
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name("kms")
                .time(now)
                .settings(settings)
                .build()
                .unwrap()
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
                    .unwrap();
            let (instructions, _) = sign(req, &params).unwrap().into_parts();
            let (hdrs, _) = instructions.into_parts();
            let auth = hdrs.iter().find(|h| h.name() == "authorization").unwrap().value().to_owned();
            assert_eq!(ours.authorization, auth, "token {token:?}");
        }
    }
}
