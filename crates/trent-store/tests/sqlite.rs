//! SQLite backend tests: the shared conformance suite on both flavours,
//! durability across reopen and across `kill -9`, and CAS and capped-insert
//! races across two stores on one file, and due work handed out once across
//! them.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use trent_core::store::{Doc, KeyStore};
use trent_store::SqliteStore;
use trent_store::conformance::{self, due_claims, races, sample_key};

// The whole conformance suite, one test per case, each on a fresh in-memory
// store: `in_memory::key_crud`, ..., `in_memory::concurrent_updates` (16 tasks
// x 10 updates) and `in_memory::concurrent_capped_inserts` (24 tasks, cap 7).
trent_store::conformance_tests!(in_memory, SqliteStore::open_in_memory().await.expect("open in memory"));

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[tokio::test]
async fn conformance_in_memory() {
    let store = SqliteStore::open_in_memory().await.expect("open in memory");
    conformance::run_all(&store).await;
    // Again on the now non-empty store: the suite must not depend on emptiness.
    conformance::run_all(&store).await;
}

#[tokio::test]
async fn in_memory_stores_are_separate() {
    let a = SqliteStore::open_in_memory().await.expect("open a");
    let b = SqliteStore::open_in_memory().await.expect("open b");
    let key = sample_key("5b5c1a9e-0000-4000-8000-000000000001", "111122223333", "us-east-1");
    a.insert_key(&key).await.expect("insert");
    assert!(b.get_key(&key.key_id).await.expect("get").is_none(), "in-memory stores must not share data");
}

#[tokio::test]
async fn conformance_file() {
    let dir = tempdir();
    let path = dir.path().join("trent.db");
    let store = SqliteStore::open(&path).await.expect("open file");
    conformance::run_all(&store).await;
    assert!(dir.path().join("trent.db-wal").exists(), "file store must run in WAL mode");
    store.close().await;
    // Reopen an existing database (schema already there) and run again.
    let store = SqliteStore::open(&path).await.expect("reopen file");
    conformance::run_all(&store).await;
}

#[tokio::test]
async fn open_creates_missing_file_but_not_directories() {
    let dir = tempdir();
    let path = dir.path().join("fresh.db");
    assert!(!path.exists());
    let store = SqliteStore::open(&path).await.expect("open creates the file");
    assert!(path.exists(), "open must create the database file");
    store.close().await;
    let bad = dir.path().join("no/such/dir/x.db");
    assert!(SqliteStore::open(&bad).await.is_err(), "open under a missing directory must fail, not panic");
}

#[tokio::test]
async fn durable_across_reopen() {
    let dir = tempdir();
    let path = dir.path().join("trent.db");
    let mut key = sample_key("0b8a3a5e-1111-4222-8333-444455556666", "111122223333", "us-east-1");
    let alias = trent_core::key::model::AliasRecord {
        account_id: key.account_id.clone(),
        region: key.region.clone(),
        alias_name: "alias/durable".into(),
        target_key_id: key.key_id.clone(),
        creation_date: 1_718_900_000.5,
        last_updated_date: 1_718_900_001.5,
    };
    let doc = Doc {
        kind: "quota-override".into(),
        scope: "111122223333/us-east-1".into(),
        id: "q1".into(),
        body: "{\"v\":1}".into(),
    };
    {
        let store = SqliteStore::open(&path).await.expect("open");
        store.insert_key(&key).await.expect("insert key");
        key.version += 1;
        key.description = "after update".into();
        store.update_key(&key).await.expect("update key");
        store.insert_alias(&alias).await.expect("insert alias");
        store.put_doc(&doc).await.expect("put doc");
        // Dropped without close(): the writes were acknowledged, so they must be there.
        drop(store);
    }
    let store = SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(store.get_key(&key.key_id).await.expect("get key"), Some(key.clone()));
    assert_eq!(
        store.get_alias(&alias.account_id, &alias.region, &alias.alias_name).await.expect("get alias"),
        Some(alias)
    );
    assert_eq!(store.get_doc(&doc.kind, &doc.scope, &doc.id).await.expect("get doc"), Some(doc));
    assert_eq!(store.count_keys(&key.account_id, &key.region).await.expect("count"), 1);
    // CAS state survived too: the next version applies, a stale one conflicts.
    let mut next = key.clone();
    next.version += 1;
    store.update_key(&next).await.expect("update after reopen");
    assert!(matches!(store.update_key(&key).await, Err(trent_core::store::StoreError::Conflict)));
}

/// Env var that turns [`crash_child_writer`] from a no-op into the writer
/// process [`acknowledged_writes_survive_kill_9`] kills.
const CRASH_DB: &str = "TRENT_STORE_CRASH_CHILD_DB";

/// Child half of the kill -9 test: inserts keys forever, printing each id only
/// after `insert_key` returned. A no-op in a normal test run.
#[tokio::test]
async fn crash_child_writer() {
    let Ok(path) = std::env::var(CRASH_DB) else {
        return;
    };
    let store = SqliteStore::open(std::path::Path::new(&path)).await.expect("child open");
    let mut out = std::io::stdout();
    for i in 0u64.. {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        store.insert_key(&sample_key(&id, "111122223333", "us-east-1")).await.expect("child insert");
        writeln!(out, "ACK {id}").expect("child stdout");
        out.flush().expect("child flush");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempdir();
    let path = dir.path().join("crash.db");
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child_writer", "--nocapture", "--test-threads=1"])
        .env(CRASH_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let acked = tokio::task::spawn_blocking(move || {
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(id) = line.strip_prefix("ACK ") {
                acked.push(id.to_string());
                if acked.len() == 200 {
                    break;
                }
            }
        }
        acked
    })
    .await
    .expect("reader");
    // SIGKILL mid-stream: the child is likely inside its next write.
    child.kill().expect("kill -9 child");
    child.wait().expect("reap child");
    assert_eq!(acked.len(), 200, "child stopped early; run the test binary with `--exact crash_child_writer` to debug");

    let store = SqliteStore::open(&path).await.expect("reopen after crash");
    for id in &acked {
        assert!(store.get_key(id).await.expect("get").is_some(), "acknowledged key {id} lost after kill -9");
    }
    let n = store.count_keys("111122223333", "us-east-1").await.expect("count");
    assert!(n >= acked.len() as u64, "count {n} below acknowledged {}", acked.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cas_race_file() {
    let dir = tempdir();
    let store = SqliteStore::open(&dir.path().join("race.db")).await.expect("open");
    let store: Arc<dyn KeyStore> = Arc::new(store);
    let outcome = races::concurrent_updates(store, 16, 5).await;
    assert_eq!(outcome.updates, 80);
    eprintln!("file race: {outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_share_cas() {
    // Two independent pools on one file stand in for two Trent processes.
    let dir = tempdir();
    let path = dir.path().join("shared.db");
    let a = SqliteStore::open(&path).await.expect("open a");
    let b = SqliteStore::open(&path).await.expect("open b");
    let key = sample_key("7c1f0e2d-aaaa-4bbb-8ccc-ddddeeeeffff", "111122223333", "us-east-1");
    a.insert_key(&key).await.expect("insert via a");
    let mut from_a = key.clone();
    from_a.version += 1;
    from_a.description = "a".into();
    let mut from_b = key.clone();
    from_b.version += 1;
    from_b.description = "b".into();
    a.update_key(&from_a).await.expect("a wins");
    assert!(matches!(b.update_key(&from_b).await, Err(trent_core::store::StoreError::Conflict)), "b must lose the CAS");
    assert_eq!(b.get_key(&key.key_id).await.expect("b reads").map(|k| k.description), Some("a".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capped_race_two_stores_on_one_file() {
    // Two pools on one file stand in for two Trent processes: the cap must
    // hold across them too (BEGIN IMMEDIATE, not just the in-process writer).
    let dir = tempdir();
    let path = dir.path().join("capped.db");
    let a: Arc<dyn KeyStore> = Arc::new(SqliteStore::open(&path).await.expect("open a"));
    let b: Arc<dyn KeyStore> = Arc::new(SqliteStore::open(&path).await.expect("open b"));
    let race = races::concurrent_capped_inserts(&[a, b], 20, 5).await;
    assert_eq!((race.aliases, race.docs, race.region_aliases, race.grouped_docs), (5, 5, 5, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn due_work_is_handed_out_once_across_two_stores_on_one_file() {
    // Two pools on one file stand in for two Trent processes sharing it.
    let dir = tempdir();
    let path = dir.path().join("due.db");
    let a = SqliteStore::open(&path).await.expect("open a");
    let b = SqliteStore::open(&path).await.expect("open b");
    due_claims::due_work_is_handed_out_once(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_work_claims_lapse_after_the_lease() {
    let dir = tempdir();
    let path = dir.path().join("lease.db");
    let lease = std::time::Duration::from_millis(800);
    let a = SqliteStore::open(&path).await.expect("open a").with_claim_lease(lease);
    let b = SqliteStore::open(&path).await.expect("open b").with_claim_lease(lease);
    due_claims::claims_lapse_after_the_lease(&a, &b, lease).await;
}
