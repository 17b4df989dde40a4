//! SigV4 verification against the official `aws-sigv4` signer (as an oracle),
//! the published AWS test-suite answers, and every error AWS would send.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, header};
use trent_core::{ErrorKind, KmsError};
use trent_server::sigv4::{Principal, Verifier};
use zeroize::Zeroizing;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AKID2: &str = "AKIAI44QH8DHBEXAMPLE";
const SECRET2: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
const ACCOUNT: &str = "111122223333";
const ACCOUNT2: &str = "444455556666";
/// 20240101T000000Z
const T0: u64 = 1_704_067_200;
const SKEW: Duration = Duration::from_secs(300);
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn principal(akid: &str, secret: &str, account: &str) -> Principal {
    Principal {
        access_key_id: akid.into(),
        secret_access_key: Zeroizing::new(secret.into()),
        account_id: account.into(),
        arn: format!("arn:aws:iam::{account}:user/dev"),
    }
}

fn verifier() -> Verifier {
    Verifier::new(vec![principal(AKID, SECRET, ACCOUNT), principal(AKID2, SECRET2, ACCOUNT2)], SKEW)
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A request as `aws-sdk-kms` sends it, unsigned.
fn kms_request(body: &[u8], target: &str) -> Request<Vec<u8>> {
    Request::builder()
        .method("POST")
        .uri("/")
        .header("host", "localhost:4566")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .header("content-length", body.len().to_string())
        .header("x-amz-user-agent", "aws-sdk-rust/1.0 api/kms/1.0")
        .body(body.to_vec())
        .unwrap()
}

struct Signer<'a> {
    akid: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
    region: &'a str,
    service: &'a str,
    time: SystemTime,
    content_sha256: bool,
}

impl Default for Signer<'_> {
    fn default() -> Self {
        Self {
            akid: AKID,
            secret: SECRET,
            token: None,
            region: "us-east-1",
            service: "kms",
            time: at(T0),
            content_sha256: false,
        }
    }
}

impl Signer<'_> {
    /// Signs `req` in place with the official signer.
    fn sign(&self, req: &mut Request<Vec<u8>>) {
        let identity: Identity =
            Credentials::new(self.akid, self.secret, self.token.map(str::to_owned), None, "test").into();
        let mut settings = SigningSettings::default();
        if self.content_sha256 {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(self.time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let uri = req.uri().to_string();
        let headers: Vec<(String, String)> =
            req.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned())).collect();
        let signable = SignableRequest::new(
            req.method().as_str(),
            uri,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(req.body()),
        )
        .unwrap();
        let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
        instructions.apply_to_request_http1x(req);
    }
}

fn verify_at(
    v: &Verifier,
    req: &Request<Vec<u8>>,
    service: &str,
    now: SystemTime,
) -> Result<trent_core::Caller, KmsError> {
    v.verify(req.method(), req.uri(), req.headers(), req.body(), service, now)
}

fn verify(v: &Verifier, req: &Request<Vec<u8>>) -> Result<trent_core::Caller, KmsError> {
    verify_at(v, req, "kms", at(T0))
}

#[track_caller]
fn assert_err(result: Result<trent_core::Caller, KmsError>, kind: ErrorKind, aws_type: &str, message: &str) {
    let e = result.expect_err("verification must fail");
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(e.kind.aws_type(), aws_type);
    assert_eq!(e.message.as_deref(), Some(message));
}

#[track_caller]
fn assert_mismatch(result: Result<trent_core::Caller, KmsError>) {
    assert_err(result, ErrorKind::InvalidSignature, "InvalidSignatureException", SIGNATURE_MISMATCH);
}

fn set(req: &mut Request<Vec<u8>>, name: &'static str, value: &str) {
    req.headers_mut().insert(name, HeaderValue::from_str(value).unwrap());
}

fn auth(req: &Request<Vec<u8>>) -> String {
    req.headers()[header::AUTHORIZATION].to_str().unwrap().to_owned()
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

// ---------------------------------------------------------------------------
// Oracle equivalence

#[test]
fn verifier_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Verifier>();
}

#[test]
fn accepts_everything_the_official_signer_produces() {
    let v = verifier();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let regions = ["us-east-1", "eu-west-2", "ap-southeast-1", "us-gov-west-1", "cn-north-1", "local"];
    let odd_values = ["  padded  ", "a   b    c", "\"quoted   spaces\"", "tab\there", "", "x"];
    let paths = ["/", "/", "/", "/a/b", "/a/./b/../c//d", "/%E1%88%B4%20x"];
    let queries = ["", "", "", "?b=2&a=1", "?a=2&a=1&Z=%20+x", "?flag&k=v%2Fw"];
    for i in 0..400u64 {
        let body: Vec<u8> = match rng.below(3) {
            0 => Vec::new(),
            1 => format!("{{\"KeyId\":\"alias/k{i}\",\"Plaintext\":\"{}\"}}", "A".repeat(rng.below(3000) as usize))
                .into_bytes(),
            _ => {
                let len = rng.below(5000) as usize;
                rng.bytes(len)
            }
        };
        let service = rng.pick(&["kms", "servicequotas"]);
        let mut req = kms_request(&body, "TrentService.Encrypt");
        let uri = format!("{}{}", rng.pick(&paths), rng.pick(&queries));
        *req.uri_mut() = uri.parse::<Uri>().unwrap();
        for _ in 0..rng.below(4) {
            let name = HeaderName::from_static(rng.pick(&["x-custom", "x-amz-meta-thing", "accept"]));
            req.headers_mut().append(name, HeaderValue::from_static(rng.pick(&odd_values)));
        }
        if rng.below(4) == 0 {
            req.headers_mut().insert(header::USER_AGENT, HeaderValue::from_static("aws-cli/2 (unsigned by default)"));
        }
        let (akid, secret, account) =
            if rng.below(2) == 0 { (AKID, SECRET, ACCOUNT) } else { (AKID2, SECRET2, ACCOUNT2) };
        let token = format!("FwoGZXIvYXdzE{i}//////////wEaDPvalue/with+chars==");
        let signing_time = T0 + rng.below(86_400 * 30);
        let signer = Signer {
            akid,
            secret,
            token: (rng.below(3) == 0).then_some(token.as_str()),
            region: rng.pick(&regions),
            service,
            time: at(signing_time),
            content_sha256: rng.below(4) == 0,
        };
        signer.sign(&mut req);
        let now = at(signing_time + 300 - rng.below(601));

        let caller = verify_at(&v, &req, service, now).unwrap_or_else(|e| panic!("case {i} ({uri}): {e}"));
        assert_eq!(caller.account_id, account);
        assert_eq!(caller.region, signer.region);
        assert_eq!(caller.access_key_id, akid);
        assert_eq!(caller.principal_arn, format!("arn:aws:iam::{account}:user/dev"));

        // One flipped body byte.
        if !body.is_empty() {
            let mut tampered = req.clone();
            let at_byte = rng.below(body.len() as u64) as usize;
            tampered.body_mut()[at_byte] ^= 1 << rng.below(8);
            let result = verify_at(&v, &tampered, service, now);
            if signer.content_sha256 {
                assert_err(
                    result,
                    ErrorKind::InvalidSignature,
                    "InvalidSignatureException",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                );
            } else {
                assert_mismatch(result);
            }
        }
        // One flipped signature character.
        let mut tampered = req.clone();
        let a = auth(&req);
        let pos = a.len() - 1 - rng.below(64) as usize;
        let mut bytes = a.into_bytes();
        bytes[pos] = if bytes[pos] == b'0' { b'1' } else { b'0' };
        set(&mut tampered, "authorization", std::str::from_utf8(&bytes).unwrap());
        assert_mismatch(verify_at(&v, &tampered, service, now));
        // One changed signed header value.
        let mut tampered = req.clone();
        set(&mut tampered, "x-amz-target", "TrentService.Decrypt");
        assert_mismatch(verify_at(&v, &tampered, service, now));
        // A different path.
        let mut tampered = req.clone();
        *tampered.uri_mut() = "/other".parse::<Uri>().unwrap();
        assert_mismatch(verify_at(&v, &tampered, service, now));
    }
    // One cached key per (access key, day, region, service) seen.
    assert!(v.cached_signing_keys() > 10);
}

#[test]
fn wrong_secret_is_a_signature_mismatch() {
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer { secret: "not-the-secret", ..Signer::default() }.sign(&mut req);
    assert_mismatch(verify(&verifier(), &req));
}

#[test]
fn unsigned_headers_may_change() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    req.headers_mut().insert(header::USER_AGENT, HeaderValue::from_static("one"));
    Signer::default().sign(&mut req);
    set(&mut req, "user-agent", "two");
    set(&mut req, "x-unsigned", "anything");
    verify(&v, &req).unwrap();
}

#[test]
fn http2_requests_sign_the_authority() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    req.headers_mut().remove(header::HOST);
    *req.uri_mut() = "https://kms.local:4566/".parse::<Uri>().unwrap();
    Signer::default().sign(&mut req);
    assert!(auth(&req).contains("host;"));
    verify(&v, &req).unwrap();
}

#[test]
fn session_tokens_are_covered_by_the_signature() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer { token: Some("session-token-value"), ..Signer::default() }.sign(&mut req);
    assert!(auth(&req).contains("x-amz-security-token"));
    verify(&v, &req).unwrap();
    set(&mut req, "x-amz-security-token", "other-token");
    assert_mismatch(verify(&v, &req));
}

// ---------------------------------------------------------------------------
// Published AWS test-suite answers (aws-signing-test-suite/v4, Apache-2.0).

fn vanilla(method: Method, signature: &str) -> Result<trent_core::Caller, KmsError> {
    let v = Verifier::new(vec![principal("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ACCOUNT)], SKEW);
    let mut headers = HeaderMap::new();
    headers.insert(header::HOST, HeaderValue::from_static("example.amazonaws.com"));
    headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
    );
    headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&auth).unwrap());
    v.verify(&method, &Uri::from_static("/"), &headers, b"", "service", at(1_440_938_160))
}

#[test]
fn get_vanilla_known_answer() {
    let caller = vanilla(Method::GET, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31").unwrap();
    assert_eq!(caller.region, "us-east-1");
    assert_eq!(caller.account_id, ACCOUNT);
    assert_mismatch(vanilla(Method::GET, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
}

#[test]
fn post_vanilla_known_answer() {
    vanilla(Method::POST, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b").unwrap();
    assert_mismatch(vanilla(Method::POST, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

// ---------------------------------------------------------------------------
// Errors, exactly as AWS sends them.

#[test]
fn no_authorization_is_missing_authentication_token() {
    let req = kms_request(b"{}", "TrentService.ListKeys");
    assert_err(
        verify(&verifier(), &req),
        ErrorKind::MissingAuthenticationToken,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
}

#[test]
fn presigned_queries_are_not_supported() {
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    *req.uri_mut() = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00".parse::<Uri>().unwrap();
    let e = verify(&verifier(), &req).unwrap_err();
    assert_eq!(e.kind, ErrorKind::IncompleteSignature);
}

#[test]
fn incomplete_authorization_headers_list_what_is_missing() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer::default().sign(&mut req);
    let full = auth(&req);
    let (credential, rest) = full.split_once(", ").unwrap();
    let (signed_headers, signature) = rest.split_once(", ").unwrap();

    let header = format!("{credential}, {signed_headers}");
    set(&mut req, "authorization", &header);
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        &format!("Authorization header requires 'Signature' parameter. Authorization={header}"),
    );

    let header = format!("AWS4-HMAC-SHA256 {signature}");
    set(&mut req, "authorization", &header);
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        &format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={header}"
        ),
    );

    set(&mut req, "authorization", "AWS4-HMAC-SHA256");
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
    );
}

#[test]
fn missing_date_is_incomplete() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer::default().sign(&mut req);
    req.headers_mut().remove("x-amz-date");
    let header = auth(&req);
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        &format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}"
        ),
    );
}

#[test]
fn malformed_dates_are_incomplete() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer::default().sign(&mut req);
    set(&mut req, "x-amz-date", "Mon, 01 Jan 2024 00:00:00 GMT");
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        "Date must be in ISO-8601 'basic format'. Got 'Mon, 01 Jan 2024 00:00:00 GMT'. See http://en.wikipedia.org/wiki/ISO_8601",
    );
}

#[test]
fn non_sigv4_schemes_are_incomplete() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer::default().sign(&mut req);
    set(&mut req, "authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x");
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        "'eyJhbGciOiJIUzI1NiJ9.e30.x' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x'.",
    );
    let mut req = kms_signed(Signer::default());
    let header = auth(&req).replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512");
    set(&mut req, "authorization", &header);
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'. Only 'AWS4-HMAC-SHA256' is supported.",
    );
}

#[test]
fn malformed_credentials_are_incomplete() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer::default().sign(&mut req);
    let header = auth(&req).replace("/us-east-1/kms/", "/us-east-1/");
    set(&mut req, "authorization", &header);
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        &format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{AKID}/20240101/us-east-1/aws4_request'"
        ),
    );
}

#[test]
fn host_and_date_must_be_signed() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer::default().sign(&mut req);
    let full = auth(&req);
    set(&mut req, "authorization", &full.replace("host;", ""));
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    );
    set(&mut req, "authorization", &full.replace(";x-amz-date", ""));
    assert_err(
        verify(&v, &req),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
    );
}

#[test]
fn unknown_access_keys_are_unrecognized() {
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer { akid: "AKIAUNKNOWN000000000", ..Signer::default() }.sign(&mut req);
    assert_err(
        verify(&verifier(), &req),
        ErrorKind::UnrecognizedClient,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
}

#[test]
fn scope_must_name_the_right_service() {
    let v = verifier();
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    Signer { service: "servicequotas", ..Signer::default() }.sign(&mut req);
    assert_err(
        verify(&v, &req),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'kms'. ",
    );
    assert_err(
        verify_at(&v, &kms_signed(Signer::default()), "servicequotas", at(T0)),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'servicequotas'. ",
    );
}

fn kms_signed(signer: Signer<'_>) -> Request<Vec<u8>> {
    let mut req = kms_request(b"{}", "TrentService.ListKeys");
    signer.sign(&mut req);
    req
}

#[test]
fn scope_must_end_with_aws4_request() {
    let mut req = kms_signed(Signer::default());
    let header = auth(&req).replace("/aws4_request", "/aws4_requests");
    set(&mut req, "authorization", &header);
    assert_err(
        verify(&verifier(), &req),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requests'. ",
    );
}

#[test]
fn scope_must_name_a_plausible_region() {
    let req = kms_signed(Signer { region: "US_EAST_1", ..Signer::default() });
    assert_err(
        verify(&verifier(), &req),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'US_EAST_1'. ",
    );
}

#[test]
fn scope_date_must_match_the_request_date() {
    let mut req = kms_signed(Signer::default());
    let header = auth(&req).replace("/20240101/", "/20240102/");
    set(&mut req, "authorization", &header);
    assert_err(
        verify(&verifier(), &req),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240102' != '20240101', from '20240101T000000Z'.",
    );
}

#[test]
fn clock_skew_boundaries() {
    let v = verifier();
    let req = kms_signed(Signer::default());
    verify_at(&v, &req, "kms", at(T0 + 300)).unwrap();
    verify_at(&v, &req, "kms", at(T0 - 300)).unwrap();
    // Sub-second parts of "now" do not move the boundary.
    verify_at(&v, &req, "kms", at(T0 + 300) + Duration::from_millis(999)).unwrap();
    assert_err(
        verify_at(&v, &req, "kms", at(T0 + 301)),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z (20240101T000501Z - 5 min.)",
    );
    assert_err(
        verify_at(&v, &req, "kms", at(T0 + 600)),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)",
    );
    assert_err(
        verify_at(&v, &req, "kms", at(T0 - 301)),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "Signature not yet current: 20240101T000000Z is still later than 20231231T235959Z (20231231T235459Z + 5 min.)",
    );
}

#[test]
fn skew_is_configurable() {
    let v = Verifier::new(vec![principal(AKID, SECRET, ACCOUNT)], Duration::from_secs(15 * 60));
    let req = kms_signed(Signer::default());
    verify_at(&v, &req, "kms", at(T0 + 900)).unwrap();
    let e = verify_at(&v, &req, "kms", at(T0 + 901)).unwrap_err();
    assert!(e.message.unwrap().ends_with("(20240101T001501Z - 15 min.)"));
}

#[test]
fn content_sha256_must_match_the_body() {
    let v = verifier();
    let mut req = kms_request(b"{\"KeyId\":\"k\"}", "TrentService.DescribeKey");
    Signer { content_sha256: true, ..Signer::default() }.sign(&mut req);
    assert!(auth(&req).contains("x-amz-content-sha256"));
    verify(&v, &req).unwrap();
    set(&mut req, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    assert_err(
        verify(&v, &req),
        ErrorKind::InvalidSignature,
        "InvalidSignatureException",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
}

/// Signs with the `Date` header instead of `X-Amz-Date`, by hand, using the
/// official key derivation and HMAC.
#[test]
fn date_header_may_replace_x_amz_date() {
    let v = verifier();
    let body = b"{}";
    let body_hash = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body));
    let creq = format!("POST\n/\n\ndate:20240101T000000Z\nhost:localhost:4566\n\ndate;host\n{body_hash}");
    let creq_hash = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, creq.as_bytes()));
    let sts = format!("AWS4-HMAC-SHA256\n20240101T000000Z\n20240101/eu-central-1/kms/aws4_request\n{creq_hash}");
    let key = v4::generate_signing_key(SECRET, at(T0), "eu-central-1", "kms");
    let signature = v4::calculate_signature(key, sts.as_bytes());

    let mut headers = HeaderMap::new();
    headers.insert(header::HOST, HeaderValue::from_static("localhost:4566"));
    headers.insert(header::DATE, HeaderValue::from_static("20240101T000000Z"));
    let header = format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/20240101/eu-central-1/kms/aws4_request, SignedHeaders=date;host, Signature={signature}"
    );
    headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&header).unwrap());
    let caller = v.verify(&Method::POST, &Uri::from_static("/"), &headers, body, "kms", at(T0)).unwrap();
    assert_eq!(caller.region, "eu-central-1");

    headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&header.replace("date;host", "host")).unwrap());
    assert_err(
        v.verify(&Method::POST, &Uri::from_static("/"), &headers, body, "kms", at(T0)),
        ErrorKind::IncompleteSignature,
        "IncompleteSignatureException",
        "'Date' must be a 'SignedHeader' in the AWS Authorization.",
    );
}

#[test]
fn signing_key_cache_hits_and_grows_per_scope() {
    let v = verifier();
    let req = kms_signed(Signer::default());
    assert_eq!(v.cached_signing_keys(), 0);
    for _ in 0..5 {
        verify(&v, &req).unwrap();
    }
    assert_eq!(v.cached_signing_keys(), 1);
    verify(&v, &kms_signed(Signer { region: "eu-west-1", ..Signer::default() })).unwrap();
    verify(&v, &kms_signed(Signer { akid: AKID2, secret: SECRET2, ..Signer::default() })).unwrap();
    assert_eq!(v.cached_signing_keys(), 3);
    // A mismatching signature neither uses nor pollutes the cache.
    assert_mismatch(verify(&v, &kms_signed(Signer { region: "sa-east-1", secret: "wrong", ..Signer::default() })));
    assert_eq!(v.cached_signing_keys(), 3);
}

#[test]
fn signing_key_cache_is_bounded() {
    let v = Verifier::with_cache_capacity(vec![principal(AKID, SECRET, ACCOUNT)], SKEW, 4);
    for region in ["r-1", "r-2", "r-3", "r-4", "r-5", "r-6"] {
        verify(&v, &kms_signed(Signer { region, ..Signer::default() })).unwrap();
        assert!(v.cached_signing_keys() <= 4);
    }
    verify(&v, &kms_signed(Signer { region: "r-1", ..Signer::default() })).unwrap();
}

// ---------------------------------------------------------------------------
// Robustness: arbitrary header bytes yield errors, never panics.

#[test]
fn arbitrary_header_bytes_never_panic() {
    let v = verifier();
    let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
    let signed = kms_signed(Signer::default());
    let good = auth(&signed);
    let fragments: &[&[u8]] = &[
        b"AWS4-HMAC-SHA256",
        b" ",
        b",",
        b"=",
        b"/",
        b";",
        b"Credential=",
        b"SignedHeaders=",
        b"Signature=",
        b"aws4_request",
        b"host",
        b"x-amz-date",
        b"\xff\xfe",
        b"\xc3\xa9",
        b"\t",
        b"20240101",
        b"AKIAIOSFODNN7EXAMPLE",
    ];
    for i in 0..20_000u32 {
        let mut req = signed.clone();
        let value: Vec<u8> = match i % 3 {
            0 => {
                let len = rng.below(200) as usize;
                rng.bytes(len)
            }
            1 => (0..rng.below(12)).flat_map(|_| rng.pick(fragments).to_vec()).collect(),
            _ => {
                let mut g = good.clone().into_bytes();
                for _ in 0..=rng.below(4) {
                    let p = rng.below(g.len() as u64) as usize;
                    g[p] = rng.next() as u8;
                }
                g
            }
        };
        let Ok(value) = HeaderValue::from_bytes(&value) else {
            continue;
        };
        let target = rng.pick(&["authorization", "x-amz-date", "host", "x-amz-content-sha256"]);
        req.headers_mut().insert(target, value);
        if rng.below(8) == 0 {
            req.headers_mut().remove(rng.pick(&["authorization", "x-amz-date", "host"]));
        }
        // Whatever the bytes, an answer and no panic.
        let _ = verify(&v, &req);
    }
}

// ---------------------------------------------------------------------------
// Cost of one verification (cache hit), for the record.

#[test]
#[ignore = "timing only; run with --release -- --ignored --nocapture"]
fn measure_verify_cost() {
    use std::time::Instant;
    /// Per-item time of the fastest of `batches` batches (other processes on a
    /// shared machine only ever make a batch slower), and the median.
    fn per_item(batches: usize, batch: u32, mut run: impl FnMut()) -> (Duration, Duration) {
        let mut times: Vec<Duration> = (0..batches)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..batch {
                    run();
                }
                start.elapsed() / batch
            })
            .collect();
        times.sort();
        (times[0], times[times.len() / 2])
    }

    let v = verifier();
    let body = br#"{"KeyId":"alias/app","Plaintext":"SGVsbG8sIFdvcmxkIQ==","EncryptionContext":{"purpose":"bench"}}"#;
    let mut req = kms_request(body, "TrentService.Encrypt");
    Signer { token: Some("session-token"), ..Signer::default() }.sign(&mut req);
    verify(&v, &req).unwrap();
    let (hit_min, hit_median) = per_item(400, 1_000, || {
        std::hint::black_box(verify(&v, std::hint::black_box(&req)).unwrap());
    });
    let fresh = || Verifier::new(vec![principal(AKID, SECRET, ACCOUNT)], SKEW);
    let (miss_min, miss_median) = per_item(100, 100, || {
        let v = fresh();
        std::hint::black_box(verify(&v, &req).unwrap());
    });
    println!(
        "verify, cached signing key: min {hit_min:?}, median {hit_median:?}; \
         fresh verifier + key derivation: min {miss_min:?}, median {miss_median:?}"
    );
}
