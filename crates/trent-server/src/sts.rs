//! `sts:GetCallerIdentity` on the KMS endpoint.
//!
//! The AWS CLI, the SDKs, Terraform and CDK ask STS who they are before they
//! do anything else (`aws sts get-caller-identity`, the account lookups of
//! Terraform's AWS provider and of `cdk bootstrap`). With `AWS_ENDPOINT_URL_STS`
//! pointed at Trent, they get the principal Trent knows the signing key by.
//!
//! STS speaks AWS's Query protocol: `Action=GetCallerIdentity&Version=2011-06-15`
//! as a form-encoded `POST` body or a `GET` query string, signed with SigV4 for
//! the service `sts`, answered in XML. Nothing else of STS is served; other
//! actions get the Query protocol's `InvalidAction`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

use trent_core::{Caller, ErrorKind, KmsError};

/// The only STS API version there is, named in every request and answer.
const VERSION: &str = "2011-06-15";

/// STS's XML namespace.
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Whether a request without `X-Amz-Target` is a Query protocol request:
/// a form-encoded body, or a `GET` whose query names an `Action`.
pub fn is_query_request(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    if headers.contains_key("x-amz-target") {
        return false;
    }
    if *method == Method::GET {
        return uri.query().is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "Action"));
    }
    *method == Method::POST
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

/// The STS action a Query request names and the version it asks for.
struct QueryRequest {
    action: Option<String>,
    version: Option<String>,
}

impl QueryRequest {
    fn parse(method: &Method, uri: &Uri, body: &[u8]) -> Self {
        let source: &[u8] = if *method == Method::GET { uri.query().unwrap_or_default().as_bytes() } else { body };
        let mut request = QueryRequest { action: None, version: None };
        for (k, v) in form_urlencoded::parse(source) {
            match &*k {
                "Action" => request.action = Some(v.into_owned()),
                "Version" => request.version = Some(v.into_owned()),
                _ => {}
            }
        }
        request
    }
}

/// The action of an authenticated Query request, answered.
pub fn answer(caller: &Caller, method: &Method, uri: &Uri, body: &[u8], request_id: &str) -> Response {
    let request = QueryRequest::parse(method, uri, body);
    let Some(action) = request.action else {
        return error(StatusCode::BAD_REQUEST, "MissingAction", "Missing Action", request_id);
    };
    if request.version.as_deref() != Some(VERSION) || action != "GetCallerIdentity" {
        let version = request.version.as_deref().unwrap_or("");
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            &format!("Could not find operation {action} for version {version}"),
            request_id,
        );
    }
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"{NAMESPACE}\">\n  <GetCallerIdentityResult>\n    \
         <Arn>{arn}</Arn>\n    <UserId>{user_id}</UserId>\n    <Account>{account}</Account>\n  \
         </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  \
         </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        arn = xml_escape(&caller.principal_arn),
        user_id = xml_escape(&user_id(&caller.principal_arn, &caller.account_id)),
        account = xml_escape(&caller.account_id),
    );
    xml_response(StatusCode::OK, body, request_id)
}

/// A SigV4 refusal in STS's XML error shape, under the codes the Query
/// services use (KMS's JSON protocol names them `…Exception`; STS answers an
/// unknown access key with `InvalidClientTokenId`, a bad signature with
/// `SignatureDoesNotMatch`, both 403).
pub fn refusal(e: &KmsError, request_id: &str) -> Response {
    let message = e.message.clone().unwrap_or_default();
    let (status, code, message) = match e.kind {
        ErrorKind::UnrecognizedClient | ErrorKind::InvalidClientTokenId => (
            StatusCode::FORBIDDEN,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.".to_owned(),
        ),
        ErrorKind::InvalidSignature => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message),
        ErrorKind::MissingAuthenticationToken => (StatusCode::FORBIDDEN, "MissingAuthenticationToken", message),
        ErrorKind::IncompleteSignature => (StatusCode::BAD_REQUEST, "IncompleteSignature", message),
        kind => (StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::BAD_REQUEST), kind.aws_type(), message),
    };
    error(status, code, &message, request_id)
}

/// The principal's unique id as STS shows it: the account id for the
/// account's root user, `AIDA…` for a user, `AROA…:session` for an assumed
/// role. Trent has no IAM to assign ids, so the 17 characters after the
/// prefix are derived from the ARN: stable across restarts and nodes.
fn user_id(arn: &str, account_id: &str) -> String {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    if resource == "root" {
        return account_id.to_owned();
    }
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let (role, session) = rest.split_once('/').unwrap_or((rest, ""));
        return format!("AROA{}:{session}", derived_id(role));
    }
    format!("AIDA{}", derived_id(arn))
}

/// 17 characters of IAM's unique-id alphabet (upper case letters and 2–7)
/// from a digest of `name`.
fn derived_id(name: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, name.as_bytes());
    digest.as_ref().iter().take(17).map(|b| char::from(ALPHABET[usize::from(b % 32)])).collect()
}

fn error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response {
    let kind = if status.is_server_error() { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    \
         <Message>{message}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        code = xml_escape(code),
        message = xml_escape(message),
    );
    xml_response(status, body, request_id)
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-RequestId", v);
    }
    r
}

/// Escapes the five characters XML reserves.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_follow_iam_shapes() {
        assert_eq!(user_id("arn:aws:iam::111122223333:root", "111122223333"), "111122223333");
        let user = user_id("arn:aws:iam::111122223333:user/alice", "111122223333");
        assert!(user.starts_with("AIDA") && user.len() == 21, "{user}");
        assert!(user[4..].bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "{user}");
        assert_ne!(user, user_id("arn:aws:iam::111122223333:user/bob", "111122223333"));
        let role = user_id("arn:aws:sts::111122223333:assumed-role/deploy/ci-42", "111122223333");
        assert!(role.starts_with("AROA") && role.ends_with(":ci-42"), "{role}");
    }

    #[test]
    fn query_requests_are_recognised_by_form_body_or_get_action() {
        let mut form = HeaderMap::new();
        form.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"));
        let root: Uri = "/".parse().unwrap();
        assert!(is_query_request(&Method::POST, &root, &form));
        let get: Uri = "/?Action=GetCallerIdentity&Version=2011-06-15".parse().unwrap();
        assert!(is_query_request(&Method::GET, &get, &HeaderMap::new()));
        assert!(!is_query_request(&Method::GET, &root, &HeaderMap::new()));
        form.insert("x-amz-target", HeaderValue::from_static("TrentService.Encrypt"));
        assert!(!is_query_request(&Method::POST, &root, &form));
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
