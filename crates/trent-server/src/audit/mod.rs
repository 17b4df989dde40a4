//! The audit log (`trent serve --audit-log FILE`): one CloudTrail record per
//! KMS and Service Quotas request, so "who called what, and was it throttled"
//! is answered with the tools that already read CloudTrail.
//!
//! Format, durability and rotation (documented in `docs/audit-log.md`):
//!
//! * the live file is JSON Lines, one CloudTrail record per line: appending
//!   keeps every record whole without rewriting the file, and `tail -f`, `jq`
//!   and log shippers read it as it grows;
//! * when it passes `max_bytes` it is closed and rewritten beside it as
//!   `FILE.<UTC time>.json`, a `{"Records":[...]}` document: the shape of
//!   the files CloudTrail delivers, which CloudTrail readers expect;
//! * records are handed to one writer task, which writes what arrived in
//!   each millisecond with one `write(2)` ([`BATCH_PERIOD`]): a record per
//!   system call cost a tenth of Encrypt's throughput. So a process killed
//!   with SIGKILL can lose the records of its last millisecond; SIGINT and
//!   SIGTERM flush first ([`AuditLog::flush`]). The file is fsync'd per
//!   [`FsyncPolicy`] (by default at most a second after the write, which
//!   bounds what a machine crash can lose); with [`FsyncPolicy::Always`]
//!   each answer waits until its record is written and synced.
//!
//! Records never hold plaintext, key material or secrets ([`members`] drops them).

pub mod members;
pub mod record;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// When the audit file is flushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// After every record, before the answer (slowest; survives a machine crash).
    Always,
    /// By a background task once a second when records were written (default).
    #[default]
    Interval,
    /// Never explicitly: the kernel writes back when it likes.
    Never,
}

impl std::str::FromStr for FsyncPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(FsyncPolicy::Always),
            "interval" => Ok(FsyncPolicy::Interval),
            "never" => Ok(FsyncPolicy::Never),
            other => Err(format!("unknown fsync policy {other:?}: use always, interval or never")),
        }
    }
}

/// Where and how to write the audit log.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// The live JSON Lines file.
    pub path: PathBuf,
    /// Size at which the file is rotated.
    pub max_bytes: u64,
    /// When to fsync.
    pub fsync: FsyncPolicy,
}

/// Default rotation size: 100 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;

/// Why the audit log could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file operation failed.
    #[error("audit log {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
}

struct Live {
    file: File,
    len: u64,
}

/// Someone waiting for everything appended so far to be written (a flush,
/// or a record under [`FsyncPolicy::Always`]).
type Waiter = tokio::sync::oneshot::Sender<Result<(), String>>;

/// Records appended and not yet taken by the writer: one buffer every
/// request appends its line to (no allocation, channel message or copy per
/// record beyond this one), swapped out whole by the writer.
#[derive(Default)]
struct Pending {
    lines: parking_lot::Mutex<Vec<u8>>,
    /// Wakes the writer when the buffer stops being empty.
    arrived: tokio::sync::Notify,
}

/// How long the writer lets records gather between two writes when nobody
/// waits for them: under load one `write(2)` carries hundreds of records.
pub const BATCH_PERIOD: Duration = Duration::from_millis(1);

/// The open audit log, shared by every request.
///
/// Requests hand their line to one writer task. With [`FsyncPolicy::Always`]
/// they wait until the writer has written and synced it (group commit: one
/// write and one fsync for everything queued); otherwise they answer at once
/// and the writer writes what gathered every [`BATCH_PERIOD`]. The writer is
/// a task on the server's runtime (not a thread of its own) so handing a
/// record over costs no thread wake-up.
pub struct AuditLog {
    opts: AuditOptions,
    pending: Arc<Pending>,
    waiters: tokio::sync::mpsc::UnboundedSender<Waiter>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("opts", &self.opts).finish_non_exhaustive()
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io { path: path.display().to_string(), source }
}

fn open_append(path: &Path) -> Result<Live, AuditError> {
    let file = OpenOptions::new().create(true).append(true).open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    Ok(Live { file, len })
}

/// Most waiters released by one write.
const MAX_WAITERS: usize = 1024;

impl AuditLog {
    /// Opens (appending) the audit file and starts its writer task; with
    /// [`FsyncPolicy::Interval`] the file is synced once a second when
    /// records were written (call inside a Tokio runtime).
    pub fn open(opts: AuditOptions) -> Result<Arc<Self>, AuditError> {
        if let Some(dir) = opts.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let live = open_append(&opts.path)?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let dirty = Arc::new(AtomicBool::new(false));
        let pending = Arc::new(Pending::default());
        let writer = Writer { opts: opts.clone(), live, dirty: dirty.clone(), pending: pending.clone() };
        tokio::spawn(writer.run(rx));
        if opts.fsync == FsyncPolicy::Interval {
            let path = opts.path.clone();
            let weak = tx.downgrade();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    if weak.upgrade().is_none() {
                        return;
                    }
                    if dirty.swap(false, Ordering::Relaxed) {
                        let path = path.clone();
                        let _ =
                            tokio::task::spawn_blocking(move || File::open(&path).and_then(|f| f.sync_data())).await;
                    }
                }
            });
        }
        Ok(Arc::new(Self { opts, pending, waiters: tx }))
    }

    /// The live file's path.
    pub fn path(&self) -> &Path {
        &self.opts.path
    }

    /// Appends one record, which `write` puts into the line given to it
    /// (without the line break). With [`FsyncPolicy::Always`] returns once
    /// it is written and synced; otherwise at once (the writer takes it
    /// within [`BATCH_PERIOD`]).
    pub async fn append(&self, write: impl FnOnce(&mut Vec<u8>)) -> Result<(), AuditError> {
        thread_local! {
            static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        LINE.with(|line| {
            let mut line = line.borrow_mut();
            line.clear();
            write(&mut line);
            line.push(b'\n');
            let mut lines = self.pending.lines.lock();
            let was_empty = lines.is_empty();
            lines.extend_from_slice(&line);
            drop(lines);
            if was_empty {
                self.pending.arrived.notify_one();
            }
        });
        if self.opts.fsync == FsyncPolicy::Always { self.flush().await } else { Ok(()) }
    }

    /// Returns once every record appended before the call is written (and
    /// synced with [`FsyncPolicy::Always`]): before the process exits.
    pub async fn flush(&self) -> Result<(), AuditError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.waiters.send(tx).map_err(|_| self.failed("the audit writer stopped".into()))?;
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.failed(e)),
            Err(_) => Err(self.failed("the audit writer stopped".into())),
        }
    }

    fn failed(&self, e: String) -> AuditError {
        AuditError::Io { path: self.opts.path.display().to_string(), source: std::io::Error::other(e) }
    }
}

/// The task that owns the file.
struct Writer {
    opts: AuditOptions,
    live: Live,
    dirty: Arc<AtomicBool>,
    pending: Arc<Pending>,
}

impl Writer {
    async fn run(mut self, mut rx: tokio::sync::mpsc::UnboundedReceiver<Waiter>) {
        let mut waiters = Vec::new();
        let mut batch = Vec::new();
        loop {
            let open = tokio::select! {
                _ = self.pending.arrived.notified() => true,
                n = rx.recv_many(&mut waiters, MAX_WAITERS) => n > 0,
            };
            // Everyone who asked by now waits for this write (their records
            // were appended before they asked, so they are in the buffer).
            while let Ok(w) = rx.try_recv() {
                waiters.push(w);
            }
            std::mem::swap(&mut *self.pending.lines.lock(), &mut batch);
            // A write to a local file takes microseconds per record: done
            // in place rather than handed to the blocking pool.
            let result = if batch.is_empty() { Ok(()) } else { self.write(&batch).map_err(|e| e.to_string()) };
            batch.clear();
            let waited = !waiters.is_empty();
            for w in waiters.drain(..) {
                let _ = w.send(result.clone());
            }
            if !open {
                // The log was dropped: what was appended is written; stop.
                return;
            }
            if !waited {
                // Nobody is held up: let the next records gather.
                tokio::time::sleep(BATCH_PERIOD).await;
            }
        }
    }

    fn write(&mut self, batch: &[u8]) -> Result<(), AuditError> {
        if self.live.len > 0 && self.live.len + batch.len() as u64 > self.opts.max_bytes {
            self.rotate()?;
        }
        self.live.file.write_all(batch).map_err(io_err(&self.opts.path))?;
        self.live.len += batch.len() as u64;
        match self.opts.fsync {
            FsyncPolicy::Always => self.live.file.sync_data().map_err(io_err(&self.opts.path))?,
            FsyncPolicy::Interval => self.dirty.store(true, Ordering::Relaxed),
            FsyncPolicy::Never => {}
        }
        Ok(())
    }

    /// Moves the live file aside, starts a new one, and turns the old one
    /// into a CloudTrail `{"Records":[...]}` file in the background.
    fn rotate(&mut self) -> Result<(), AuditError> {
        let _ = self.live.file.sync_data();
        let stamp = time::OffsetDateTime::now_utc();
        let stamp = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}{:09}Z",
            stamp.year(),
            u8::from(stamp.month()),
            stamp.day(),
            stamp.hour(),
            stamp.minute(),
            stamp.second(),
            stamp.nanosecond()
        );
        let lines_path = PathBuf::from(format!("{}.{stamp}.jsonl", self.opts.path.display()));
        std::fs::rename(&self.opts.path, &lines_path).map_err(io_err(&self.opts.path))?;
        self.live = open_append(&self.opts.path)?;
        std::thread::spawn(move || {
            if let Err(e) = to_cloudtrail_file(&lines_path) {
                tracing::warn!(error = %e, file = %lines_path.display(), "converting a rotated audit file failed");
            }
        });
        Ok(())
    }
}

/// Rewrites a rotated JSON Lines file `X.jsonl` as `X.json`, CloudTrail's
/// `{"Records":[...]}`, then removes the `.jsonl` (written to a temporary
/// name and renamed, so a reader never sees half a file).
pub fn to_cloudtrail_file(lines_path: &Path) -> std::io::Result<PathBuf> {
    let text = std::fs::read_to_string(lines_path)?;
    let out = lines_path.with_extension("json");
    let tmp = lines_path.with_extension("json.tmp");
    let mut f = std::io::BufWriter::new(File::create(&tmp)?);
    f.write_all(b"{\"Records\":[")?;
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        if i > 0 {
            f.write_all(b",\n")?;
        }
        f.write_all(line.as_bytes())?;
    }
    f.write_all(b"]}\n")?;
    f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, &out)?;
    std::fs::remove_file(lines_path)?;
    Ok(out)
}

/// What the HTTP layer knows of one answered request: the API and operation
/// it targeted, the `x-amzn-RequestId` and the event id its record gets (made
/// by the HTTP layer, which also hands them to the request's key usage record).
#[derive(Debug, Clone, Copy)]
pub struct RequestRef<'a> {
    /// `kms.amazonaws.com` or `servicequotas.amazonaws.com`: the API the
    /// request targeted (both have a `TagResource`, so not the name's).
    pub event_source: &'static str,
    /// The operation.
    pub event_name: &'a str,
    /// The `x-amzn-RequestId` answered.
    pub request_id: &'a str,
    /// The record's `eventID`.
    pub event_id: &'a str,
}

/// Writes the record of one answered request (called by the HTTP layer
/// before it sends the answer). A failed write is logged, not answered as an
/// error: the operation has already taken effect.
pub async fn write(
    log: &AuditLog,
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    caller: &trent_core::Caller,
    body: &[u8],
    result: &Result<Vec<u8>, trent_core::KmsError>,
    ids: RequestRef<'_>,
) {
    let source_ip = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|axum::extract::ConnectInfo(peer)| peer.ip());
    let user_agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let tls = extensions.get::<crate::tls::TlsDetails>().map(|details| record::Tls {
        details: *details,
        host: headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or(""),
    });
    let event = record::Event {
        event_source: ids.event_source,
        event_name: ids.event_name,
        caller,
        source_ip,
        user_agent,
        request: body,
        response: result.as_ref().ok().map(Vec::as_slice),
        error: result.as_ref().err().map(|e| (e.kind.aws_type(), e.message.as_deref().unwrap_or(""))),
        request_id: ids.request_id,
        event_id: ids.event_id,
        time: time::OffsetDateTime::now_utc(),
        tls,
    };
    if let Err(e) = log.append(|line| record::write(line, &event)).await {
        tracing::error!(error = %e, "writing the audit log failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rotates_by_size_into_cloudtrail_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(AuditOptions { path: path.clone(), max_bytes: 200, fsync: FsyncPolicy::Always })
            .expect("open");
        for i in 0..10 {
            let record = serde_json::json!({ "eventName": "Encrypt", "n": i, "pad": "x".repeat(40) });
            log.append(|line| line.extend_from_slice(record.to_string().as_bytes())).await.expect("append");
        }
        // Conversion runs on a thread; wait for the .json files to appear.
        let mut converted = Vec::new();
        for _ in 0..200 {
            converted = std::fs::read_dir(dir.path())
                .expect("dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            let pending = std::fs::read_dir(dir.path())
                .expect("dir")
                .filter_map(|e| e.ok())
                .any(|e| e.path().extension().is_some_and(|x| x == "jsonl" || x == "tmp"));
            if !converted.is_empty() && !pending {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut seen: Vec<i64> = Vec::new();
        for p in &converted {
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json");
            for r in doc["Records"].as_array().expect("Records") {
                seen.push(r["n"].as_i64().expect("n"));
            }
        }
        for line in std::fs::read_to_string(&path).expect("live").lines() {
            let r: serde_json::Value = serde_json::from_str(line).expect("line");
            seen.push(r["n"].as_i64().expect("n"));
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>(), "every record once, across rotated and live files");
        assert!(converted.len() >= 2, "{converted:?}");
        assert!(std::fs::metadata(&path).expect("live").len() <= 200);
    }
}
