//! What both servers need: a free loopback port, the user to run a server as,
//! bounded runs of helper programs, and stopping a child without hanging.

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Result, TestkitError};

/// A port on 127.0.0.1 that was free a moment ago. The server started on it
/// may still lose a race for it; callers retry with another port then.
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io("binding a probe port"))?;
    Ok(listener.local_addr().map_err(io("reading the probe port"))?.port())
}

/// Wraps an I/O error with what was being done.
pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestkitError {
    let what = what.into();
    move |source| TestkitError::Io { what, source }
}

/// A uid and gid to run a server as.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunAs {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl RunAs {
    /// Makes `cmd` run as this user (set in the child before exec, so the
    /// server is our direct child: no `runuser` in between that would
    /// outlive or hide it).
    pub(crate) fn apply(self, cmd: &mut Command) {
        cmd.uid(self.uid).gid(self.gid);
    }

    /// Hands `path` to this user.
    pub(crate) fn chown(self, path: &Path) -> Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).map_err(io(format!(
            "chown {} to uid {}",
            path.display(),
            self.uid
        )))
    }
}

/// `None` when this process is not root; otherwise the uid and gid of
/// `user`, for servers that refuse to run as root (PostgreSQL does).
pub(crate) fn unprivileged_user(user: &str) -> Result<Option<RunAs>> {
    if id(&["-u"])? != 0 {
        return Ok(None);
    }
    let uid = id(&["-u", user])?;
    let gid = id(&["-g", user])?;
    Ok(Some(RunAs { uid, gid }))
}

/// Runs `id ARGS` and parses the number it prints.
fn id(args: &[&str]) -> Result<u32> {
    let out = Command::new("id").args(args).output().map_err(io("running id"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(TestkitError::Failed {
            what: format!("id {}", args.join(" ")),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    text.trim().parse().map_err(|_| TestkitError::Failed {
        what: format!("id {}", args.join(" ")),
        detail: format!("printed {text:?}"),
    })
}

/// Runs a helper program to completion within `timeout`, its output going to
/// `log`; kills it when the time is up. Exists because `Command::output` has
/// no deadline and a helper stuck on a lock would hang the test run.
pub(crate) fn run_bounded(mut cmd: Command, what: &str, log: &Path, timeout: Duration) -> Result<()> {
    let out = File::create(log).map_err(io(format!("creating {}", log.display())))?;
    let err = out.try_clone().map_err(io("duplicating a log handle"))?;
    let mut child = cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn().map_err(io(format!("starting {what}")))?;
    match wait_deadline(&mut child, Instant::now() + timeout)? {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(TestkitError::Failed { what: what.into(), detail: format!("{status}; {}", tail(log)) }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(TestkitError::Timeout { what: what.into(), waited: timeout, log: tail(log) })
        }
    }
}

/// Waits for `child` to exit until `deadline`; `None` if it is still running.
pub(crate) fn wait_deadline(child: &mut Child, deadline: Instant) -> Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(status) = child.try_wait().map_err(io("waiting for a child"))? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Polls `ready` until it answers true, `child` dies, or `timeout` passes.
/// The pause between polls grows from 2 ms to 50 ms: readiness is usually a
/// matter of milliseconds, and the poll itself may start a process.
pub(crate) fn poll_ready(
    child: &mut Child,
    what: &str,
    log: &Path,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        if ready() {
            return Ok(());
        }
        if let Some(status) = child.try_wait().map_err(io("waiting for a child"))? {
            return Err(TestkitError::Failed {
                what: what.into(),
                detail: format!("exited with {status}; {}", tail(log)),
            });
        }
        if Instant::now() >= deadline {
            return Err(TestkitError::Timeout { what: what.into(), waited: timeout, log: tail(log) });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Stops `child`: first `signal` (a name `kill -s` understands, for a clean
/// but quick exit), then SIGKILL if it is still running after `grace`.
/// Always reaps it. `kill(1)` rather than libc: the workspace denies unsafe
/// code, and a root test process may signal a child that runs as another user.
pub(crate) fn stop(child: &mut Child, signal: &str, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let sent = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if sent && matches!(wait_deadline(child, Instant::now() + grace), Ok(Some(_))) {
        return;
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last lines of a log file, for error messages.
pub(crate) fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Opens `log` for appending, as a child's stdout and stderr.
pub(crate) fn log_stdio(log: &Path) -> Result<(Stdio, Stdio)> {
    let out = File::options().create(true).append(true).open(log).map_err(io(format!("opening {}", log.display())))?;
    let err = out.try_clone().map_err(io("duplicating a log handle"))?;
    Ok((out.into(), err.into()))
}

/// A `sh` child that stops a server and removes its directory when this
/// test process goes away without doing so itself: killed by a timeout,
/// crashed, or holding the server in a `static` whose destructor never runs.
///
/// It blocks reading a pipe whose only writer is this process; the kernel
/// closes that pipe however the process ends, and then the watchdog sends the
/// server `signal`, gives it [`WATCHDOG_GRACE_POLLS`] x 50 ms to exit (a
/// zombie counts as exited: its parent, this process, is gone and init reaps
/// it), sends SIGKILL, and removes the directory. A server stopped normally disarms its watchdog
/// first, so the watchdog never signals a pid that may have been reused.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
}

/// How many 50 ms polls the watchdog waits for a signalled server to exit.
const WATCHDOG_GRACE_POLLS: u32 = 100;

impl Watchdog {
    /// Arms a watchdog for the server process `pid` with its files in `dir`.
    pub(crate) fn arm(pid: u32, signal: &str, dir: &Path) -> Result<Watchdog> {
        let script = format!(
            "read -r _ignored; kill -s {signal} \"$1\" 2>/dev/null; i=0; \
             while kill -0 \"$1\" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' /proc/\"$1\"/status \
             && [ $i -lt {WATCHDOG_GRACE_POLLS} ]; do sleep 0.05; i=$((i+1)); done; \
             kill -s KILL \"$1\" 2>/dev/null; rm -rf -- \"$2\""
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("trent-testkit-watchdog")
            .arg(pid.to_string())
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C aimed at the test run must not
            // kill the watchdog before the test process is gone.
            .process_group(0)
            .spawn()
            .map_err(io("starting the watchdog shell"))?;
        Ok(Watchdog { child })
    }

    /// Stops the watchdog without letting it act (the server is being stopped
    /// by its owner).
    pub(crate) fn disarm(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
