//! One CloudTrail record for one request, in the shape AWS KMS's CloudTrail
//! entries have (`docs/audit-log.md` lists the fields and where they differ).
//!
//! `requestParameters` is the request with member names in lowerCamelCase, as
//! CloudTrail writes them, less every member that carries plaintext, key
//! material, ciphertext or a secret ([`SECRET_MEMBERS`]).
//! `responseElements` is `null` for read-only operations (AWS KMS records
//! none for them: the answer is the data) and the filtered answer otherwise.

use serde_json::{Map, Value};
use trent_core::{Caller, Operation};

/// CloudTrail record version written (that of AWS KMS's current examples).
pub const EVENT_VERSION: &str = "1.11";

/// Request or response members never written: plaintext, ciphertext, key
/// material, signatures and MACs, import tokens, passwords and credentials,
/// policies returned by GetKeyPolicy, public keys.
pub const SECRET_MEMBERS: &[&str] = &[
    "Plaintext",
    "CiphertextBlob",
    "SourceCiphertextBlob",
    "CiphertextForRecipient",
    "PrivateKeyPlaintext",
    "PrivateKeyCiphertextBlob",
    "PublicKey",
    "Message",
    "Signature",
    "Mac",
    "EncryptedKeyMaterial",
    "ImportToken",
    "KeyStorePassword",
    "XksProxyAuthenticationCredential",
    "Recipient",
    "SharedSecret",
    "Policy",
];

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

/// `KeyId` → `keyId`; `AWSAccountId` → `aWSAccountId` (CloudTrail lowers
/// only the first letter).
fn lower_first(s: &str) -> String {
    let mut out = s.to_owned();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    out
}

/// [`cloudtrail_members`] on a value it may take apart (no copies).
pub fn into_cloudtrail_members(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                if SECRET_MEMBERS.contains(&k.as_str()) {
                    continue;
                }
                let keep_inner = k.ends_with("EncryptionContext");
                out.insert(lower_first(&k), if keep_inner { v } else { into_cloudtrail_members(v) });
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(into_cloudtrail_members).collect()),
        other => other,
    }
}

/// The value with secret members dropped and member names in lowerCamelCase.
/// Map keys inside an encryption context or tags are data, not member
/// names, and are kept as they are.
pub fn cloudtrail_members(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                if SECRET_MEMBERS.contains(&k.as_str()) {
                    continue;
                }
                let keep_inner = k.ends_with("EncryptionContext") || k == "EncryptionContext";
                out.insert(lower_first(k), if keep_inner { v.clone() } else { cloudtrail_members(v) });
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(cloudtrail_members).collect()),
        other => other.clone(),
    }
}

/// The key a request acted on, as an ARN: the answer's `KeyId` (AWS answers
/// with the ARN), else the request's `KeyId` when it is an ARN or a bare id.
fn key_arn(caller: &Caller, request_key_id: Option<&str>, response: Option<&Value>) -> Option<String> {
    let from_response = response.and_then(|r| r.get("KeyId").or_else(|| r.pointer("/KeyMetadata/Arn")));
    if let Some(arn) = from_response.and_then(Value::as_str).filter(|s| s.starts_with("arn:")) {
        return Some(arn.to_owned());
    }
    let id = request_key_id?;
    if id.starts_with("arn:") && id.contains(":key/") {
        return Some(id.to_owned());
    }
    if id.starts_with("alias/") || id.starts_with("arn:") {
        return None;
    }
    Some(format!("arn:aws:kms:{}:{}:key/{id}", caller.region, caller.account_id))
}

/// CloudTrail's `userIdentity`.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    /// `IAMUser`, `AssumedRole` or `Root`, from the ARN.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The principal ARN.
    pub arn: &'a str,
    /// The principal's account.
    pub account_id: &'a str,
    /// The access key that signed the request.
    pub access_key_id: &'a str,
    /// For IAM users, the user name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<&'a str>,
}

/// CloudTrail's `userIdentity` for a principal ARN.
fn user_identity(caller: &Caller) -> UserIdentity<'_> {
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
    UserIdentity { kind, arn, account_id: &caller.account_id, access_key_id: &caller.access_key_id, user_name }
}

/// One entry of `resources`.
#[derive(Debug, serde::Serialize)]
pub struct Resource {
    /// The key owner's account.
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// `AWS::KMS::Key`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The key ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
}

/// One CloudTrail record, serialized field by field in CloudTrail's names
/// (a struct rather than a JSON map: no map to build per request).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    /// [`EVENT_VERSION`].
    pub event_version: &'static str,
    /// Who called.
    pub user_identity: UserIdentity<'a>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub event_time: String,
    /// [`KMS_SOURCE`] or [`SERVICE_QUOTAS_SOURCE`].
    pub event_source: &'static str,
    /// The operation.
    pub event_name: &'a str,
    /// The region of the credential scope.
    pub aws_region: &'a str,
    /// The peer address.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: &'a str,
    /// The `User-Agent` header.
    pub user_agent: &'a str,
    /// The request, filtered.
    pub request_parameters: &'a Value,
    /// The answer, filtered; `null` for read-only operations.
    pub response_elements: Value,
    /// AWS's error type, on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'a str>,
    /// The error message, on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<&'a str>,
    /// The `x-amzn-RequestId` answered.
    #[serde(rename = "requestID")]
    pub request_id: &'a str,
    /// Unique per record.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// Reads and cryptographic operations.
    pub read_only: bool,
    /// The key acted on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// `AwsApiCall`.
    pub event_type: &'static str,
    /// `true`.
    pub management_event: bool,
    /// The calling account.
    pub recipient_account_id: &'a str,
    /// `Management`.
    pub event_category: &'static str,
}

/// Everything one record is made of.
#[derive(Debug)]
pub struct Event<'a> {
    /// `kms.amazonaws.com` or `servicequotas.amazonaws.com`.
    pub event_source: &'static str,
    /// The operation name.
    pub event_name: &'a str,
    /// Who called (after SigV4).
    pub caller: &'a Caller,
    /// The peer's IP address.
    pub source_ip: String,
    /// The `User-Agent` header.
    pub user_agent: &'a str,
    /// The request's members as CloudTrail records them
    /// ([`into_cloudtrail_members`] of the parsed body; `Null` when none).
    pub request_parameters: Value,
    /// The request's `KeyId` (or `TargetKeyId`), for `resources`.
    pub request_key_id: Option<&'a str>,
    /// The answer's body, parsed, on success (for read-only operations only
    /// its `KeyId` is needed).
    pub response: Option<&'a Value>,
    /// The AWS error type and message, on failure.
    pub error: Option<(&'a str, &'a str)>,
    /// The `x-amzn-RequestId` answered.
    pub request_id: &'a str,
    /// The record's `eventID` (unique per record).
    pub event_id: &'a str,
    /// When the request arrived (UTC).
    pub time: time::OffsetDateTime,
}

/// The CloudTrail record of one request.
pub fn build<'a>(e: &'a Event<'a>) -> Record<'a> {
    let read_only = read_only(e.event_name);
    static NULL: Value = Value::Null;
    let request_parameters = match &e.request_parameters {
        Value::Object(m) if !m.is_empty() => &e.request_parameters,
        _ => &NULL,
    };
    let response_elements = match e.response {
        Some(r) if !read_only => match cloudtrail_members(r) {
            Value::Object(m) if m.is_empty() => Value::Null,
            v => v,
        },
        _ => Value::Null,
    };
    let event_time = event_time(e.time);
    let mut resources = Vec::new();
    if e.event_source == KMS_SOURCE
        && let Some(arn) = key_arn(e.caller, e.request_key_id, e.response)
    {
        let account_id = arn.split(':').nth(4).unwrap_or(&e.caller.account_id).to_owned();
        resources.push(Resource { account_id, kind: "AWS::KMS::Key", arn });
    }
    Record {
        event_version: EVENT_VERSION,
        user_identity: user_identity(e.caller),
        event_time,
        event_source: e.event_source,
        event_name: e.event_name,
        aws_region: &e.caller.region,
        source_ip_address: &e.source_ip,
        user_agent: e.user_agent,
        request_parameters,
        response_elements,
        error_code: e.error.map(|x| x.0),
        error_message: e.error.map(|x| x.1),
        request_id: e.request_id,
        event_id: e.event_id.to_owned(),
        read_only,
        resources,
        event_type: "AwsApiCall",
        management_event: true,
        recipient_account_id: &e.caller.account_id,
        event_category: "Management",
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, formatted once a second per thread.
fn event_time(t: time::OffsetDateTime) -> String {
    use std::cell::RefCell;
    thread_local! {
        static LAST: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
    }
    let second = t.unix_timestamp();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != second {
            *last = (
                second,
                format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ),
            );
        }
        last.1.clone()
    })
}

/// `eventSource` of KMS records.
pub const KMS_SOURCE: &str = "kms.amazonaws.com";
/// `eventSource` of Service Quotas records.
pub const SERVICE_QUOTAS_SOURCE: &str = "servicequotas.amazonaws.com";

/// Parses a body for the record; not JSON → `Null`.
pub fn parse_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The name of a KMS operation for `eventName`.
pub fn kms_event_name(op: Operation) -> &'static str {
    op.name()
}

/// The `KeyId` of an answer, read without building the whole document
/// (the answers of read-only operations need nothing else).
pub fn response_key_id(body: &[u8]) -> Option<Value> {
    #[derive(serde::Deserialize)]
    struct KeyIdOnly<'a> {
        #[serde(rename = "KeyId", borrow, default)]
        key_id: Option<std::borrow::Cow<'a, str>>,
    }
    let k: KeyIdOnly<'_> = serde_json::from_slice(body).ok()?;
    let mut m = Map::new();
    m.insert("KeyId".into(), Value::String(k.key_id?.into_owned()));
    Some(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_never_reach_the_record() {
        let caller = Caller {
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            principal_arn: "arn:aws:iam::111122223333:user/Alice".into(),
            access_key_id: "AKIAEXAMPLE".into(),
        };
        let request = json!({"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Plaintext": "c2VjcmV0",
            "EncryptionContext": {"Department": "Engineering"}});
        let response = json!({"KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "CiphertextBlob": "AQID"});
        let event = Event {
            event_source: KMS_SOURCE,
            event_name: "Encrypt",
            caller: &caller,
            source_ip: "127.0.0.1".into(),
            user_agent: "test",
            request_parameters: into_cloudtrail_members(request.clone()),
            request_key_id: request["KeyId"].as_str(),
            response: Some(&response),
            error: None,
            request_id: "r",
            event_id: "e",
            time: time::OffsetDateTime::UNIX_EPOCH,
        };
        let r = serde_json::to_value(build(&event)).expect("record");
        let text = r.to_string();
        assert!(!text.contains("c2VjcmV0") && !text.contains("AQID"), "{text}");
        assert_eq!(r["requestParameters"]["encryptionContext"]["Department"], "Engineering");
        assert_eq!(r["requestParameters"]["keyId"], "1234abcd-12ab-34cd-56ef-1234567890ab");
        assert_eq!(r["responseElements"], Value::Null);
        assert_eq!(r["userIdentity"]["userName"], "Alice");
        assert_eq!(r["eventTime"], "1970-01-01T00:00:00Z");
        assert_eq!(r["resources"][0]["ARN"], response["KeyId"]);
    }
}
