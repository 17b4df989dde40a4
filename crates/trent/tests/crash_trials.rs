//! A short series of kill -9 trials under a concurrent write load
//! (`bench/crash-trials.py`, boto3 against the real server): every write the
//! server acknowledged is there after each restart, and nothing
//! half-written is visible. The long series (100 trials) is recorded in
//! BENCHMARKS.md with its command.

mod common;

use common::{venv_bin, workspace_root};

/// Runs `bench/crash-trials.py` with `args` (the trial count from
/// `TRENT_CRASH_TRIALS`, else `default_trials`); returns its JSON summary
/// after checking that it lost nothing.
fn trials(default_trials: &str, args: &[&str]) -> serde_json::Value {
    let trials = std::env::var("TRENT_CRASH_TRIALS").unwrap_or_else(|_| default_trials.into());
    let out = std::process::Command::new(venv_bin("python"))
        .arg(workspace_root().join("bench/crash-trials.py"))
        .args(["--trent", env!("CARGO_BIN_EXE_trent"), "--trials", &trials, "--json"])
        .args(args)
        .env_remove("TRENT_ROOT_KEY")
        .output()
        .expect("run the trials");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("summary line");
    assert_eq!(summary["lost"], 0, "{stdout}");
    assert!(summary["acknowledged"].as_u64().unwrap_or(0) > 0, "{stdout}");
    summary
}

#[test]
fn acknowledged_writes_survive_kill_9_trials() {
    let summary = trials("4", &["--seed", "7"]);
    assert_eq!(summary["store"], "sqlite");
    // The load must have written something of each kind that matters.
    let by_op = &summary["by_operation"];
    for op in ["create_key", "create_alias", "tag", "put_policy", "create_grant", "import_material", "quota_increase"] {
        assert!(by_op[op].as_u64().unwrap_or(0) > 0, "no acknowledged {op} in {summary}");
    }
}

/// The same trials on the PostgreSQL store (a fresh database of a
/// throwaway server, one root key for every start).
#[test]
fn acknowledged_writes_survive_kill_9_trials_on_postgresql() {
    let pg = trent_testkit::PgServer::shared().expect("PostgreSQL (apt-get install postgresql)");
    let db = pg.create_database().expect("database");
    let summary = trials("3", &["--seed", "8", "--store", &db]);
    assert_eq!(summary["store"], "postgres");
}
