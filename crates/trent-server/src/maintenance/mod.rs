//! Work on a data directory while no server runs on it: re-sealing all key
//! material under a new root key, and taking and restoring backups. Each
//! step is safe to kill at any point.

pub mod backup;
pub mod data_lock;
pub mod rotate_root_key;

/// Why a maintenance command failed.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// A server (or another maintenance command) holds the data directory.
    #[error(transparent)]
    Locked(#[from] data_lock::LockError),
    /// The command does not apply to this configuration.
    #[error("{0}")]
    Unsupported(String),
    /// The root key files.
    #[error(transparent)]
    RootKey(#[from] crate::root_key_file::RootKeyError),
    /// The store failed.
    #[error("key store: {0}")]
    Store(#[from] trent_core::store::StoreError),
    /// Opening the store failed.
    #[error(transparent)]
    Start(#[from] crate::server::StartError),
    /// A key's material did not open under the old or the new root key.
    #[error("{0}")]
    Kms(#[from] trent_core::KmsError),
    /// The root key canary.
    #[error(transparent)]
    Canary(#[from] crate::root_key_canary::CanaryError),
    /// A file operation.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}
