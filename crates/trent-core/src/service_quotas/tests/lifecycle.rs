//! The request life cycle under each approval policy, with the wall clock
//! moved by hand and "restarts" and "other processes" played by new
//! `ServiceQuotas` over the same store.

use std::time::Duration;

use super::*;
use crate::service_quotas::history::{RequestStatus, STATUS_KIND};
use crate::service_quotas::lifecycle::{Advanced, Decision, DecisionError};
use crate::service_quotas::policy::ApprovalPolicy;

const RSA: &str = "L-2AC98190";
const T0: f64 = 1_700_000_000.0;

/// A `ServiceQuotas` with its own engine (as a separate process would have)
/// over `store`, deciding under `policy`; the clock shows [`T0`].
async fn node(store: &Arc<dyn KeyStore>, policy: ApprovalPolicy) -> Fixture {
    let f = fixture_with(QuotaConfig::default(), store.clone()).await;
    Fixture { sq: f.sq.with_approval(policy), ..f }
}

async fn fresh(policy: ApprovalPolicy) -> Fixture {
    node(&(Arc::new(DocStore::default()) as Arc<dyn KeyStore>), policy).await
}

async fn request(f: &Fixture, code: &str, value: f64) -> KmsResult<Value> {
    call(
        f,
        &east(),
        "RequestServiceQuotaIncrease",
        json!({"ServiceCode": "kms", "QuotaCode": code, "DesiredValue": value}),
    )
    .await
    .map(|v| v["RequestedQuota"].clone())
}

async fn get(f: &Fixture, id: &str) -> Value {
    call(f, &east(), "GetRequestedServiceQuotaChange", json!({"RequestId": id})).await.expect("get")["RequestedQuota"]
        .clone()
}

fn id_of(v: &Value) -> String {
    v["Id"].as_str().expect("Id").to_owned()
}

async fn rsa_value(f: &Fixture) -> f64 {
    let q = call(f, &east(), "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": RSA})).await;
    q.expect("get quota")["Quota"]["Value"].as_f64().expect("value")
}

/// RSA decrypts the engine admits out of 2,000 offered in one instant (the
/// burst is one second's worth, so this is the enforced value).
async fn rsa_admitted(f: &Fixture) -> usize {
    let c = east();
    let mut ok = 0;
    for _ in 0..2_000 {
        ok += usize::from(f.sq.engine().admit(&rsa_decrypt(&c)).await.is_ok());
    }
    ok
}

async fn status_changes(f: &Fixture) -> usize {
    f.store.list_docs(STATUS_KIND, None).await.expect("status docs").len()
}

#[tokio::test]
async fn manual_requests_wait_for_the_operator_and_apply_only_once_approved() {
    let f = fresh(ApprovalPolicy::Manual).await;
    let made = request(&f, RSA, 1500.0).await.expect("requested");
    assert_eq!(made["Status"], "PENDING");
    assert!(made.get("CaseId").is_none(), "no case before the pass: {made}");
    assert_eq!(made["Created"], json!(T0));
    assert_eq!(made["LastUpdated"], json!(T0));
    let id = id_of(&made);
    assert_eq!(get(&f, &id).await, made);
    assert_eq!(rsa_value(&f).await, 1000.0);

    f.wall.advance(5.0);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced { opened: 1, approved: 0, applied: 0 });
    let opened = get(&f, &id).await;
    assert_eq!(opened["Status"], "CASE_OPENED");
    assert_eq!(opened["LastUpdated"], json!(T0 + 5.0));
    assert_eq!(opened["Created"], json!(T0));
    let case = opened["CaseId"].as_str().expect("case id").to_owned();
    assert_eq!(case.len(), 10);
    assert!(case.bytes().all(|b| b.is_ascii_digit()), "{case}");

    // Time alone never approves under manual.
    f.wall.advance(30.0 * 86_400.0);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced::default());
    assert_eq!(get(&f, &id).await, opened);
    assert_eq!(rsa_value(&f).await, 1000.0);
    assert_eq!(rsa_admitted(&f).await, 1000);

    let listed = f.sq.operator_requests(Some("CASE_OPENED")).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].account_id, "111122223333");
    assert_eq!(listed[0].region, "us-east-1");
    assert_eq!(listed[0].request.id, id);
    assert!(f.sq.operator_requests(Some("APPROVED")).await.expect("list").is_empty());

    let decided = f.sq.decide(&id, Decision::Approve).await.expect("approve");
    assert_eq!(decided.request.status, "APPROVED");
    assert_eq!(decided.request.case_id.as_deref(), Some(case.as_str()));
    let approved = get(&f, &id).await;
    assert_eq!(approved["Status"], "APPROVED");
    assert_eq!(approved["LastUpdated"], json!(T0 + 5.0 + 30.0 * 86_400.0));
    assert_eq!(approved["CaseId"], json!(case));
    // Applied at once, bucket refilled.
    assert_eq!(rsa_value(&f).await, 1500.0);
    assert_eq!(rsa_admitted(&f).await, 1500);

    let by_status = call(&f, &east(), "ListRequestedServiceQuotaChangeHistory", json!({"Status": "APPROVED"})).await;
    assert_eq!(by_status.expect("history")["RequestedQuotas"][0]["Id"], json!(id));
    let opened_now =
        call(&f, &east(), "ListRequestedServiceQuotaChangeHistory", json!({"Status": "CASE_OPENED"})).await;
    assert_eq!(opened_now.expect("history")["RequestedQuotas"], json!([]));

    // Decisions are final.
    for d in [Decision::Approve, Decision::Deny, Decision::Close] {
        match f.sq.decide(&id, d).await {
            Err(DecisionError::AlreadyDecided { id: got, status }) => {
                assert_eq!((got.as_str(), status.as_str()), (id.as_str(), "APPROVED"));
            }
            other => panic!("{d:?} on an approved request: {other:?}"),
        }
    }
    let msg = f.sq.decide(&id, Decision::Deny).await.expect_err("final").to_string();
    assert!(msg.contains("is already APPROVED"), "{msg}");
    assert_eq!(status_changes(&f).await, 2);
}

#[tokio::test]
async fn denied_and_closed_requests_never_apply() {
    let f = fresh(ApprovalPolicy::Manual).await;
    let id = id_of(&request(&f, RSA, 1500.0).await.expect("requested"));
    f.sq.advance().await.expect("pass");
    let denied = f.sq.decide(&id, Decision::Deny).await.expect("deny");
    assert_eq!(denied.request.status, "DENIED");
    assert_eq!(get(&f, &id).await["Status"], "DENIED");
    assert_eq!(rsa_value(&f).await, 1000.0);
    // A denied request is not open: another may be made, and closed.
    let again = id_of(&request(&f, RSA, 1200.0).await.expect("second request"));
    f.wall.advance(1.0);
    let closed = f.sq.decide(&again, Decision::Close).await.expect("close");
    assert_eq!(closed.request.status, "CASE_CLOSED");
    assert!(closed.request.case_id.is_some(), "closing opened the case first");
    f.wall.advance(86_400.0);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced::default());
    assert_eq!(rsa_value(&f).await, 1000.0);
    assert_eq!(rsa_admitted(&f).await, 1000);
    assert!(matches!(
        f.sq.decide(&again, Decision::Approve).await,
        Err(DecisionError::AlreadyDecided { status, .. }) if status == "CASE_CLOSED"
    ));
}

#[tokio::test]
async fn a_decision_on_a_pending_request_opens_its_case_first() {
    let f = fresh(ApprovalPolicy::Manual).await;
    let id = id_of(&request(&f, RSA, 1500.0).await.expect("requested"));
    let approved = f.sq.decide(&id, Decision::Approve).await.expect("approve");
    assert_eq!(approved.request.status, "APPROVED");
    assert!(approved.request.case_id.is_some());
    assert_eq!(status_changes(&f).await, 2, "CASE_OPENED, then APPROVED");
    assert_eq!(rsa_value(&f).await, 1500.0);
}

#[tokio::test]
async fn after_approves_once_the_delay_since_the_request_has_passed() {
    let f = fresh(ApprovalPolicy::After(Duration::from_secs(30))).await;
    let made = request(&f, RSA, 1500.0).await.expect("requested");
    assert_eq!(made["Status"], "PENDING");
    let id = id_of(&made);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced { opened: 1, approved: 0, applied: 0 });
    assert_eq!(get(&f, &id).await["Status"], "CASE_OPENED");

    f.wall.advance(29.999);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced::default());
    assert_eq!(get(&f, &id).await["Status"], "CASE_OPENED");
    assert_eq!(rsa_value(&f).await, 1000.0);

    f.wall.advance(0.001);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced { opened: 0, approved: 1, applied: 0 });
    let approved = get(&f, &id).await;
    assert_eq!(approved["Status"], "APPROVED");
    assert_eq!(approved["LastUpdated"], json!(T0 + 30.0));
    assert_eq!(rsa_value(&f).await, 1500.0);
    assert_eq!(rsa_admitted(&f).await, 1500);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced::default(), "nothing left to do");
}

#[tokio::test]
async fn after_lets_the_operator_deny_before_the_delay() {
    let f = fresh(ApprovalPolicy::After(Duration::from_secs(60))).await;
    let id = id_of(&request(&f, RSA, 1500.0).await.expect("requested"));
    f.sq.decide(&id, Decision::Deny).await.expect("deny");
    f.wall.advance(120.0);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced::default());
    assert_eq!(get(&f, &id).await["Status"], "DENIED");
    assert_eq!(rsa_value(&f).await, 1000.0);
}

#[tokio::test]
async fn a_delay_shorter_than_the_pass_goes_through_case_opened_in_one_pass() {
    let f = fresh(ApprovalPolicy::After(Duration::ZERO)).await;
    let id = id_of(&request(&f, RSA, 1500.0).await.expect("requested"));
    assert_eq!(rsa_value(&f).await, 1000.0, "not applied before the pass");
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced { opened: 1, approved: 1, applied: 0 });
    let r = get(&f, &id).await;
    assert_eq!(r["Status"], "APPROVED");
    assert!(r.get("CaseId").is_some());
    assert_eq!(status_changes(&f).await, 2);
    assert_eq!(rsa_value(&f).await, 1500.0);
}

#[tokio::test]
async fn only_one_open_request_per_quota() {
    let f = fresh(ApprovalPolicy::Manual).await;
    let first = id_of(&request(&f, RSA, 1500.0).await.expect("first"));
    let err = request(&f, RSA, 2000.0).await.expect_err("second while open");
    assert_eq!(err.kind.aws_type(), "ResourceAlreadyExistsException");
    assert_eq!(err.message.as_deref(), Some("Only one open service quota increase request is allowed per quota."));
    f.sq.advance().await.expect("pass");
    assert_eq!(request(&f, RSA, 2000.0).await.expect_err("still open").kind, ErrorKind::ResourceAlreadyExists);
    // Not an increase is still the first complaint; other quotas are independent.
    assert_eq!(request(&f, RSA, 900.0).await.expect_err("lower").kind, ErrorKind::IllegalArgument);
    request(&f, "T-ListKeys", 600.0).await.expect("another quota");
    f.sq.decide(&first, Decision::Approve).await.expect("approve");
    let next = request(&f, RSA, 2000.0).await.expect("after the decision");
    assert_eq!(next["Status"], "PENDING");
    // Only 1500 applies so far: 1800 is above it.
    assert_eq!(rsa_value(&f).await, 1500.0);
}

#[tokio::test]
async fn every_state_survives_a_restart() {
    let store: Arc<dyn KeyStore> = Arc::new(DocStore::default());
    let f = node(&store, ApprovalPolicy::Manual).await;
    let opened = id_of(&request(&f, "T-ListKeys", 600.0).await.expect("to open"));
    let approved = id_of(&request(&f, RSA, 1500.0).await.expect("to approve"));
    let denied = id_of(&request(&f, "L-32B67F4A", 50.0).await.expect("to deny"));
    let closed = id_of(&request(&f, "T-TagResource", 50.0).await.expect("to close"));
    f.sq.advance().await.expect("pass");
    f.wall.advance(1.0);
    f.sq.decide(&approved, Decision::Approve).await.expect("approve");
    f.sq.decide(&denied, Decision::Deny).await.expect("deny");
    f.sq.decide(&closed, Decision::Close).await.expect("close");
    let pending = id_of(&request(&f, "T-GetPublicKey", 3000.0).await.expect("made after the pass"));
    let ids = [&pending, &opened, &approved, &denied, &closed];
    let mut before = Vec::new();
    for id in ids {
        before.push(get(&f, id).await);
    }
    let statuses: Vec<&str> = before.iter().map(|r| r["Status"].as_str().expect("status")).collect();
    assert_eq!(statuses, ["PENDING", "CASE_OPENED", "APPROVED", "DENIED", "CASE_CLOSED"]);
    drop(f);

    // A restart: a new engine and API over the same store.
    let f = node(&store, ApprovalPolicy::Manual).await;
    for (id, was) in ids.into_iter().zip(&before) {
        assert_eq!(&get(&f, id).await, was, "request {id} after restart");
    }
    assert_eq!(rsa_value(&f).await, 1500.0, "the approved value is re-applied");
    let create_key =
        call(&f, &east(), "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "L-32B67F4A"})).await;
    assert_eq!(create_key.expect("CreateKey quota")["Quota"]["Value"], json!(5.0), "the denied value is not");
    let tag = call(&f, &east(), "GetServiceQuota", json!({"ServiceCode": "kms", "QuotaCode": "T-TagResource"})).await;
    assert_eq!(tag.expect("TagResource quota")["Quota"]["Value"], json!(10.0), "nor the closed one");
}

#[tokio::test]
async fn an_instant_policy_approves_requests_an_earlier_policy_left_open() {
    let store: Arc<dyn KeyStore> = Arc::new(DocStore::default());
    let f = node(&store, ApprovalPolicy::Manual).await;
    let id = id_of(&request(&f, RSA, 1500.0).await.expect("requested"));
    f.sq.advance().await.expect("pass");
    drop(f);
    let f = node(&store, ApprovalPolicy::Instant).await;
    assert_eq!(rsa_value(&f).await, 1000.0);
    assert_eq!(f.sq.advance().await.expect("pass"), Advanced { opened: 0, approved: 1, applied: 0 });
    assert_eq!(get(&f, &id).await["Status"], "APPROVED");
    assert_eq!(rsa_value(&f).await, 1500.0);
}

#[tokio::test]
async fn two_processes_never_both_decide_and_each_applies_the_others_approval() {
    let store: Arc<dyn KeyStore> = Arc::new(DocStore::default());
    let a = node(&store, ApprovalPolicy::Manual).await;
    let b = node(&store, ApprovalPolicy::Manual).await;
    let id = id_of(&request(&a, RSA, 1500.0).await.expect("requested"));
    a.sq.advance().await.expect("pass");
    b.sq.decide(&id, Decision::Deny).await.expect("b denies");
    match a.sq.decide(&id, Decision::Approve).await {
        Err(DecisionError::AlreadyDecided { status, .. }) => assert_eq!(status, "DENIED"),
        other => panic!("a approved after b denied: {other:?}"),
    }
    assert_eq!(rsa_value(&a).await, 1000.0);

    // An approval by B reaches A's engine at A's next pass.
    let id = id_of(&request(&a, RSA, 1800.0).await.expect("again"));
    b.sq.decide(&id, Decision::Approve).await.expect("b approves");
    assert_eq!(rsa_value(&b).await, 1800.0);
    assert_eq!(rsa_value(&a).await, 1000.0);
    assert_eq!(a.sq.advance().await.expect("pass"), Advanced { opened: 0, approved: 0, applied: 1 });
    assert_eq!(rsa_value(&a).await, 1800.0);
    assert_eq!(rsa_admitted(&a).await, 1800);
}

#[tokio::test]
async fn a_stale_writer_loses_the_compare_and_swap() {
    let f = fresh(ApprovalPolicy::Manual).await;
    let id = id_of(&request(&f, RSA, 1500.0).await.expect("requested"));
    f.sq.advance().await.expect("pass");
    let stale = history::get_stored(&f.store, "111122223333", "us-east-1", &id).await.expect("read").expect("there");
    let won = history::change_status(&f.store, &stale, RequestStatus::Approved, T0, None).await.expect("write");
    assert_eq!(won.expect("first writer wins").change.status, "APPROVED");
    let lost = history::change_status(&f.store, &stale, RequestStatus::Denied, T0, None).await.expect("write");
    assert!(lost.is_none(), "the second writer must lose");
    assert_eq!(get(&f, &id).await["Status"], "APPROVED");
    // Moves outside the life cycle are refused outright.
    let now = history::get_stored(&f.store, "111122223333", "us-east-1", &id).await.expect("read").expect("there");
    let err = history::change_status(&f.store, &now, RequestStatus::Pending, T0, None).await.expect_err("backwards");
    assert_eq!(err.kind, ErrorKind::KmsInternal);
}

#[tokio::test]
async fn operator_errors_say_what_went_wrong() {
    let f = fresh(ApprovalPolicy::Manual).await;
    let err = f.sq.decide("0123456789abcdef", Decision::Approve).await.expect_err("unknown");
    assert!(matches!(err, DecisionError::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains("no quota increase request has id 0123456789abcdef"), "{err}");
    let err = f.sq.operator_requests(Some("OPEN")).await.expect_err("bad status");
    assert!(err.to_string().contains("unknown status \"OPEN\""), "{err}");
    let err = call(&f, &east(), "ListRequestedServiceQuotaChangeHistory", json!({"Status": "OPEN"})).await;
    assert_eq!(err.expect_err("bad status").kind, ErrorKind::Validation);
}

#[test]
fn the_status_filter_knows_every_status_of_the_model() {
    let names: Vec<&str> = RequestStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        ["PENDING", "CASE_OPENED", "APPROVED", "DENIED", "CASE_CLOSED", "NOT_APPROVED", "INVALID_REQUEST"]
    );
    for &s in RequestStatus::ALL {
        assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        // Only the life cycle's moves are allowed.
        let next: Vec<RequestStatus> = RequestStatus::ALL.iter().copied().filter(|t| s.can_become(*t)).collect();
        let expected: &[RequestStatus] = match s {
            RequestStatus::Pending => &[RequestStatus::CaseOpened],
            RequestStatus::CaseOpened => &[RequestStatus::Approved, RequestStatus::Denied, RequestStatus::CaseClosed],
            _ => &[],
        };
        assert_eq!(next, expected, "{s}");
    }
    assert_eq!(Decision::from_verb("approve"), Some(Decision::Approve));
    assert_eq!(Decision::from_verb("close"), Some(Decision::Close));
    assert_eq!(Decision::from_verb("cancel"), None);
}
