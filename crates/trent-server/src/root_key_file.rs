//! Where the root key comes from: `TRENT_ROOT_KEY` (hex or base64), a file
//! named in the config, or `DATA_DIR/root.key`, created on first start with
//! owner-only permissions.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use trent_core::key::root_key::{ROOT_KEY_LEN, RootKey};
use zeroize::Zeroizing;

/// Environment variable that may carry the root key.
pub const ROOT_KEY_ENV: &str = "TRENT_ROOT_KEY";

/// Errors loading or creating the root key.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    /// File system trouble.
    #[error("root key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key text is not 32 bytes in hex, base64 or raw form.
    #[error("{0} does not hold a 32-byte key (raw, hex or base64)")]
    Format(String),
    /// The file is readable by others.
    #[error("root key file {0} must not be readable by group or others (chmod 600)")]
    Permissions(String),
}

fn decode(bytes: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if bytes.len() == ROOT_KEY_LEN {
        return Some(Zeroizing::new(bytes.to_vec()));
    }
    let text = std::str::from_utf8(bytes).ok()?.trim();
    if let Ok(v) = hex::decode(text)
        && v.len() == ROOT_KEY_LEN
    {
        return Some(Zeroizing::new(v));
    }
    use base64::Engine;
    let v = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    (v.len() == ROOT_KEY_LEN).then(|| Zeroizing::new(v))
}

/// Loads the root key from the environment, `file`, or `data_dir/root.key` (creating it).
pub fn load_or_create(file: Option<&Path>, data_dir: &Path) -> Result<RootKey, RootKeyError> {
    if let Ok(v) = std::env::var(ROOT_KEY_ENV) {
        let v = Zeroizing::new(v);
        let bytes = decode(v.as_bytes()).ok_or_else(|| RootKeyError::Format(ROOT_KEY_ENV.into()))?;
        return RootKey::from_bytes(&bytes).map_err(|_| RootKeyError::Format(ROOT_KEY_ENV.into()));
    }
    let default = data_dir.join("root.key");
    let path = file.unwrap_or(&default);
    let io = |source| RootKeyError::Io { path: path.display().to_string(), source };
    match fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let mode = fs::metadata(path).map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(RootKeyError::Permissions(path.display().to_string()));
            }
            let key = decode(&bytes).ok_or_else(|| RootKeyError::Format(path.display().to_string()))?;
            RootKey::from_bytes(&key).map_err(|_| RootKeyError::Format(path.display().to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && file.is_none() => {
            let (key, bytes) = RootKey::generate().map_err(|_| RootKeyError::Format("generated key".into()))?;
            let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
            f.write_all(hex::encode(&bytes[..]).as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}
