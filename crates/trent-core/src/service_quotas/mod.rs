//! The Service Quotas API (ServiceQuotasV20190624) for service code `kms`.
//!
//! Lets users and tools see the request quotas Trent enforces and raise them,
//! with the shapes and errors of AWS Service Quotas. How an increase is
//! decided is the [`ApprovalPolicy`] (`[service_quotas] approval`): by default
//! it is approved at once (status `APPROVED`, new value effective for the next
//! request); with `after` or `manual` it is answered `PENDING` and goes
//! through AWS's life cycle ([`lifecycle`]). Only the `kms` service exists.
//!
//! The HTTP layer calls [`ServiceQuotas::dispatch`] with the operation from
//! `X-Amz-Target: ServiceQuotasV20190624.<Operation>` and the JSON body.

mod describe;
pub mod history;
pub mod lifecycle;
pub mod messages;
pub mod policy;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::wall_clock::WallClock;
use crate::quota::{Profile, QuotaEngine, QuotaId};
use crate::store::KeyStore;
use crate::wire::aws_enum::{AwsEnum, wire_enum};
use crate::wire::pagination::{Page, Tokens, offset_page, page_size, validate_next_token};
use crate::wire::validate::Validator;

pub use history::RequestStatus;
pub use lifecycle::{Advanced, Decision, DecisionError, Lifecycle, OperatorRequest};
pub use policy::{ApprovalPolicy, PolicyError, ServiceQuotasConfig};

/// Page size when `MaxResults` is absent, and its most (the model's maximum).
const MAX_RESULTS: usize = 100;

use messages::*;

/// The `X-Amz-Target` prefix of the Service Quotas API.
pub const TARGET_PREFIX: &str = "ServiceQuotasV20190624.";

const SERVICE_CODE_PATTERN: &str = "[a-zA-Z][a-zA-Z0-9-]{1,63}";
const QUOTA_CODE_PATTERN: &str = "[a-zA-Z][a-zA-Z0-9-]{1,128}";
const REQUEST_ID_PATTERN: &str = "[0-9a-zA-Z][a-zA-Z0-9-]{1,128}";
const MAX_DESIRED_VALUE: f64 = 10_000_000_000.0;

wire_enum!(
    /// The level a quota applies at (`AppliedLevelEnum`), a filter of the lists.
    AppliedLevel {
        /// The account (every KMS quota).
        Account = "ACCOUNT",
        /// A resource (no KMS quota).
        Resource = "RESOURCE",
        /// Either.
        All = "ALL",
    }
);

/// Serves the Service Quotas API over a [`QuotaEngine`], recording increase
/// requests in the [`KeyStore`] so they survive restarts.
pub struct ServiceQuotas {
    engine: Arc<QuotaEngine>,
    store: Arc<dyn KeyStore>,
    clock: Arc<dyn WallClock>,
    /// Moves requests on after they are made (policy, maintenance pass, operator).
    lifecycle: Lifecycle,
    /// Serialises increases so "greater than the current value" and "no other
    /// open request for the quota" are checked and acted on atomically within
    /// this process.
    increases: Mutex<()>,
}

impl std::fmt::Debug for ServiceQuotas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceQuotas")
            .field("engine", &self.engine)
            .field("approval", &self.lifecycle.approval())
            .finish_non_exhaustive()
    }
}

fn ident_ok(s: &str, first_digit_ok: bool, max_tail: usize) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return false };
    let first_ok = first.is_ascii_alphabetic() || (first_digit_ok && first.is_ascii_digit());
    let tail = s.len() - first.len_utf8();
    first_ok && (1..=max_tail).contains(&tail) && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn service_code(v: &mut Validator, value: Option<&str>, required: bool) {
    if required {
        v.required("serviceCode", &value);
    }
    v.str_len("serviceCode", value, 1, 63)
        .pattern("serviceCode", value, SERVICE_CODE_PATTERN, |s| ident_ok(s, false, 63));
}

fn quota_code(v: &mut Validator, value: Option<&str>, required: bool) {
    if required {
        v.required("quotaCode", &value);
    }
    v.str_len("quotaCode", value, 1, 128).pattern("quotaCode", value, QUOTA_CODE_PATTERN, |s| ident_ok(s, false, 128));
}

fn check_service(code: Option<&str>) -> KmsResult<()> {
    match code {
        Some(SERVICE_CODE) | None => Ok(()),
        Some(_) => Err(KmsError::new(
            ErrorKind::NoSuchResource,
            "The request failed because the specified service does not exist.",
        )),
    }
}

/// The quota `code` as the caller's region lists it under `profile`, or AWS's
/// NoSuchResourceException (also for a quota the profile does not have).
fn find_quota(code: &str, profile: Profile, region: &str) -> KmsResult<QuotaId> {
    QuotaId::from_code(code).filter(|q| q.def().listed_in(profile, region)).ok_or_else(|| {
        KmsError::new(
            ErrorKind::NoSuchResource,
            format!("The request failed because the specified quota {code} does not exist for service {SERVICE_CODE}."),
        )
    })
}

/// Whether a request matches an `AppliedLevelEnum` filter (every KMS quota is account-level).
fn at_level(level: Option<AppliedLevel>) -> bool {
    level != Some(AppliedLevel::Resource)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> KmsResult<T> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    serde_json::from_slice(body).map_err(|e| {
        let msg = if e.is_syntax() || e.is_eof() {
            "The request body is not valid JSON.".to_owned()
        } else {
            let text = e.to_string();
            format!("The request could not be deserialized: {}", text.split(" at line ").next().unwrap_or(&text))
        };
        KmsError::new(ErrorKind::Serialization, msg)
    })
}

fn to_json<T: Serialize>(v: &T) -> KmsResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(KmsError::internal)
}

impl ServiceQuotas {
    /// Re-applies every approved increase found in `store` to `engine` and
    /// returns the API over them, approving increases at once (see
    /// [`ServiceQuotas::with_approval`]). Call once at startup, after building the engine.
    pub async fn load(
        engine: Arc<QuotaEngine>,
        store: Arc<dyn KeyStore>,
        clock: Arc<dyn WallClock>,
    ) -> KmsResult<Self> {
        let approved = history::approved(&store).await?;
        for a in &approved {
            engine.record_increase(&a.account_id, &a.region, a.quota, a.value);
        }
        if !approved.is_empty() {
            tracing::info!(count = approved.len(), "re-applied approved quota increases");
        }
        let lifecycle = Lifecycle::new(engine.clone(), store.clone(), clock.clone(), ApprovalPolicy::Instant);
        Ok(Self { engine, store, clock, lifecycle, increases: Mutex::new(()) })
    }

    /// The same API deciding new requests under `policy` (requests already
    /// stored keep their status; the maintenance pass moves open ones on
    /// under this policy).
    pub fn with_approval(self, policy: ApprovalPolicy) -> Self {
        let lifecycle = Lifecycle::new(self.engine.clone(), self.store.clone(), self.clock.clone(), policy);
        Self { lifecycle, ..self }
    }

    /// The policy deciding increase requests.
    pub fn approval(&self) -> ApprovalPolicy {
        self.lifecycle.approval()
    }

    /// One maintenance pass over the stored requests; see [`Lifecycle::advance`].
    pub async fn advance(&self) -> KmsResult<Advanced> {
        self.lifecycle.advance().await
    }

    /// Applies increases another node approved; see [`Lifecycle::follow_change`].
    pub async fn follow_change(&self, change: &crate::store::StoreChange) -> KmsResult<usize> {
        self.lifecycle.follow_change(change).await
    }

    /// The operator's listing; see [`Lifecycle::operator_requests`].
    pub async fn operator_requests(&self, status: Option<&str>) -> Result<Vec<OperatorRequest>, DecisionError> {
        self.lifecycle.operator_requests(status).await
    }

    /// The operator's decision; see [`Lifecycle::decide`].
    pub async fn decide(&self, request_id: &str, decision: Decision) -> Result<OperatorRequest, DecisionError> {
        self.lifecycle.decide(request_id, decision).await
    }

    /// The engine whose values this API reports and raises.
    pub fn engine(&self) -> &Arc<QuotaEngine> {
        &self.engine
    }

    /// Runs one Service Quotas operation (`operation` with or without the
    /// `ServiceQuotasV20190624.` prefix) on a JSON body; returns the JSON response body.
    pub async fn dispatch(&self, caller: &Caller, operation: &str, body: &[u8]) -> KmsResult<Vec<u8>> {
        let op = operation.strip_prefix(TARGET_PREFIX).unwrap_or(operation);
        match op {
            "GetServiceQuota" => to_json(&self.get_service_quota(caller, parse(body)?)?),
            "GetAWSDefaultServiceQuota" => to_json(&self.get_aws_default_service_quota(caller, parse(body)?)?),
            "ListServiceQuotas" => to_json(&self.list_service_quotas(caller, parse(body)?)?),
            "ListAWSDefaultServiceQuotas" => to_json(&self.list_aws_default_service_quotas(caller, parse(body)?)?),
            "RequestServiceQuotaIncrease" => to_json(&self.request_service_quota_increase(caller, parse(body)?).await?),
            "GetRequestedServiceQuotaChange" => {
                to_json(&self.get_requested_service_quota_change(caller, parse(body)?).await?)
            }
            "ListRequestedServiceQuotaChangeHistory" => {
                to_json(&self.list_requested_service_quota_change_history(caller, parse(body)?).await?)
            }
            "ListRequestedServiceQuotaChangeHistoryByQuota" => {
                to_json(&self.list_requested_service_quota_change_history_by_quota(caller, parse(body)?).await?)
            }
            "ListServices" => to_json(&self.list_services(parse(body)?)?),
            _ => Err(KmsError::bare(ErrorKind::UnknownOperation)),
        }
    }

    /// [`find_quota`] under this engine's profile.
    fn find_quota(&self, code: &str, region: &str) -> KmsResult<QuotaId> {
        find_quota(code, self.engine.profile(), region)
    }

    fn applied(&self, caller: &Caller, id: QuotaId) -> ServiceQuota {
        let value = self.engine.applied_value(&caller.account_id, &caller.region, id);
        describe::service_quota(id, self.engine.profile(), &caller.region, Some(&caller.account_id), value)
    }

    fn default_quota(&self, caller: &Caller, id: QuotaId) -> ServiceQuota {
        let value = self.engine.default_value(&caller.region, id);
        describe::service_quota(id, self.engine.profile(), &caller.region, None, value)
    }

    /// GetServiceQuota: the value applied to the caller's account in its region.
    pub fn get_service_quota(&self, caller: &Caller, r: GetServiceQuotaRequest) -> KmsResult<QuotaResponse> {
        let mut v = Validator::new();
        service_code(&mut v, r.service_code.as_deref(), true);
        quota_code(&mut v, r.quota_code.as_deref(), true);
        let code = v.finish_with(r.quota_code)?;
        check_service(r.service_code.as_deref())?;
        let id = self.find_quota(&code, &caller.region)?;
        Ok(QuotaResponse { quota: self.applied(caller, id) })
    }

    /// GetAWSDefaultServiceQuota: the profile's default in the caller's region.
    pub fn get_aws_default_service_quota(
        &self,
        caller: &Caller,
        r: GetAwsDefaultServiceQuotaRequest,
    ) -> KmsResult<QuotaResponse> {
        let mut v = Validator::new();
        service_code(&mut v, r.service_code.as_deref(), true);
        quota_code(&mut v, r.quota_code.as_deref(), true);
        let code = v.finish_with(r.quota_code)?;
        check_service(r.service_code.as_deref())?;
        let id = self.find_quota(&code, &caller.region)?;
        Ok(QuotaResponse { quota: self.default_quota(caller, id) })
    }

    /// ListServiceQuotas: every KMS quota with its applied value.
    pub fn list_service_quotas(&self, caller: &Caller, r: ListServiceQuotasRequest) -> KmsResult<QuotaListResponse> {
        let mut v = Validator::new();
        service_code(&mut v, r.service_code.as_deref(), true);
        quota_code(&mut v, r.quota_code.as_deref(), false);
        validate_next_token(&mut v, r.next_token.as_deref(), r.max_results);
        let level = v.enum_member::<AppliedLevel>("quotaAppliedAtLevel", r.quota_applied_at_level.as_deref());
        v.finish()?;
        check_service(r.service_code.as_deref())?;
        let ids: Vec<QuotaId> = QuotaId::all()
            .filter(|q| q.def().listed_in(self.engine.profile(), &caller.region))
            .filter(|q| r.quota_code.as_deref().is_none_or(|c| c == q.def().code))
            .filter(|_| at_level(level))
            .collect();
        let Page { items: ids, next_marker: next_token, .. } = offset_page(
            ids,
            r.next_token.as_deref(),
            page_size(r.max_results, MAX_RESULTS, MAX_RESULTS),
            Tokens::ServiceQuotasToken,
        )?;
        Ok(QuotaListResponse { next_token, quotas: ids.into_iter().map(|id| self.applied(caller, id)).collect() })
    }

    /// ListAWSDefaultServiceQuotas: every KMS quota with the profile's default.
    pub fn list_aws_default_service_quotas(
        &self,
        caller: &Caller,
        r: ListAwsDefaultServiceQuotasRequest,
    ) -> KmsResult<QuotaListResponse> {
        let mut v = Validator::new();
        service_code(&mut v, r.service_code.as_deref(), true);
        validate_next_token(&mut v, r.next_token.as_deref(), r.max_results);
        v.finish()?;
        check_service(r.service_code.as_deref())?;
        let ids: Vec<QuotaId> =
            QuotaId::all().filter(|q| q.def().listed_in(self.engine.profile(), &caller.region)).collect();
        let Page { items: ids, next_marker: next_token, .. } = offset_page(
            ids,
            r.next_token.as_deref(),
            page_size(r.max_results, MAX_RESULTS, MAX_RESULTS),
            Tokens::ServiceQuotasToken,
        )?;
        Ok(QuotaListResponse { next_token, quotas: ids.into_iter().map(|id| self.default_quota(caller, id)).collect() })
    }

    /// RequestServiceQuotaIncrease: records a request to raise an adjustable
    /// quota for the caller's account and region. Under the instant policy it
    /// is `APPROVED` and applied at once; otherwise it is `PENDING` and the
    /// value applies only once approved ([`lifecycle`]). AWS allows one open
    /// request per quota: another one is ResourceAlreadyExistsException.
    pub async fn request_service_quota_increase(
        &self,
        caller: &Caller,
        r: RequestServiceQuotaIncreaseRequest,
    ) -> KmsResult<RequestedQuotaResponse> {
        let mut v = Validator::new();
        service_code(&mut v, r.service_code.as_deref(), true);
        quota_code(&mut v, r.quota_code.as_deref(), true);
        v.required("desiredValue", &r.desired_value);
        if let Some(d) = r.desired_value {
            if d < 0.0 {
                v.custom(format!(
                    "Value '{d}' at 'desiredValue' failed to satisfy constraint: Member must have value greater than or equal to 0"
                ));
            } else if d > MAX_DESIRED_VALUE {
                v.custom(format!(
                    "Value '{d}' at 'desiredValue' failed to satisfy constraint: Member must have value less than or equal to 1.0E10"
                ));
            }
        }
        let (code, desired) = v.finish_with((r.quota_code, r.desired_value))?;
        check_service(r.service_code.as_deref())?;
        let id = self.find_quota(&code, &caller.region)?;
        let def = id.def();
        if !def.adjustable {
            return Err(KmsError::new(
                ErrorKind::IllegalArgument,
                "The request failed because the specified quota is not adjustable.",
            ));
        }

        let _guard = self.increases.lock().await;
        let current = self.engine.applied_value(&caller.account_id, &caller.region, id);
        if desired <= current {
            return Err(KmsError::new(
                ErrorKind::IllegalArgument,
                "You must provide a quota value greater than the current quota value",
            ));
        }
        let open = history::list(&self.store, &caller.account_id, &caller.region)
            .await?
            .into_iter()
            .any(|c| c.quota_code == def.code && RequestStatus::parse(&c.status).is_some_and(RequestStatus::is_open));
        if open {
            return Err(KmsError::new(
                ErrorKind::ResourceAlreadyExists,
                "Only one open service quota increase request is allowed per quota.",
            ));
        }
        let instant = self.approval() == ApprovalPolicy::Instant;
        let status = if instant { RequestStatus::Approved } else { RequestStatus::Pending };
        let now = self.clock.now();
        let requester = serde_json::json!({ "accountId": caller.account_id, "callerArn": caller.principal_arn });
        let change = RequestedServiceQuotaChange {
            id: uuid::Uuid::new_v4().simple().to_string(),
            case_id: None,
            service_code: SERVICE_CODE.to_owned(),
            service_name: SERVICE_NAME.to_owned(),
            quota_code: def.code.to_owned(),
            quota_name: def.name_in(self.engine.profile()).to_owned(),
            desired_value: desired,
            status: status.as_str().to_owned(),
            created: now,
            last_updated: now,
            requester: requester.to_string(),
            quota_arn: describe::quota_arn(&caller.region, &caller.account_id, def.code),
            global_quota: false,
            unit: "None".to_owned(),
            quota_requested_at_level: Some("ACCOUNT".to_owned()),
        };
        history::insert(&self.store, &caller.account_id, &caller.region, &change).await?;
        if instant {
            self.engine.apply_increase(&caller.account_id, &caller.region, id, desired).await;
        }
        tracing::info!(
            request = %change.id,
            account = %caller.account_id,
            region = %caller.region,
            quota = def.code,
            value = desired,
            status = %status,
            "quota increase requested"
        );
        Ok(RequestedQuotaResponse { requested_quota: change })
    }

    /// GetRequestedServiceQuotaChange: one request of the caller's account and region.
    pub async fn get_requested_service_quota_change(
        &self,
        caller: &Caller,
        r: GetRequestedServiceQuotaChangeRequest,
    ) -> KmsResult<RequestedQuotaResponse> {
        let mut v = Validator::new();
        let id = r.request_id.as_deref();
        v.required("requestId", &id).str_len("requestId", id, 1, 128).pattern(
            "requestId",
            id,
            REQUEST_ID_PATTERN,
            |s| ident_ok(s, true, 128),
        );
        let id = v.finish_with(id)?;
        let found = history::get(&self.store, &caller.account_id, &caller.region, id).await?;
        match found {
            Some(requested_quota) => Ok(RequestedQuotaResponse { requested_quota }),
            None => Err(KmsError::new(
                ErrorKind::NoSuchResource,
                "The request failed because the specified quota increase request does not exist.",
            )),
        }
    }

    async fn history_page(
        &self,
        caller: &Caller,
        quota: Option<QuotaId>,
        status: Option<RequestStatus>,
        level: Option<AppliedLevel>,
        next_token: Option<&str>,
        max_results: Option<i64>,
    ) -> KmsResult<RequestedQuotaListResponse> {
        let all = history::list(&self.store, &caller.account_id, &caller.region).await?;
        let matching: Vec<_> = all
            .into_iter()
            .filter(|c| quota.is_none_or(|q| c.quota_code == q.def().code))
            .filter(|c| status.is_none_or(|s| c.status == s.as_str()))
            .filter(|_| at_level(level))
            .collect();
        let Page { items: requested_quotas, next_marker: next_token, .. } = offset_page(
            matching,
            next_token,
            page_size(max_results, MAX_RESULTS, MAX_RESULTS),
            Tokens::ServiceQuotasToken,
        )?;
        Ok(RequestedQuotaListResponse { next_token, requested_quotas })
    }

    /// ListRequestedServiceQuotaChangeHistory: the caller's requests, newest first.
    pub async fn list_requested_service_quota_change_history(
        &self,
        caller: &Caller,
        r: ListRequestedServiceQuotaChangeHistoryRequest,
    ) -> KmsResult<RequestedQuotaListResponse> {
        let mut v = Validator::new();
        service_code(&mut v, r.service_code.as_deref(), false);
        validate_next_token(&mut v, r.next_token.as_deref(), r.max_results);
        let status = v.enum_member::<RequestStatus>("status", r.status.as_deref());
        let level = v.enum_member::<AppliedLevel>("quotaRequestedAtLevel", r.quota_requested_at_level.as_deref());
        v.finish()?;
        check_service(r.service_code.as_deref())?;
        self.history_page(caller, None, status, level, r.next_token.as_deref(), r.max_results).await
    }

    /// ListRequestedServiceQuotaChangeHistoryByQuota: the caller's requests for one quota.
    pub async fn list_requested_service_quota_change_history_by_quota(
        &self,
        caller: &Caller,
        r: ListRequestedServiceQuotaChangeHistoryByQuotaRequest,
    ) -> KmsResult<RequestedQuotaListResponse> {
        let mut v = Validator::new();
        service_code(&mut v, r.service_code.as_deref(), true);
        quota_code(&mut v, r.quota_code.as_deref(), true);
        validate_next_token(&mut v, r.next_token.as_deref(), r.max_results);
        let status = v.enum_member::<RequestStatus>("status", r.status.as_deref());
        let level = v.enum_member::<AppliedLevel>("quotaRequestedAtLevel", r.quota_requested_at_level.as_deref());
        let code = v.finish_with(r.quota_code)?;
        check_service(r.service_code.as_deref())?;
        let id = self.find_quota(&code, &caller.region)?;
        self.history_page(caller, Some(id), status, level, r.next_token.as_deref(), r.max_results).await
    }

    /// ListServices: only `kms`.
    pub fn list_services(&self, r: ListServicesRequest) -> KmsResult<ServiceListResponse> {
        let mut v = Validator::new();
        validate_next_token(&mut v, r.next_token.as_deref(), r.max_results);
        v.finish()?;
        let all = vec![ServiceInfo { service_code: SERVICE_CODE.to_owned(), service_name: SERVICE_NAME.to_owned() }];
        let Page { items: services, next_marker: next_token, .. } = offset_page(
            all,
            r.next_token.as_deref(),
            page_size(r.max_results, MAX_RESULTS, MAX_RESULTS),
            Tokens::ServiceQuotasToken,
        )?;
        Ok(ServiceListResponse { next_token, services })
    }
}

#[cfg(test)]
mod tests;
