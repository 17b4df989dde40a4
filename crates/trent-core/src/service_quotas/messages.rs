//! Service Quotas request and response shapes (JSON 1.1, PascalCase members,
//! timestamps as epoch seconds), as in the `service-quotas` 2019-06-24 model.
//!
//! Request members are all optional here so that missing required members
//! produce AWS's ValidationException wording rather than a serde error.
//! Unknown members are ignored, as AWS does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GetServiceQuota` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetServiceQuotaRequest {
    /// Must be `kms`.
    pub service_code: Option<String>,
    /// The quota code.
    pub quota_code: Option<String>,
    /// Resource context; KMS quotas are account-level, so it is ignored.
    pub context_id: Option<String>,
}

/// `GetAWSDefaultServiceQuota` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetAwsDefaultServiceQuotaRequest {
    /// Must be `kms`.
    pub service_code: Option<String>,
    /// The quota code.
    pub quota_code: Option<String>,
}

/// `ListServiceQuotas` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListServiceQuotasRequest {
    /// Must be `kms`.
    pub service_code: Option<String>,
    /// Continuation token from a previous page.
    pub next_token: Option<String>,
    /// Page size, 1–100.
    pub max_results: Option<i64>,
    /// Only this quota.
    pub quota_code: Option<String>,
    /// `ACCOUNT`, `RESOURCE` or `ALL`.
    pub quota_applied_at_level: Option<String>,
}

/// `ListAWSDefaultServiceQuotas` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAwsDefaultServiceQuotasRequest {
    /// Must be `kms`.
    pub service_code: Option<String>,
    /// Continuation token from a previous page.
    pub next_token: Option<String>,
    /// Page size, 1–100.
    pub max_results: Option<i64>,
}

/// `RequestServiceQuotaIncrease` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestServiceQuotaIncreaseRequest {
    /// Must be `kms`.
    pub service_code: Option<String>,
    /// The quota code.
    pub quota_code: Option<String>,
    /// The new value, 0–10,000,000,000.
    pub desired_value: Option<f64>,
    /// Resource context; ignored for KMS.
    pub context_id: Option<String>,
    /// Whether a support case may be opened; ignored (Trent's simulated case
    /// is opened whenever the approval policy is not instant).
    pub support_case_allowed: Option<bool>,
}

/// `GetRequestedServiceQuotaChange` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRequestedServiceQuotaChangeRequest {
    /// The request id returned by RequestServiceQuotaIncrease.
    pub request_id: Option<String>,
}

/// `ListRequestedServiceQuotaChangeHistory` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRequestedServiceQuotaChangeHistoryRequest {
    /// Optional; `kms` if given.
    pub service_code: Option<String>,
    /// Only requests in this status.
    pub status: Option<String>,
    /// Continuation token from a previous page.
    pub next_token: Option<String>,
    /// Page size, 1–100.
    pub max_results: Option<i64>,
    /// `ACCOUNT`, `RESOURCE` or `ALL`.
    pub quota_requested_at_level: Option<String>,
}

/// `ListRequestedServiceQuotaChangeHistoryByQuota` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRequestedServiceQuotaChangeHistoryByQuotaRequest {
    /// Must be `kms`.
    pub service_code: Option<String>,
    /// The quota code.
    pub quota_code: Option<String>,
    /// Only requests in this status.
    pub status: Option<String>,
    /// Continuation token from a previous page.
    pub next_token: Option<String>,
    /// Page size, 1–100.
    pub max_results: Option<i64>,
    /// `ACCOUNT`, `RESOURCE` or `ALL`.
    pub quota_requested_at_level: Option<String>,
}

/// `ListServices` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListServicesRequest {
    /// Continuation token from a previous page.
    pub next_token: Option<String>,
    /// Page size, 1–100.
    pub max_results: Option<i64>,
}

/// The CloudWatch metric that tracks usage of a quota (`MetricInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricInfo {
    /// `AWS/Usage`.
    pub metric_namespace: String,
    /// `CallCount`.
    pub metric_name: String,
    /// Service, Type, Resource, Class.
    pub metric_dimensions: BTreeMap<String, String>,
    /// `Sum`.
    pub metric_statistic_recommendation: String,
}

/// The period a rate quota is measured over (`QuotaPeriod`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QuotaPeriod {
    /// 1.
    pub period_value: i64,
    /// `SECOND`.
    pub period_unit: String,
}

/// One quota as Service Quotas describes it (`ServiceQuota`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceQuota {
    /// `kms`.
    pub service_code: String,
    /// `AWS Key Management Service (AWS KMS)`.
    pub service_name: String,
    /// `arn:aws:servicequotas:REGION:ACCOUNT:kms/CODE` (account empty for AWS defaults).
    pub quota_arn: String,
    /// The quota code.
    pub quota_code: String,
    /// The quota name.
    pub quota_name: String,
    /// Requests per second.
    pub value: f64,
    /// `None` for every KMS quota.
    pub unit: String,
    /// Whether RequestServiceQuotaIncrease may raise it.
    pub adjustable: bool,
    /// Always false for KMS (quotas are per region).
    pub global_quota: bool,
    /// The usage metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_metric: Option<MetricInfo>,
    /// The measuring period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<QuotaPeriod>,
    /// `ACCOUNT` for applied values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_applied_at_level: Option<String>,
    /// What the quota covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One quota increase request (`RequestedServiceQuotaChange`); also the
/// durable record Trent keeps of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestedServiceQuotaChange {
    /// Request id.
    pub id: String,
    /// Support case id, set when the request reaches `CASE_OPENED` (never
    /// under the instant policy, which approves without a case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// `kms`.
    pub service_code: String,
    /// `AWS Key Management Service (AWS KMS)`.
    pub service_name: String,
    /// The quota code.
    pub quota_code: String,
    /// The quota name.
    pub quota_name: String,
    /// The value asked for.
    pub desired_value: f64,
    /// `PENDING`, `CASE_OPENED`, `APPROVED`, `DENIED` or `CASE_CLOSED` (see
    /// [`super::lifecycle`]); `APPROVED` at once under the instant policy.
    pub status: String,
    /// When it was made, epoch seconds.
    pub created: f64,
    /// When its status last changed, epoch seconds.
    pub last_updated: f64,
    /// JSON text naming the requesting account and principal.
    pub requester: String,
    /// The quota's ARN in the requester's account and region.
    pub quota_arn: String,
    /// Always false for KMS.
    pub global_quota: bool,
    /// `None`.
    pub unit: String,
    /// `ACCOUNT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_requested_at_level: Option<String>,
}

/// A service Service Quotas knows (`ServiceInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceInfo {
    /// `kms`.
    pub service_code: String,
    /// `AWS Key Management Service (AWS KMS)`.
    pub service_name: String,
}

/// Output of GetServiceQuota and GetAWSDefaultServiceQuota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QuotaResponse {
    /// The quota.
    pub quota: ServiceQuota,
}

/// Output of ListServiceQuotas and ListAWSDefaultServiceQuotas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QuotaListResponse {
    /// Present when more pages follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// This page.
    pub quotas: Vec<ServiceQuota>,
}

/// Output of RequestServiceQuotaIncrease and GetRequestedServiceQuotaChange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestedQuotaResponse {
    /// The request.
    pub requested_quota: RequestedServiceQuotaChange,
}

/// Output of ListRequestedServiceQuotaChangeHistory(ByQuota).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestedQuotaListResponse {
    /// Present when more pages follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// This page, newest first.
    pub requested_quotas: Vec<RequestedServiceQuotaChange>,
}

/// Output of ListServices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceListResponse {
    /// Present when more pages follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// This page.
    pub services: Vec<ServiceInfo>,
}

/// The only service code Trent knows.
pub const SERVICE_CODE: &str = "kms";

/// The service name Service Quotas gives KMS.
pub const SERVICE_NAME: &str = "AWS Key Management Service (AWS KMS)";
