//! A throwaway PostgreSQL server: `initdb` into a temporary directory, the
//! `postgres` binary on a free loopback port, databases made with `createdb`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tempfile::TempDir;

use crate::error::{Result, START_TIMEOUT, TestkitError};
use crate::process::{self, RunAs, Watchdog, io};

/// The superuser `initdb` creates; tests connect as it, without a password
/// (trust authentication, loopback only).
const SUPERUSER: &str = "postgres";

/// The database [`PgServer::url`] points at.
const DEFAULT_DB: &str = "trent";

/// How many free ports to try when another process takes ours first.
const PORT_ATTEMPTS: u32 = 5;

/// Environment variable naming the directory of PostgreSQL's server
/// programs, overriding the search (for machines that are not Debian).
pub const BINDIR_ENV: &str = "TRENT_PG_BINDIR";

/// A PostgreSQL server for one test (or one test binary, see
/// [`PgServer::shared`]).
///
/// Exists so the PostgreSQL store is tested against the real server with no
/// system service set up: `initdb` into a temporary directory (as the
/// `postgres` user when running as root, since PostgreSQL refuses root), the
/// server on a free port of 127.0.0.1 with trust authentication, fsync off
/// (a throwaway cluster; `synchronous_commit` stays on, so the commit
/// protocol the store relies on is unchanged). Dropping it stops the server
/// (immediate shutdown) and removes the directory; a watchdog does the same
/// if the test process dies first.
#[derive(Debug)]
pub struct PgServer {
    bindir: PathBuf,
    run_as: Option<RunAs>,
    port: u16,
    /// Running server and its watchdog; `None` only inside `restart`.
    running: Option<(Child, Watchdog)>,
    next_db: AtomicU64,
    // Last: removed after the server has stopped.
    dir: TempDir,
}

impl PgServer {
    /// Creates a cluster, starts the server and creates the database
    /// [`PgServer::url`] names. Takes about 1-2 s (mostly `initdb`).
    pub fn start() -> Result<PgServer> {
        let bindir = pg_bindir()?;
        let run_as = process::unprivileged_user(SUPERUSER)?;
        let dir = tempfile::Builder::new()
            .prefix("trent-testkit-pg-")
            .tempdir()
            .map_err(io("creating the PostgreSQL temp dir"))?;
        if let Some(user) = run_as {
            user.chown(dir.path())?;
        }
        let mut initdb = Command::new(bindir.join("initdb"));
        initdb.arg("-D").arg(dir.path().join("data")).args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        ]);
        if let Some(user) = run_as {
            user.apply(&mut initdb);
        }
        process::run_bounded(initdb, "initdb", &dir.path().join("initdb.log"), START_TIMEOUT)?;

        let mut server = PgServer { bindir, run_as, port: 0, running: None, next_db: AtomicU64::new(0), dir };
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            server.port = process::free_port()?;
            match server.spawn() {
                Ok(()) => {
                    server.createdb(DEFAULT_DB)?;
                    return Ok(server);
                }
                Err(e) if server.lost_port_race() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| TestkitError::Failed { what: "postgres".into(), detail: "no free port".into() }))
    }

    /// One server for the whole test process, started by the first caller.
    ///
    /// Exists because `initdb` costs 1-2 s, too much per test; tests share
    /// the server and isolate themselves with [`PgServer::create_database`].
    /// Statics are never dropped, so the server is stopped and its directory
    /// removed by its watchdog when the test process exits.
    pub fn shared() -> Result<&'static PgServer> {
        static SHARED: OnceLock<PgServer> = OnceLock::new();
        static STARTING: Mutex<()> = Mutex::new(());
        if let Some(server) = SHARED.get() {
            return Ok(server);
        }
        let _one_at_a_time = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(server) = SHARED.get() {
            return Ok(server);
        }
        let server = PgServer::start()?;
        Ok(SHARED.get_or_init(|| server))
    }

    /// URL of the database created at start, e.g.
    /// `postgres://postgres@127.0.0.1:54321/trent`.
    pub fn url(&self) -> String {
        self.url_of(DEFAULT_DB)
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory holding the cluster and the server's log
    /// (`postgres.log`), for reading the log when a test fails.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Creates a new, empty database and returns its URL. Its default
    /// collation is ICU `en-US` (linguistic order, "a" < "B"), so a query that
    /// gets byte order only by accident of the default collation fails in
    /// tests instead of in production. About 0.1-0.2 s.
    pub fn create_database(&self) -> Result<String> {
        let name = format!("t{}", self.next_db.fetch_add(1, Ordering::Relaxed));
        self.createdb(&name)?;
        Ok(self.url_of(&name))
    }

    /// Stops the server (immediate shutdown, as after a crash) and starts it
    /// again on the same port and data; committed data must survive. For
    /// fault tests: connections in pools break and must be re-established.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.spawn()
    }

    fn url_of(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }

    /// Starts `postgres` on `self.port` and waits until it accepts connections.
    fn spawn(&mut self) -> Result<()> {
        let log = self.log();
        let (out, err) = process::log_stdio(&log)?;
        let mut cmd = Command::new(self.bindir.join("postgres"));
        cmd.arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=200", "-c", "shared_buffers=32MB"])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        if let Some(user) = self.run_as {
            user.apply(&mut cmd);
        }
        let mut child = cmd.spawn().map_err(io("starting postgres"))?;
        let watchdog = match Watchdog::arm(child.id(), "QUIT", self.dir.path()) {
            Ok(w) => w,
            Err(e) => {
                process::stop(&mut child, "QUIT", Duration::from_secs(5));
                return Err(e);
            }
        };
        let isready = self.bindir.join("pg_isready");
        let port = self.port.to_string();
        let ready = process::poll_ready(&mut child, "postgres", &log, START_TIMEOUT, || {
            Command::new(&isready)
                .args(["-q", "-h", "127.0.0.1", "-p", &port, "-U", SUPERUSER, "-d", "postgres"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        self.running = Some((child, watchdog));
        if ready.is_err() {
            self.stop();
        }
        ready
    }

    /// Whether the last start failed because another process took the port.
    fn lost_port_race(&self) -> bool {
        std::fs::read_to_string(self.log()).is_ok_and(|l| l.contains("could not bind") || l.contains("in use"))
    }

    /// Immediate shutdown (SIGQUIT), then SIGKILL if needed.
    fn stop(&mut self) {
        if let Some((mut child, watchdog)) = self.running.take() {
            watchdog.disarm();
            process::stop(&mut child, "QUIT", Duration::from_secs(10));
        }
    }

    fn createdb(&self, name: &str) -> Result<()> {
        let mut cmd = Command::new(self.bindir.join("createdb"));
        cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", SUPERUSER])
            .args(["-T", "template0", "-E", "UTF8", "--locale-provider=icu", "--icu-locale=en-US", "--locale=C"])
            .arg(name);
        let log = self.dir.path().join(format!("createdb-{name}.log"));
        process::run_bounded(cmd, &format!("createdb {name}"), &log, START_TIMEOUT)
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The directory of PostgreSQL's programs (`initdb`, `postgres`,
/// `pg_isready`, `createdb`, `psql`): [`BINDIR_ENV`], else
/// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
/// Public because Debian keeps them off PATH, and tests that run `psql`
/// need to find it the same way.
pub fn pg_bindir() -> Result<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os(BINDIR_ENV) {
        let dir = PathBuf::from(dir);
        return if has_server(&dir) {
            Ok(dir)
        } else {
            Err(TestkitError::NotInstalled {
                program: format!("initdb in {BINDIR_ENV}={}", dir.display()),
                hint: "point it at PostgreSQL's server programs".into(),
            })
        };
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").stderr(Stdio::null()).output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Ok(dir);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .filter(|(_, dir)| has_server(dir))
        .collect();
    found.sort();
    found.pop().map(|(_, dir)| dir).ok_or_else(|| TestkitError::NotInstalled {
        program: "initdb (PostgreSQL server)".into(),
        hint: "apt-get install postgresql-15".into(),
    })
}
