//! A request's or an answer's members as CloudTrail records them, written
//! straight from the body's JSON text into the record's line.
//!
//! Member names are in lowerCamelCase (`KeyId` → `keyId`; CloudTrail lowers
//! only the first letter), every member that carries plaintext, key
//! material, ciphertext or a secret ([`SECRET_MEMBERS`]) is left out, and
//! members are written in name order. Names inside an encryption context
//! are data, not member names, and are kept as they are.
//!
//! Why not through `serde_json::Value`: building a document per request,
//! copying every string out of the body and escaping it again on the way
//! back cost the record a third of its time. Here the body is read once into
//! borrowed slices ([`RawValue`]), scalars are copied as the body spelled
//! them (JSON text already, escapes included), and only objects and arrays
//! are taken apart, so what the record holds is still one line.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

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

/// A name as the body spells it: borrowed unless it had escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// One JSON object's members, unparsed values, last one winning.
type Object<'a> = Vec<(Name<'a>, &'a RawValue)>;

/// The members of a request or answer body (a JSON object), read once.
pub struct Members<'a> {
    members: Object<'a>,
}

impl<'a> Members<'a> {
    /// Reads `body`; anything but a JSON object has no members.
    pub fn parse(body: &'a [u8]) -> Self {
        Self { members: parse_object(body).unwrap_or_default() }
    }

    /// A top-level member, unparsed (the last of equal names).
    fn member(&self, name: &str) -> Option<&'a RawValue> {
        self.members.iter().rev().find(|(n, _)| n.0 == name).map(|(_, raw)| *raw)
    }

    /// A top-level string member (`KeyId`), unescaped.
    pub fn string(&self, name: &str) -> Option<Cow<'a, str>> {
        string_value(self.member(name)?)
    }

    /// A top-level object member (`KeyMetadata`).
    pub fn object(&self, name: &str) -> Option<Members<'a>> {
        parse_object(self.member(name)?.get().as_bytes()).map(|members| Members { members })
    }

    /// Writes the members as CloudTrail records them, or `null` when none
    /// is left (no body, not an object, or nothing but secrets).
    pub fn write(&self, out: &mut Vec<u8>) {
        let start = out.len();
        if write_object(out, &self.members, Mode::Members, 0) == 0 {
            out.truncate(start);
            out.extend_from_slice(b"null");
        }
    }
}

/// A string value, unescaped (borrowed when it had no escapes).
fn string_value<'a>(raw: &'a RawValue) -> Option<Cow<'a, str>> {
    let Name(s) = serde_json::from_str(raw.get()).ok()?;
    Some(s)
}

fn parse_object(text: &[u8]) -> Option<Object<'_>> {
    serde_json::from_slice::<ObjectEntries<'_>>(text).ok().map(|entries| entries.0)
}

/// An object's entries in the body's order (serde_json reads a map, not a
/// list of pairs; names are ordered and deduplicated when written).
struct ObjectEntries<'a>(Vec<(Name<'a>, &'a RawValue)>);

impl<'de> Deserialize<'de> for ObjectEntries<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = ObjectEntries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<Name<'de>, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(ObjectEntries(entries))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// How an object's names are treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Member names: lowered, secrets left out.
    Members,
    /// Data (an encryption context): kept as they are.
    Data,
}

/// `KeyId` → `keyId` (only an ASCII first letter is lowered).
fn lower_first(name: &str) -> Cow<'_, str> {
    match name.as_bytes().first() {
        Some(b) if b.is_ascii_uppercase() => {
            let mut s = name.to_owned();
            s[..1].make_ascii_lowercase();
            Cow::Owned(s)
        }
        _ => Cow::Borrowed(name),
    }
}

/// Whether a member is secret (its first letter in either case).
fn is_secret(name: &str) -> bool {
    let Some((first, rest)) = name.as_bytes().split_first() else { return false };
    SECRET_MEMBERS
        .iter()
        .any(|s| s.as_bytes().split_first().is_some_and(|(f, r)| f.eq_ignore_ascii_case(first) && r == rest))
}

/// Writes an object's members (names in order, the last of equal names
/// winning) and returns how many were written.
fn write_object(out: &mut Vec<u8>, members: &Object<'_>, mode: Mode, depth: usize) -> usize {
    let mut named: BTreeMap<Cow<'_, str>, (&RawValue, Mode)> = BTreeMap::new();
    for (Name(name), raw) in members {
        match mode {
            Mode::Data => {
                named.insert(Cow::Borrowed(name.as_ref()), (*raw, Mode::Data));
            }
            Mode::Members => {
                if is_secret(name) {
                    continue;
                }
                let lowered = lower_first(name);
                // An encryption context's keys are the caller's data.
                let inner = if name.ends_with("EncryptionContext") { Mode::Data } else { Mode::Members };
                named.insert(lowered, (*raw, inner));
            }
        }
    }
    out.push(b'{');
    for (i, (name, (raw, inner))) in named.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, name);
        out.push(b':');
        write_value(out, raw, *inner, depth + 1);
    }
    out.push(b'}');
    named.len()
}

/// Deepest object or array nesting copied into a record; deeper ones are
/// written as `null`. KMS requests nest three deep at most, and the body's
/// own parse puts no bound on the nesting a [`RawValue`] holds: without one a
/// hostile body could exhaust the stack here.
pub const MAX_DEPTH: usize = 16;

/// Writes one value: objects and arrays taken apart (so whitespace the body
/// had between members never reaches the line), scalars as the body spelled them.
fn write_value(out: &mut Vec<u8>, raw: &RawValue, mode: Mode, depth: usize) {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'{' | b'[') if depth >= MAX_DEPTH => out.extend_from_slice(b"null"),
        Some(b'{') => match parse_object(text.as_bytes()) {
            Some(members) => {
                write_object(out, &members, mode, depth);
            }
            None => out.extend_from_slice(b"null"),
        },
        Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_value(out, item, mode, depth + 1);
                }
                out.push(b']');
            }
            Err(_) => out.extend_from_slice(b"null"),
        },
        // A string, number, true, false or null: JSON text with no line breaks.
        _ => out.extend_from_slice(text.as_bytes()),
    }
}

/// Writes `s` as a JSON string.
pub fn string(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail, nor can serializing a str.
    let _ = serde_json::to_writer(out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn members(body: &str) -> Value {
        let mut out = Vec::new();
        Members::parse(body.as_bytes()).write(&mut out);
        let text = String::from_utf8(out).expect("utf8");
        assert!(!text.contains('\n'), "one line: {text}");
        serde_json::from_str(&text).expect("JSON")
    }

    #[test]
    fn names_lowered_secrets_dropped_contexts_kept() {
        let body = r#"{ "KeyId" : "alias/x", "Plaintext": "c2VjcmV0",
            "EncryptionContext": {"Department": "Eng", "Plaintext": "is data here"},
            "Tags": [ {"TagKey": "a\"b", "TagValue": "\u00e9"} ], "DryRun": false, "NumberOfBytes": 32 }"#;
        assert_eq!(
            members(body),
            json!({"keyId": "alias/x", "encryptionContext": {"Department": "Eng", "Plaintext": "is data here"},
                "tags": [{"tagKey": "a\"b", "tagValue": "é"}], "dryRun": false, "numberOfBytes": 32})
        );
    }

    #[test]
    fn nothing_left_is_null() {
        for body in ["", "not json", "[1]", "{}", r#"{"Plaintext":"AA=="}"#, r#"{"plaintext":"AA=="}"#] {
            assert_eq!(members(body), Value::Null, "{body}");
        }
    }

    #[test]
    fn every_secret_member_is_dropped_at_any_depth() {
        for secret in SECRET_MEMBERS {
            let body = format!(r#"{{"{secret}":"s3cr3t","Outer":{{"{secret}":"s3cr3t","Keep":1}}}}"#);
            let v = members(&body);
            assert!(!v.to_string().contains("s3cr3t"), "{secret}: {v}");
            assert_eq!(v["outer"]["keep"], 1, "{v}");
        }
    }

    #[test]
    fn the_last_of_equal_names_wins_and_escaped_names_are_read() {
        assert_eq!(members(r#"{"KeyId":"a","keyId":"b","Key\u0049d2":"c"}"#), json!({"keyId": "b", "keyId2": "c"}));
        let m = Members::parse(br#"{"KeyId":"first","KeyId":"1234\u0061"}"#);
        assert_eq!(m.string("KeyId").as_deref(), Some("1234a"));
        assert_eq!(m.string("TargetKeyId"), None);
    }

    #[test]
    fn deep_nesting_is_cut_off_not_followed() {
        // 100,000 levels in a 200 KB body (under the server's body limit).
        let depth = 100_000;
        let body = format!(r#"{{"A":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
        let v = members(&body);
        let mut level = &v["a"];
        for _ in 1..MAX_DEPTH {
            level = &level[0];
        }
        assert_eq!(level, &Value::Null, "{v}");
        assert_eq!(members(r#"{"A":[[1]]}"#), json!({"a": [[1]]}));
    }
}
