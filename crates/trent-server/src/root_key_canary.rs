//! The document that proves which root key a store's material is sealed
//! under: the first node to start on a store seals [`CANARY_PLAINTEXT`] with
//! its root key and stores it; every later start must be able to open it.
//! Exists because nodes sharing a PostgreSQL store each load their own root
//! key, and one with the wrong key would otherwise start and then fail on
//! every key it touches. A root key rotation re-seals it last.

use base64::Engine;
use trent_core::key::root_key::RootKey;
use trent_core::store::{Doc, KeyStore, StoreError};

/// Kind of the canary document.
const CANARY_KIND: &str = "trent-root-key-canary";
/// Scope and id of the canary document (there is one per store).
const CANARY_ID: &str = "v1";
/// What the canary seals.
const CANARY_PLAINTEXT: &[u8] = b"trent root key canary v1";

/// Why the canary check failed.
#[derive(Debug, thiserror::Error)]
pub enum CanaryError {
    /// The canary does not open under the root key (or is damaged).
    #[error("the store's root key canary does not open under this root key")]
    Mismatch,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sealing or the canary's lifecycle failed.
    #[error("{0}")]
    Other(String),
}

fn canary_doc(root: &RootKey) -> Result<Doc, CanaryError> {
    let sealed = root
        .seal_material(CANARY_KIND, CANARY_ID, CANARY_PLAINTEXT)
        .map_err(|e| CanaryError::Other(format!("sealing the root key canary: {e}")))?;
    let body = serde_json::Value::from(base64::engine::general_purpose::STANDARD.encode(sealed)).to_string();
    Ok(Doc { kind: CANARY_KIND.into(), scope: CANARY_ID.into(), id: CANARY_ID.into(), body })
}

/// Whether `doc` is a canary that opens under `root` (or its previous key).
fn opens(doc: &Doc, root: &RootKey) -> bool {
    let Ok(text) = serde_json::from_str::<String>(&doc.body) else { return false };
    let Ok(sealed) = base64::engine::general_purpose::STANDARD.decode(text) else { return false };
    root.open_material(CANARY_KIND, CANARY_ID, &sealed).is_ok_and(|p| p.as_slice() == CANARY_PLAINTEXT)
}

/// Checks the canary, writing it on a fresh store.
pub async fn check(store: &dyn KeyStore, root: &RootKey) -> Result<(), CanaryError> {
    for _ in 0..2 {
        if let Some(doc) = store.get_doc(CANARY_KIND, CANARY_ID, CANARY_ID).await? {
            return if opens(&doc, root) { Ok(()) } else { Err(CanaryError::Mismatch) };
        }
        match store.insert_doc(&canary_doc(root)?).await {
            Ok(()) => return Ok(()),
            // Another node wrote it first: check theirs on the next pass.
            Err(StoreError::AlreadyExists) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(CanaryError::Other("the root key canary vanished while starting".into()))
}

/// Re-seals the canary under `root`'s current key, after checking that it
/// opens under `root` (current or previous key).
pub async fn reseal(store: &dyn KeyStore, root: &RootKey) -> Result<(), CanaryError> {
    check(store, root).await?;
    store.put_doc(&canary_doc(root)?).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_store::SqliteStore;

    #[tokio::test]
    async fn a_corrupt_canary_is_refused_not_overwritten() {
        let store = SqliteStore::open_in_memory().await.expect("store");
        let root = RootKey::from_bytes(&[7; 32]).expect("root");
        let doc =
            Doc { kind: CANARY_KIND.into(), scope: CANARY_ID.into(), id: CANARY_ID.into(), body: "\"AAAA\"".into() };
        store.insert_doc(&doc).await.expect("plant a bad canary");
        let r = check(&store, &root).await;
        assert!(matches!(r, Err(CanaryError::Mismatch)), "{r:?}");
        assert_eq!(store.get_doc(CANARY_KIND, CANARY_ID, CANARY_ID).await.expect("get"), Some(doc));
    }

    #[tokio::test]
    async fn a_resealed_canary_opens_under_the_new_key_only() {
        let store = SqliteStore::open_in_memory().await.expect("store");
        let old = || RootKey::from_bytes(&[1; 32]).expect("root");
        let new = || RootKey::from_bytes(&[2; 32]).expect("root");
        check(&store, &old()).await.expect("written under the old key");
        assert!(matches!(check(&store, &new()).await, Err(CanaryError::Mismatch)));
        reseal(&store, &new().with_previous(old())).await.expect("reseal");
        check(&store, &new()).await.expect("opens under the new key");
        assert!(matches!(check(&store, &old()).await, Err(CanaryError::Mismatch)), "no longer under the old key");
        // A key that opens neither is refused and changes nothing.
        let stranger = RootKey::from_bytes(&[3; 32]).expect("root").with_previous(old());
        assert!(matches!(reseal(&store, &stranger).await, Err(CanaryError::Mismatch)));
        check(&store, &new()).await.expect("still under the new key");
    }
}
