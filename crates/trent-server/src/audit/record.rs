//! One CloudTrail record for one request, in the shape AWS KMS's CloudTrail
//! entries have (`docs/audit-log.md` lists the fields and where they differ),
//! written as one line of JSON.
//!
//! `requestParameters` is the request with member names in lowerCamelCase, as
//! CloudTrail writes them, less every member that carries plaintext, key
//! material, ciphertext or a secret ([`super::members`]).
//! `responseElements` is `null` for read-only operations (AWS KMS records
//! none for them: the answer is the data) and the filtered answer otherwise.
//!
//! The line is written field by field rather than through a `Serialize`
//! struct: the parts that repeat from request to request (who called, the
//! peer's address, the second) are kept per thread as finished JSON, so the
//! record of a busy caller escapes only what changes.

use std::cell::RefCell;
use std::net::IpAddr;

use trent_core::Caller;
use trent_core::key::arn::key_arn;

use super::members::{Members, string};

/// CloudTrail record version written (that of AWS KMS's current examples).
pub const EVENT_VERSION: &str = "1.11";

/// `eventSource` of KMS records.
pub const KMS_SOURCE: &str = "kms.amazonaws.com";
/// `eventSource` of Service Quotas records.
pub const SERVICE_QUOTAS_SOURCE: &str = "servicequotas.amazonaws.com";

/// Whether AWS marks the operation `readOnly` (reads and cryptographic operations).
pub fn read_only(op_name: &str) -> bool {
    let crypto = [
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateRandom",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
        "Encapsulate",
        "Decapsulate",
    ];
    op_name.starts_with("Describe")
        || op_name.starts_with("Get")
        || op_name.starts_with("List")
        || crypto.contains(&op_name)
}

/// Everything one record is made of.
#[derive(Debug)]
pub struct Event<'a> {
    /// [`KMS_SOURCE`] or [`SERVICE_QUOTAS_SOURCE`].
    pub event_source: &'static str,
    /// The operation name.
    pub event_name: &'a str,
    /// Who called (after SigV4).
    pub caller: &'a Caller,
    /// The peer's IP address, when known.
    pub source_ip: Option<IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: &'a str,
    /// The request body.
    pub request: &'a [u8],
    /// The answer's body on success.
    pub response: Option<&'a [u8]>,
    /// The AWS error type and message, on failure.
    pub error: Option<(&'a str, &'a str)>,
    /// The `x-amzn-RequestId` answered.
    pub request_id: &'a str,
    /// The record's `eventID` (unique per record).
    pub event_id: &'a str,
    /// When the request arrived (UTC).
    pub time: time::OffsetDateTime,
    /// The TLS connection it came over, if any.
    pub tls: Option<Tls<'a>>,
}

/// CloudTrail's `tlsDetails`: what the connection negotiated and the `Host`
/// header the client sent.
#[derive(Debug, Clone, Copy)]
pub struct Tls<'a> {
    /// Protocol version and cipher suite.
    pub details: crate::tls::TlsDetails,
    /// The `Host` header (`clientProvidedHostHeader`).
    pub host: &'a str,
}

/// Writes the CloudTrail record of one request into `out` (no line break).
pub fn write(out: &mut Vec<u8>, e: &Event<'_>) {
    let read_only = read_only(e.event_name);
    let request = Members::parse(e.request);

    out.extend_from_slice(b"{\"eventVersion\":\"");
    out.extend_from_slice(EVENT_VERSION.as_bytes());
    out.extend_from_slice(b"\",\"userIdentity\":");
    user_identity(out, e.caller);
    out.extend_from_slice(b",\"eventTime\":");
    event_time(out, e.time);
    out.extend_from_slice(b",\"eventSource\":\"");
    out.extend_from_slice(e.event_source.as_bytes());
    out.extend_from_slice(b"\",\"eventName\":");
    string(out, e.event_name);
    out.extend_from_slice(b",\"awsRegion\":");
    string(out, &e.caller.region);
    out.extend_from_slice(b",\"sourceIPAddress\":");
    source_ip(out, e.source_ip);
    out.extend_from_slice(b",\"userAgent\":");
    string(out, e.user_agent);
    out.extend_from_slice(b",\"requestParameters\":");
    request.write(out);
    out.extend_from_slice(b",\"responseElements\":");
    match e.response {
        // Read-only answers are the data, not recorded.
        Some(body) if !read_only => Members::parse(body).write(out),
        _ => out.extend_from_slice(b"null"),
    }
    if let Some((code, message)) = e.error {
        out.extend_from_slice(b",\"errorCode\":");
        string(out, code);
        out.extend_from_slice(b",\"errorMessage\":");
        string(out, message);
    }
    out.extend_from_slice(b",\"requestID\":");
    string(out, e.request_id);
    out.extend_from_slice(b",\"eventID\":");
    string(out, e.event_id);
    out.extend_from_slice(if read_only { b",\"readOnly\":true" } else { b",\"readOnly\":false" });
    if e.event_source == KMS_SOURCE {
        resources(out, e.caller, &request, e.response);
    }
    out.extend_from_slice(b",\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":");
    string(out, &e.caller.account_id);
    out.extend_from_slice(b",\"eventCategory\":\"Management\"");
    if let Some(tls) = e.tls {
        out.extend_from_slice(b",\"tlsDetails\":{\"tlsVersion\":");
        string(out, tls.details.version);
        out.extend_from_slice(b",\"cipherSuite\":");
        string(out, tls.details.cipher_suite);
        out.extend_from_slice(b",\"clientProvidedHostHeader\":");
        string(out, tls.host);
        out.push(b'}');
    }
    out.push(b'}');
}

/// `resources`: the key a request acted on, as its owner's account and
/// ARN. The request's `KeyId` (or `TargetKeyId`) when it is a key ARN, or a
/// bare id (a key of the caller's account and region); else the answer's
/// `KeyId` (AWS answers with the ARN) or `KeyMetadata.Arn`. The answer is
/// read only when the request named an alias or no key. Nothing is written
/// when no key is known (an alias that did not resolve).
fn resources(out: &mut Vec<u8>, caller: &Caller, request: &Members<'_>, response: Option<&[u8]>) {
    let named = request.string("KeyId").or_else(|| request.string("TargetKeyId"));
    match named.as_deref() {
        Some(arn) if arn.starts_with("arn:") && arn.contains(":key/") => return resource(out, caller, arn),
        Some(id) if !id.starts_with("alias/") && !id.starts_with("arn:") => {
            return resource(out, caller, &key_arn(&caller.region, &caller.account_id, id));
        }
        _ => {}
    }
    let Some(body) = response else { return };
    let answered = Members::parse(body);
    if let Some(arn) = answered.string("KeyId").or_else(|| answered.object("KeyMetadata")?.string("Arn"))
        && arn.starts_with("arn:")
    {
        resource(out, caller, &arn);
    }
}

/// One key ARN as `resources`, with the account it names.
fn resource(out: &mut Vec<u8>, caller: &Caller, arn: &str) {
    // arn:partition:kms:region:ACCOUNT:key/id
    let account_id = arn.split(':').nth(4).unwrap_or(&caller.account_id);
    out.extend_from_slice(b",\"resources\":[{\"accountId\":");
    string(out, account_id);
    out.extend_from_slice(b",\"type\":\"AWS::KMS::Key\",\"ARN\":");
    string(out, arn);
    out.extend_from_slice(b"}]");
}

/// The last value a thread wrote into a record, with its JSON.
type LastJson<K> = RefCell<Option<(K, Vec<u8>)>>;

/// Writes the JSON `make` gives for `key`, made again only when `key`
/// differs from the last one this thread wrote through `cache`: who called,
/// the peer and the second repeat from request to request.
fn write_cached<K: PartialEq + Clone>(
    cache: &'static std::thread::LocalKey<LastJson<K>>,
    out: &mut Vec<u8>,
    key: &K,
    make: impl FnOnce(&K) -> Vec<u8>,
) {
    cache.with(|last| {
        let mut last = last.borrow_mut();
        if !matches!(last.as_ref(), Some((seen, _)) if seen == key) {
            *last = Some((key.clone(), make(key)));
        }
        if let Some((_, json)) = last.as_ref() {
            out.extend_from_slice(json);
        }
    });
}

/// CloudTrail's `userIdentity` for a principal ARN: `IAMUser`, `AssumedRole`
/// or `Root`, with the account, the access key and an IAM user's name.
fn user_identity(out: &mut Vec<u8>, caller: &Caller) {
    thread_local! {
        static LAST: LastJson<Caller> = const { RefCell::new(None) };
    }
    write_cached(&LAST, out, caller, identity_json);
}

fn identity_json(caller: &Caller) -> Vec<u8> {
    let arn = caller.principal_arn.as_str();
    let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
    let (kind, user_name) = if resource == "root" {
        ("Root", None)
    } else if let Some(name) = resource.strip_prefix("user/") {
        ("IAMUser", Some(name.rsplit('/').next().unwrap_or(name)))
    } else if resource.starts_with("assumed-role/") {
        ("AssumedRole", None)
    } else {
        ("IAMUser", None)
    };
    let mut out = Vec::with_capacity(160);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"arn\":");
    string(&mut out, arn);
    out.extend_from_slice(b",\"accountId\":");
    string(&mut out, &caller.account_id);
    out.extend_from_slice(b",\"accessKeyId\":");
    string(&mut out, &caller.access_key_id);
    if let Some(name) = user_name {
        out.extend_from_slice(b",\"userName\":");
        string(&mut out, name);
    }
    out.push(b'}');
    out
}

/// The peer's address as a string (`""` when unknown).
fn source_ip(out: &mut Vec<u8>, ip: Option<IpAddr>) {
    thread_local! {
        static LAST: LastJson<Option<IpAddr>> = const { RefCell::new(None) };
    }
    write_cached(&LAST, out, &ip, |ip| {
        let mut json = Vec::new();
        string(&mut json, &ip.map(|ip| ip.to_canonical().to_string()).unwrap_or_default());
        json
    });
}

/// `"YYYY-MM-DDTHH:MM:SSZ"`, formatted once a second per thread.
fn event_time(out: &mut Vec<u8>, t: time::OffsetDateTime) {
    thread_local! {
        static LAST: LastJson<i64> = const { RefCell::new(None) };
    }
    write_cached(&LAST, out, &t.unix_timestamp(), |_| {
        format!(
            "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\"",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
        .into_bytes()
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn record(event: &Event<'_>) -> Value {
        let mut out = Vec::new();
        write(&mut out, event);
        serde_json::from_slice(&out).expect("a JSON record")
    }

    fn alice() -> Caller {
        Caller {
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            principal_arn: "arn:aws:iam::111122223333:user/Alice".into(),
            access_key_id: "AKIAEXAMPLE".into(),
        }
    }

    #[test]
    fn secrets_never_reach_the_record() {
        let caller = alice();
        let request = json!({"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Plaintext": "c2VjcmV0",
            "EncryptionContext": {"Department": "Engineering"}})
        .to_string();
        let response = json!({"KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "CiphertextBlob": "AQID"})
        .to_string();
        let event = Event {
            event_source: KMS_SOURCE,
            event_name: "Encrypt",
            caller: &caller,
            source_ip: Some("::ffff:127.0.0.1".parse().expect("ip")),
            user_agent: "test",
            request: request.as_bytes(),
            response: Some(response.as_bytes()),
            error: None,
            request_id: "r",
            event_id: "e",
            time: time::OffsetDateTime::UNIX_EPOCH,
            tls: None,
        };
        let r = record(&event);
        let text = r.to_string();
        assert!(!text.contains("c2VjcmV0") && !text.contains("AQID"), "{text}");
        assert_eq!(r["requestParameters"]["encryptionContext"]["Department"], "Engineering");
        assert_eq!(r["requestParameters"]["keyId"], "1234abcd-12ab-34cd-56ef-1234567890ab");
        assert_eq!(r["responseElements"], Value::Null);
        assert_eq!(r["userIdentity"]["userName"], "Alice");
        assert_eq!(r["eventTime"], "1970-01-01T00:00:00Z");
        assert_eq!(r["sourceIPAddress"], "127.0.0.1");
        assert_eq!(r["readOnly"], true);
        assert_eq!(
            r["resources"][0]["ARN"],
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        assert_eq!(r["resources"][0]["accountId"], "111122223333");
        assert!(r.get("errorCode").is_none());
    }

    #[test]
    fn each_caller_and_peer_is_written_as_itself() {
        let alice = alice();
        let bob = Caller {
            principal_arn: "arn:aws:sts::444455556666:assumed-role/Ops/bob".into(),
            account_id: "444455556666".into(),
            ..alice.clone()
        };
        let request = br#"{"Description":"x","KeyMetadata":{}}"#;
        let response =
            br#"{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:us-east-1:444455556666:key/k","Description":"x"}}"#;
        for (caller, ip) in [(&alice, "10.0.0.1"), (&bob, "10.0.0.2"), (&alice, "10.0.0.2"), (&bob, "10.0.0.1")] {
            let event = Event {
                event_source: KMS_SOURCE,
                event_name: "CreateKey",
                caller,
                source_ip: Some(ip.parse().expect("ip")),
                user_agent: "ua \"quoted\"",
                request,
                response: Some(response),
                error: Some(("LimitExceededException", "line\nbreak")),
                request_id: "r",
                event_id: "e",
                time: time::OffsetDateTime::UNIX_EPOCH,
                tls: Some(Tls {
                    details: crate::tls::TlsDetails { version: "TLSv1.3", cipher_suite: "TLS_AES_128_GCM_SHA256" },
                    host: "localhost:4599",
                }),
            };
            let r = record(&event);
            assert_eq!(r["userIdentity"]["arn"], caller.principal_arn.as_str(), "{r}");
            assert_eq!(r["recipientAccountId"], caller.account_id.as_str());
            assert_eq!(r["sourceIPAddress"], ip);
            assert_eq!(r["userAgent"], "ua \"quoted\"");
            assert_eq!(r["errorMessage"], "line\nbreak");
            assert_eq!(r["readOnly"], false);
            assert_eq!(r["responseElements"]["keyMetadata"]["arn"], "arn:aws:kms:us-east-1:444455556666:key/k");
            assert_eq!(r["resources"][0]["ARN"], "arn:aws:kms:us-east-1:444455556666:key/k");
            assert_eq!(
                r["tlsDetails"],
                json!({"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                    "clientProvidedHostHeader": "localhost:4599"})
            );
            let kind = if caller == &alice { "IAMUser" } else { "AssumedRole" };
            assert_eq!(r["userIdentity"]["type"], kind);
        }
    }

    #[test]
    fn resources_name_the_key_however_the_request_named_it() {
        let caller = alice();
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let other = "arn:aws:kms:us-east-1:444455556666:key/0987dcba-09fe-87dc-65ba-ab0987654321";
        let answer = format!(r#"{{"KeyId":"{arn}","CiphertextBlob":"AQID"}}"#);
        let cases: [(String, Option<&str>, Option<&str>); 5] = [
            (r#"{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}"#.into(), None, Some(arn)),
            (format!(r#"{{"KeyId":"{other}"}}"#), None, Some(other)),
            (r#"{"KeyId":"alias/app"}"#.into(), Some(answer.as_str()), Some(arn)),
            (r#"{"KeyId":"alias/app"}"#.into(), None, None),
            (r#"{"GrantTokens":[]}"#.into(), None, None),
        ];
        for (request, response, expected) in cases {
            let event = Event {
                event_source: KMS_SOURCE,
                event_name: "Encrypt",
                caller: &caller,
                source_ip: None,
                user_agent: "",
                request: request.as_bytes(),
                response: response.map(str::as_bytes),
                error: response.is_none().then_some(("NotFoundException", "")),
                request_id: "r",
                event_id: "e",
                time: time::OffsetDateTime::UNIX_EPOCH,
                tls: None,
            };
            let r = record(&event);
            match expected {
                Some(arn) => {
                    assert_eq!(r["resources"][0]["ARN"], arn, "{request}: {r}");
                    assert_eq!(r["resources"][0]["accountId"], arn.split(':').nth(4).unwrap_or(""), "{r}");
                }
                None => assert!(r.get("resources").is_none(), "{request}: {r}"),
            }
            assert_eq!(r["sourceIPAddress"], "");
            assert!(r.get("tlsDetails").is_none(), "plain HTTP: {r}");
        }
    }
}
