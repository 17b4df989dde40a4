//! Hostile and broken clients against the real server, over raw TCP: each
//! is refused fast with an AWS-style typed error (also where hyper answers
//! before Trent sees a request), and the server goes on serving.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime};

use common::{DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, REGION, TestServer};
use serde_json::Value;

/// Sends `head` (request line and headers, without the blank line) and
/// `body`; returns the status, the head and the body of the answer, read to
/// the end (the server closes the connection).
fn exchange(endpoint: &str, head: &str, body: &[u8]) -> (u16, String, Vec<u8>, Duration) {
    let addr = endpoint.trim_start_matches("http://");
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    s.write_all(format!("{head}\r\n\r\n").as_bytes()).expect("head");
    // The server may answer and close before taking the whole body.
    let _ = s.write_all(body);
    let mut out = vec![];
    let _ = s.read_to_end(&mut out);
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    (status, head, out[split + 4..].to_vec(), started.elapsed())
}

/// The `__type` of a JSON error body (chunked or not).
fn error_type(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let json = match (text.find('{'), text.rfind('}')) {
        (Some(a), Some(b)) => &text[a..=b],
        _ => panic!("no JSON in {text:?}"),
    };
    let v: Value = serde_json::from_str(json).expect("JSON error");
    v["__type"].as_str().expect("__type").to_owned()
}

/// A request head for `target` with a valid SigV4 signature over `body`.
fn signed_head(endpoint: &str, target: &str, body: &[u8]) -> String {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let host = endpoint.trim_start_matches("http://");
    let headers = [
        ("host", host.to_owned()),
        ("content-type", "application/x-amz-json-1.1".to_owned()),
        ("x-amz-target", target.to_owned()),
    ];
    let identity =
        aws_credential_types::Credentials::new(DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, None, None, "t").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("kms")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let signable = SignableRequest::new(
        "POST",
        format!("{endpoint}/"),
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut head = String::from("POST / HTTP/1.1\r\nconnection: close");
    for (k, v) in headers.iter().map(|(k, v)| (k.to_string(), v.clone())) {
        head.push_str(&format!("\r\n{k}: {v}"));
    }
    for (k, v) in instructions.headers() {
        head.push_str(&format!("\r\n{k}: {v}"));
    }
    head.push_str(&format!("\r\ncontent-length: {}", body.len()));
    head
}

fn still_serving(server: &TestServer) {
    let body = br#"{"NumberOfBytes": 8}"#;
    let (status, _, answer, _) =
        exchange(&server.endpoint, &signed_head(&server.endpoint, "TrentService.GenerateRandom", body), body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
}

#[test]
fn an_oversized_body_gets_a_typed_error_at_once_and_the_connection_closes() {
    let server = TestServer::start();
    let host = server.endpoint.trim_start_matches("http://").to_owned();
    // Declared too large: answered before a byte of the body is read.
    let head =
        format!("POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: TrentService.Encrypt\r\nContent-Length: 104857600");
    let (status, head, body, took) = exchange(&server.endpoint, &head, b"{}");
    assert_eq!(status, 413, "{head}");
    assert_eq!(error_type(&body), "ValidationException");
    assert!(head.to_ascii_lowercase().contains("connection: close"), "{head}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // Chunked, with no length declared: cut off at the limit.
    let chunk = vec![b'a'; 300 * 1024];
    let mut chunked = format!("{:x}\r\n", chunk.len()).into_bytes();
    chunked.extend_from_slice(&chunk);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let head =
        format!("POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: TrentService.Encrypt\r\nTransfer-Encoding: chunked");
    let (status, _, body, _) = exchange(&server.endpoint, &head, &chunked);
    assert_eq!(status, 413);
    assert_eq!(error_type(&body), "ValidationException");
    still_serving(&server);
}

#[test]
fn duplicate_or_undecodable_targets_are_unknown_operations() {
    let server = TestServer::start();
    let host = server.endpoint.trim_start_matches("http://").to_owned();
    let two = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Amz-Target: TrentService.Encrypt\r\nX-Amz-Target: TrentService.ScheduleKeyDeletion\r\nContent-Length: 2"
    );
    let (status, _, body, _) = exchange(&server.endpoint, &two, b"{}");
    assert_eq!((status, error_type(&body).as_str()), (400, "UnknownOperationException"));
    let mut bad =
        format!("POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Amz-Target: TrentService.").into_bytes();
    bad.extend_from_slice(&[0xFF, 0xFE, b'x']);
    bad.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
    let addr = server.endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(&bad).expect("send");
    let mut out = vec![];
    s.read_to_end(&mut out).expect("read");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("UnknownOperationException"), "{text}");
    still_serving(&server);
}

#[test]
fn bad_utf8_in_a_signed_body_is_a_serialization_error() {
    let server = TestServer::start();
    // Signed correctly, so the bytes reach the JSON decoder: a string with 0xFF in it.
    let body: &[u8] = b"{\"KeyId\":\"\xff\xfe\",\"Plaintext\":\"aGk=\"}";
    let head = signed_head(&server.endpoint, "TrentService.Encrypt", body);
    let (status, _, answer, took) = exchange(&server.endpoint, &head, body);
    assert_eq!((status, error_type(&answer).as_str()), (400, "SerializationException"));
    assert!(took < Duration::from_secs(5), "{took:?}");
    still_serving(&server);
}

#[test]
fn json_nested_thousands_deep_is_a_serialization_error_fast() {
    // With the audit log on: a record copies the request's members, nested ones included.
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.log");
    let server = TestServer::start_with_args(None, &["--audit-log", audit.to_str().expect("utf-8")]);
    let deep = |open: &str, close: &str, n: usize| format!("{}1{}", open.repeat(n), close.repeat(n));
    for body in [deep("[", "]", 50_000), format!(r#"{{"KeyId":{}}}"#, deep(r#"{"A":"#, "}", 30_000))] {
        let head = signed_head(&server.endpoint, "TrentService.Encrypt", body.as_bytes());
        let (status, _, answer, took) = exchange(&server.endpoint, &head, body.as_bytes());
        assert_eq!((status, error_type(&answer).as_str()), (400, "SerializationException"));
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
    still_serving(&server);
    let (_data, status) = server.terminate();
    assert_eq!(status.code(), Some(143), "{status:?}");
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .expect("audit log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record per line"))
        .collect();
    let errors: Vec<&str> = records.iter().filter_map(|r| r["errorCode"].as_str()).collect();
    assert_eq!(errors, ["SerializationException", "SerializationException"], "{records:?}");
    assert!(records[1]["requestParameters"]["keyId"]["a"]["a"].is_object(), "{}", records[1]);
}

#[test]
fn thousands_of_headers_a_huge_header_or_no_http_at_all_get_typed_errors_fast() {
    let server = TestServer::start();
    let host = server.endpoint.trim_start_matches("http://").to_owned();
    let typed = |(status, head, body, took): (u16, String, Vec<u8>, Duration), want: u16, what: &str| {
        assert_eq!(status, want, "{what}: {head}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/x-amz-json-1.1"), "{what}: {head}");
        assert!(head.to_ascii_lowercase().contains("connection: close"), "{what}: {head}");
        assert_eq!(error_type(&body), "ValidationException", "{what}");
        assert!(took < Duration::from_secs(5), "{what}: {took:?}");
    };
    let many: String = (0..5_000).map(|i| format!("\r\nx-junk-{i}: {i}")).collect();
    typed(
        exchange(
            &server.endpoint,
            &format!(
                "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: TrentService.Encrypt{many}\r\nContent-Length: 2"
            ),
            b"{}",
        ),
        431,
        "5,000 headers",
    );
    let huge = "v".repeat(1024 * 1024);
    typed(
        exchange(
            &server.endpoint,
            &format!(
                "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: TrentService.Encrypt\r\nx-huge: {huge}\r\nContent-Length: 2"
            ),
            b"{}",
        ),
        431,
        "a 1 MiB header",
    );
    typed(exchange(&server.endpoint, "NOT HTTP AT ALL", b""), 400, "a request line that is not HTTP");
    still_serving(&server);
}

/// Reads until the server closes the connection; returns what came and how long it took.
fn until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    s.set_read_timeout(Some(limit)).expect("timeout");
    let mut out = vec![];
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, started.elapsed()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (out, started.elapsed()),
            Err(e) => panic!("the server kept the connection open past {limit:?}: {e}"),
        }
    }
}

const SHORT_TIMEOUTS: &str = "header_read_timeout_seconds = 1.0\nbody_read_timeout_seconds = 1.0\n";

#[test]
fn silent_slow_and_idle_connections_are_closed_after_the_header_timeout() {
    let server = TestServer::start_with_config(Some(SHORT_TIMEOUTS));
    let addr = server.endpoint.trim_start_matches("http://").to_owned();
    // Silent.
    let mut silent = TcpStream::connect(&addr).expect("connect");
    let (_, took) = until_closed(&mut silent, Duration::from_secs(10));
    assert!(took >= Duration::from_millis(900), "closed before the timeout: {took:?}");
    // A header a byte at a time, forever.
    let mut slow = TcpStream::connect(&addr).expect("connect");
    let writer = {
        let mut w = slow.try_clone().expect("clone");
        std::thread::spawn(move || {
            for b in b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.Encrypt\r\n".iter().cycle().take(200) {
                if w.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let (_, took) = until_closed(&mut slow, Duration::from_secs(10));
    assert!(took < Duration::from_secs(5), "a trickled header held the connection {took:?}");
    writer.join().expect("writer");
    // Idle after a request: keep-alive ends after the same time.
    let body = br#"{"NumberOfBytes": 8}"#;
    let head = signed_head(&server.endpoint, "TrentService.GenerateRandom", body)
        .replace("connection: close", "connection: keep-alive");
    let mut idle = TcpStream::connect(&addr).expect("connect");
    idle.write_all(format!("{head}\r\n\r\n").as_bytes()).expect("head");
    idle.write_all(body).expect("body");
    let (answer, took) = until_closed(&mut idle, Duration::from_secs(10));
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "idle keep-alive closed after {took:?}"
    );
    still_serving(&server);
}

#[test]
fn a_body_that_does_not_arrive_in_time_gets_a_typed_408() {
    let server = TestServer::start_with_config(Some(SHORT_TIMEOUTS));
    let host = server.endpoint.trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&host).expect("connect");
    s.write_all(format!("POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: TrentService.Encrypt\r\nContent-Length: 100\r\n\r\n{{\"KeyId\"").as_bytes())
        .expect("send");
    let (answer, took) = until_closed(&mut s, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("RequestTimeoutException"), "{text}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    still_serving(&server);
}

#[test]
fn the_connection_cap_holds_new_connections_until_one_closes_and_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("trent.toml");
    std::fs::write(&config, "max_connections = 2\nheader_read_timeout_seconds = 30.0\n").expect("config");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path().join("data"))
        .arg("--config")
        .arg(&config)
        .env_remove("TRENT_ROOT_KEY")
        .env("TRENT_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let (endpoint, lines) = common::serve_endpoint(&mut child);
    common::drain(lines);
    let addr = endpoint.trim_start_matches("http://").to_owned();
    let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&addr).expect("connect")).collect();
    // Accepted in order: the two held connections take both places.
    let body = br#"{"NumberOfBytes": 8}"#;
    let mut third = TcpStream::connect(&addr).expect("the kernel still accepts into the backlog");
    third
        .write_all(format!("{}\r\n\r\n", signed_head(&endpoint, "TrentService.GenerateRandom", body)).as_bytes())
        .expect("head");
    third.write_all(body).expect("body");
    third.set_read_timeout(Some(Duration::from_secs(1))).expect("timeout");
    let mut buf = [0u8; 64];
    assert!(third.read(&mut buf).is_err(), "served beyond the cap of 2");
    drop(held);
    let (answer, _) = until_closed(&mut third, Duration::from_secs(10));
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"), "served once a connection closed");
    child.kill().expect("kill");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    child.wait().expect("reap");
    assert!(stderr.contains("connection cap reached"), "{stderr}");
}
