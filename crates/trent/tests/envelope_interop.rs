//! Interop with the real aws-encryption-cli (Python, from PyPI) against a running Trent:
//! messages written by `trent encrypt` decrypt with `aws-encryption-cli -d`, and messages
//! written by `aws-encryption-cli -e` decrypt with `trent decrypt`, for suites 0x0578, 0x0478
//! and 0x0378, at sizes around the frame length, with and without an encryption context, with
//! two wrapping keys. Plus: data key caching over 100 files costs exactly 10 GenerateDataKey
//! calls as counted by the server.
//!
//! Needs the venv from scripts/setup-python.sh (TRENT_VENV, default <workspace>/.venv); skips
//! without it unless CI=true, where a missing venv fails the test.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::TestServer;
use trent_client::MessageHeader;

const FRAME: usize = 4096;
const SIZES: [usize; 6] = [0, 1, FRAME - 1, FRAME, FRAME + 1, 5 * FRAME + 123];

fn python_cli() -> Option<PathBuf> {
    let cli = common::venv().join("bin/aws-encryption-cli");
    if cli.exists() {
        return Some(cli);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing: run scripts/setup-python.sh",
        cli.display()
    );
    eprintln!("skipping: {} missing (run scripts/setup-python.sh)", cli.display());
    None
}

fn run(program: &Path, args: &[&str], server: &TestServer) -> Output {
    let out = Command::new(program)
        .args(args)
        .envs(server.envs())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {:?} failed ({}):\n{}{}",
        program.display(),
        args,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn trent() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trent"))
}

async fn create_key(server: &TestServer) -> String {
    let kms = server.kms_client().await;
    let out = kms.create_key().send().await.unwrap();
    out.key_metadata().unwrap().arn().unwrap().to_string()
}

fn write_plaintexts(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, len) in SIZES.iter().enumerate() {
        let body: Vec<u8> = (0..*len).map(|j| (j * 7 + i * 13) as u8).collect();
        std::fs::write(dir.join(format!("size-{len}.bin")), body).unwrap();
    }
}

/// Checks every plaintext came back under `dir` as `<name><suffix>`, and returns the count.
fn compare(plain: &Path, dir: &Path, suffix: &str) -> usize {
    let mut n = 0;
    for len in SIZES {
        let name = format!("size-{len}.bin");
        let want = std::fs::read(plain.join(&name)).unwrap();
        let got_path = dir.join(format!("{name}{suffix}"));
        let got = std::fs::read(&got_path).unwrap_or_else(|e| panic!("{}: {e}", got_path.display()));
        assert!(got == want, "{} differs from the plaintext", got_path.display());
        n += 1;
    }
    n
}

fn suites_in(dir: &Path) -> Vec<u16> {
    let mut v: Vec<u16> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            MessageHeader::read_from(&mut &bytes[..], None).unwrap().suite.id()
        })
        .collect();
    v.dedup();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn both_directions_for_three_suites_with_two_keys() {
    let Some(py) = python_cli() else { return };
    let server = TestServer::start();
    let (k1, k2) = (create_key(&server).await, create_key(&server).await);
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    write_plaintexts(&plain);
    let plain_s = plain.to_str().unwrap();
    let key1 = format!("key={k1}");
    let key2 = format!("key={k2}");

    let suites = [
        (
            "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
            0x0578u16,
            "require-encrypt-require-decrypt",
            "require-encrypt-require-decrypt",
        ),
        (
            "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
            0x0478,
            "require-encrypt-require-decrypt",
            "require-encrypt-require-decrypt",
        ),
        (
            "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
            0x0378,
            "forbid-encrypt-allow-decrypt",
            "require-encrypt-allow-decrypt",
        ),
    ];
    let mut checked = 0;
    for (name, id, enc_policy, dec_policy) in suites {
        for context in [None, Some(["purpose=interop", "team=trent"])] {
            let tag = format!("{id:04x}-{}", if context.is_some() { "ec" } else { "noec" });
            let dir = |d: &str| tmp.path().join(format!("{tag}-{d}"));
            let ec_args: Vec<&str> = match &context {
                Some(pairs) => std::iter::once("-c").chain(pairs.iter().copied()).collect(),
                None => Vec::new(),
            };

            // trent encrypt -> aws-encryption-cli decrypt (with the second key only).
            let t_enc = dir("trent-enc");
            let mut args = vec!["encrypt", "-r", "-i", plain_s, "-o", t_enc.to_str().unwrap()];
            args.extend(["-w", &key1, &key2, "--algorithm", name, "--commitment-policy", enc_policy]);
            args.extend(&ec_args);
            run(&trent(), &args, &server);
            assert_eq!(suites_in(&t_enc), vec![id], "{tag}");
            let py_dec = dir("py-dec");
            std::fs::create_dir_all(&py_dec).unwrap(); // the official CLI wants it to exist
            let mut args = vec!["-d", "-r", "-i", t_enc.to_str().unwrap(), "-o", py_dec.to_str().unwrap()];
            args.extend(["-w", &key2, "-S", "--commitment-policy", dec_policy]);
            args.extend(&ec_args);
            run(&py, &args, &server);
            checked += compare(&plain, &py_dec, ".encrypted.decrypted");

            // aws-encryption-cli encrypt -> trent decrypt (with the first key only).
            let py_enc = dir("py-enc");
            std::fs::create_dir_all(&py_enc).unwrap();
            let mut args = vec!["-e", "-r", "-i", plain_s, "-o", py_enc.to_str().unwrap()];
            args.extend(["-w", &key1, &key2, "-S", "--algorithm", name, "--commitment-policy", enc_policy]);
            args.extend(&ec_args);
            run(&py, &args, &server);
            assert_eq!(suites_in(&py_enc), vec![id], "{tag}");
            let t_dec = dir("trent-dec");
            let mut args = vec!["decrypt", "-r", "-i", py_enc.to_str().unwrap(), "-o", t_dec.to_str().unwrap()];
            args.extend(["-w", &key1, "--commitment-policy", dec_policy]);
            args.extend(&ec_args);
            run(&trent(), &args, &server);
            checked += compare(&plain, &t_dec, ".encrypted.decrypted");
        }
    }
    assert_eq!(checked, 3 * 2 * 2 * SIZES.len());
    // Two wrapping keys: every message cost one GenerateDataKey and one Encrypt.
    let messages = (3 * 2 * 2 * SIZES.len()) as u64;
    assert_eq!(server.op_count("GenerateDataKey"), messages);
    assert_eq!(server.op_count("Encrypt"), messages);
}

#[tokio::test(flavor = "multi_thread")]
async fn caching_over_a_directory_makes_exactly_ten_data_keys() {
    let Some(py) = python_cli() else { return };
    let server = TestServer::start();
    let key = format!("key={}", create_key(&server).await);
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    for i in 0..100 {
        std::fs::write(plain.join(format!("f{i:03}.txt")), format!("file number {i}\n").repeat(i + 1)).unwrap();
    }
    let enc = tmp.path().join("enc");
    let gdk_before = server.op_count("GenerateDataKey");
    let out = run(
        &trent(),
        &[
            "encrypt",
            "-r",
            "-i",
            plain.to_str().unwrap(),
            "-o",
            enc.to_str().unwrap(),
            "-w",
            &key,
            "-c",
            "purpose=cache",
            "--caching",
            "capacity=10",
            "max_age=60",
            "max_messages_encrypted=10",
            "--stats",
        ],
        &server,
    );
    assert_eq!(server.op_count("GenerateDataKey") - gdk_before, 10);
    let stats = String::from_utf8_lossy(&out.stderr);
    assert!(stats.contains("cache hits 90, cache misses 10"), "{stats}");
    assert!(stats.contains("GenerateDataKey 10"), "{stats}");

    // Decrypting the 100 messages with caching needs one Decrypt per distinct data key.
    let dec = tmp.path().join("dec");
    let before = server.op_count("Decrypt");
    run(
        &trent(),
        &[
            "decrypt",
            "-r",
            "-i",
            enc.to_str().unwrap(),
            "-o",
            dec.to_str().unwrap(),
            "-w",
            &key,
            "--caching",
            "capacity=10",
            "max_age=60",
        ],
        &server,
    );
    assert_eq!(server.op_count("Decrypt") - before, 10);
    for i in 0..100 {
        let want = std::fs::read(plain.join(format!("f{i:03}.txt"))).unwrap();
        let got = std::fs::read(dec.join(format!("f{i:03}.txt.encrypted.decrypted"))).unwrap();
        assert_eq!(got, want);
    }
    // And the official CLI accepts all of them.
    let py_dec = tmp.path().join("py-dec");
    std::fs::create_dir_all(&py_dec).unwrap();
    run(&py, &["-d", "-r", "-i", enc.to_str().unwrap(), "-o", py_dec.to_str().unwrap(), "-w", &key, "-S"], &server);
    assert_eq!(std::fs::read_dir(&py_dec).unwrap().count(), 100);
}
