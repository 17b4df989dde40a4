//! Change notifications between nodes sharing one PostgreSQL database.
//!
//! Every write of [`super`]'s store that another node may have cached runs
//! `pg_notify(CHANNEL, payload)` in the transaction of the write, so
//! PostgreSQL delivers the notification to every listening connection when
//! (and only if) the write commits. The payload names what changed
//! ([`encode`]). Each store runs one listener task ([`spawn_listener`]) on a
//! connection of its pool that `LISTEN`s on the channel and forwards what it
//! hears to a `tokio` broadcast channel, which is what
//! `KeyStore::changes` hands out. When the connection is lost the task
//! reconnects by itself (with a bounded backoff) and then reports
//! [`StoreChange::Everything`], since notifications sent meanwhile were lost.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;
use trent_core::store::StoreChange;

/// The channel every Trent node notifies and listens on.
pub(crate) const CHANNEL: &str = "trent_changes";

/// How many changes a slow receiver may fall behind before it is told it
/// lagged (and must forget everything).
const BACKLOG: usize = 4096;

/// PostgreSQL refuses payloads of 8000 bytes or more; a change whose
/// payload would not fit is sent as "everything".
const MAX_PAYLOAD: usize = 7900;

/// First wait before reconnecting a lost listener; doubled up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(50);

/// Longest wait between reconnection attempts, so a node follows again
/// within about this long after PostgreSQL is back.
const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// The notification payload of `change`: a small JSON object.
pub(crate) fn encode(change: &StoreChange) -> String {
    let v = match change {
        StoreChange::Key { key_id } => json!({"t": "key", "id": key_id}),
        StoreChange::Alias { account_id, region, alias_name } => {
            json!({"t": "alias", "a": account_id, "r": region, "n": alias_name})
        }
        StoreChange::Doc { kind, scope, id } => json!({"t": "doc", "k": kind, "s": scope, "id": id}),
        StoreChange::Everything => json!({"t": "all"}),
    };
    let text = v.to_string();
    if text.len() > MAX_PAYLOAD { json!({"t": "all"}).to_string() } else { text }
}

/// The change a payload names; anything unreadable (another Trent version)
/// counts as "everything", which is always safe.
pub(crate) fn decode(payload: &str) -> StoreChange {
    let Ok(v) = serde_json::from_str::<Value>(payload) else { return StoreChange::Everything };
    let field = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
    let change = match v.get("t").and_then(Value::as_str) {
        Some("key") => field("id").map(|key_id| StoreChange::Key { key_id }),
        Some("alias") => match (field("a"), field("r"), field("n")) {
            (Some(account_id), Some(region), Some(alias_name)) => {
                Some(StoreChange::Alias { account_id, region, alias_name })
            }
            _ => None,
        },
        Some("doc") => match (field("k"), field("s"), field("id")) {
            (Some(kind), Some(scope), Some(id)) => Some(StoreChange::Doc { kind, scope, id }),
            _ => None,
        },
        _ => None,
    };
    change.unwrap_or(StoreChange::Everything)
}

/// A listener on `pool` that has run `LISTEN` on [`CHANNEL`].
async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// The running listener task; dropping it stops the task. Exists because
/// the task holds a clone of the pool (and one of its connections): without
/// this, a store whose every clone was dropped would keep its pool open.
#[derive(Debug)]
pub(crate) struct ListenerTask(tokio::task::AbortHandle);

impl Drop for ListenerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts listening on `pool` and spawns the task forwarding notifications
/// to the returned sender (subscribe to it for a receiver). Fails only if
/// the first `LISTEN` fails, so a store that connected is also following.
/// The task ends when the pool is closed or the returned handle dropped.
pub(crate) async fn spawn_listener(
    pool: PgPool,
) -> Result<(broadcast::Sender<StoreChange>, ListenerTask), sqlx::Error> {
    let first = listen(&pool).await?;
    let (tx, _) = broadcast::channel(BACKLOG);
    let task = tokio::spawn(follow(pool, first, tx.clone()));
    Ok((tx, ListenerTask(task.abort_handle())))
}

/// The listener task: forwards notifications; on a lost connection
/// reconnects with backoff and reports [`StoreChange::Everything`].
async fn follow(pool: PgPool, first: PgListener, tx: broadcast::Sender<StoreChange>) {
    let mut listener = Some(first);
    let mut backoff = MIN_BACKOFF;
    loop {
        let mut current = match listener.take() {
            Some(l) => l,
            None => {
                if pool.is_closed() {
                    return;
                }
                match listen(&pool).await {
                    Ok(l) => {
                        tracing::info!("listening for changes from other nodes again");
                        backoff = MIN_BACKOFF;
                        // Changes committed while we were not listening were never heard.
                        let _ = tx.send(StoreChange::Everything);
                        l
                    }
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in = ?backoff, "cannot listen for changes from other nodes");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                }
            }
        };
        loop {
            match current.try_recv().await {
                Ok(Some(n)) => {
                    // No receiver yet is not an error: nothing is cached then.
                    let _ = tx.send(decode(n.payload()));
                }
                Ok(None) => {
                    tracing::warn!("lost the connection listening for changes from other nodes; reconnecting");
                    break;
                }
                Err(sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "listening for changes from other nodes failed; reconnecting");
                    break;
                }
            }
        }
        // Anything may have changed while the connection was failing.
        let _ = tx.send(StoreChange::Everything);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let changes = [
            StoreChange::Key { key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into() },
            StoreChange::Alias {
                account_id: "111122223333".into(),
                region: "us-east-1".into(),
                alias_name: "alias/x\"y".into(),
            },
            StoreChange::Doc { kind: "grant".into(), scope: "k".into(), id: "g".into() },
            StoreChange::Everything,
        ];
        for c in changes {
            assert_eq!(decode(&encode(&c)), c);
        }
    }

    #[test]
    fn oversized_and_unknown_payloads_mean_everything() {
        let big = StoreChange::Doc { kind: "k".into(), scope: "s".repeat(MAX_PAYLOAD), id: "i".into() };
        assert_eq!(decode(&encode(&big)), StoreChange::Everything);
        assert!(encode(&big).len() < 8000);
        for junk in ["", "not json", "{\"t\":\"key\"}", "{\"t\":\"other\",\"id\":\"x\"}"] {
            assert_eq!(decode(junk), StoreChange::Everything, "{junk}");
        }
    }
}
