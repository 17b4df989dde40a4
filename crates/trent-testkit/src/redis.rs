//! A throwaway Redis server: Debian's `redis-server` on a free loopback
//! port, nothing persisted.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::error::{Result, START_TIMEOUT, TestkitError};
use crate::process::{self, Watchdog, io};

/// How many free ports to try when another process takes ours first.
const PORT_ATTEMPTS: u32 = 5;

/// A Redis server for one test.
///
/// Exists so the Redis-backed quota limiter is tested against the real
/// server, including its failures: [`RedisServer::kill`] and
/// [`RedisServer::restart`] take it away and bring it back on the same port
/// (empty: `--save ''` and `--appendonly no`, so a restart loses every
/// counter, as a Redis without persistence does). Dropping it kills the
/// server and removes its directory; a watchdog does the same if the test
/// process dies first. Starting takes a few milliseconds, so each test can
/// have its own.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    running: Option<(Child, Watchdog)>,
    dir: TempDir,
}

impl RedisServer {
    /// Starts `redis-server` on a free port of 127.0.0.1 and waits until it
    /// answers `PING`.
    pub fn start() -> Result<RedisServer> {
        let dir = tempfile::Builder::new()
            .prefix("trent-testkit-redis-")
            .tempdir()
            .map_err(io("creating the Redis temp dir"))?;
        let mut server = RedisServer { port: 0, running: None, dir };
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            server.port = process::free_port()?;
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) if server.lost_port_race() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| TestkitError::Failed { what: "redis-server".into(), detail: "no free port".into() }))
    }

    /// `redis://127.0.0.1:PORT`, stable across [`RedisServer::restart`].
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The address the server listens on, stable across restarts.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The temporary directory holding the server's log (`redis.log`).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Whether the server process is running (false after [`RedisServer::kill`]).
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Kills the server (SIGKILL: a crash, not a shutdown). Clients see
    /// refused connections until [`RedisServer::restart`]. Does nothing if
    /// already stopped.
    pub fn kill(&mut self) {
        if let Some((mut child, watchdog)) = self.running.take() {
            watchdog.disarm();
            process::stop(&mut child, "KILL", Duration::from_secs(5));
        }
    }

    /// Kills the server if it runs and starts a fresh, empty one on the same
    /// port. Fails if the port was taken in between (unlikely on loopback).
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        self.spawn()
    }

    fn spawn(&mut self) -> Result<()> {
        let log = self.log();
        let (out, err) = process::log_stdio(&log)?;
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => TestkitError::NotInstalled {
                    program: "redis-server".into(),
                    hint: "apt-get install redis-server".into(),
                },
                _ => TestkitError::Io { what: "starting redis-server".into(), source: e },
            })?;
        let watchdog = match Watchdog::arm(child.id(), "KILL", self.dir.path()) {
            Ok(w) => w,
            Err(e) => {
                process::stop(&mut child, "KILL", Duration::from_secs(5));
                return Err(e);
            }
        };
        let addr = self.addr();
        let ready = process::poll_ready(&mut child, "redis-server", &log, START_TIMEOUT, || ping(addr));
        self.running = Some((child, watchdog));
        if ready.is_err() {
            self.kill();
        }
        ready
    }

    /// Whether the last start failed because another process took the port.
    fn lost_port_race(&self) -> bool {
        std::fs::read_to_string(self.log()).is_ok_and(|l| l.contains("Address already in use"))
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends `PING` in the inline protocol and checks for `+PONG`. Hand-written
/// rather than a Redis client crate: one command, and the testkit should not
/// pull a client into every crate that uses it.
fn ping(addr: SocketAddr) -> bool {
    let timeout = Duration::from_millis(500);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else { return false };
    if stream.set_read_timeout(Some(timeout)).is_err() || stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}
