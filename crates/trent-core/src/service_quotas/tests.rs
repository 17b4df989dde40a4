//! Service Quotas handlers over a tiny in-memory document store.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Value, json};

use super::*;
use crate::key::model::{AliasRecord, KeyManager, KeyRecord, KeySpec};
use crate::kms::wall_clock::ManualWallClock;
use crate::operation::Operation;
use crate::quota::admission::{Admission, Charge, KeyClass};
use crate::quota::{ManualMonotonicClock, Profile, QuotaConfig, QuotaOverride};
use crate::store::{AliasCaps, Doc, Page, StoreError, StoreResult};

/// Only the document methods; everything else is out of scope here. A
/// `failing` store answers every call with a backend error.
#[derive(Default)]
struct DocStore {
    docs: Mutex<BTreeMap<(String, String, String), Doc>>,
    failing: bool,
}

fn unsupported<T>() -> StoreResult<T> {
    Err(StoreError::Backend("not implemented by the test store".into()))
}

#[async_trait::async_trait]
impl KeyStore for DocStore {
    async fn insert_key(&self, _: &KeyRecord) -> StoreResult<()> {
        unsupported()
    }
    async fn insert_key_capped(&self, _: &KeyRecord, _: u64) -> StoreResult<()> {
        unsupported()
    }
    async fn get_key(&self, _: &str) -> StoreResult<Option<KeyRecord>> {
        unsupported()
    }
    async fn update_key(&self, _: &KeyRecord) -> StoreResult<()> {
        unsupported()
    }
    async fn delete_key(&self, _: &str) -> StoreResult<()> {
        unsupported()
    }
    async fn list_keys(&self, _: &str, _: &str, _: Option<&str>, _: usize) -> StoreResult<Page<KeyRecord>> {
        unsupported()
    }
    async fn list_all_keys(&self, _: Option<&str>, _: usize) -> StoreResult<Page<KeyRecord>> {
        unsupported()
    }
    async fn count_keys(&self, _: &str, _: &str) -> StoreResult<u64> {
        unsupported()
    }
    async fn keys_due_for_deletion(&self, _: f64) -> StoreResult<Vec<String>> {
        unsupported()
    }
    async fn insert_alias(&self, _: &AliasRecord) -> StoreResult<()> {
        unsupported()
    }
    async fn update_alias(&self, _: &AliasRecord) -> StoreResult<()> {
        unsupported()
    }
    async fn insert_alias_capped(&self, _: &AliasRecord, _: AliasCaps) -> StoreResult<()> {
        unsupported()
    }
    async fn update_alias_capped(&self, _: &AliasRecord, _: u64) -> StoreResult<()> {
        unsupported()
    }
    async fn insert_doc_capped(&self, _: &Doc, _: u64) -> StoreResult<()> {
        unsupported()
    }
    async fn insert_doc_capped_in_group(&self, _: &Doc, _: u64, _: &str, _: u64) -> StoreResult<()> {
        unsupported()
    }
    async fn delete_alias(&self, _: &str, _: &str, _: &str) -> StoreResult<()> {
        unsupported()
    }
    async fn get_alias(&self, _: &str, _: &str, _: &str) -> StoreResult<Option<AliasRecord>> {
        unsupported()
    }
    async fn list_aliases(
        &self,
        _: &str,
        _: &str,
        _: Option<&str>,
        _: Option<&str>,
        _: usize,
    ) -> StoreResult<Page<AliasRecord>> {
        unsupported()
    }
    async fn insert_doc(&self, doc: &Doc) -> StoreResult<()> {
        if self.failing {
            return unsupported();
        }
        let k = (doc.kind.clone(), doc.scope.clone(), doc.id.clone());
        let mut docs = self.docs.lock();
        if docs.contains_key(&k) {
            return Err(StoreError::AlreadyExists);
        }
        docs.insert(k, doc.clone());
        Ok(())
    }
    async fn put_doc(&self, doc: &Doc) -> StoreResult<()> {
        if self.failing {
            return unsupported();
        }
        self.docs.lock().insert((doc.kind.clone(), doc.scope.clone(), doc.id.clone()), doc.clone());
        Ok(())
    }
    async fn get_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<Option<Doc>> {
        if self.failing {
            return unsupported();
        }
        Ok(self.docs.lock().get(&(kind.to_owned(), scope.to_owned(), id.to_owned())).cloned())
    }
    async fn delete_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<()> {
        if self.failing {
            return unsupported();
        }
        self.docs
            .lock()
            .remove(&(kind.to_owned(), scope.to_owned(), id.to_owned()))
            .map(|_| ())
            .ok_or(StoreError::NotFound)
    }
    async fn wipe(&self) -> StoreResult<()> {
        self.docs.lock().clear();
        Ok(())
    }

    async fn list_docs(&self, kind: &str, scope: Option<&str>) -> StoreResult<Vec<Doc>> {
        if self.failing {
            return unsupported();
        }
        Ok(self
            .docs
            .lock()
            .values()
            .filter(|d| d.kind == kind && scope.is_none_or(|s| d.scope == s))
            .cloned()
            .collect())
    }
}

struct Fixture {
    sq: ServiceQuotas,
    store: Arc<dyn KeyStore>,
    wall: Arc<ManualWallClock>,
}

async fn fixture_with(config: QuotaConfig, store: Arc<dyn KeyStore>) -> Fixture {
    let mono = Arc::new(ManualMonotonicClock::new(1_000_000_000_000));
    let engine = Arc::new(QuotaEngine::new(&config, mono).expect("config"));
    let wall = Arc::new(ManualWallClock::new(1_700_000_000.0));
    let sq = ServiceQuotas::load(engine, store.clone(), wall.clone()).await.expect("load");
    Fixture { sq, store, wall }
}

async fn fixture(profile: Profile) -> Fixture {
    fixture_with(QuotaConfig { profile, ..QuotaConfig::default() }, Arc::new(DocStore::default())).await
}

async fn call(f: &Fixture, caller: &Caller, op: &str, body: Value) -> KmsResult<Value> {
    let out = f.sq.dispatch(caller, op, body.to_string().as_bytes()).await?;
    Ok(serde_json::from_slice(&out).expect("response is JSON"))
}

fn east() -> Caller {
    Caller::new("111122223333", "us-east-1")
}

#[tokio::test]
async fn get_service_quota_reports_the_region_tiered_value() {
    let f = fixture(Profile::Current).await;
    let out = call(&f, &east(), "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-6E3AF000"}))
        .await
        .expect("ok");
    let q = &out["Quota"];
    assert_eq!(q["Value"], json!(100000.0));
    assert_eq!(q["QuotaArn"], "arn:aws:servicequotas:us-east-1:111122223333:kms/L-6E3AF000");
    assert_eq!(q["QuotaCode"], "L-6E3AF000");
    assert_eq!(q["QuotaName"], "Cryptographic operations (symmetric) request rate");
    assert_eq!(q["ServiceCode"], "kms");
    assert_eq!(q["ServiceName"], "AWS Key Management Service (AWS KMS)");
    assert_eq!(q["Unit"], "None");
    assert_eq!(q["Adjustable"], true);
    assert_eq!(q["GlobalQuota"], false);
    assert_eq!(q["QuotaAppliedAtLevel"], "ACCOUNT");
    assert_eq!(q["Period"], json!({"PeriodValue": 1, "PeriodUnit": "SECOND"}));
    assert_eq!(q["UsageMetric"]["MetricDimensions"]["Resource"], "CryptographicOperationsSymmetric");
    // The prefixed target works too.
    let tokyo = Caller::new("111122223333", "ap-northeast-1");
    let out = call(
        &f,
        &tokyo,
        "ServiceQuotasV20190624.GetServiceQuota",
        json!({"ServiceCode": "kms", "QuotaCode": "L-6E3AF000"}),
    )
    .await
    .expect("ok");
    assert_eq!(out["Quota"]["Value"], json!(20000.0));
}

#[tokio::test]
async fn the_2020_profile_reports_2020_values_and_names() {
    let f = fixture(Profile::Y2020).await;
    let c = east();
    let get = |code: &'static str| call(&f, &c, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": code}));
    assert_eq!(get("L-6E3AF000").await.expect("ok")["Quota"]["Value"], json!(30000.0));
    let ecc = get("L-DC14942D").await.expect("ok");
    assert_eq!(ecc["Quota"]["Value"], json!(300.0));
    assert_eq!(ecc["Quota"]["QuotaName"], "Cryptographic operations (ECC) request rate");
    assert_eq!(get("T-GDKP-RSA-4096").await.expect("ok")["Quota"]["Value"], json!(0.1));
    assert_eq!(get("T-GetParametersForImport").await.expect("ok")["Quota"]["Value"], json!(0.25));
}

#[tokio::test]
async fn defaults_ignore_overrides_and_omit_the_account() {
    let config = QuotaConfig {
        overrides: vec![QuotaOverride {
            account_id: "111122223333".into(),
            region: "*".into(),
            quota_code: "L-32B67F4A".into(),
            value: 1.0,
        }],
        ..QuotaConfig::default()
    };
    let f = fixture_with(config, Arc::new(DocStore::default())).await;
    let body = json!({"ServiceCode": "kms", "QuotaCode": "L-32B67F4A"});
    let applied = call(&f, &east(), "GetServiceQuota", body.clone()).await.expect("ok");
    assert_eq!(applied["Quota"]["Value"], json!(1.0));
    let default = call(&f, &east(), "GetAWSDefaultServiceQuota", body).await.expect("ok");
    assert_eq!(default["Quota"]["Value"], json!(5.0));
    assert_eq!(default["Quota"]["QuotaArn"], "arn:aws:servicequotas:us-east-1::kms/L-32B67F4A");
    assert!(default["Quota"].get("QuotaAppliedAtLevel").is_none());
}

#[tokio::test]
async fn unknown_services_and_quotas_are_no_such_resource() {
    let f = fixture(Profile::Current).await;
    let err = call(&f, &east(), "GetServiceQuota", json!({"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"}))
        .await
        .expect_err("ec2");
    assert_eq!(err.kind.aws_type(), "NoSuchResourceException");
    assert_eq!(err.message.as_deref(), Some("The request failed because the specified service does not exist."));
    let err = call(&f, &east(), "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-12345678"}))
        .await
        .expect_err("unknown quota");
    assert_eq!(err.kind, ErrorKind::NoSuchResource);
    assert_eq!(
        err.message.as_deref(),
        Some("The request failed because the specified quota L-12345678 does not exist for service kms.")
    );
    // The custom key store pool is not a Service Quotas quota; SM2 pairs exist only in China.
    for (code, region) in [("T-CustomKeyStore", "us-east-1"), ("T-GDKP-SM2", "us-east-1")] {
        let c = Caller::new("111122223333", region);
        let err = call(&f, &c, "GetAWSDefaultServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": code}))
            .await
            .expect_err(code);
        assert_eq!(err.kind, ErrorKind::NoSuchResource, "{code}");
    }
    let cn = Caller::new("111122223333", "cn-north-1");
    let sm2 = call(&f, &cn, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "T-GDKP-SM2"})).await;
    assert_eq!(sm2.expect("china")["Quota"]["Value"], json!(25.0));
    let err = call(&f, &east(), "ListAWSDefaultServiceQuotas", json!({"ServiceCode": "KMS"})).await.expect_err("case");
    assert_eq!(err.kind, ErrorKind::NoSuchResource);
}

#[tokio::test]
async fn quotas_dropped_in_2021_exist_only_in_the_2020_profile() {
    use crate::quota::resource::{ResourceLimits, ResourceQuota};
    const DROPPED: [&str; 2] = ["T-AliasesPerRegion", "T-GrantsPerPrincipalPerKey"];
    let c = east();
    let listed = |out: Value| -> Vec<String> {
        out["Quotas"]
            .as_array()
            .expect("list")
            .iter()
            .map(|q| q["QuotaCode"].as_str().expect("code").to_owned())
            .collect()
    };

    // Current profile: unknown to Service Quotas, not listed, not raisable.
    let now = fixture(Profile::Current).await;
    for code in DROPPED {
        for op in ["GetServiceQuota", "GetAWSDefaultServiceQuota"] {
            let err = call(&now, &c, op, json!({"ServiceCode": "kms", "QuotaCode": code})).await.expect_err(code);
            assert_eq!(err.kind, ErrorKind::NoSuchResource, "{op} {code}");
        }
        let body = json!({"ServiceCode": "kms", "QuotaCode": code, "DesiredValue": 1e6});
        let err = call(&now, &c, "RequestServiceQuotaIncrease", body).await.expect_err(code);
        assert_eq!(err.kind, ErrorKind::NoSuchResource, "{code}");
    }
    let body = json!({"ServiceCode": "kms", "MaxResults": 100});
    let codes = listed(call(&now, &c, "ListServiceQuotas", body).await.expect("list"));
    assert!(DROPPED.iter().all(|d| !codes.iter().any(|c| c == d)), "{codes:?}");

    // 2020 profile: listed with their 2020 names and values, and adjustable.
    let old = fixture(Profile::Y2020).await;
    for op in ["ListServiceQuotas", "ListAWSDefaultServiceQuotas"] {
        let codes = listed(call(&old, &c, op, json!({"ServiceCode": "kms", "MaxResults": 100})).await.expect(op));
        assert_eq!(codes.len(), 64, "{op}: 62 quotas of today plus the two dropped ones");
        assert_eq!(&codes[62..], DROPPED, "{op}");
    }
    let get = |code: &'static str| call(&old, &c, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": code}));
    let q = get("T-AliasesPerRegion").await.expect("aliases per region");
    assert_eq!(
        (&q["Quota"]["QuotaName"], &q["Quota"]["Value"], &q["Quota"]["Adjustable"]),
        (&json!("Aliases per Region"), &json!(10000.0), &json!(true))
    );
    assert!(q["Quota"].get("Period").is_none(), "a count, not a rate: {q}");
    let q = get("T-GrantsPerPrincipalPerKey").await.expect("grants per principal");
    assert_eq!(
        (&q["Quota"]["QuotaName"], &q["Quota"]["Value"]),
        (&json!("Grants for a given principal per CMK"), &json!(500.0))
    );
    let body = json!({"ServiceCode": "kms", "QuotaCode": "T-GrantsPerPrincipalPerKey", "DesiredValue": 800});
    let out = call(&old, &c, "RequestServiceQuotaIncrease", body).await.expect("raise");
    assert_eq!(out["RequestedQuota"]["Status"], "APPROVED");
    assert_eq!(get("T-GrantsPerPrincipalPerKey").await.expect("raised")["Quota"]["Value"], json!(800.0));
    let engine = old.sq.engine();
    assert_eq!(engine.limit(&c.account_id, &c.region, ResourceQuota::GrantsPerPrincipalPerKey), 800);
}

#[tokio::test]
async fn list_service_quotas_pages_through_every_quota_once() {
    let f = fixture(Profile::Current).await;
    for op in ["ListServiceQuotas", "ListAWSDefaultServiceQuotas"] {
        let mut codes = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut body = json!({"ServiceCode": "kms", "MaxResults": 10});
            if let Some(t) = &token {
                body["NextToken"] = json!(t);
            }
            let out = call(&f, &east(), op, body).await.expect("page");
            pages += 1;
            for q in out["Quotas"].as_array().expect("list") {
                codes.push(q["QuotaCode"].as_str().expect("code").to_owned());
            }
            match out.get("NextToken").and_then(Value::as_str) {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        let expected: Vec<String> = QuotaId::all()
            .filter(|q| q.def().listed_in(Profile::Current, "us-east-1"))
            .map(|q| q.def().code.to_owned())
            .collect();
        assert_eq!(codes, expected, "{op}");
        // 52 request quotas (the SM2 one only in China, the custom key store pool never) + 5 resource quotas.
        assert_eq!(codes.len(), 62);
        assert_eq!(pages, 7);
        for code in ["L-C2F1777E", "L-340F62FB", "L-D594A657", "L-F33DCFEB", "L-0E66C9C0"] {
            assert!(codes.iter().any(|c| c == code), "{op} lacks {code}");
        }
    }
    let one = call(&f, &east(), "ListServiceQuotas", json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190"}))
        .await
        .expect("filter");
    assert_eq!(one["Quotas"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["Quotas"][0]["Value"], json!(1000.0));
    let none = call(&f, &east(), "ListServiceQuotas", json!({"ServiceCode": "kms", "QuotaAppliedAtLevel": "RESOURCE"}))
        .await
        .expect("level");
    assert_eq!(none["Quotas"], json!([]));
}

#[tokio::test]
async fn malformed_requests_get_aws_errors() {
    let f = fixture(Profile::Current).await;
    let c = east();
    let err = call(&f, &c, "ListServiceQuotas", json!({"ServiceCode": "kms", "MaxResults": 0})).await.expect_err("0");
    assert_eq!(err.kind, ErrorKind::Validation);
    assert_eq!(
        err.message.as_deref(),
        Some(
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"
        )
    );
    let err =
        call(&f, &c, "ListServiceQuotas", json!({"ServiceCode": "kms", "NextToken": "Zm9v"})).await.expect_err("token");
    assert_eq!(err.kind.aws_type(), "InvalidPaginationTokenException");
    let err = call(&f, &c, "GetServiceQuota", json!({"QuotaCode": "L-6E3AF000"})).await.expect_err("missing");
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(err.message.as_deref().is_some_and(|m| m.contains("'serviceCode' failed to satisfy constraint")));
    let err = call(&f, &c, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L_6E3AF000"}))
        .await
        .expect_err("pattern");
    assert_eq!(err.kind, ErrorKind::Validation);
    let err = f.sq.dispatch(&c, "GetServiceQuota", b"{not json").await.expect_err("json");
    assert_eq!(err.kind.aws_type(), "SerializationException");
    let err = f.sq.dispatch(&c, "GetServiceQuota", br#"{"ServiceCode": 5}"#).await.expect_err("type");
    assert_eq!(err.kind, ErrorKind::Serialization);
    let err = f.sq.dispatch(&c, "PutServiceQuotaIncreaseRequestIntoTemplate", b"{}").await.expect_err("op");
    assert_eq!(err.kind.aws_type(), "UnknownOperationException");
    let err = call(
        &f,
        &c,
        "RequestServiceQuotaIncrease",
        json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190", "DesiredValue": 2e10}),
    )
    .await
    .expect_err("too big");
    assert_eq!(err.kind, ErrorKind::Validation);
    let err =
        call(&f, &c, "ListRequestedServiceQuotaChangeHistory", json!({"Status": "DONE"})).await.expect_err("enum");
    assert_eq!(err.kind, ErrorKind::Validation);
    let out = call(&f, &c, "ListServices", json!({})).await.expect("services");
    assert_eq!(out["Services"], json!([{"ServiceCode": "kms", "ServiceName": "AWS Key Management Service (AWS KMS)"}]));
    // An empty body is an empty request.
    let err = f.sq.dispatch(&c, "GetServiceQuota", b"").await.expect_err("empty");
    assert_eq!(err.kind, ErrorKind::Validation);
}

#[tokio::test]
async fn enum_filters_are_refused_with_aws_value_sets_in_order() {
    let f = fixture(Profile::Current).await;
    let body = json!({"Status": "DONE", "QuotaRequestedAtLevel": "account"});
    let err = call(&f, &east(), "ListRequestedServiceQuotaChangeHistory", body).await.expect_err("enums");
    assert_eq!(
        err.message.as_deref(),
        Some(
            "2 validation errors detected: Value 'DONE' at 'status' failed to satisfy constraint: \
             Member must satisfy enum value set: [PENDING, CASE_OPENED, APPROVED, DENIED, CASE_CLOSED, NOT_APPROVED, INVALID_REQUEST]; \
             Value 'account' at 'quotaRequestedAtLevel' failed to satisfy constraint: \
             Member must satisfy enum value set: [ACCOUNT, RESOURCE, ALL]"
        )
    );
    let body = json!({"ServiceCode": "kms", "QuotaAppliedAtLevel": "NONE"});
    let err = call(&f, &east(), "ListServiceQuotas", body).await.expect_err("level");
    assert!(err.message.as_deref().is_some_and(|m| m.ends_with(
        "Value 'NONE' at 'quotaAppliedAtLevel' failed to satisfy constraint: Member must satisfy enum value set: [ACCOUNT, RESOURCE, ALL]"
    )));
}

fn rsa_decrypt(caller: &Caller) -> Charge<'_> {
    Charge {
        caller,
        operation: Operation::Decrypt,
        key: Some(KeyClass {
            spec: KeySpec::Rsa2048,
            manager: KeyManager::Customer,
            custom_key_store_id: None,
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab",
        }),
        key_pair_spec: None,
        custom_key_store_id: None,
    }
}

#[tokio::test]
async fn an_increase_is_approved_recorded_and_applied_at_once() {
    let f = fixture(Profile::Current).await;
    let c = east();
    let engine = f.sq.engine().clone();
    let mut ok = 0;
    for _ in 0..1_500 {
        ok += usize::from(engine.admit(&rsa_decrypt(&c)).await.is_ok());
    }
    assert_eq!(ok, 1_000);

    let out = call(
        &f,
        &c,
        "RequestServiceQuotaIncrease",
        json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190", "DesiredValue": 1500}),
    )
    .await
    .expect("approved");
    let rq = &out["RequestedQuota"];
    assert_eq!(rq["Status"], "APPROVED");
    assert_eq!(rq["DesiredValue"], json!(1500.0));
    assert_eq!(rq["QuotaCode"], "L-2AC98190");
    assert_eq!(rq["QuotaName"], "Cryptographic operations (RSA) request rate");
    assert_eq!(rq["QuotaArn"], "arn:aws:servicequotas:us-east-1:111122223333:kms/L-2AC98190");
    assert_eq!(rq["Created"], json!(1_700_000_000.0));
    assert_eq!(rq["Unit"], "None");
    assert_eq!(rq["GlobalQuota"], false);
    assert_eq!(rq["QuotaRequestedAtLevel"], "ACCOUNT");
    let requester: Value = serde_json::from_str(rq["Requester"].as_str().expect("string")).expect("json");
    assert_eq!(requester["accountId"], "111122223333");
    let id = rq["Id"].as_str().expect("id").to_owned();

    // The new value is enforced for the very next request.
    let mut ok = 0;
    for _ in 0..2_000 {
        ok += usize::from(engine.admit(&rsa_decrypt(&c)).await.is_ok());
    }
    assert_eq!(ok, 1_500);
    let q = call(&f, &c, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190"})).await;
    assert_eq!(q.expect("get")["Quota"]["Value"], json!(1500.0));
    let d = call(&f, &c, "GetAWSDefaultServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190"})).await;
    assert_eq!(d.expect("default")["Quota"]["Value"], json!(1000.0));

    // Only for this account and region.
    let west = Caller::new("111122223333", "us-west-2");
    let q = call(&f, &west, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190"})).await;
    assert_eq!(q.expect("get")["Quota"]["Value"], json!(1000.0));

    let got = call(&f, &c, "GetRequestedServiceQuotaChange", json!({"RequestId": id})).await.expect("get");
    assert_eq!(&got["RequestedQuota"], rq);
    let err = call(&f, &west, "GetRequestedServiceQuotaChange", json!({"RequestId": id})).await.expect_err("region");
    assert_eq!(err.kind, ErrorKind::NoSuchResource);
}

#[tokio::test]
async fn increases_must_exceed_the_current_value() {
    let f = fixture(Profile::Current).await;
    let c = east();
    for desired in [1000.0, 999.0, 0.0] {
        let err = call(
            &f,
            &c,
            "RequestServiceQuotaIncrease",
            json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190", "DesiredValue": desired}),
        )
        .await
        .expect_err("not an increase");
        assert_eq!(err.kind.aws_type(), "IllegalArgumentException");
        assert_eq!(err.message.as_deref(), Some("You must provide a quota value greater than the current quota value"));
        assert_eq!(err.kind.message_member(), "Message");
    }
    let raise = |v: f64| {
        call(
            &f,
            &c,
            "RequestServiceQuotaIncrease",
            json!({"ServiceCode": "kms", "QuotaCode": "T-ListKeys", "DesiredValue": v}),
        )
    };
    raise(600.0).await.expect("first");
    assert_eq!(raise(600.0).await.expect_err("same again").kind, ErrorKind::IllegalArgument);
    raise(600.5).await.expect("fractional step up");
    let err = call(
        &f,
        &c,
        "RequestServiceQuotaIncrease",
        json!({"ServiceCode": "kms", "QuotaCode": "T-CustomKeyStore", "DesiredValue": 5000}),
    )
    .await
    .expect_err("not in Service Quotas");
    assert_eq!(err.kind, ErrorKind::NoSuchResource);
}

#[tokio::test]
async fn history_lists_newest_first_with_filters_and_pages() {
    let f = fixture(Profile::Current).await;
    let c = east();
    let mut ids = Vec::new();
    for (code, value) in [("L-2AC98190", 2000.0), ("T-ListKeys", 600.0), ("L-2AC98190", 3000.0)] {
        f.wall.advance(10.0);
        let out = call(
            &f,
            &c,
            "RequestServiceQuotaIncrease",
            json!({"ServiceCode": "kms", "QuotaCode": code, "DesiredValue": value}),
        )
        .await
        .expect("approved");
        ids.push(out["RequestedQuota"]["Id"].as_str().expect("id").to_owned());
    }
    let ids_of = |v: &Value| -> Vec<String> {
        v["RequestedQuotas"]
            .as_array()
            .expect("list")
            .iter()
            .map(|r| r["Id"].as_str().expect("id").to_owned())
            .collect()
    };
    let all = call(&f, &c, "ListRequestedServiceQuotaChangeHistory", json!({})).await.expect("all");
    assert_eq!(ids_of(&all), vec![ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    let kms =
        call(&f, &c, "ListRequestedServiceQuotaChangeHistory", json!({"ServiceCode": "kms", "Status": "APPROVED"}))
            .await
            .expect("approved");
    assert_eq!(ids_of(&kms).len(), 3);
    let pending = call(&f, &c, "ListRequestedServiceQuotaChangeHistory", json!({"Status": "PENDING"})).await;
    assert_eq!(ids_of(&pending.expect("pending")).len(), 0);
    let rsa = call(
        &f,
        &c,
        "ListRequestedServiceQuotaChangeHistoryByQuota",
        json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190", "MaxResults": 1}),
    )
    .await
    .expect("by quota");
    assert_eq!(ids_of(&rsa), vec![ids[2].clone()]);
    let token = rsa["NextToken"].as_str().expect("more").to_owned();
    let rsa2 = call(
        &f,
        &c,
        "ListRequestedServiceQuotaChangeHistoryByQuota",
        json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190", "MaxResults": 1, "NextToken": token}),
    )
    .await
    .expect("page 2");
    assert_eq!(ids_of(&rsa2), vec![ids[0].clone()]);
    assert!(rsa2.get("NextToken").is_none());
    let other = Caller::new("444455556666", "us-east-1");
    let theirs = call(&f, &other, "ListRequestedServiceQuotaChangeHistory", json!({})).await.expect("other");
    assert_eq!(ids_of(&theirs).len(), 0);
    let err = call(&f, &c, "ListRequestedServiceQuotaChangeHistory", json!({"ServiceCode": "ec2"})).await;
    assert_eq!(err.expect_err("ec2").kind, ErrorKind::NoSuchResource);
}

#[tokio::test]
async fn approved_increases_survive_a_restart() {
    let store: Arc<dyn KeyStore> = Arc::new(DocStore::default());
    let f = fixture_with(QuotaConfig::default(), store.clone()).await;
    let c = east();
    call(
        &f,
        &c,
        "RequestServiceQuotaIncrease",
        json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190", "DesiredValue": 1200}),
    )
    .await
    .expect("approved");
    call(
        &f,
        &c,
        "RequestServiceQuotaIncrease",
        json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190", "DesiredValue": 1800}),
    )
    .await
    .expect("approved");
    assert_eq!(f.store.list_docs(history::DOC_KIND, None).await.expect("docs").len(), 2);
    drop(f);

    // A bad document must not stop startup.
    store
        .put_doc(&Doc { kind: history::DOC_KIND.into(), scope: "x".into(), id: "junk".into(), body: "{".into() })
        .await
        .expect("put");
    let f = fixture_with(QuotaConfig::default(), store).await;
    let q = call(&f, &c, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-2AC98190"})).await;
    assert_eq!(q.expect("get")["Quota"]["Value"], json!(1800.0));
    let engine = f.sq.engine().clone();
    let mut ok = 0;
    for _ in 0..2_000 {
        ok += usize::from(engine.admit(&rsa_decrypt(&c)).await.is_ok());
    }
    assert_eq!(ok, 1_800);
    let hist = call(&f, &c, "ListRequestedServiceQuotaChangeHistory", json!({})).await.expect("history");
    assert_eq!(hist["RequestedQuotas"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn store_failures_are_internal_errors() {
    let mono = Arc::new(ManualMonotonicClock::new(0));
    let engine = Arc::new(QuotaEngine::new(&QuotaConfig::default(), mono).expect("config"));
    let wall = Arc::new(ManualWallClock::new(0.0));
    let failing: Arc<dyn KeyStore> = Arc::new(DocStore { failing: true, ..DocStore::default() });
    let err = ServiceQuotas::load(engine.clone(), failing.clone(), wall.clone()).await.expect_err("load");
    assert_eq!(err.kind, ErrorKind::KmsInternal);
    // Built over a working store, then the store breaks: the increase is not applied.
    let good: Arc<dyn KeyStore> = Arc::new(DocStore::default());
    let sq = ServiceQuotas::load(engine.clone(), good, wall.clone()).await.expect("load");
    let sq = ServiceQuotas { store: failing, ..sq };
    let req = RequestServiceQuotaIncreaseRequest {
        service_code: Some("kms".into()),
        quota_code: Some("L-2AC98190".into()),
        desired_value: Some(5000.0),
        ..Default::default()
    };
    let err = sq.request_service_quota_increase(&east(), req).await.expect_err("store down");
    assert_eq!(err.kind, ErrorKind::KmsInternal);
    assert_eq!(engine.applied_value("111122223333", "us-east-1", QuotaId::RSA), 1000.0);
}

#[tokio::test]
async fn resource_quotas_are_counts_listed_beside_request_quotas() {
    use crate::quota::resource::{ResourceLimits, ResourceQuota};
    let f = fixture(Profile::Current).await;
    let c = east();
    let q = call(&f, &c, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-C2F1777E"})).await;
    let q = q.expect("keys")["Quota"].clone();
    assert_eq!(q["Value"], json!(100000.0));
    assert_eq!(q["QuotaName"], "Customer Master Keys (CMKs)");
    assert_eq!(q["Unit"], "None");
    assert_eq!(q["Adjustable"], true);
    assert_eq!(q["GlobalQuota"], false);
    assert_eq!(q["QuotaAppliedAtLevel"], "ACCOUNT");
    assert!(q.get("Period").is_none(), "a count has no period: {q}");
    assert_eq!(q["UsageMetric"]["MetricName"], "ResourceCount");
    assert_eq!(q["UsageMetric"]["MetricDimensions"]["Resource"], "KeysPerAccount");
    let rot = call(&f, &c, "GetAWSDefaultServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-0E66C9C0"})).await;
    let rot = rot.expect("rotations")["Quota"].clone();
    assert_eq!((rot["Value"].clone(), rot["Adjustable"].clone()), (json!(25.0), json!(false)));

    let old = fixture(Profile::Y2020).await;
    for (code, value) in [("L-C2F1777E", 10000.0), ("L-D594A657", 50000.0), ("L-340F62FB", 50.0), ("L-F33DCFEB", 10.0)]
    {
        let q = call(&old, &c, "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": code})).await;
        assert_eq!(q.expect("2020")["Quota"]["Value"], json!(value), "{code}");
    }
    assert_eq!(old.sq.engine().limit("111122223333", "us-east-1", ResourceQuota::Keys), 10_000);
}

#[tokio::test]
async fn resource_quota_increases_apply_to_the_limit_and_fixed_ones_are_refused() {
    use crate::quota::resource::{ResourceLimits, ResourceQuota};
    let store: Arc<dyn KeyStore> = Arc::new(DocStore::default());
    let config = QuotaConfig {
        overrides: vec![QuotaOverride {
            account_id: "*".into(),
            region: "*".into(),
            quota_code: "L-C2F1777E".into(),
            value: 3.0,
        }],
        ..QuotaConfig::default()
    };
    let f = fixture_with(config.clone(), store.clone()).await;
    let c = east();
    let engine = f.sq.engine().clone();
    assert_eq!(engine.limit(&c.account_id, &c.region, ResourceQuota::Keys), 3, "config override");
    let raise = |code: &'static str, v: f64| {
        call(&f, &c, "RequestServiceQuotaIncrease", json!({"ServiceCode": "kms", "QuotaCode": code, "DesiredValue": v}))
    };
    let out = raise("L-C2F1777E", 5.0).await.expect("approved");
    assert_eq!(out["RequestedQuota"]["QuotaName"], "Customer Master Keys (CMKs)");
    assert_eq!(engine.limit(&c.account_id, &c.region, ResourceQuota::Keys), 5, "applied at once");
    assert_eq!(engine.limit("444455556666", &c.region, ResourceQuota::Keys), 3, "other accounts keep theirs");
    assert_eq!(raise("L-C2F1777E", 5.0).await.expect_err("same").kind, ErrorKind::IllegalArgument);

    let err = raise("L-0E66C9C0", 50.0).await.expect_err("fixed");
    assert_eq!(err.kind, ErrorKind::IllegalArgument);
    assert_eq!(err.message.as_deref(), Some("The request failed because the specified quota is not adjustable."));
    assert_eq!(engine.limit(&c.account_id, &c.region, ResourceQuota::OnDemandRotationsPerKey), 25);

    // Durable like request-quota increases.
    drop(f);
    let f = fixture_with(config, store).await;
    assert_eq!(f.sq.engine().limit(&c.account_id, &c.region, ResourceQuota::Keys), 5, "after a restart");
}

mod lifecycle;
