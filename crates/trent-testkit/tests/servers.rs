//! The testkit's servers start, answer, restart and leave nothing behind.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use trent_testkit::{PgServer, RedisServer};

/// `PING` over the inline protocol; true on `+PONG`.
fn redis_ping(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else { return false };
    s.set_read_timeout(Some(Duration::from_millis(500))).expect("timeout");
    let mut reply = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// Runs `psql -tAc SQL` against `url` and returns its output.
fn psql(url: &str, sql: &str) -> String {
    let psql = trent_testkit::pg_bindir().expect("PostgreSQL bindir").join("psql");
    let out = Command::new(psql).args([url, "-X", "-tAc", sql]).output().expect("psql");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8").trim().to_owned()
}

/// Whether something accepts connections on the port.
fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_millis(200)).is_ok()
}

#[test]
fn postgres_starts_serves_restarts_and_cleans_up() {
    let started = Instant::now();
    let mut pg = PgServer::start().expect("start postgres");
    eprintln!("PgServer::start took {:?}", started.elapsed());
    let (port, dir) = (pg.port(), pg.dir().to_path_buf());
    assert!(pg.url().ends_with(&format!("127.0.0.1:{port}/trent")), "{}", pg.url());
    assert_eq!(psql(&pg.url(), "SELECT current_database()"), "trent");

    let started = Instant::now();
    let (a, b) = (pg.create_database().expect("db a"), pg.create_database().expect("db b"));
    eprintln!("two create_database calls took {:?}", started.elapsed());
    assert_ne!(a, b);
    psql(&a, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a'), ('B')");
    // Fresh databases sort linguistically by default (ICU), byte order only with COLLATE "C".
    assert_eq!(psql(&a, "SELECT string_agg(v, ',' ORDER BY v) FROM t"), "a,B");
    assert_eq!(psql(&a, "SELECT string_agg(v, ',' ORDER BY v COLLATE \"C\") FROM t"), "B,a");
    assert_eq!(psql(&b, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), "0", "databases are separate");
    assert_eq!(psql(&a, "SHOW synchronous_commit"), "on");

    pg.restart().expect("restart");
    assert_eq!(pg.port(), port);
    assert_eq!(psql(&a, "SELECT count(*) FROM t"), "2", "committed rows survive an immediate shutdown");

    drop(pg);
    assert!(!listening(port), "server still listening after drop");
    assert!(!dir.exists(), "temp dir {} left behind", dir.display());
}

#[test]
fn shared_postgres_is_one_server() {
    let a = PgServer::shared().expect("shared");
    let b = PgServer::shared().expect("shared again");
    assert!(std::ptr::eq(a, b));
    assert_eq!(psql(&a.url(), "SELECT 1"), "1");
}

#[test]
fn redis_starts_dies_restarts_and_cleans_up() {
    let started = Instant::now();
    let mut redis = RedisServer::start().expect("start redis");
    eprintln!("RedisServer::start took {:?}", started.elapsed());
    let (addr, dir) = (redis.addr(), redis.dir().to_path_buf());
    assert_eq!(redis.url(), format!("redis://{addr}"));
    assert!(redis_ping(addr));

    redis.kill();
    assert!(!redis.is_running());
    assert!(!redis_ping(addr), "killed server still answers");
    redis.restart().expect("restart");
    assert_eq!(redis.addr(), addr, "restart keeps the port");
    assert!(redis_ping(addr));
    redis.restart().expect("restart a running server");
    assert!(redis_ping(addr));

    drop(redis);
    assert!(!redis_ping(addr), "server still answers after drop");
    assert!(!dir.exists(), "temp dir {} left behind", dir.display());
}

#[test]
fn a_dying_test_process_leaves_no_server() {
    // The child half: start servers and exit without dropping them, as a
    // static or a killed process would.
    if let Ok(out) = std::env::var("TRENT_TESTKIT_ORPHAN_CHILD") {
        let pg = PgServer::start().expect("child pg");
        let redis = RedisServer::start().expect("child redis");
        std::fs::write(
            &out,
            format!("{} {} {} {}", pg.port(), pg.dir().display(), redis.addr().port(), redis.dir().display()),
        )
        .expect("write");
        std::process::exit(0);
    }
    let note = tempfile::NamedTempFile::new().expect("note");
    let status = Command::new(std::env::current_exe().expect("exe"))
        .args(["--exact", "a_dying_test_process_leaves_no_server", "--test-threads=1"])
        .env("TRENT_TESTKIT_ORPHAN_CHILD", note.path())
        .output()
        .expect("run child");
    assert!(status.status.success(), "child failed: {}", String::from_utf8_lossy(&status.stderr));
    let text = std::fs::read_to_string(note.path()).expect("read note");
    let parts: Vec<&str> = text.split(' ').collect();
    let (pg_port, pg_dir, redis_port, redis_dir) =
        (parts[0].parse::<u16>().expect("port"), parts[1], parts[2].parse::<u16>().expect("port"), parts[3]);
    // The watchdogs act once the child is gone; allow them a bounded while.
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline
        && (listening(pg_port) || listening(redis_port) || std::path::Path::new(pg_dir).exists())
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!listening(pg_port), "orphaned postgres still listening");
    assert!(!listening(redis_port), "orphaned redis still listening");
    assert!(!std::path::Path::new(pg_dir).exists(), "orphaned postgres dir left behind");
    assert!(!std::path::Path::new(redis_dir).exists(), "orphaned redis dir left behind");
}
