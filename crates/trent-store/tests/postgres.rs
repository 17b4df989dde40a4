//! PostgreSQL backend tests: the shared conformance suite, and what only
//! several nodes on one database can show: capped inserts raced from two
//! stores and from several processes, compare-and-swap across stores, due
//! work handed out once, listing in byte order under a linguistic default
//! collation, and acknowledged writes surviving a server crash.
//!
//! One PostgreSQL server per test binary ([`PgServer::shared`]: `initdb`
//! costs seconds), one fresh database per test (a tenth of a second), so
//! tests running in parallel never see each other's data or due work.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use trent_core::key::model::AliasRecord;
use trent_core::store::{Doc, KeyStore, StoreError};
use trent_store::conformance::{self, due_claims, races, sample_key};
use trent_store::{PostgresOptions, PostgresStore};
use trent_testkit::PgServer;

/// A fresh database on this test binary's server (started by the first caller).
async fn fresh_db() -> String {
    tokio::task::spawn_blocking(|| PgServer::shared().and_then(PgServer::create_database))
        .await
        .expect("join")
        .expect("fresh database")
}

/// A store on a fresh database.
async fn fresh_store() -> PostgresStore {
    PostgresStore::connect(&fresh_db().await).await.expect("connect")
}

// The whole conformance suite, one test per case, each on its own database:
// `postgres::key_crud`, ..., `postgres::concurrent_updates` (16 tasks x 10
// updates) and `postgres::concurrent_capped_inserts` (24 tasks, cap 7).
trent_store::conformance_tests!(postgres, fresh_store().await);

#[tokio::test]
async fn conformance_twice_and_after_reconnect() {
    let url = fresh_db().await;
    let store = PostgresStore::connect(&url).await.expect("connect");
    conformance::run_all(&store).await;
    // Again on the now non-empty database: the suite must not depend on emptiness.
    conformance::run_all(&store).await;
    store.close().await;
    // A second connect finds the schema in place (migrations already applied).
    let store = PostgresStore::connect(&url).await.expect("reconnect");
    conformance::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capped_race_two_stores_on_one_database() {
    // Two pools stand in for two Trent nodes: the caps hold across them.
    let url = fresh_db().await;
    let a: Arc<dyn KeyStore> = Arc::new(PostgresStore::connect(&url).await.expect("a"));
    let b: Arc<dyn KeyStore> = Arc::new(PostgresStore::connect(&url).await.expect("b"));
    let race = races::concurrent_capped_inserts(&[a, b], 30, 6).await;
    assert_eq!((race.keys, race.aliases, race.docs, race.region_aliases, race.grouped_docs), (6, 6, 6, 6, 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cas_race_two_stores_on_one_database() {
    let url = fresh_db().await;
    let a = PostgresStore::connect(&url).await.expect("a");
    let b = PostgresStore::connect(&url).await.expect("b");
    let key = sample_key("7c1f0e2d-aaaa-4bbb-8ccc-ddddeeeeffff", "111122223333", "us-east-1");
    a.insert_key(&key).await.expect("insert via a");
    let (mut from_a, mut from_b) = (key.clone(), key.clone());
    from_a.version += 1;
    from_a.description = "a".into();
    from_b.version += 1;
    from_b.description = "b".into();
    a.update_key(&from_a).await.expect("a wins");
    assert!(matches!(b.update_key(&from_b).await, Err(StoreError::Conflict)), "b must lose the CAS");
    assert_eq!(b.get_key(&key.key_id).await.expect("b reads").map(|k| k.description), Some("a".into()));
    // And raced from many tasks through one store of the pair.
    let outcome = races::concurrent_updates(Arc::new(b), 8, 5).await;
    assert_eq!(outcome.updates, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn due_work_is_handed_out_once_across_two_stores() {
    let url = fresh_db().await;
    let a = PostgresStore::connect(&url).await.expect("a");
    let b = PostgresStore::connect(&url).await.expect("b");
    assert_ne!(a.node_id(), b.node_id());
    due_claims::due_work_is_handed_out_once(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_work_claims_lapse_after_the_lease() {
    let url = fresh_db().await;
    let lease = Duration::from_millis(800);
    let options = PostgresOptions { claim_lease: lease, ..PostgresOptions::default() };
    let a = PostgresStore::connect_with(&url, options.clone()).await.expect("a");
    let b = PostgresStore::connect_with(&url, options).await.expect("b");
    due_claims::claims_lapse_after_the_lease(&a, &b, lease).await;
}

#[tokio::test]
async fn listing_is_byte_order_whatever_the_default_collation() {
    // The testkit's databases sort linguistically by default ("a" < "B"); the
    // store's columns are COLLATE "C", so listings come back in byte order.
    let store = fresh_store().await;
    let (account, region) = ("210987654321", "eu-south-2");
    let ids = ["b0000000-0000-4000-8000-000000000000", "B0000000-0000-4000-8000-000000000000", "a-1", "A_2", "_z"];
    for id in ids {
        store.insert_key(&sample_key(id, account, region)).await.expect("insert key");
    }
    let mut want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    want.sort();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_keys(account, region, after.as_deref(), 2).await.expect("list keys");
        seen.extend(page.items.iter().map(|k| k.key_id.clone()));
        after = seen.last().cloned();
        if !page.truncated {
            break;
        }
    }
    assert_eq!(seen, want, "keys in byte order, paged with key_id > after");

    let names = ["alias/b", "alias/B", "alias/a-b", "alias/A_b", "alias/_"];
    for name in names {
        let alias = AliasRecord {
            account_id: account.into(),
            region: region.into(),
            alias_name: name.into(),
            target_key_id: ids[0].into(),
            creation_date: 1.0,
            last_updated_date: 1.0,
        };
        store.insert_alias(&alias).await.expect("insert alias");
    }
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    let page = store.list_aliases(account, region, None, None, 100).await.expect("list aliases");
    assert_eq!(page.items.iter().map(|a| a.alias_name.clone()).collect::<Vec<_>>(), want);
    let page = store.list_aliases(account, region, Some(ids[0]), Some("alias/B"), 100).await.expect("list after");
    let after_b: Vec<String> = want.iter().filter(|n| n.as_str() > "alias/B").cloned().collect();
    assert_eq!(page.items.iter().map(|a| a.alias_name.clone()).collect::<Vec<_>>(), after_b);

    for (scope, id) in [("s", "b"), ("s", "B"), ("S", "a"), ("s", "_")] {
        let doc = Doc { kind: "order".into(), scope: scope.into(), id: id.into(), body: "{}".into() };
        store.insert_doc(&doc).await.expect("insert doc");
    }
    let docs = store.list_docs("order", None).await.expect("list docs");
    let got: Vec<(String, String)> = docs.into_iter().map(|d| (d.scope, d.id)).collect();
    let want: Vec<(String, String)> =
        [("S", "a"), ("s", "B"), ("s", "_"), ("s", "b")].iter().map(|(s, i)| (s.to_string(), i.to_string())).collect();
    assert_eq!(got, want, "documents in byte order of (scope, id)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_server_crash() {
    // A server of its own: the crash (immediate shutdown, no checkpoint)
    // must not disturb the other tests' server.
    let mut pg = tokio::task::spawn_blocking(PgServer::start).await.expect("join").expect("start postgres");
    let store = PostgresStore::connect(&pg.url()).await.expect("connect");
    let mut acked = Vec::new();
    for i in 0..50u32 {
        let key = sample_key(&format!("00000000-0000-4000-8000-{i:012}"), "111122223333", "us-east-1");
        store.insert_key(&key).await.expect("insert");
        acked.push(key);
    }
    let mut updated = acked[0].clone();
    updated.version += 1;
    updated.description = "after update".into();
    store.update_key(&updated).await.expect("update");
    let pg = tokio::task::spawn_blocking(move || pg.restart().map(|()| pg)).await.expect("join").expect("restart");
    // The same store reconnects on its own (its old connections died).
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        match store.get_key(&updated.key_id).await {
            Ok(k) => break k,
            Err(e) if Instant::now() < deadline => eprintln!("waiting for the pool to reconnect: {e}"),
            Err(e) => panic!("store never recovered from the restart: {e}"),
        }
    };
    assert_eq!(first, Some(updated));
    for key in &acked[1..] {
        assert_eq!(store.get_key(&key.key_id).await.expect("get").as_ref(), Some(key), "acknowledged key lost");
    }
    assert_eq!(store.count_keys("111122223333", "us-east-1").await.expect("count"), 50);
    store.close().await;
    drop(pg);
}

/// Env var that turns [`capped_race_child`] from a no-op into one of the
/// racing processes of [`capped_inserts_from_several_processes_never_overshoot`].
const RACE_URL: &str = "TRENT_STORE_PG_RACE_URL";

/// Account and region the racing processes fill.
const RACE_SCOPE: (&str, &str) = ("123412341234", "ap-east-1");

/// The cap the racing processes share.
const RACE_CAP: u64 = 9;

/// Child half of the multi-process race: tries 12 capped inserts against
/// [`RACE_SCOPE`] and prints how many it won. A no-op in a normal run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capped_race_child() {
    let Ok(url) = std::env::var(RACE_URL) else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(&url).await.expect("child connect"));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let key = sample_key(&uuid::Uuid::new_v4().to_string(), RACE_SCOPE.0, RACE_SCOPE.1);
            match store.insert_key_capped(&key, RACE_CAP).await {
                Ok(()) => true,
                Err(StoreError::LimitReached { usage }) => {
                    assert!(usage >= RACE_CAP, "usage {usage} below the cap");
                    false
                }
                Err(e) => panic!("child insert: {e:?}"),
            }
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += u64::from(t.await.expect("task"));
    }
    println!("WON {won}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capped_inserts_from_several_processes_never_overshoot() {
    let url = fresh_db().await;
    // Apply the schema first, so the children race on inserts, not on migrations.
    let store = PostgresStore::connect(&url).await.expect("connect");
    let exe = std::env::current_exe().expect("test binary path");
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "capped_race_child", "--nocapture", "--test-threads=1"])
                .env(RACE_URL, &url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children.into_iter().map(|c| c.wait_with_output().expect("child output")).collect::<Vec<_>>()
    })
    .await
    .expect("join");
    let mut won = 0;
    for out in &outputs {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        // libtest may print the line right after "test capped_race_child ... ".
        let count = stdout.split("WON ").nth(1).and_then(|rest| rest.split_whitespace().next());
        won += count.expect("child reported").parse::<u64>().expect("a count");
    }
    assert_eq!(won, RACE_CAP, "3 processes x 12 capped inserts must win exactly the cap");
    assert_eq!(store.count_keys(RACE_SCOPE.0, RACE_SCOPE.1).await.expect("count"), RACE_CAP);
    let ids: BTreeSet<String> = store
        .list_keys(RACE_SCOPE.0, RACE_SCOPE.1, None, 100)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|k| k.key_id)
        .collect();
    assert_eq!(ids.len() as u64, RACE_CAP);
}
