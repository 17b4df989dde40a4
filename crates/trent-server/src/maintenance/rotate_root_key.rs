//! `trent rotate-root-key`: every key's material re-sealed under a new root
//! key, one key per store write, so that a kill at any point leaves every
//! key readable:
//!
//! 1. `root.key.next` is written (synced) next to `root.key`; from then on
//!    the root key is the new key, opening what either key sealed
//!    (`crate::root_key_file::load_or_create` does the same for a server
//!    started before the rotation finished);
//! 2. each key record is re-sealed and written with the store's
//!    compare-and-swap update: a record is under the old key or the new one,
//!    never half of each;
//! 3. the root key canary is re-sealed;
//! 4. `root.key.next` is renamed over `root.key` (atomic, synced).
//!
//! Running it again after a kill resumes: records already under the new key
//! are skipped.

use std::path::Path;

use trent_core::key::sealing::reseal_record;
use trent_core::store::StoreError;

use super::MaintenanceError;
use super::data_lock::DataDirLock;
use crate::config::Config;
use crate::root_key_file::{self, ROOT_KEY_ENV, ROOT_KEY_FILE};

/// Keys read per store page.
const PAGE: usize = 100;

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationReport {
    /// Keys in the store.
    pub keys: u64,
    /// Keys written under the new root key by this run (the rest already were).
    pub resealed: u64,
}

/// Re-seals the store of `config` under a new `data_dir/root.key`, calling
/// `progress(keys seen, keys re-sealed)` after each key.
pub async fn rotate_root_key(
    data_dir: &Path,
    config: &Config,
    mut progress: impl FnMut(RotationReport),
) -> Result<RotationReport, MaintenanceError> {
    if std::env::var_os(ROOT_KEY_ENV).is_some() || config.root_key_file.is_some() {
        return Err(MaintenanceError::Unsupported(format!(
            "this configuration takes its root key from {ROOT_KEY_ENV} or root_key_file, which Trent does not own; \
             rotate-root-key replaces DATA_DIR/{ROOT_KEY_FILE} only"
        )));
    }
    if !data_dir.join(ROOT_KEY_FILE).exists() {
        return Err(MaintenanceError::Unsupported(format!(
            "{} has no {ROOT_KEY_FILE}: nothing to rotate",
            data_dir.display()
        )));
    }
    let _lock = DataDirLock::exclusive(data_dir)?;
    let root = root_key_file::begin_rotation(data_dir)?;
    let (store, _) = crate::server::open_store(config.store.url.as_deref(), data_dir).await?;
    // The store must be the one these keys sealed, before anything is written.
    crate::root_key_canary::check(store.as_ref(), &root).await?;
    let mut report = RotationReport { keys: 0, resealed: 0 };
    let mut after: Option<String> = None;
    loop {
        let page = store.list_all_keys(after.as_deref(), PAGE).await?;
        for mut record in page.items.iter().cloned() {
            if reseal_record(&root, &mut record)? {
                record.version += 1;
                match store.update_key(&record).await {
                    Ok(()) => report.resealed += 1,
                    // Deleted meanwhile (only another process could): nothing to keep.
                    Err(StoreError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            report.keys += 1;
            progress(report);
        }
        match (page.truncated, page.items.last()) {
            (true, Some(last)) => after = Some(last.store_id()),
            _ => break,
        }
    }
    crate::root_key_canary::reseal(store.as_ref(), &root).await?;
    root_key_file::finish_rotation(data_dir)?;
    Ok(report)
}
