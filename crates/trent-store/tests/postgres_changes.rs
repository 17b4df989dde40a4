//! `KeyStore::changes` on PostgreSQL: what one store commits is reported to
//! every store on the database (the write's own transaction carries the
//! notification), what it does not commit is never reported, and a lost
//! connection is reported as "everything" once the listener is back.

use std::time::Duration;

use tokio::sync::broadcast::Receiver;
use trent_core::key::model::AliasRecord;
use trent_core::store::{AliasCaps, Doc, KeyStore, StoreChange, StoreError};
use trent_store::conformance::sample_key;
use trent_store::{PostgresStore, SqliteStore};
use trent_testkit::PgServer;

/// How long a committed change may take to be reported here (loopback).
const REPORT: Duration = Duration::from_secs(5);

async fn fresh_db() -> String {
    tokio::task::spawn_blocking(|| PgServer::shared().and_then(PgServer::create_database))
        .await
        .expect("join")
        .expect("fresh database")
}

/// The next reported change; panics if none comes within [`REPORT`].
async fn next(rx: &mut Receiver<StoreChange>) -> StoreChange {
    tokio::time::timeout(REPORT, rx.recv()).await.expect("no change reported in time").expect("channel open")
}

fn alias(name: &str, target: &str) -> AliasRecord {
    AliasRecord {
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
        alias_name: name.into(),
        target_key_id: target.into(),
        creation_date: 1.0,
        last_updated_date: 1.0,
    }
}

fn alias_change(name: &str) -> StoreChange {
    StoreChange::Alias { account_id: "111122223333".into(), region: "us-east-1".into(), alias_name: name.into() }
}

fn doc(id: &str) -> Doc {
    Doc { kind: "grant".into(), scope: "k1".into(), id: id.into(), body: "{}".into() }
}

fn doc_change(id: &str) -> StoreChange {
    StoreChange::Doc { kind: "grant".into(), scope: "k1".into(), id: id.into() }
}

#[tokio::test]
async fn every_committed_update_and_delete_is_reported_to_every_store() {
    let url = fresh_db().await;
    let writer = PostgresStore::connect(&url).await.expect("writer");
    let other = PostgresStore::connect(&url).await.expect("other");
    let (mut mine, mut theirs) = (writer.changes().expect("feed"), other.changes().expect("feed"));

    let mut key = sample_key("k1", "111122223333", "us-east-1");
    writer.insert_key(&key).await.expect("insert key");
    writer.insert_alias(&alias("alias/a", "k1")).await.expect("insert alias");
    key.version += 1;
    writer.update_key(&key).await.expect("update key");
    writer.update_alias(&alias("alias/a", "k1")).await.expect("update alias");
    writer.insert_alias_capped(&alias("alias/b", "k1"), AliasCaps::per_key(10)).await.expect("insert alias b");
    writer.update_alias_capped(&alias("alias/b", "k1"), 10).await.expect("update alias b");
    writer.delete_alias("111122223333", "us-east-1", "alias/a").await.expect("delete alias");
    writer.insert_doc(&doc("g1")).await.expect("insert doc");
    writer.insert_doc_capped(&doc("g2"), 10).await.expect("insert capped doc");
    writer.insert_doc_capped_in_group(&doc("g3"), 10, "bob", 10).await.expect("insert grouped doc");
    writer.put_doc(&doc("g1")).await.expect("put doc");
    writer.delete_doc("grant", "k1", "g1").await.expect("delete doc");
    writer.delete_key("k1").await.expect("delete key");

    // Inserts of keys and aliases are not reported (nothing caches absence).
    let expected = [
        StoreChange::Key { key_id: "k1".into() },
        alias_change("alias/a"),
        alias_change("alias/b"),
        alias_change("alias/a"),
        doc_change("g1"),
        doc_change("g2"),
        doc_change("g3"),
        doc_change("g1"),
        doc_change("g1"),
        StoreChange::Key { key_id: "k1".into() },
        // Deleting a key deletes its aliases: each is reported.
        alias_change("alias/b"),
    ];
    for rx in [&mut theirs, &mut mine] {
        for want in &expected {
            assert_eq!(&next(rx).await, want);
        }
    }
}

#[tokio::test]
async fn writes_that_do_not_commit_are_not_reported() {
    let url = fresh_db().await;
    let writer = PostgresStore::connect(&url).await.expect("writer");
    let mut rx = writer.changes().expect("feed");
    let mut key = sample_key("k1", "111122223333", "us-east-1");
    writer.insert_key(&key).await.expect("insert key");
    writer.insert_doc_capped(&doc("g1"), 1).await.expect("first doc");
    assert_eq!(next(&mut rx).await, doc_change("g1"));

    // Over the cap: rolled back, so not reported.
    let refused = writer.insert_doc_capped(&doc("g2"), 1).await;
    assert!(matches!(refused, Err(StoreError::LimitReached { usage: 1 })), "{refused:?}");
    // A lost compare-and-swap (version 5 is not the successor of 0).
    key.version = 5;
    assert!(matches!(writer.update_key(&key).await, Err(StoreError::Conflict)));
    // Absent records.
    assert!(matches!(writer.delete_doc("grant", "k1", "nope").await, Err(StoreError::NotFound)));
    assert!(matches!(writer.update_alias(&alias("alias/nope", "k1")).await, Err(StoreError::NotFound)));

    // The next report is the next committed write, nothing of the above.
    writer.put_doc(&doc("marker")).await.expect("marker");
    assert_eq!(next(&mut rx).await, doc_change("marker"));
}

#[tokio::test]
async fn a_postgresql_restart_is_reported_as_everything_and_reports_resume() {
    let mut pg = tokio::task::spawn_blocking(|| PgServer::start().expect("a private PostgreSQL")).await.expect("join");
    let url = pg.url();
    let store = PostgresStore::connect(&url).await.expect("connect");
    let mut rx = store.changes().expect("feed");
    let pg = tokio::task::spawn_blocking(move || {
        pg.restart().expect("restart");
        pg
    })
    .await
    .expect("join");
    // Notifications sent while the listener was away are lost: it says so
    // when it loses the connection, and again once it listens again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut everything = 0;
    while everything < 2 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(StoreChange::Everything)) => everything += 1,
            Ok(Ok(_)) => continue,
            other => panic!("{everything} 'everything' reports after the restart, then {other:?}"),
        }
    }
    // And it follows again: a write through another store is reported.
    let other = PostgresStore::connect(&url).await.expect("connect after restart");
    other.put_doc(&doc("after")).await.expect("write after restart");
    loop {
        match next(&mut rx).await {
            StoreChange::Everything => continue,
            change => {
                assert_eq!(change, doc_change("after"));
                break;
            }
        }
    }
    // The store itself serves again without being reconnected by hand.
    assert!(store.get_doc("grant", "k1", "after").await.expect("read after restart").is_some());
    drop(store);
    drop(other);
    // Stopping the server blocks: off the runtime's threads.
    tokio::task::spawn_blocking(move || drop(pg)).await.expect("join");
}

#[tokio::test]
async fn sqlite_has_no_change_feed() {
    let store = SqliteStore::open_in_memory().await.expect("sqlite");
    assert!(store.changes().is_none(), "a single-process store needs no feed; its caches never expire");
}

#[tokio::test]
async fn dropping_the_last_clone_of_a_store_stops_its_listener_and_closes_its_connections() {
    let url = fresh_db().await;
    let admin = sqlx::PgPool::connect(&url).await.expect("admin");
    let trent_connections = || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'trent'",
        )
        .fetch_one(&admin)
        .await
        .expect("count connections");
        n
    };
    let store = PostgresStore::connect(&url).await.expect("connect");
    let clone = store.clone();
    drop(store);
    // A clone keeps it alive, following changes.
    assert!(trent_connections().await >= 1, "the listener holds a connection");
    let mut rx = clone.changes().expect("feed");
    clone.put_doc(&doc("still-following")).await.expect("write");
    assert_eq!(next(&mut rx).await, doc_change("still-following"));
    drop(rx);
    drop(clone);
    let deadline = tokio::time::Instant::now() + REPORT;
    while trent_connections().await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "a dropped store kept its connections open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
