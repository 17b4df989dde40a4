//! `trent encrypt` / `trent decrypt` behaviour against a running Trent: endpoint selection,
//! stdin/stdout and the signed-message release rules, discovery, failures that leave nothing
//! behind and one-line errors.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::TestServer;

fn trent(server: &TestServer, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
    cmd.args(args)
        .envs(server.envs())
        .env_remove("RUST_BACKTRACE")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.map(<[u8]>::to_vec);
    let writer = std::thread::spawn(move || {
        if let Some(d) = data {
            let _ = input.write_all(&d);
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn ok(out: &Output) {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "unexpectedly succeeded");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(err.lines().count(), 1, "error is not one line: {err}");
    err
}

async fn key(server: &TestServer) -> String {
    let kms = server.kms_client().await;
    kms.create_key().send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_string()
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn stdin_stdout_and_release_rules() {
    let server = TestServer::start();
    let k = format!("key={}", key(&server).await);
    let plain = sample(100_000);

    // Signed (default suite) through pipes.
    let enc = trent(&server, &["encrypt", "-i", "-", "-o", "-", "-w", &k], Some(&plain));
    ok(&enc);
    let signed = enc.stdout;
    let refused = trent(&server, &["decrypt", "-i", "-", "-o", "-", "-w", &k], Some(&signed));
    let err = one_line_error(&refused);
    assert!(err.contains("--buffer"), "{err}");
    assert!(refused.stdout.is_empty());
    let dec = trent(&server, &["decrypt", "-i", "-", "-o", "-", "-w", &k, "--buffer"], Some(&signed));
    ok(&dec);
    assert_eq!(dec.stdout, plain);
    let unsigned_only =
        trent(&server, &["decrypt", "-i", "-", "-o", "-", "-w", &k, "--decrypt-unsigned"], Some(&signed));
    assert!(one_line_error(&unsigned_only).contains("signed"));

    // Unsigned streams to stdout.
    let enc = trent(
        &server,
        &["encrypt", "-i", "-", "-o", "-", "-w", &k, "--algorithm", "AES_256_GCM_HKDF_SHA512_COMMIT_KEY"],
        Some(&plain),
    );
    ok(&enc);
    for extra in [&[][..], &["--decrypt-unsigned"][..]] {
        let mut args = vec!["decrypt", "-i", "-", "-o", "-", "-w", &k];
        args.extend(extra);
        let dec = trent(&server, &args, Some(&enc.stdout));
        ok(&dec);
        assert_eq!(dec.stdout, plain);
    }
    // A truncated unsigned stream still ends in failure.
    let cut = &enc.stdout[..enc.stdout.len() - 10];
    let dec = trent(&server, &["decrypt", "-i", "-", "-o", "-", "-w", &k], Some(cut));
    assert!(one_line_error(&dec).contains("truncated"));
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_flag_discovery_and_context_checks() {
    let server = TestServer::start();
    let arn = key(&server).await;
    let k = format!("key={arn}");
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.bin");
    std::fs::write(&p, sample(5000)).unwrap();
    let e = tmp.path().join("p.enc");

    // --endpoint-url instead of AWS_ENDPOINT_URL_KMS.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
    cmd.args(["encrypt", "-i", p.to_str().unwrap(), "-o", e.to_str().unwrap(), "-w", &k, "-c", "app=x"])
        .args(["--endpoint-url", &server.endpoint])
        .envs(server.envs())
        .env_remove("AWS_ENDPOINT_URL_KMS")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("RUST_BACKTRACE");
    ok(&cmd.output().unwrap());

    let d = tmp.path().join("p.dec");
    let ds = d.to_str().unwrap();
    let es = e.to_str().unwrap();
    for w in [
        vec!["-w", "discovery=true"],
        vec!["-w", "discovery=true", "discovery-partition=aws", "discovery-account=111122223333"],
    ] {
        let mut args = vec!["decrypt", "-i", es, "-o", ds];
        args.extend(w);
        ok(&trent(&server, &args, None));
        assert_eq!(std::fs::read(&d).unwrap(), sample(5000));
        std::fs::remove_file(&d).unwrap();
    }
    let other_account = trent(
        &server,
        &[
            "decrypt",
            "-i",
            es,
            "-o",
            ds,
            "-w",
            "discovery=true",
            "discovery-partition=aws",
            "discovery-account=999999999999",
        ],
        None,
    );
    assert!(one_line_error(&other_account).contains("discovery"));
    assert!(!d.exists());

    // Required context on decrypt: pairs and bare keys.
    ok(&trent(&server, &["decrypt", "-i", es, "-o", ds, "-w", &k, "-c", "app=x", "app"], None));
    std::fs::remove_file(&d).unwrap();
    let wrong = trent(&server, &["decrypt", "-i", es, "-o", ds, "-w", &k, "-c", "app=y"], None);
    assert!(one_line_error(&wrong).contains("app=y"));
    assert!(!d.exists());

    // Wrong key ARN in strict mode.
    let other = format!("key={}", key(&server).await);
    let err = one_line_error(&trent(&server, &["decrypt", "-i", es, "-o", ds, "-w", &other], None));
    assert!(err.contains("-w key=ARN"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_input_leaves_no_plaintext_file() {
    let server = TestServer::start();
    let k = format!("key={}", key(&server).await);
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("big.bin");
    std::fs::write(&p, sample(3 * 1024 * 1024)).unwrap();
    let e = tmp.path().join("big.enc");
    ok(&trent(&server, &["encrypt", "-i", p.to_str().unwrap(), "-o", e.to_str().unwrap(), "-w", &k], None));
    let mut bytes = std::fs::read(&e).unwrap();
    let n = bytes.len();
    bytes[n - 200] ^= 0x10;
    let bad = tmp.path().join("bad.enc");
    std::fs::write(&bad, &bytes).unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let res =
        trent(&server, &["decrypt", "-i", bad.to_str().unwrap(), "-o", out_dir.to_str().unwrap(), "-w", &k], None);
    let err = one_line_error(&res);
    assert!(err.contains("no plaintext was released"), "{err}");
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0, "something was left behind");

    // Usage errors are one line too.
    let res =
        trent(&server, &["encrypt", "-i", p.to_str().unwrap(), "-o", "x", "-w", &k, "--frame-length", "100"], None);
    assert!(one_line_error(&res).contains("frame length"));
    let res = trent(&server, &["encrypt", "-i", tmp.path().to_str().unwrap(), "-o", "x", "-w", &k], None);
    assert!(one_line_error(&res).contains("-r"));
    let res = trent(&server, &["encrypt", "-i", p.to_str().unwrap(), "-o", "x", "-w", "arn:nope"], None);
    assert!(one_line_error(&res).contains("key=ARN"));
}

#[test]
fn unreachable_kms_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let p: PathBuf = tmp.path().join("p");
    std::fs::write(&p, b"x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["encrypt", "-i", p.to_str().unwrap(), "-o", "-", "-w"])
        .arg("key=arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000")
        .args(["--endpoint-url", "http://127.0.0.1:9", "--max-attempts", "1"])
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("RUST_BACKTRACE")
        .env("RUST_LIB_BACKTRACE", "0")
        .output()
        .unwrap();
    let err = one_line_error(&out);
    assert!(err.contains("endpoint"), "{err}");
}
