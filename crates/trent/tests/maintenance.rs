//! Maintenance of a data directory with the real `trent` binary: a backup
//! taken under write load restores to a consistent prefix of what was
//! acknowledged, and a root key rotation killed mid-way leaves every key
//! readable, resumes, and ends with the old root key useless.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec};
use common::TestServer;

const UNTHROTTLED: &str = "[quotas]\nenabled = false\n";

/// Runs `trent ARGS`; returns (success, stdout, stderr).
fn trent(args: &[&str]) -> (bool, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_trent")).args(args).env_remove("TRENT_ROOT_KEY").output().expect("run trent");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn config_file(dir: &Path) -> PathBuf {
    let p = dir.join("trent.toml");
    std::fs::write(&p, UNTHROTTLED).expect("config");
    p
}

/// Every alias `alias/seq-N` of the server, as the numbers N, sorted.
async fn sequence(kms: &aws_sdk_kms::Client) -> Vec<u64> {
    let mut out = vec![];
    let mut marker = None;
    loop {
        let page = kms.list_aliases().set_marker(marker).limit(100).send().await.expect("list aliases");
        for a in page.aliases() {
            if let Some(n) = a.alias_name().and_then(|n| n.strip_prefix("alias/seq-")) {
                // The alias's key must be there too, and answer.
                let key = a.target_key_id().expect("target");
                kms.describe_key().key_id(key).send().await.expect("the alias's key is in the backup");
                out.push(n.parse().expect("number"));
            }
        }
        if !page.truncated() {
            break;
        }
        marker = page.next_marker().map(str::to_owned);
    }
    out.sort_unstable();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_to_a_consistent_prefix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_file(tmp.path());
    let data = tmp.path().join("data");
    let server = TestServer::start_on(&data, Some(&config));
    let kms = server.kms_client().await;

    // One writer, in order: key N, then alias/seq-N on it; N counts acknowledged pairs.
    let acked = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (kms, acked, stop) = (kms.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) && n < 2_000 {
                let key = kms.create_key().send().await.expect("create");
                let id = key.key_metadata().expect("metadata").key_id().to_owned();
                kms.create_alias().alias_name(format!("alias/seq-{n}")).target_key_id(&id).send().await.expect("alias");
                n += 1;
                acked.store(n, Ordering::SeqCst);
            }
        })
    };
    while acked.load(Ordering::SeqCst) < 30 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let out = tmp.path().join("backup.sqlite3");
    let before = acked.load(Ordering::SeqCst);
    let (ok, stdout, stderr) = tokio::task::spawn_blocking({
        let (data, out) = (data.clone(), out.clone());
        move || trent(&["backup", "--data-dir", path(&data), "--out", path(&out)])
    })
    .await
    .expect("join");
    let after = acked.load(Ordering::SeqCst);
    assert!(ok, "backup failed: {stderr}");
    assert!(stdout.contains("Backed up") && stdout.contains("root.key"), "{stdout}");
    // Let the writer go on a little past the backup, then stop.
    while acked.load(Ordering::SeqCst) < after + 10 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.expect("writer");
    let total = acked.load(Ordering::SeqCst);

    // Restore into a fresh directory with the same root key.
    let restored = tmp.path().join("restored");
    let (ok, stdout, stderr) = trent(&["restore", "--data-dir", path(&restored), "--from", path(&out)]);
    assert!(ok, "restore failed: {stderr}");
    assert!(stdout.contains("root.key") && stdout.contains("missing"), "the root key is not in the backup: {stdout}");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::copy(data.join("root.key"), restored.join("root.key")).expect("copy root key");
        std::fs::set_permissions(restored.join("root.key"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let copy = TestServer::start_on(&restored, Some(&config));
    let seq = sequence(&copy.kms_client().await).await;
    let m = seq.len() as u64;
    assert_eq!(seq, (0..m).collect::<Vec<_>>(), "a prefix of the writes, with no gap");
    assert!(m >= before, "everything acknowledged before the backup started is in it ({m} < {before})");
    assert!(m <= after + 1, "nothing acknowledged after it ended is ({m} > {after} + 1)");
    assert!(m < total, "the writes after the backup are not in it");

    // A running server holds its directory: restore refuses, and without
    // --force it never replaces a store.
    let (ok, _, stderr) = trent(&["restore", "--data-dir", path(&restored), "--from", path(&out), "--force"]);
    assert!(!ok && stderr.contains("stop it first"), "{stderr}");
    drop(copy.kill9());
    let (ok, _, stderr) = trent(&["restore", "--data-dir", path(&restored), "--from", path(&out)]);
    assert!(!ok && stderr.contains("--force"), "{stderr}");
    let (ok, _, stderr) = trent(&["restore", "--data-dir", path(&restored), "--from", path(&config)]);
    assert!(!ok && stderr.contains("not a usable Trent backup"), "{stderr}");
    drop(server);
}

/// A key of each kind with something made under it before the rotation.
struct Witness {
    symmetric: Vec<(String, Vec<u8>)>,
    hmac: (String, Vec<u8>),
    rsa: (String, Vec<u8>),
    /// A ciphertext of a multi-Region primary (us-east-1) with a replica in eu-west-1.
    multi_region: Vec<u8>,
}

async fn witnesses(kms: &aws_sdk_kms::Client, n: usize) -> Witness {
    let mut symmetric = vec![];
    for i in 0..n {
        let id = kms.create_key().send().await.expect("create").key_metadata().expect("md").key_id().to_owned();
        if i == 0 {
            // Two material versions: the old one must still decrypt.
            let ct = kms.encrypt().key_id(&id).plaintext(Blob::new("before rotation")).send().await.expect("encrypt");
            symmetric.push((id.clone(), ct.ciphertext_blob().expect("ct").as_ref().to_vec()));
            kms.rotate_key_on_demand().key_id(&id).send().await.expect("rotate");
        }
        let ct = kms.encrypt().key_id(&id).plaintext(Blob::new(format!("pt {i}"))).send().await.expect("encrypt");
        symmetric.push((id, ct.ciphertext_blob().expect("ct").as_ref().to_vec()));
    }
    let hmac = kms
        .create_key()
        .key_spec(KeySpec::Hmac256)
        .key_usage(KeyUsageType::GenerateVerifyMac)
        .send()
        .await
        .expect("hmac key");
    let hmac_id = hmac.key_metadata().expect("md").key_id().to_owned();
    let mac = kms
        .generate_mac()
        .key_id(&hmac_id)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new("m"))
        .send()
        .await
        .expect("mac");
    let rsa = kms
        .create_key()
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .expect("rsa key");
    let rsa_id = rsa.key_metadata().expect("md").key_id().to_owned();
    let ct = kms
        .encrypt()
        .key_id(&rsa_id)
        .encryption_algorithm(aws_sdk_kms::types::EncryptionAlgorithmSpec::RsaesOaepSha256)
        .plaintext(Blob::new("rsa"))
        .send()
        .await
        .expect("rsa encrypt");
    let mrk = kms.create_key().multi_region(true).send().await.expect("mrk").key_metadata.expect("md");
    kms.replicate_key().key_id(mrk.key_id()).replica_region("eu-west-1").send().await.expect("replicate");
    let mrk_ct = kms.encrypt().key_id(mrk.key_id()).plaintext(Blob::new("mrk")).send().await.expect("mrk encrypt");
    Witness {
        multi_region: mrk_ct.ciphertext_blob().expect("ct").as_ref().to_vec(),
        symmetric,
        hmac: (hmac_id, mac.mac().expect("mac").as_ref().to_vec()),
        rsa: (rsa_id, ct.ciphertext_blob().expect("ct").as_ref().to_vec()),
    }
}

/// Every witness still opens.
async fn all_readable(server: &TestServer, w: &Witness) {
    let kms = server.kms_client().await;
    for (id, ct) in &w.symmetric {
        let pt = kms.decrypt().ciphertext_blob(Blob::new(ct.clone())).send().await.expect("decrypt");
        assert_eq!(pt.key_id(), Some(common::api::key_arn(id).as_str()));
    }
    let v = kms
        .verify_mac()
        .key_id(&w.hmac.0)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new("m"))
        .mac(Blob::new(w.hmac.1.clone()))
        .send()
        .await
        .expect("verify mac");
    assert!(v.mac_valid());
    let pt = kms
        .decrypt()
        .key_id(&w.rsa.0)
        .encryption_algorithm(aws_sdk_kms::types::EncryptionAlgorithmSpec::RsaesOaepSha256)
        .ciphertext_blob(Blob::new(w.rsa.1.clone()))
        .send()
        .await
        .expect("rsa decrypt");
    assert_eq!(pt.plaintext().expect("pt").as_ref(), b"rsa");
    // Both related multi-Region keys (two records sharing a key id) open it.
    let west = server.kms_client_as(common::DEV_ACCESS_KEY_ID, common::DEV_SECRET_ACCESS_KEY, "eu-west-1", 1).await;
    for c in [&kms, &west] {
        let pt = c.decrypt().ciphertext_blob(Blob::new(w.multi_region.clone())).send().await.expect("mrk decrypt");
        assert_eq!(pt.plaintext().expect("pt").as_ref(), b"mrk");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_key_rotation_killed_mid_way_loses_nothing_and_resumes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_file(tmp.path());
    let data = tmp.path().join("data");
    let server = TestServer::start_on(&data, Some(&config));
    let witness = witnesses(&server.kms_client().await, 300).await;
    // Two entries for the rotated key, plus the HMAC and RSA keys and the two related multi-Region keys.
    let keys = witness.symmetric.len() as u64 + 3;

    // Not under a running server.
    let (ok, _, stderr) = trent(&["rotate-root-key", "--data-dir", path(&data), "--config", path(&config)]);
    assert!(!ok && stderr.contains("stop it first"), "{stderr}");
    drop(server.kill9());
    let old_key = std::fs::read_to_string(data.join("root.key")).expect("root key");

    // Kill -9 once a hundred keys are re-sealed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["rotate-root-key", "--data-dir", path(&data), "--config", path(&config)])
        .env_remove("TRENT_ROOT_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut killed_at = None;
    for line in lines {
        let line = line.expect("line");
        if let Some(n) =
            line.strip_prefix("re-sealed ").and_then(|r| r.split(' ').next()).and_then(|n| n.parse::<u64>().ok())
            && n >= 100
        {
            child.kill().expect("SIGKILL");
            killed_at = Some(n);
            break;
        }
    }
    child.wait().expect("reap");
    assert!(killed_at.is_some(), "the rotation printed no progress");
    assert!(data.join("root.key.next").exists(), "killed mid-way: the new key is still beside the old");

    // A server on the half-rotated store reads every key.
    let server = TestServer::start_on(&data, Some(&config));
    all_readable(&server, &witness).await;
    drop(server.kill9());

    // Re-run: it resumes, skipping what is already under the new key.
    let (ok, stdout, stderr) = trent(&["rotate-root-key", "--data-dir", path(&data), "--config", path(&config)]);
    assert!(ok, "resume failed: {stderr}");
    let resealed: u64 = stdout
        .split(", ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {stdout:?}"));
    assert!(stdout.contains(&format!("{keys} keys")), "{stdout}");
    assert!(resealed > 0 && resealed <= keys - 100, "resumed: {resealed} re-sealed by the second run");
    assert!(!data.join("root.key.next").exists());
    let new_key = std::fs::read_to_string(data.join("root.key")).expect("root key");
    assert_ne!(new_key, old_key, "root.key holds the new key");

    let server = TestServer::start_on(&data, Some(&config));
    all_readable(&server, &witness).await;
    drop(server.kill9());

    // The old key opens nothing any more: a server given it refuses to start.
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", path(&data), "--config", path(&config)])
        .env("TRENT_ROOT_KEY", old_key.trim())
        .output()
        .expect("serve with the old key");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("different root key"), "{stderr}");
}
