//! Catalog entries rendered as Service Quotas `ServiceQuota` structures.

use std::collections::BTreeMap;

use crate::key::model::KeyFamily;
use crate::quota::resource::ResourceQuota;
use crate::quota::{Profile, QuotaId, QuotaKind};
use crate::wire::aws_enum::AwsEnum;

use super::messages::{MetricInfo, QuotaPeriod, ServiceQuota};
use super::messages::{SERVICE_CODE, SERVICE_NAME};

/// `arn:aws:servicequotas:REGION:ACCOUNT:kms/CODE`; the account is empty for AWS defaults.
pub(crate) fn quota_arn(region: &str, account_id: &str, code: &str) -> String {
    format!("arn:aws:servicequotas:{region}:{account_id}:{SERVICE_CODE}/{code}")
}

fn covers(id: QuotaId) -> String {
    match id.def().kind {
        QuotaKind::SharedPool(f) => match f {
            KeyFamily::Symmetric => "Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateMac, \
                                     GenerateRandom, ReEncrypt and VerifyMac requests on symmetric encryption and HMAC keys"
                .to_owned(),
            KeyFamily::Rsa => "Decrypt, Encrypt, ReEncrypt, Sign and Verify requests on RSA keys".to_owned(),
            KeyFamily::Ecc => "DeriveSharedSecret, Sign and Verify requests on ECC keys, and Decrypt, Encrypt and \
                               ReEncrypt requests on SM2 keys"
                .to_owned(),
            KeyFamily::MlDsa => "Sign and Verify requests on ML-DSA keys".to_owned(),
            KeyFamily::MlKem => "Encapsulate and Decapsulate requests on ML-KEM keys".to_owned(),
        },
        QuotaKind::Operation(op) => format!("{} requests", op.name()),
        QuotaKind::DataKeyPair(spec) => format!(
            "GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext requests with KeyPairSpec {}",
            spec.as_str()
        ),
        QuotaKind::CustomKeyStore => "cryptographic requests on keys in one custom key store".to_owned(),
        QuotaKind::Resource(r) => resource_covers(r).to_owned(),
    }
}

/// The description of a resource quota (AWS's "Applies to", in a sentence).
fn resource_covers(r: ResourceQuota) -> &'static str {
    match r {
        ResourceQuota::Keys => {
            "The maximum number of customer managed KMS keys in this account and Region, in any key state. \
             AWS managed keys do not count."
        }
        ResourceQuota::AliasesPerKey => {
            "The maximum number of aliases associated with one KMS key. Aliases that AWS creates (alias/aws/...) \
             do not count."
        }
        ResourceQuota::GrantsPerKey => "The maximum number of grants on one customer managed KMS key.",
        ResourceQuota::CustomKeyStores => {
            "The maximum number of custom key stores in this account and Region, in any connection state."
        }
        ResourceQuota::OnDemandRotationsPerKey => {
            "The maximum number of on-demand rotations of one KMS key over its lifetime. Not adjustable."
        }
        ResourceQuota::AliasesPerRegion => {
            "The maximum number of aliases in this account and Region. Aliases that AWS creates (alias/aws/...) \
             do not count. AWS documented this quota until 2021; Trent enforces it only in its 2020 profile."
        }
        ResourceQuota::GrantsPerPrincipalPerKey => {
            "The maximum number of grants on one KMS key, customer managed or AWS managed, for the same grantee \
             principal. AWS documented this quota until 2021; Trent enforces it only in its 2020 profile."
        }
    }
}

/// The `Description` of a quota: what it covers and whether Trent chose its code or value.
pub(crate) fn description(id: QuotaId) -> String {
    let def = id.def();
    let mut d = if def.is_resource() {
        covers(id)
    } else {
        format!("Requests per second in this account and Region for {}.", covers(id))
    };
    if def.is_trent_code() {
        d.push_str(" Quota code assigned by Trent (the AWS code is not public).");
    }
    if !def.documented {
        d.push_str(" Default chosen by Trent (not documented by AWS).");
    }
    d
}

/// The CloudWatch `AWS/Usage` metric: `CallCount` (Sum) for request quotas,
/// `ResourceCount` (Maximum) for resource quotas with a known metric.
fn usage_metric(id: QuotaId) -> Option<MetricInfo> {
    let def = id.def();
    let resource = def.usage_resource()?;
    let (metric, kind, statistic) =
        if def.is_resource() { ("ResourceCount", "Resource", "Maximum") } else { ("CallCount", "API", "Sum") };
    let dims = [("Class", "None"), ("Resource", resource.as_str()), ("Service", "KMS"), ("Type", kind)];
    Some(MetricInfo {
        metric_namespace: "AWS/Usage".to_owned(),
        metric_name: metric.to_owned(),
        metric_dimensions: dims.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>(),
        metric_statistic_recommendation: statistic.to_owned(),
    })
}

/// A `ServiceQuota` for `id`: `account_id` is `None` for AWS default values.
/// Request quotas have a one-second `Period`; resource quotas (counts) none.
pub(crate) fn service_quota(
    id: QuotaId,
    profile: Profile,
    region: &str,
    account_id: Option<&str>,
    value: f64,
) -> ServiceQuota {
    let def = id.def();
    ServiceQuota {
        service_code: SERVICE_CODE.to_owned(),
        service_name: SERVICE_NAME.to_owned(),
        quota_arn: quota_arn(region, account_id.unwrap_or(""), def.code),
        quota_code: def.code.to_owned(),
        quota_name: def.name_in(profile).to_owned(),
        value,
        unit: "None".to_owned(),
        adjustable: def.adjustable,
        global_quota: false,
        usage_metric: usage_metric(id),
        period: (!def.is_resource()).then(|| QuotaPeriod { period_value: 1, period_unit: "SECOND".to_owned() }),
        quota_applied_at_level: account_id.map(|_| "ACCOUNT".to_owned()),
        description: Some(description(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_fit_the_model_limit() {
        for id in QuotaId::all() {
            let d = description(id);
            assert!(d.chars().count() <= 350, "{} {}", id.def().code, d.len());
        }
        assert!(description(QuotaId::ML_DSA).contains("assigned by Trent"));
        assert!(!description(QuotaId::SYMMETRIC).contains("Trent"));
        let keys = description(ResourceQuota::Keys.quota_id());
        assert!(keys.contains("customer managed KMS keys") && !keys.contains("per second"), "{keys}");
    }

    #[test]
    fn resource_quotas_are_counts_without_period() {
        let keys = service_quota(ResourceQuota::Keys.quota_id(), Profile::Current, "us-east-1", Some("1"), 100_000.0);
        assert_eq!((keys.unit.as_str(), keys.adjustable, keys.global_quota), ("None", true, false));
        assert!(keys.period.is_none());
        let m = keys.usage_metric.expect("key count metric");
        assert_eq!((m.metric_name.as_str(), m.metric_statistic_recommendation.as_str()), ("ResourceCount", "Maximum"));
        assert_eq!(m.metric_dimensions.get("Resource").map(String::as_str), Some("KeysPerAccount"));
        assert_eq!(m.metric_dimensions.get("Type").map(String::as_str), Some("Resource"));
        let aliases = service_quota(ResourceQuota::AliasesPerKey.quota_id(), Profile::Current, "us-east-1", None, 50.0);
        assert!(aliases.period.is_none() && aliases.usage_metric.is_none());
        let rate = service_quota(QuotaId::SYMMETRIC, Profile::Current, "us-east-1", None, 1.0);
        assert_eq!(rate.period.map(|p| p.period_value), Some(1));
        let per_region =
            service_quota(ResourceQuota::AliasesPerRegion.quota_id(), Profile::Y2020, "us-east-1", None, 1e4);
        assert_eq!((per_region.quota_name.as_str(), per_region.adjustable), ("Aliases per Region", true));
        assert!(per_region.period.is_none() && per_region.usage_metric.is_none());
        let d = per_region.description.unwrap_or_default();
        assert!(d.contains("2020 profile") && d.contains("assigned by Trent"), "{d}");
    }
}
