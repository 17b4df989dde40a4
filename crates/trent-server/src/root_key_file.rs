//! Where the root key comes from: `TRENT_ROOT_KEY` (hex or base64), a file
//! named in the config, or `DATA_DIR/root.key`, created on first start with
//! owner-only permissions.
//!
//! While `trent rotate-root-key` runs (or after it was killed),
//! `DATA_DIR/root.key.next` holds the new key: the root key is then the new
//! one, still opening what the old one sealed, until the rotation finishes by
//! renaming `root.key.next` over `root.key`.

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

/// The root key file in the data directory.
pub const ROOT_KEY_FILE: &str = "root.key";

/// The new root key while a rotation is under way.
pub const NEXT_ROOT_KEY_FILE: &str = "root.key.next";

/// Loads the root key from the environment, `file`, or `data_dir/root.key`
/// (creating it); with `root.key.next` present, the new key that still opens
/// what the old one sealed.
pub fn load_or_create(file: Option<&Path>, data_dir: &Path) -> Result<RootKey, RootKeyError> {
    if let Ok(v) = std::env::var(ROOT_KEY_ENV) {
        let v = Zeroizing::new(v);
        let bytes = decode(v.as_bytes()).ok_or_else(|| RootKeyError::Format(ROOT_KEY_ENV.into()))?;
        return RootKey::from_bytes(&bytes).map_err(|_| RootKeyError::Format(ROOT_KEY_ENV.into()));
    }
    if let Some(path) = file {
        return read_key_file(path);
    }
    let path = data_dir.join(ROOT_KEY_FILE);
    let key = match read_key_file(&path) {
        Err(RootKeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let (key, bytes) = RootKey::generate().map_err(|_| RootKeyError::Format("generated key".into()))?;
            match write_key_file(&path, &bytes) {
                Ok(()) => key,
                // Another server on this directory created it first: use theirs.
                Err(RootKeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
                    read_key_file(&path)?
                }
                Err(e) => return Err(e),
            }
        }
        other => other?,
    };
    let next = data_dir.join(NEXT_ROOT_KEY_FILE);
    if !next.exists() {
        return Ok(key);
    }
    tracing::warn!(
        file = %next.display(),
        "a root key rotation has not finished: sealing under the new key, opening under both; run `trent rotate-root-key` to finish it"
    );
    Ok(read_key_file(&next)?.with_previous(key))
}

/// Reads a root key file, refusing one readable by group or others.
fn read_key_file(path: &Path) -> Result<RootKey, RootKeyError> {
    let io = |source| RootKeyError::Io { path: path.display().to_string(), source };
    let bytes = Zeroizing::new(fs::read(path).map_err(io)?);
    let mode = fs::metadata(path).map_err(io)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(RootKeyError::Permissions(path.display().to_string()));
    }
    let key = decode(&bytes).ok_or_else(|| RootKeyError::Format(path.display().to_string()))?;
    RootKey::from_bytes(&key).map_err(|_| RootKeyError::Format(path.display().to_string()))
}

/// Writes a new key file (hex, owner-only, synced, its directory too), whole
/// or not at all: the key goes to a temporary file first, which is then
/// linked under `path` — atomic, and refused if `path` exists (another
/// process made it first). A kill never leaves a half-written key file.
fn write_key_file(path: &Path, bytes: &[u8]) -> Result<(), RootKeyError> {
    let io = |source| RootKeyError::Io { path: path.display().to_string(), source };
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let written = (|| {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(hex::encode(bytes).as_bytes())?;
        f.sync_all()?;
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    written.map_err(io)?;
    sync_parent(path)
}

/// Makes a file's creation or rename in its directory durable.
fn sync_parent(path: &Path) -> Result<(), RootKeyError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| RootKeyError::Io { path: dir.display().to_string(), source })
}

/// Starts (or resumes) a rotation of `data_dir/root.key`: creates
/// `root.key.next` unless it exists and returns the new key, opening what
/// the old one sealed too.
pub fn begin_rotation(data_dir: &Path) -> Result<RootKey, RootKeyError> {
    let next = data_dir.join(NEXT_ROOT_KEY_FILE);
    let old = read_key_file(&data_dir.join(ROOT_KEY_FILE))?;
    if !next.exists() {
        let bytes = random_key()?;
        match write_key_file(&next, &bytes) {
            Err(RootKeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {}
            other => other?,
        }
    }
    Ok(read_key_file(&next)?.with_previous(old))
}

/// Finishes a rotation once everything is sealed under the new key: the new
/// key file replaces the old one (an atomic rename, made durable).
pub fn finish_rotation(data_dir: &Path) -> Result<(), RootKeyError> {
    let next = data_dir.join(NEXT_ROOT_KEY_FILE);
    let current = data_dir.join(ROOT_KEY_FILE);
    fs::rename(&next, &current).map_err(|source| RootKeyError::Io { path: next.display().to_string(), source })?;
    sync_parent(&current)
}

/// 32 fresh random bytes for a new root key.
fn random_key() -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
    RootKey::generate().map(|(_, bytes)| bytes).map_err(|_| RootKeyError::Format("generated key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_adds_the_next_key_beside_the_old_then_replaces_it() {
        if std::env::var_os(ROOT_KEY_ENV).is_some() {
            return; // The environment's key wins over files; nothing to test here.
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let old = load_or_create(None, dir.path()).expect("created");
        let sealed = old.seal_material("k", "m", b"secret").expect("seal");
        let rotating = begin_rotation(dir.path()).expect("begin");
        assert!(dir.path().join(NEXT_ROOT_KEY_FILE).exists());
        // A server started now reads both, and seals under the new key.
        let served = load_or_create(None, dir.path()).expect("load during rotation");
        assert_eq!(served.open_material("k", "m", &sealed).expect("old material").as_slice(), b"secret");
        let resealed = rotating.reseal("k", "m", &sealed).expect("reseal").expect("changed");
        // Resuming reuses the same next key.
        let again = begin_rotation(dir.path()).expect("resume");
        assert_eq!(again.reseal("k", "m", &resealed).expect("same key"), None);
        finish_rotation(dir.path()).expect("finish");
        let new = load_or_create(None, dir.path()).expect("after");
        assert!(new.open_material("k", "m", &sealed).is_err(), "the old key is gone");
        assert_eq!(new.open_material("k", "m", &resealed).expect("new").as_slice(), b"secret");
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(ROOT_KEY_FILE)], "no temporary or next file left");
    }
}
