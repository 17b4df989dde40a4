//! `trent backup`, `trent restore` and `trent rotate-root-key`: maintenance
//! of a data directory (see `trent_server::maintenance`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use trent_server::maintenance::{backup, rotate_root_key};

use crate::serve::read_config;

/// Where the data is: the same `--data-dir` and `--config` as `trent serve`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The server's data directory [default: the config's data_dir, else ./trent-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The server's TOML configuration file, if it has one.
    #[arg(long)]
    config: Option<PathBuf>,
}

impl DataArgs {
    fn resolve(&self) -> anyhow::Result<(PathBuf, trent_server::config::Config)> {
        let config = read_config(self.config.as_deref())?;
        let dir = self.data_dir.clone().or(config.data_dir.clone()).unwrap_or_else(|| PathBuf::from("trent-data"));
        Ok((dir, config))
    }
}

/// `trent backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The backup file to write (must not exist).
    #[arg(long)]
    out: PathBuf,
}

/// `trent restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The backup file to restore.
    #[arg(long)]
    from: PathBuf,
    /// Replace the store that is there.
    #[arg(long)]
    force: bool,
}

/// `trent rotate-root-key`.
#[derive(Debug, Args)]
pub struct RotateRootKeyArgs {
    #[command(flatten)]
    data: DataArgs,
}

/// Writes a consistent copy of the running (or stopped) server's store.
pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let (dir, config) = args.data.resolve()?;
    let info = backup::backup(&dir, &config, &args.out).await.context("backup")?;
    println!(
        "Backed up {} keys to {} — restore it with the root key in {} (the backup does not hold it)",
        info.keys,
        args.out.display(),
        dir.join(trent_server::root_key_file::ROOT_KEY_FILE).display()
    );
    Ok(())
}

/// Puts a backup in place of (or as) a stopped server's store.
pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let (dir, config) = args.data.resolve()?;
    let info = backup::restore(&dir, &config, &args.from, args.force).await.context("restore")?;
    println!("Restored {} keys into {}", info.keys, dir.display());
    warn_without_root_key(&dir);
    Ok(())
}

fn warn_without_root_key(dir: &Path) {
    let root = dir.join(trent_server::root_key_file::ROOT_KEY_FILE);
    if !root.exists() {
        println!(
            "{} is missing: put the root key the backup was sealed under there (or set TRENT_ROOT_KEY) before `trent serve`",
            root.display()
        );
    }
}

/// Re-seals every key under a new root key, printing progress on stderr.
pub async fn rotate_root_key(args: RotateRootKeyArgs) -> anyhow::Result<()> {
    let (dir, config) = args.data.resolve()?;
    let mut err = std::io::stderr();
    let report = rotate_root_key::rotate_root_key(&dir, &config, |r| {
        // One line per key: a kill at any point leaves a readable trail.
        let _ = writeln!(err, "re-sealed {} of {} keys seen", r.resealed, r.keys);
    })
    .await
    .context("rotate-root-key")?;
    println!(
        "Root key rotated: {} keys, {} re-sealed by this run; {} holds the new key",
        report.keys,
        report.resealed,
        dir.join(trent_server::root_key_file::ROOT_KEY_FILE).display()
    );
    Ok(())
}
