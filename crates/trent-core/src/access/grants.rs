//! Grants: the second way (beside the key policy) a principal may use a key.
//!
//! A grant names a key, a grantee principal, the operations it allows and
//! optional encryption-context constraints. Grants are stored as documents of
//! kind [`DOC_KIND`] scoped by key id, so the grants-per-key resource quota is
//! one atomic capped insert and deleting a key's grants needs no new table.
//!
//! In the process that made it, a grant works from the moment CreateGrant
//! returns; another process sharing the store sees it within its grant cache
//! time ([`crate::access::authorize::GRANT_CACHE_SECONDS`]), or at once when the request
//! presents the grant's token. Each token names its grant, RetireGrant accepts
//! one, and a malformed token in `GrantTokens` is InvalidGrantTokenException
//! as in AWS.

use crate::wire::validate::Validator;
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::encryption_context::EncryptionContext;
use crate::key::model::{KeySpec, KeyUsage};

/// Document kind of a grant (scope: key id, id: grant id).
pub const DOC_KIND: &str = "grant";

/// Every operation a grant may allow, as the API spells them.
pub const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
];

/// Operations a grant on any key may allow. They take no encryption context,
/// so an encryption-context constraint does not apply to them either.
pub const GENERAL_OPERATIONS: &[&str] = &["CreateGrant", "DescribeKey", "RetireGrant"];

/// The grant operations a key of this spec and usage supports (AWS "Grant operations").
pub fn operations_for(spec: KeySpec, usage: KeyUsage) -> &'static [&'static str] {
    match (spec, usage) {
        (KeySpec::SymmetricDefault, _) => &[
            "Decrypt",
            "Encrypt",
            "GenerateDataKey",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
            "GenerateDataKeyWithoutPlaintext",
            "ReEncryptFrom",
            "ReEncryptTo",
        ],
        (_, KeyUsage::GenerateVerifyMac) => &["GenerateMac", "VerifyMac"],
        (_, KeyUsage::EncryptDecrypt) => &["Decrypt", "Encrypt", "GetPublicKey", "ReEncryptFrom", "ReEncryptTo"],
        (_, KeyUsage::SignVerify) => &["GetPublicKey", "Sign", "Verify"],
        (_, KeyUsage::KeyAgreement) => &["DeriveSharedSecret", "GetPublicKey"],
        (_, KeyUsage::EncapsulateDecapsulate) => &["Decapsulate", "Encapsulate", "GetPublicKey"],
    }
}

/// Whether a grant on a key of this kind may list `op`.
pub fn operation_supported(spec: KeySpec, usage: KeyUsage, op: &str) -> bool {
    GENERAL_OPERATIONS.contains(&op) || operations_for(spec, usage).contains(&op)
}

/// The encryption-context constraints of a grant (the API's `GrantConstraints`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Constraints {
    /// The request's context must include these pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<EncryptionContext>,
    /// The request's context must be exactly these pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<EncryptionContext>,
    /// The request must be made on behalf of this AWS resource (`aws:SourceArn`).
    /// No request to Trent is, so such a grant allows only RetireGrant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
}

impl Constraints {
    /// Whether there is any constraint at all.
    pub fn is_empty(&self) -> bool {
        !self.has_context_constraint() && self.source_arn.is_none()
    }

    /// Whether there is an encryption-context constraint.
    pub fn has_context_constraint(&self) -> bool {
        self.encryption_context_subset.is_some() || self.encryption_context_equals.is_some()
    }

    /// Whether a request context satisfies the constraints. Keys compare
    /// case-insensitively, values case-sensitively (AWS's documented rule).
    pub fn allow(&self, ctx: Option<&EncryptionContext>) -> bool {
        let lowered: BTreeMap<String, &str> =
            ctx.into_iter().flatten().map(|(k, v)| (k.to_lowercase(), v.as_str())).collect();
        let contains = |want: &EncryptionContext| {
            want.iter().all(|(k, v)| lowered.get(&k.to_lowercase()).is_some_and(|got| *got == v.as_str()))
        };
        if let Some(eq) = &self.encryption_context_equals
            && (eq.len() != lowered.len() || !contains(eq))
        {
            return false;
        }
        if let Some(sub) = &self.encryption_context_subset
            && !contains(sub)
        {
            return false;
        }
        true
    }

    /// Whether `child` is at least as strict as `self`: every context a child
    /// grant allows is also allowed by this one. CreateGrant through a grant
    /// requires it.
    pub fn covers(&self, child: &Constraints) -> bool {
        if self.source_arn.is_some() && child.source_arn != self.source_arn {
            return false;
        }
        let lower =
            |c: &EncryptionContext| c.iter().map(|(k, v)| (k.to_lowercase(), v.clone())).collect::<BTreeMap<_, _>>();
        let includes = |big: &BTreeMap<String, String>, small: &BTreeMap<String, String>| {
            small.iter().all(|(k, v)| big.get(k) == Some(v))
        };
        if let Some(eq) = &self.encryption_context_equals {
            return child.encryption_context_equals.as_ref().is_some_and(|c| lower(c) == lower(eq));
        }
        if let Some(sub) = &self.encryption_context_subset {
            let sub = lower(sub);
            return match (&child.encryption_context_equals, &child.encryption_context_subset) {
                (Some(eq), _) => includes(&lower(eq), &sub),
                (None, Some(s)) => includes(&lower(s), &sub),
                (None, None) => false,
            };
        }
        true
    }

    /// The values of `kms:GrantConstraintType` for a CreateGrant request.
    pub fn types(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.encryption_context_equals.is_some() {
            v.push("EncryptionContextEquals".to_owned());
        }
        if self.encryption_context_subset.is_some() {
            v.push("EncryptionContextSubset".to_owned());
        }
        v
    }
}

/// One stored grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// 64 hex characters, as AWS's grant ids.
    pub grant_id: String,
    /// The key's id (UUID).
    pub key_id: String,
    /// The key's ARN, as ListGrants reports it.
    pub key_arn: String,
    /// The friendly name (idempotency token of CreateGrant).
    pub name: Option<String>,
    /// Epoch seconds.
    pub creation_date: f64,
    /// Who the grant is for.
    pub grantee_principal: Option<String>,
    /// Who may retire it.
    pub retiring_principal: Option<String>,
    /// Service principal grantee (stored and listed; never a Trent caller).
    pub grantee_service_principal: Option<String>,
    /// Service principal that may retire (stored and listed).
    pub retiring_service_principal: Option<String>,
    /// `arn:aws:iam::ACCOUNT:root` of the account that created the grant.
    pub issuing_account: String,
    /// The operations allowed, as given.
    pub operations: Vec<String>,
    /// Encryption-context constraints.
    pub constraints: Option<Constraints>,
}

impl Grant {
    /// Whether the grant lets `caller` perform `action` (an API grant
    /// operation name) with this encryption context.
    pub fn allows(&self, caller: &Caller, action: &str, ctx: Option<&EncryptionContext>) -> bool {
        if !self.grantee_principal.as_deref().is_some_and(|p| principal_matches(p, caller)) {
            return false;
        }
        if !self.operations.iter().any(|o| o == action) {
            return false;
        }
        let Some(c) = &self.constraints else { return true };
        // Trent's callers never act on behalf of an AWS resource, so a
        // SourceArn constraint is never met (it does not apply to RetireGrant).
        if c.source_arn.is_some() && action != "RetireGrant" {
            return false;
        }
        GENERAL_OPERATIONS.contains(&action) || c.allow(ctx)
    }

    /// Whether `caller` may retire the grant: its retiring principal, its
    /// grantee when the grant allows RetireGrant, or the account that issued it.
    pub fn may_retire(&self, caller: &Caller) -> bool {
        self.retiring_principal.as_deref().is_some_and(|p| principal_matches(p, caller))
            || (self.operations.iter().any(|o| o == "RetireGrant")
                && self.grantee_principal.as_deref().is_some_and(|p| principal_matches(p, caller)))
            || principal_matches(&self.issuing_account, caller)
    }

    /// Whether the grant's key lives in `region` (grants are listed and
    /// retired only within the caller's region).
    pub fn in_region(&self, region: &str) -> bool {
        matches!(crate::key::arn::KeyRef::parse(&self.key_arn), Some(crate::key::arn::KeyRef::KeyArn { region: r, .. }) if r == region)
    }

    /// Who the grant is for, as the "Grants for a given principal per key"
    /// quota (2020 profile) groups grants: the grantee principal as written
    /// (as ListGrants shows it), else the grantee service principal. The
    /// store keeps it beside the grant document (see
    /// [`crate::store::KeyStore::insert_doc_capped_in_group`]).
    pub fn grantee(&self) -> Option<&str> {
        self.grantee_principal.as_deref().or(self.grantee_service_principal.as_deref())
    }

    /// The document body.
    pub fn to_json(&self) -> KmsResult<String> {
        serde_json::to_string(self).map_err(KmsError::internal)
    }

    /// Reads a document body.
    pub fn from_json(body: &str) -> KmsResult<Grant> {
        serde_json::from_str(body).map_err(|e| KmsError::internal(format!("stored grant: {e}")))
    }
}

/// Whether a principal named in a grant is the caller, by the rules key
/// policies use (an account stands for all its principals; a role matches
/// its assumed-role sessions).
pub fn principal_matches(principal: &str, caller: &Caller) -> bool {
    crate::access::policy::parse_aws_principal(principal)
        .is_some_and(|p| p.matches(&caller.principal_arn, &caller.account_id))
}

const TOKEN_MAGIC: &[u8; 4] = b"TGT1";

/// A grant token for `grant`: unique per call (a random nonce), naming the
/// key and the grant so RetireGrant can find it.
pub fn token_for(grant: &Grant) -> KmsResult<String> {
    let nonce = crate::key::crypto::random_bytes(16)?;
    let mut raw = Vec::with_capacity(4 + 16 + 36 + 1 + 64);
    raw.extend_from_slice(TOKEN_MAGIC);
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(grant.key_id.as_bytes());
    raw.push(b'/');
    raw.extend_from_slice(grant.grant_id.as_bytes());
    Ok(URL_SAFE_NO_PAD.encode(raw))
}

/// The (key id, grant id) a token names, or None if it is not a Trent grant token.
pub fn parse_token(token: &str) -> Option<(String, String)> {
    let raw = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
    let rest = raw.strip_prefix(TOKEN_MAGIC)?.get(16..)?;
    let text = std::str::from_utf8(rest).ok()?;
    let (key_id, grant_id) = text.split_once('/')?;
    (!key_id.is_empty() && is_grant_id(grant_id)).then(|| (key_id.to_owned(), grant_id.to_owned()))
}

/// Checks every token of a `GrantTokens` member.
pub fn check_tokens(tokens: Option<&[String]>) -> KmsResult<()> {
    for t in tokens.unwrap_or_default() {
        if parse_token(t).is_none() {
            return Err(KmsError::new(ErrorKind::InvalidGrantToken, "Grant token is invalid"));
        }
    }
    Ok(())
}

/// A new grant id: 64 hex characters.
pub fn new_grant_id() -> KmsResult<String> {
    Ok(hex::encode(crate::key::crypto::random_bytes(32)?))
}

/// Whether `s` has the shape of a grant id.
pub fn is_grant_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// InvalidGrantIdException unless `id` has the form of a grant id.
pub fn require_grant_id(id: &str) -> KmsResult<()> {
    if is_grant_id(id) {
        Ok(())
    } else {
        Err(KmsError::new(ErrorKind::InvalidGrantId, format!("Invalid grant ID: {id}")))
    }
}

/// AWS's NotFoundException for a grant that is not there.
pub fn not_found(grant_id: &str) -> KmsError {
    KmsError::new(ErrorKind::NotFound, format!("Grant ID {grant_id} not found"))
}

/// The model constraints of a `PrincipalIdType` member.
pub fn check_principal(v: &mut Validator, path: &str, p: Option<&str>) {
    v.str_len(path, p, 1, 256).pattern(path, p, "^[\\w+=,.@:/-]+$", |s| {
        s.chars().all(|c| c.is_alphanumeric() || c == '_' || "+=,.@:/-".contains(c))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn grant(ops: &[&str], constraints: Option<Constraints>) -> Grant {
        Grant {
            grant_id: "a".repeat(64),
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            key_arn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            name: None,
            creation_date: 0.0,
            grantee_principal: Some("arn:aws:iam::444455556666:user/bob".into()),
            retiring_principal: Some("arn:aws:iam::111122223333:role/cleaner".into()),
            grantee_service_principal: None,
            retiring_service_principal: None,
            issuing_account: "arn:aws:iam::111122223333:root".into(),
            operations: ops.iter().map(|s| s.to_string()).collect(),
            constraints,
        }
    }

    fn caller(account: &str, arn: &str) -> Caller {
        Caller {
            account_id: account.into(),
            region: "us-east-1".into(),
            principal_arn: arn.into(),
            access_key_id: String::new(),
        }
    }

    #[test]
    fn grantee_is_the_principal_or_else_the_service_principal() {
        let mut g = grant(&["Encrypt"], None);
        assert_eq!(g.grantee(), Some("arn:aws:iam::444455556666:user/bob"));
        g.grantee_principal = None;
        assert_eq!(g.grantee(), None);
        g.grantee_service_principal = Some("dynamodb.amazonaws.com".into());
        assert_eq!(g.grantee(), Some("dynamodb.amazonaws.com"));
    }

    #[test]
    fn grantee_and_operation_must_match() {
        let g = grant(&["Encrypt"], None);
        let bob = caller("444455556666", "arn:aws:iam::444455556666:user/bob");
        let eve = caller("444455556666", "arn:aws:iam::444455556666:user/eve");
        assert!(g.allows(&bob, "Encrypt", None));
        assert!(!g.allows(&bob, "Decrypt", None));
        assert!(!g.allows(&eve, "Encrypt", None));
    }

    #[test]
    fn constraints_compare_keys_case_insensitively_and_values_exactly() {
        let sub = Constraints { encryption_context_subset: Some(ctx(&[("Dept", "IT")])), ..Default::default() };
        assert!(sub.allow(Some(&ctx(&[("dept", "IT"), ("x", "y")]))));
        assert!(!sub.allow(Some(&ctx(&[("dept", "it")]))));
        assert!(!sub.allow(None));
        let eq = Constraints { encryption_context_equals: Some(ctx(&[("a", "1")])), ..Default::default() };
        assert!(eq.allow(Some(&ctx(&[("A", "1")]))));
        assert!(!eq.allow(Some(&ctx(&[("a", "1"), ("b", "2")]))));
        assert!(!eq.allow(None));
    }

    #[test]
    fn constraints_do_not_apply_to_describe_key() {
        let c = Constraints { encryption_context_equals: Some(ctx(&[("a", "1")])), ..Default::default() };
        let g = grant(&["Decrypt", "DescribeKey"], Some(c));
        let bob = caller("444455556666", "arn:aws:iam::444455556666:user/bob");
        assert!(g.allows(&bob, "DescribeKey", None));
        assert!(!g.allows(&bob, "Decrypt", None));
        assert!(g.allows(&bob, "Decrypt", Some(&ctx(&[("a", "1")]))));
    }

    #[test]
    fn child_constraints_must_be_at_least_as_strict() {
        let sub = Constraints { encryption_context_subset: Some(ctx(&[("a", "1")])), ..Default::default() };
        let stricter =
            Constraints { encryption_context_subset: Some(ctx(&[("a", "1"), ("b", "2")])), ..Default::default() };
        let eq = Constraints { encryption_context_equals: Some(ctx(&[("A", "1")])), ..Default::default() };
        assert!(sub.covers(&stricter));
        assert!(sub.covers(&eq));
        assert!(!sub.covers(&Constraints::default()));
        assert!(!stricter.covers(&sub));
        assert!(eq.covers(&Constraints { encryption_context_equals: Some(ctx(&[("a", "1")])), ..Default::default() }));
        assert!(!eq.covers(&stricter));
        assert!(Constraints::default().covers(&Constraints::default()));
    }

    #[test]
    fn retiring_rules() {
        let g = grant(&["Encrypt"], None);
        assert!(g.may_retire(&caller("111122223333", "arn:aws:sts::111122223333:assumed-role/cleaner/s1")));
        assert!(g.may_retire(&caller("111122223333", "arn:aws:iam::111122223333:user/admin")));
        assert!(!g.may_retire(&caller("444455556666", "arn:aws:iam::444455556666:user/bob")));
        let g = grant(&["Encrypt", "RetireGrant"], None);
        assert!(g.may_retire(&caller("444455556666", "arn:aws:iam::444455556666:user/bob")));
    }

    #[test]
    fn tokens_round_trip_and_differ() {
        let g = grant(&["Encrypt"], None);
        let a = token_for(&g).expect("token");
        let b = token_for(&g).expect("token");
        assert_ne!(a, b);
        assert_eq!(parse_token(&a), Some((g.key_id.clone(), g.grant_id.clone())));
        assert_eq!(parse_token("not-a-token"), None);
        assert_eq!(parse_token(""), None);
        assert!(check_tokens(Some(&[a])).is_ok());
        let err = check_tokens(Some(&["bogus".to_owned()])).expect_err("bad token");
        assert_eq!(err.kind, ErrorKind::InvalidGrantToken);
    }

    #[test]
    fn operations_follow_key_type() {
        assert!(operation_supported(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, "GenerateDataKey"));
        assert!(!operation_supported(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, "Sign"));
        assert!(operation_supported(KeySpec::Rsa2048, KeyUsage::SignVerify, "Sign"));
        assert!(!operation_supported(KeySpec::Rsa2048, KeyUsage::SignVerify, "GenerateDataKey"));
        assert!(operation_supported(KeySpec::Hmac256, KeyUsage::GenerateVerifyMac, "DescribeKey"));
    }

    #[test]
    fn a_source_arn_constraint_is_never_met_except_for_retiring() {
        let c = Constraints { source_arn: Some("arn:aws:s3:::bucket".into()), ..Default::default() };
        let g = grant(&["Decrypt", "DescribeKey", "RetireGrant"], Some(c.clone()));
        let bob = caller("444455556666", "arn:aws:iam::444455556666:user/bob");
        assert!(!g.allows(&bob, "Decrypt", None));
        assert!(!g.allows(&bob, "DescribeKey", None));
        assert!(g.allows(&bob, "RetireGrant", None));
        assert!(!c.covers(&Constraints::default()));
        assert!(c.covers(&c));
        assert!(!c.is_empty() && !c.has_context_constraint());
    }

    #[test]
    fn in_region_reads_the_key_arn() {
        let g = grant(&["Encrypt"], None);
        assert!(g.in_region("us-east-1"));
        assert!(!g.in_region("us-east-2"));
        assert!(!g.in_region("111122223333"));
    }
}
