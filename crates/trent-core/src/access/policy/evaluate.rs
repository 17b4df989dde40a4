//! Evaluating one request against a key policy.

use super::context::ConditionContext;
use super::document::{Effect, KeyPolicy, Statement};

/// What one request asks for: who, which `kms:` action, on which key, with
/// which condition key values. The caller builds one per authorization check.
#[derive(Debug, Clone, Copy)]
pub struct AuthzRequest<'a> {
    /// The caller's ARN, e.g. `arn:aws:iam::111122223333:user/alice`,
    /// `arn:aws:sts::111122223333:assumed-role/r/session` or
    /// `arn:aws:iam::111122223333:root`.
    pub principal_arn: &'a str,
    /// The caller's 12-digit account.
    pub principal_account: &'a str,
    /// `kms:<Operation>`, e.g. `kms:Encrypt`, `kms:ReEncryptFrom`.
    pub action: &'a str,
    /// The key ARN, `arn:aws:kms:<region>:<account>:key/<uuid>`.
    pub resource_arn: &'a str,
    /// The condition key values of the request.
    pub context: &'a ConditionContext,
}

/// The key policy's verdict on one request.
///
/// `ExplicitDeny` and `NotAllowed` are kept apart because AWS words its
/// AccessDenied message differently for the two, and because grants can turn
/// a `NotAllowed` into an allow but never override an explicit deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An Allow statement matched and no Deny statement did.
    Allow,
    /// A Deny statement matched (whatever the Allow statements say).
    ExplicitDeny,
    /// No statement matched: the policy does not allow the request.
    NotAllowed,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl KeyPolicy {
    /// Evaluates one request: any matching Deny statement gives
    /// [`Decision::ExplicitDeny`]; otherwise any matching Allow statement gives
    /// [`Decision::Allow`]; otherwise [`Decision::NotAllowed`].
    pub fn evaluate(&self, req: &AuthzRequest<'_>) -> Decision {
        let mut allowed = false;
        for statement in &self.statements {
            if statement.applies_to(req) {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed { Decision::Allow } else { Decision::NotAllowed }
    }

    /// Whether any statement has a condition. A policy without conditions
    /// decides on principal, action and resource alone, so callers on hot
    /// paths may skip building the request's condition context.
    pub fn uses_conditions(&self) -> bool {
        self.statements.iter().any(|s| !s.conditions.is_empty())
    }
}

impl Statement {
    /// Whether the statement covers the request's principal, action and
    /// resource, and all its conditions hold.
    fn applies_to(&self, req: &AuthzRequest<'_>) -> bool {
        self.principals.covers(|p| p.matches(req.principal_arn, req.principal_account))
            && self.actions.covers(|a| a.matches(req.action))
            && self.resources.covers(|r| r.matches(req.resource_arn))
            && self.conditions.holds(req.context)
    }
}
