//! Authorization: whether a caller may perform an action on a key, decided
//! the way AWS KMS decides it for a key policy and grants (Trent has no IAM).
//!
//! Order: a malformed grant token fails first (InvalidGrantTokenException);
//! then an explicit Deny in the key policy refuses, whatever grants say; then
//! an Allow in the key policy admits; then a grant whose grantee is the caller
//! and whose operations and constraints fit the request admits. Anything
//! else is AccessDeniedException in AWS's wording, naming the principal, the
//! action and the key. Every check runs before the operation changes anything.
//!
//! Because there is no IAM, a policy statement (or grant) naming an account
//! (`111122223333` or `arn:aws:iam::111122223333:root`) admits every principal
//! of that account: in AWS the account's IAM policies would decide, and Trent
//! treats them as allowing. Actions that AWS authorizes with IAM policies only
//! (ListAliases, ListKeys, CreateKey, ...) are therefore always allowed to an
//! authenticated principal of the key's own account.

use crate::access::caller::Caller;
use crate::access::grants::{self, Constraints, Grant};
use crate::access::policy::{AuthzRequest, ConditionContext, Decision, KeyPolicy};
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::cache::LoadedKey;
use crate::key::encryption_context::EncryptionContext;
use crate::key::model::KeyRecord;
use crate::wire::aws_enum::AwsEnum;

/// How long a process trusts its cached copy of a key's grants, seconds.
pub const GRANT_CACHE_SECONDS: f64 = 5.0;

/// What a request asks to do with a key: the permission (a key policy action
/// without the `kms:` prefix) and the request facts condition keys and grant
/// constraints look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Access<'a> {
    /// The permission, e.g. `Encrypt`, `ReEncryptFrom`, `PutKeyPolicy`.
    pub action: &'static str,
    /// The request's encryption context, for `kms:EncryptionContext:*` and grant constraints.
    pub encryption_context: Option<&'a EncryptionContext>,
    /// The request's `GrantTokens`.
    pub grant_tokens: Option<&'a [String]>,
    /// An algorithm condition key and its value, e.g. (`kms:EncryptionAlgorithm`, `SYMMETRIC_DEFAULT`).
    pub algorithm: Option<(&'static str, &'a str)>,
    /// The grant a CreateGrant request would create.
    pub new_grant: Option<&'a NewGrant<'a>>,
    /// The permission is granted by IAM policies only: the key policy is not consulted.
    pub iam_only: bool,
    /// The region a multi-Region request names: (`kms:ReplicaRegion`, ReplicateKey's
    /// `ReplicaRegion`) or (`kms:PrimaryRegion`, UpdatePrimaryRegion's `PrimaryRegion`).
    pub region: Option<(&'static str, &'a str)>,
}

/// The facts of a CreateGrant request that conditions and the
/// "a grant may only pass on what it has" rule need.
#[derive(Debug, Clone, Copy)]
pub struct NewGrant<'a> {
    /// Requested operations.
    pub operations: &'a [String],
    /// Requested grantee principal.
    pub grantee: Option<&'a str>,
    /// Requested retiring principal.
    pub retiring: Option<&'a str>,
    /// Requested constraints.
    pub constraints: &'a Constraints,
}

impl<'a> Access<'a> {
    /// The permission `action` with no further request facts.
    pub fn new(action: &'static str) -> Self {
        Self { action, ..Self::default() }
    }

    /// A permission AWS grants through IAM policies only.
    pub fn iam_only(action: &'static str) -> Self {
        Self { action, iam_only: true, ..Self::default() }
    }

    /// Adds the request's encryption context.
    pub fn context(mut self, ctx: Option<&'a EncryptionContext>) -> Self {
        self.encryption_context = ctx;
        self
    }

    /// Adds the request's grant tokens.
    pub fn tokens(mut self, tokens: Option<&'a [String]>) -> Self {
        self.grant_tokens = tokens;
        self
    }

    /// Adds the region condition key of a multi-Region request.
    pub fn region(mut self, key: &'static str, region: &'a str) -> Self {
        self.region = Some((key, region));
        self
    }

    /// Adds an algorithm condition key (only when the request names one).
    pub fn algorithm(mut self, key: &'static str, value: Option<&'a str>) -> Self {
        self.algorithm = value.map(|v| (key, v));
        self
    }
}

/// Whether AWS lets a principal of another account perform `action` on a key
/// (by key ARN or alias ARN). Management actions stay within the key's account.
pub fn cross_account_action(action: &str) -> bool {
    matches!(
        action,
        "CreateGrant"
            | "Decrypt"
            | "DescribeKey"
            | "DeriveSharedSecret"
            | "Decapsulate"
            | "Encapsulate"
            | "Encrypt"
            | "GenerateDataKey"
            | "GenerateDataKeyPair"
            | "GenerateDataKeyPairWithoutPlaintext"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateMac"
            | "GetKeyRotationStatus"
            | "GetPublicKey"
            | "ListGrants"
            | "ReEncryptFrom"
            | "ReEncryptTo"
            | "RetireGrant"
            | "RevokeGrant"
            | "Sign"
            | "Verify"
            | "VerifyMac"
    )
}

/// `kms:ACTION` in `buf` when it fits (no allocation on the request path), else allocated.
fn kms_action<'b>(buf: &'b mut [u8; 64], action: &str) -> std::borrow::Cow<'b, str> {
    let n = 4 + action.len();
    if n <= buf.len() {
        buf[..4].copy_from_slice(b"kms:");
        buf[4..n].copy_from_slice(action.as_bytes());
        if let Ok(s) = std::str::from_utf8(&buf[..n]) {
            return std::borrow::Cow::Borrowed(s);
        }
    }
    std::borrow::Cow::Owned(format!("kms:{action}"))
}

/// What `policy` says of `access` by `caller` on the key `record` (ARN `arn`):
/// the key policy half of [`Kms::authorize`], also the policy lockout check.
/// The condition context is built only when the policy has conditions.
pub fn policy_decision(
    policy: &KeyPolicy,
    caller: &Caller,
    record: &KeyRecord,
    arn: &str,
    access: &Access<'_>,
    request_alias: Option<&str>,
) -> Decision {
    let ctx = if policy.uses_conditions() {
        condition_context(caller, record, access, request_alias)
    } else {
        ConditionContext::new()
    };
    let mut buf = [0u8; 64];
    policy.evaluate(&AuthzRequest {
        principal_arn: &caller.principal_arn,
        principal_account: &caller.account_id,
        action: &kms_action(&mut buf, access.action),
        resource_arn: arn,
        context: &ctx,
    })
}

/// AWS's AccessDeniedException for a key policy that denies or does not allow.
pub fn access_denied(caller: &Caller, action: &str, key_arn: &str, explicit: bool) -> KmsError {
    let why = if explicit {
        "with an explicit deny in a resource-based policy".to_owned()
    } else {
        format!("because no resource-based policy allows the kms:{action} action")
    };
    KmsError::new(
        ErrorKind::AccessDenied,
        format!(
            "User: {} is not authorized to perform: kms:{action} on resource: {key_arn} {why}",
            caller.principal_arn
        ),
    )
}

/// The condition keys of one request on one key.
fn condition_context(
    caller: &Caller,
    key: &KeyRecord,
    access: &Access<'_>,
    request_alias: Option<&str>,
) -> ConditionContext {
    let mut ctx = ConditionContext::new();
    ctx.set("kms:CallerAccount", caller.account_id.as_str())
        .set("aws:PrincipalArn", caller.principal_arn.as_str())
        .set("aws:PrincipalAccount", caller.account_id.as_str())
        .set("kms:KeySpec", key.key_spec.as_str())
        .set("kms:KeyUsage", key.key_usage.as_str())
        .set("kms:KeyOrigin", key.origin.as_str());
    if let Some(ec) = access.encryption_context {
        ctx.set_encryption_context(ec.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    if let Some(alias) = request_alias {
        ctx.set("kms:RequestAlias", alias);
    }
    if let Some((k, v)) = access.algorithm {
        ctx.set(k, v);
    }
    ctx.set("kms:MultiRegion", if key.multi_region { "true" } else { "false" });
    if let Some(conf) = crate::key::multi_region::configuration(key) {
        ctx.set("kms:MultiRegionKeyType", conf.multi_region_key_type);
    }
    if let Some((k, v)) = access.region {
        ctx.set(k, v);
    }
    if matches!(access.action, "CreateGrant" | "ListGrants" | "RevokeGrant") {
        ctx.set("kms:GrantIsForAWSResource", "false");
    }
    if let Some(g) = access.new_grant {
        ctx.set_many("kms:GrantOperations", g.operations.to_vec());
        if let Some(p) = g.grantee {
            ctx.set("kms:GranteePrincipal", p);
        }
        if let Some(p) = g.retiring {
            ctx.set("kms:RetiringPrincipal", p);
        }
        let types = g.constraints.types();
        if !types.is_empty() {
            ctx.set_many("kms:GrantConstraintType", types);
        }
    }
    ctx
}

/// What the key policy alone says of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOutcome {
    /// Allowed (by the key policy, or an IAM-only action of the key's own account).
    Allowed,
    /// Refused: by an explicit Deny (`explicit`), or by no Allow for an
    /// action no grant can give.
    Denied {
        /// Whether an explicit Deny refused it (AWS words the two differently).
        explicit: bool,
    },
    /// Not allowed by the policy: the key's grants decide.
    AskGrants,
}

/// The key policy half of authorization: a malformed grant token fails first,
/// then IAM-only actions pass for the key's own account, then the policy decides
/// unless it has nothing to say (then the key's grants do, see [`grants_allow`]).
pub fn policy_outcome(
    caller: &Caller,
    key: &LoadedKey,
    access: &Access<'_>,
    request_alias: Option<&str>,
) -> KmsResult<PolicyOutcome> {
    grants::check_tokens(access.grant_tokens)?;
    if access.iam_only && key.record.account_id == caller.account_id {
        return Ok(PolicyOutcome::Allowed);
    }
    let decision = match &key.policy {
        Some(policy) => policy_decision(policy, caller, &key.record, key.arn_str(), access, request_alias),
        None => Decision::NotAllowed,
    };
    Ok(match decision {
        Decision::Allow => PolicyOutcome::Allowed,
        Decision::ExplicitDeny => PolicyOutcome::Denied { explicit: true },
        Decision::NotAllowed if grants::GRANT_OPERATIONS.contains(&access.action) => PolicyOutcome::AskGrants,
        Decision::NotAllowed => PolicyOutcome::Denied { explicit: false },
    })
}

/// Whether a request presents a grant token for a grant of `key_id` that is
/// not among `grants`: a grant newer than what this process read (another node
/// made it), which the token makes count at once.
pub fn token_names_unknown_grant(grants: &[Grant], key_id: &str, access: &Access<'_>) -> bool {
    access
        .grant_tokens
        .unwrap_or_default()
        .iter()
        .filter_map(|t| grants::parse_token(t))
        .any(|(k, g)| k == key_id && !grants.iter().any(|x| x.grant_id == g))
}

/// Whether one of `grants` allows the request. A grant passes on (CreateGrant)
/// only what it has, under constraints at least as strict.
pub fn grants_allow(grants: &[Grant], caller: &Caller, access: &Access<'_>) -> bool {
    grants.iter().any(|grant| {
        if !grant.allows(caller, access.action, access.encryption_context) {
            return false;
        }
        match access.new_grant {
            Some(new) => {
                let subset = new.operations.iter().all(|op| grant.operations.contains(op));
                subset && grant.constraints.as_ref().is_none_or(|c| c.covers(new.constraints))
            }
            None => true,
        }
    })
}

/// The policy lockout safety check: the new policy must let the caller call
/// PutKeyPolicy on the key afterwards, or nobody could ever change it again.
pub fn check_lockout(policy: &KeyPolicy, caller: &Caller, key: &KeyRecord) -> KmsResult<()> {
    if policy_decision(policy, caller, key, &key.arn(), &Access::new("PutKeyPolicy"), None) == Decision::Allow {
        Ok(())
    } else {
        Err(KmsError::new(
            ErrorKind::MalformedPolicyDocument,
            "The new key policy will not allow you to update the key policy in the future.",
        ))
    }
}
