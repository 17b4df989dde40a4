//! `trent encrypt` and `trent decrypt`: AWS Encryption SDK messages from the command line, with
//! option names that mirror aws-encryption-cli.
//!
//! Plaintext release rules on decrypt:
//! - to a file: always via a temporary file in the same directory, renamed into place only after
//!   the whole message (final frame, signature, end of input) verified; deleted on error;
//! - to stdout (`-o -`): unsigned messages stream frame by frame (each frame is authenticated
//!   before it is written; a truncated stream still ends in an error and a non-zero exit);
//!   signed messages are refused unless `--buffer` is given, which holds the plaintext in a
//!   temporary file (memory stays flat) until the signature verified;
//!   `--decrypt-unsigned` refuses signed messages outright, like the official CLI.

mod args;
mod plan;
mod progress;
mod report;

use std::fs::File;
use std::sync::Arc;

use anyhow::Result;
use tokio::sync::Semaphore;
use trent_client::{AwsKmsKeyring, ClientConfig, DecryptOptions, EncryptOptions, EnvelopeClient, Error, Stats};

pub use args::{DecryptArgs, EncryptArgs};
#[allow(unused_imports)] // for main.rs: distinct exit codes per failure kind
pub use report::exit_code;

use args::CommonArgs;
use plan::{Job, Sink, Source};
use report::{CliError, EXIT_USAGE, describe, usage};

/// Encrypts files, directories or stdin.
pub async fn encrypt(args: EncryptArgs) -> Result<()> {
    let c = &args.common;
    let keys = args::wrapping_keys(&c.wrapping_keys, false).map_err(usage)?;
    let (context, _) = args::encryption_context(&c.encryption_context, false).map_err(usage)?;
    context.check_no_reserved_keys().map_err(|e| usage(e.into()))?;
    let policy = args::commitment_policy(&c.commitment_policy).map_err(usage)?;
    let suite = args.algorithm.as_deref().map(args::algorithm).transpose().map_err(usage)?;
    if let Some(s) = suite {
        policy.check_encrypt(s).map_err(|e| {
            usage(anyhow::anyhow!("{e} — v1 suites need --commitment-policy forbid-encrypt-allow-decrypt"))
        })?;
    }
    trent_client::encrypt::validate_frame_length(args.frame_length).map_err(|e| usage(e.into()))?;
    let suffix = c.suffix.clone().unwrap_or_else(|| ".encrypted".into());
    let jobs = plan::plan(&c.input, &c.output, c.recursive, &suffix).map_err(usage)?;
    let client = build_client(c, &keys, policy).await?;
    let opts = Arc::new(EncryptOptions { encryption_context: context, suite, frame_length: args.frame_length });
    let no_overwrite = c.no_overwrite;
    run_all(c, &client, jobs, false, move |client, job, progress| {
        let opts = opts.clone();
        async move { encrypt_one(&client, job, &opts, no_overwrite, progress).await }
    })
    .await
}

/// Decrypts files, directories or stdin.
pub async fn decrypt(args: DecryptArgs) -> Result<()> {
    let c = &args.common;
    let keys = args::wrapping_keys(&c.wrapping_keys, true).map_err(usage)?;
    let (required, required_keys) = args::encryption_context(&c.encryption_context, true).map_err(usage)?;
    let policy = args::commitment_policy(&c.commitment_policy).map_err(usage)?;
    let suffix = c.suffix.clone().unwrap_or_else(|| ".decrypted".into());
    let jobs = plan::plan(&c.input, &c.output, c.recursive, &suffix).map_err(usage)?;
    let client = build_client(c, &keys, policy).await?;
    let opts = Arc::new(DecryptOptions {
        required_context: required,
        required_context_keys: required_keys,
        unsigned_only: args.decrypt_unsigned,
        max_frame_length: args.max_length,
    });
    let (buffer, no_overwrite) = (args.buffer, c.no_overwrite);
    run_all(c, &client, jobs, true, move |client, job, progress| {
        let opts = opts.clone();
        async move { decrypt_one(&client, job, &opts, buffer, no_overwrite, progress).await }
    })
    .await
}

async fn build_client(
    c: &CommonArgs,
    keys: &args::WrappingKeys,
    policy: trent_client::CommitmentPolicy,
) -> Result<EnvelopeClient> {
    let caching = args::caching(&c.caching).map_err(usage)?;
    let settings = args::kms_settings(c, keys).map_err(usage)?;
    let kms = Arc::new(settings.connect().await.map_err(|e| usage(e.into()))?);
    let stats = Arc::new(Stats::default());
    let keyring = AwsKmsKeyring::new(kms, keys.selection.clone(), stats.clone()).map_err(|e| usage(e.into()))?;
    let config = ClientConfig {
        commitment_policy: policy,
        max_encrypted_data_keys: c.max_encrypted_data_keys,
        caching,
        sequential_io: c.sequential_io,
    };
    EnvelopeClient::from_keyring(Arc::new(keyring), stats, &config).map_err(|e| usage(e.into()))
}

/// Result of one job.
enum Outcome {
    Done,
    Skipped,
}

/// Runs every job (up to `--jobs` at once) on one client, so one cache serves them all; prints
/// one line per failure and fails if any job failed.
async fn run_all<F, Fut>(
    c: &CommonArgs,
    client: &EnvelopeClient,
    jobs: Vec<Job>,
    decrypting: bool,
    work: F,
) -> Result<()>
where
    F: Fn(EnvelopeClient, Job, Option<trent_client::Progress>) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<Outcome, CliError>> + Send + 'static,
{
    let total: Option<u64> = jobs.iter().map(Job::len).sum();
    let bar = progress::bar(&c.progress, total, c.quiet).map_err(usage)?;
    let count = jobs.len();
    let limit = Arc::new(Semaphore::new(c.jobs.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for job in jobs {
        let permit = limit.clone().acquire_owned().await?;
        let fut = work(client.clone(), job, progress::feeder(&bar));
        set.spawn(async move {
            let r = fut.await;
            drop(permit);
            r
        });
    }
    let mut failures: Vec<CliError> = Vec::new();
    let mut skipped = 0usize;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(Outcome::Done)) => {}
            Ok(Ok(Outcome::Skipped)) => skipped += 1,
            Ok(Err(e)) => {
                if count > 1 {
                    if let Some(b) = &bar {
                        b.suspend(|| eprintln!("trent: {e}"));
                    } else {
                        eprintln!("trent: {e}");
                    }
                }
                failures.push(e);
            }
            Err(e) => failures.push(CliError { code: report::EXIT_OTHER, message: format!("worker failed: {e}") }),
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if c.stats {
        eprintln!("trent: {}", client.stats());
    }
    if skipped > 0 && !c.quiet {
        eprintln!("trent: skipped {skipped} existing output file(s) (--no-overwrite)");
    }
    let _ = decrypting;
    match failures.len() {
        0 => Ok(()),
        1 if count == 1 => Err(failures.remove(0).into()),
        n => {
            let code = failures.iter().map(|f| f.code).max().unwrap_or(report::EXIT_OTHER);
            Err(CliError { code, message: format!("{n} of {count} inputs failed (see the messages above)") }.into())
        }
    }
}

/// Opens stdout or a device path for writing.
fn open_sink(sink: &Sink) -> std::io::Result<Box<dyn std::io::Write + Send>> {
    Ok(match sink {
        Sink::Device(p) => Box::new(std::fs::OpenOptions::new().write(true).open(p)?),
        _ => Box::new(std::io::stdout()),
    })
}

fn skip_existing(no_overwrite: bool, sink: &Sink) -> bool {
    matches!(sink, Sink::File(p) if no_overwrite && p.exists())
}

fn ensure_parent(sink: &Sink, what: &str) -> std::result::Result<(), CliError> {
    if let Sink::File(p) = sink
        && let Some(parent) = p.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| CliError {
            code: report::EXIT_OTHER,
            message: format!("{what}: cannot create {}: {e}", parent.display()),
        })?;
    }
    Ok(())
}

async fn encrypt_one(
    client: &EnvelopeClient,
    job: Job,
    opts: &EncryptOptions,
    no_overwrite: bool,
    progress: Option<trent_client::Progress>,
) -> std::result::Result<Outcome, CliError> {
    let what = job.name();
    if skip_existing(no_overwrite, &job.sink) {
        return Ok(Outcome::Skipped);
    }
    ensure_parent(&job.sink, &what)?;
    let fail = |e: Error| describe(&what, &e, false);
    match (job.source, job.sink) {
        (Source::File { path, .. }, Sink::File(out)) => {
            client.encrypt_file(&path, &out, opts, progress).await.map_err(fail)?;
        }
        (Source::File { path, len }, sink @ (Sink::Stdout | Sink::Device(_))) => {
            let f = File::open(&path).map_err(|e| fail(e.into()))?;
            let out = open_sink(&sink).map_err(|e| fail(e.into()))?;
            client.encrypt_stream(f, out, Some(len), opts, progress).await.map_err(fail)?;
        }
        (Source::Stdin, Sink::File(out)) => {
            client.encrypt_to_file(std::io::stdin(), None, &out, opts, progress).await.map_err(fail)?;
        }
        (Source::Stdin, sink @ (Sink::Stdout | Sink::Device(_))) => {
            let out = open_sink(&sink).map_err(|e| fail(e.into()))?;
            client.encrypt_stream(std::io::stdin(), out, None, opts, progress).await.map_err(fail)?;
        }
    }
    Ok(Outcome::Done)
}

async fn decrypt_one(
    client: &EnvelopeClient,
    job: Job,
    opts: &DecryptOptions,
    buffer: bool,
    no_overwrite: bool,
    progress: Option<trent_client::Progress>,
) -> std::result::Result<Outcome, CliError> {
    let what = job.name();
    if skip_existing(no_overwrite, &job.sink) {
        return Ok(Outcome::Skipped);
    }
    ensure_parent(&job.sink, &what)?;
    let fail = |e: Error| describe(&what, &e, true);
    let input: Box<dyn std::io::Read + Send> = match &job.source {
        Source::Stdin => Box::new(std::io::stdin()),
        Source::File { path, .. } => Box::new(File::open(path).map_err(|e| fail(e.into()))?),
    };
    match job.sink {
        Sink::File(out) => {
            client.decrypt_to_file(input, &out, opts, progress).await.map_err(fail)?;
        }
        sink @ (Sink::Stdout | Sink::Device(_)) => {
            let out = open_sink(&sink).map_err(|e| fail(e.into()))?;
            if buffer {
                client.decrypt_stream_buffered(input, out, opts, progress).await.map_err(fail)?;
            } else {
                match client.decrypt_stream(input, out, opts, progress).await {
                    Ok(_) => {}
                    Err(Error::SignedMessageRefused(suite)) if !opts.unsigned_only => {
                        return Err(CliError {
                            code: EXIT_USAGE,
                            message: format!(
                                "{what}: message is signed ({suite}); its plaintext cannot stream to \
                                 stdout or a device before the signature is verified — add --buffer \
                                 (holds it in a temporary file until verified) or write to a regular \
                                 file with -o FILE"
                            ),
                        });
                    }
                    Err(e) => return Err(fail(e)),
                }
            }
        }
    }
    Ok(Outcome::Done)
}
