//! `trent`: a local AWS KMS that enforces AWS's request quotas, and the
//! client-side tools that show and relieve throttling.

use anyhow::Context;
use clap::{Parser, Subcommand};

mod envelope_cli;
mod faults_cli;
mod maintenance_cli;
mod plan_cli;
mod quotas_cli;
mod serve;

/// mimalloc: the server allocates small, short-lived buffers per request, and
/// glibc malloc showed as ~10% of CPU in profiles of the Encrypt benchmark.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Trent: a local AWS KMS that enforces AWS's request quotas.
#[derive(Debug, Parser)]
#[command(name = "trent", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the KMS-compatible server (SQLite in DATA_DIR or PostgreSQL via --store; loopback by default).
    #[command(after_help = serve::EXIT_CODES_HELP)]
    Serve(serve::ServeArgs),
    /// Encrypt files, directories or stdin into AWS Encryption SDK messages.
    Encrypt(envelope_cli::EncryptArgs),
    /// Decrypt AWS Encryption SDK messages.
    Decrypt(envelope_cli::DecryptArgs),
    /// Offer a KMS workload (Trent or AWS) and report what the quotas let through.
    #[command(after_help = trent_load::exit_code::HELP)]
    Load(trent_load::LoadArgs),
    /// List, approve, deny or close quota increase requests on a running server.
    Quotas(quotas_cli::QuotasArgs),
    /// Write a consistent copy of the key store (SQLite) while the server runs.
    Backup(maintenance_cli::BackupArgs),
    /// Put a backup in place of a stopped server's key store.
    Restore(maintenance_cli::RestoreArgs),
    /// Re-seal all key material under a new root key (server stopped; safe to kill and re-run).
    RotateRootKey(maintenance_cli::RotateRootKeyArgs),
    /// Forecast a workload file against the KMS quotas: what throttles, by how much, what fixes it.
    #[command(after_help = plan_cli::EXIT_CODES_HELP)]
    Plan(plan_cli::PlanArgs),
    /// Add, list or clear fault injection rules on a running server.
    Faults(faults_cli::FaultsArgs),
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // One line a user can act on; the exit code tells scripts what kind of failure it was.
            eprintln!("trent: {err:#}");
            std::process::ExitCode::from(exit_code(&err))
        }
    }
}

/// The exit code of a failed command. `trent serve` (10–12) and `trent load` (20–23) have
/// codes of their own, listed in their `--help`; the envelope commands keep theirs (1–4,
/// crates/trent/src/envelope_cli/report.rs); clap exits with 2 before any of them runs.
fn exit_code(err: &anyhow::Error) -> u8 {
    if let Some(e) = err.downcast_ref::<serve::ServeError>() {
        return e.exit_code();
    }
    if let Some(e) = err.downcast_ref::<trent_load::Error>() {
        return e.exit_code();
    }
    u8::try_from(envelope_cli::exit_code(err)).unwrap_or(1)
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Plan(args) = &cli.command {
        // Pure and instant: no runtime, no logging.
        if plan_cli::run(args)? {
            std::process::exit(i32::from(plan_cli::EXIT_THROTTLES));
        }
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("TRENT_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve(args) => Ok(serve::run(args).await?),
            Command::Encrypt(args) => envelope_cli::encrypt(args).await,
            Command::Decrypt(args) => envelope_cli::decrypt(args).await,
            Command::Load(args) => Ok(trent_load::run(args).await?),
            Command::Quotas(args) => quotas_cli::run(args).await,
            Command::Backup(args) => maintenance_cli::backup(args).await,
            Command::Restore(args) => maintenance_cli::restore(args).await,
            Command::RotateRootKey(args) => maintenance_cli::rotate_root_key(args).await,
            Command::Plan(_) => Ok(()),
            Command::Faults(args) => faults_cli::run(args).await,
        }
    })
}
