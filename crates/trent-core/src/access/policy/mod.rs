//! The key policy engine: parses and validates a KMS key policy document, and
//! decides whether a request is allowed by it.
//!
//! The engine is pure: it knows nothing of keys, stores or operations. The
//! caller parses a policy once ([`KeyPolicy::parse`]), then for each request
//! builds an [`AuthzRequest`] with the condition keys the operation supports
//! ([`ConditionContext`]) and gets a [`Decision`].
//!
//! It follows AWS IAM's policy language and evaluation logic (any matching
//! Deny wins, then any matching Allow, else not allowed), with these rules
//! worth knowing:
//!
//! - **Accounts stand for all their principals.** Trent has no IAM, so there
//!   are no identity policies for a key policy to delegate to. A statement
//!   naming an account (`"111122223333"` or `arn:aws:iam::111122223333:root`)
//!   therefore matches *every* principal of that account, as if each had an
//!   IAM policy allowing everything. The AWS default key policy thus lets the
//!   whole account use the key and nobody else.
//! - **Roles cover their sessions.** `arn:aws:iam::A:role/[path/]R` matches the
//!   role itself and `arn:aws:sts::A:assumed-role/R/<any session>`. Other ARNs
//!   match exactly and case-sensitively. `Service` and `Federated` principals
//!   are valid but never match a Trent caller. Wildcards inside principal ARNs
//!   are rejected, as KMS does. `NotPrincipal` applies to every principal the
//!   same principals would not match.
//! - **Actions** are `*` or `service:pattern`, matched case-insensitively with
//!   `*` / `?` wildcards; another service's actions are valid but never match.
//!   **Resources** are `*` or ARN patterns, matched case-sensitively, a
//!   wildcard staying within one colon-separated segment unless it is a `*`
//!   ending one.
//! - **Conditions.** All operators AND, all keys under an operator AND, the
//!   values of one key OR. Key names are case-insensitive; values are compared
//!   as strings (JSON booleans and numbers by their string form). A key absent
//!   from the request, or present with no values, makes a positive operator
//!   false and a negated one (`StringNotEquals`, `ArnNotLike`, …) true; with
//!   `IfExists` the condition is true. `Null: {"k": "true"}` holds iff `k` is
//!   absent. `ForAnyValue:` holds iff some request value satisfies the
//!   operator (false when the key is absent); `ForAllValues:` iff every
//!   request value does (true when absent). A negated operator is satisfied by
//!   a request value that matches *none* of the policy values. Without a set
//!   qualifier a multi-valued key is treated as "any value matches" for
//!   positive operators, and a negated operator is that test's exact inverse
//!   (no request value matches). Besides the String, Numeric, Bool, Arn and
//!   Null families, the Date, IpAddress and BinaryEquals operators are
//!   understood, so valid AWS policies using them are not rejected. Policy
//!   variables (`${aws:username}`) are not substituted: they are literal text.
//!
//! Parsing never panics, whatever the input; every error is a
//! `MalformedPolicyDocumentException` with an AWS-like message.

mod action;
pub mod checks;
mod condition;
mod context;
pub mod default_policy;
mod document;
mod evaluate;
mod glob;
mod json;
mod operator;
mod principal;
mod resource;
mod scalar;

#[cfg(test)]
mod tests;

pub use context::ConditionContext;
pub use document::KeyPolicy;
pub use evaluate::{AuthzRequest, Decision};
pub use principal::{Principal, parse_aws as parse_aws_principal};
