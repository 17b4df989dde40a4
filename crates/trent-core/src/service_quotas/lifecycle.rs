//! What happens to a quota increase request after it is made: the server's
//! periodic pass moves it along under the [`ApprovalPolicy`], and the
//! operator decides it (`trent quotas approve|deny|close`, through the
//! server's loopback-only admin routes).
//!
//! ```text
//! PENDING ──pass──▶ CASE_OPENED ──┬─ pass (after: delay over; instant) / operator approve ─▶ APPROVED
//!                                 ├─ operator deny ─────────────────────────────────────▶ DENIED
//!                                 └─ operator close ────────────────────────────────────▶ CASE_CLOSED
//! ```
//!
//! Under the instant policy a request is made `APPROVED` directly. An operator
//! decision on a `PENDING` request opens its case first, so every decided
//! request went through `CASE_OPENED` and carries a `CaseId`, as on AWS.
//! Every move is a compare-and-swap in the store ([`history::change_status`]),
//! durable before it is reported; the value of an approval is applied to the
//! engine only after the approval is stored.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{KmsError, KmsResult};
use crate::kms::wall_clock::WallClock;
use crate::quota::QuotaEngine;
use crate::store::{KeyStore, StoreChange};
use crate::wire::aws_enum::AwsEnum;

use super::history::{self, Approved, RequestStatus, StoredRequest};
use super::messages::RequestedServiceQuotaChange;
use super::policy::ApprovalPolicy;

/// How many times an operator decision re-reads a request that another
/// writer changed under it before giving up.
const DECIDE_ATTEMPTS: usize = 5;

/// What one maintenance pass did; for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Advanced {
    /// Requests moved from `PENDING` to `CASE_OPENED`.
    pub opened: usize,
    /// Requests moved from `CASE_OPENED` to `APPROVED` by the policy.
    pub approved: usize,
    /// Approved values found in the store above what the engine enforced
    /// (approved by another process sharing the store), now applied.
    pub applied: usize,
}

/// The operator's decision on an open request. Exists so the admin route
/// and the CLI name the three outcomes AWS has for a support case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// `APPROVED`: the desired value applies from now on.
    Approve,
    /// `DENIED`: the value never applies.
    Deny,
    /// `CASE_CLOSED`: the case is closed without a decision (withdrawn); the value never applies.
    Close,
}

impl Decision {
    /// The status the request ends in.
    pub fn status(self) -> RequestStatus {
        match self {
            Decision::Approve => RequestStatus::Approved,
            Decision::Deny => RequestStatus::Denied,
            Decision::Close => RequestStatus::CaseClosed,
        }
    }

    /// The verb in messages and admin paths (`approve`, `deny`, `close`).
    pub fn verb(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
            Decision::Close => "close",
        }
    }

    /// The decision an admin path names.
    pub fn from_verb(verb: &str) -> Option<Decision> {
        [Decision::Approve, Decision::Deny, Decision::Close].into_iter().find(|d| d.verb() == verb)
    }
}

/// A request as the operator sees it: any account and region. The wire
/// shape of the admin routes (PascalCase, the AWS members plus `AccountId`
/// and `Region`), shared with the `trent quotas` client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OperatorRequest {
    /// The requesting account.
    pub account_id: String,
    /// The region the request was made in.
    pub region: String,
    /// The request as Service Quotas reports it.
    #[serde(flatten)]
    pub request: RequestedServiceQuotaChange,
}

impl From<StoredRequest> for OperatorRequest {
    fn from(s: StoredRequest) -> Self {
        OperatorRequest { account_id: s.account_id, region: s.region, request: s.change }
    }
}

/// Why an operator action did nothing. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// No request has this id (in any account or region).
    #[error("no quota increase request has id {0} (see `trent quotas list`)")]
    NotFound(String),
    /// The request was decided already; decisions are final.
    #[error("request {id} is already {status}; only PENDING or CASE_OPENED requests can be decided")]
    AlreadyDecided {
        /// The request id.
        id: String,
        /// Its final status.
        status: String,
    },
    /// The status filter is not a Service Quotas status.
    #[error(
        "unknown status {0:?}: use PENDING, CASE_OPENED, APPROVED, DENIED, CASE_CLOSED, NOT_APPROVED or INVALID_REQUEST"
    )]
    BadStatus(String),
    /// Other writers kept changing the request; nothing was decided.
    #[error("request {0} kept changing while being decided; try again")]
    Busy(String),
    /// The store failed; nothing was decided.
    #[error("{0}")]
    Store(#[from] KmsError),
}

/// A new support case id: ten digits, like AWS Support's.
fn new_case_id() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 9_000_000_000;
    (1_000_000_000 + n).to_string()
}

/// Moves requests along their life cycle: the maintenance pass and the
/// operator's decisions. Exists apart from the API handlers because neither
/// runs on behalf of an AWS caller: one is the server's clock, the other its
/// operator. [`super::ServiceQuotas`] holds one and exposes its methods.
pub struct Lifecycle {
    engine: Arc<QuotaEngine>,
    store: Arc<dyn KeyStore>,
    clock: Arc<dyn WallClock>,
    approval: ApprovalPolicy,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle").field("approval", &self.approval).finish_non_exhaustive()
    }
}

impl Lifecycle {
    /// Requests in `store`, approvals applied to `engine`, time from `clock`.
    pub(crate) fn new(
        engine: Arc<QuotaEngine>,
        store: Arc<dyn KeyStore>,
        clock: Arc<dyn WallClock>,
        approval: ApprovalPolicy,
    ) -> Self {
        Self { engine, store, clock, approval }
    }

    /// The policy deciding requests.
    pub fn approval(&self) -> ApprovalPolicy {
        self.approval
    }

    /// Whether the policy approves an open case now.
    fn approves_now(&self, request: &RequestedServiceQuotaChange, now: f64) -> bool {
        match self.approval {
            ApprovalPolicy::Instant => true,
            ApprovalPolicy::After(delay) => now >= request.created + delay.as_secs_f64(),
            ApprovalPolicy::Manual => false,
        }
    }

    /// Moves `current` to `to`; on success applies an approval to the engine.
    /// `Ok(None)`: another writer moved it first.
    async fn move_to(&self, current: &StoredRequest, to: RequestStatus, now: f64) -> KmsResult<Option<StoredRequest>> {
        let case_id = (to == RequestStatus::CaseOpened).then(new_case_id);
        let Some(next) = history::change_status(&self.store, current, to, now, case_id).await? else {
            return Ok(None);
        };
        tracing::info!(
            request = %next.change.id,
            account = %next.account_id,
            region = %next.region,
            quota = %next.change.quota_code,
            value = next.change.desired_value,
            status = %next.change.status,
            "quota increase request changed"
        );
        if let Some(a) = Approved::of(&next) {
            self.engine.apply_increase(&a.account_id, &a.region, a.quota, a.value).await;
        }
        Ok(Some(next))
    }

    /// One maintenance pass (the server runs it every
    /// `maintenance_interval_seconds`): opens a case for every `PENDING`
    /// request, approves open cases the policy approves (`after`: once the
    /// delay since the request is over; `instant`: at once, for requests left
    /// open by an earlier policy; `manual`: never), and applies approved
    /// values found in the store that the engine does not enforce yet (made by
    /// another process sharing the store).
    pub async fn advance(&self) -> KmsResult<Advanced> {
        let now = self.clock.now();
        let mut done = Advanced::default();
        for mut request in history::all(&self.store).await? {
            if request.status() == Some(RequestStatus::Pending) {
                match self.move_to(&request, RequestStatus::CaseOpened, now).await? {
                    Some(next) => {
                        done.opened += 1;
                        request = next;
                    }
                    // Another writer moved it; the next pass sees where to.
                    None => continue,
                }
            }
            match request.status() {
                Some(RequestStatus::CaseOpened) if self.approves_now(&request.change, now) => {
                    // Not counted when another writer decided it first.
                    let moved = self.move_to(&request, RequestStatus::Approved, now).await?;
                    done.approved += usize::from(moved.is_some());
                }
                Some(RequestStatus::Approved) => {
                    if let Some(a) = Approved::of(&request)
                        && self.engine.applied_value(&a.account_id, &a.region, a.quota) < a.value
                    {
                        self.engine.apply_increase(&a.account_id, &a.region, a.quota, a.value).await;
                        done.applied += 1;
                    }
                }
                _ => {}
            }
        }
        if done != Advanced::default() {
            tracing::debug!(?done, policy = self.approval.name(), "quota increase requests advanced");
        }
        Ok(done)
    }

    /// Applies at once the approved values of requests another node stored,
    /// when the store reports a change to them (`change`); for
    /// [`StoreChange::Everything`], every scope. Other changes do nothing.
    /// Exists so an increase approved through one node holds on every node
    /// within the change-report delay, not the next maintenance pass.
    /// Returns how many values were raised.
    pub async fn follow_change(&self, change: &StoreChange) -> KmsResult<usize> {
        let scope = match change {
            StoreChange::Doc { kind, scope, .. } if kind == history::DOC_KIND || kind == history::STATUS_KIND => {
                Some(scope.as_str())
            }
            StoreChange::Everything => None,
            _ => return Ok(0),
        };
        let mut applied = 0;
        for request in history::in_scope(&self.store, scope).await? {
            if let Some(a) = Approved::of(&request)
                && self.engine.applied_value(&a.account_id, &a.region, a.quota) < a.value
            {
                self.engine.apply_increase(&a.account_id, &a.region, a.quota, a.value).await;
                applied += 1;
            }
        }
        if applied > 0 {
            tracing::info!(applied, "applied quota increases approved on another node");
        }
        Ok(applied)
    }

    /// Every request in the store (all accounts and regions), newest first,
    /// optionally only those in `status` (an AWS status string). For the
    /// operator's `trent quotas list`.
    pub async fn operator_requests(&self, status: Option<&str>) -> Result<Vec<OperatorRequest>, DecisionError> {
        let wanted = match status {
            Some(s) => Some(RequestStatus::parse(s).ok_or_else(|| DecisionError::BadStatus(s.to_owned()))?),
            None => None,
        };
        Ok(history::all(&self.store)
            .await?
            .into_iter()
            .filter(|r| wanted.is_none_or(|w| r.status() == Some(w)))
            .map(OperatorRequest::from)
            .collect())
    }

    /// The operator decides request `request_id` (whatever its account and
    /// region). A `PENDING` request has its case opened first. Refused for a
    /// request already decided. Returns the request as stored once the
    /// decision is durable (and, for an approval, applied).
    pub async fn decide(&self, request_id: &str, decision: Decision) -> Result<OperatorRequest, DecisionError> {
        let to = decision.status();
        for _ in 0..DECIDE_ATTEMPTS {
            let mut found = history::all(&self.store).await?.into_iter().filter(|r| r.change.id == request_id);
            let Some(request) = found.next() else { return Err(DecisionError::NotFound(request_id.to_owned())) };
            // Fetch it again by key: the listing may be older than a concurrent change.
            let Some(mut request) =
                history::get_stored(&self.store, &request.account_id, &request.region, request_id).await?
            else {
                return Err(DecisionError::NotFound(request_id.to_owned()));
            };
            let now = self.clock.now();
            if request.status() == Some(RequestStatus::Pending) {
                match self.move_to(&request, RequestStatus::CaseOpened, now).await? {
                    Some(next) => request = next,
                    None => continue,
                }
            }
            if request.status() != Some(RequestStatus::CaseOpened) {
                return Err(DecisionError::AlreadyDecided {
                    id: request_id.to_owned(),
                    status: request.change.status.clone(),
                });
            }
            if let Some(done) = self.move_to(&request, to, now).await? {
                return Ok(done.into());
            }
        }
        Err(DecisionError::Busy(request_id.to_owned()))
    }
}
