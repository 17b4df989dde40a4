//! The operator's `/_trent/quota-requests` admin routes: answered for
//! loopback peers only, with a JSON error naming what went wrong otherwise.

use std::net::{IpAddr, SocketAddr};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trent_server::config::Config;
use trent_server::server::{ServeOptions, start};

const CONFIG: &str = r#"
[[principals]]
access_key_id = "AKIAQUOTAADMIN000001"
secret_access_key = "quota-admin-test-secret"
account_id = "111122223333"

[service_quotas]
approval = "manual"
"#;

/// One HTTP/1.1 exchange: status and JSON body.
async fn call(addr: SocketAddr, method: &str, path: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status line");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// An address of this host that is not loopback, if it has one (the
/// interface a datagram to a public address would leave by; nothing is sent).
fn non_loopback_ip() -> Option<IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").or_else(|_| s.connect("8.8.8.8:53")).ok()?;
    Some(s.local_addr().ok()?.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_routes_answer_loopback_only_with_errors_that_say_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(ServeOptions {
        listen: Some("0.0.0.0:0".parse().expect("addr")),
        data_dir: Some(dir.path().to_owned()),
        config: Config::from_toml(CONFIG).expect("config"),
        ..ServeOptions::default()
    })
    .await
    .expect("start");
    let port = server.addr.port();
    let local = SocketAddr::from(([127, 0, 0, 1], port));

    let (status, body) = call(local, "GET", "/_trent/quota-requests").await;
    assert_eq!((status, &body), (200, &serde_json::json!({"Requests": []})));
    let (status, body) = call(local, "GET", "/_trent/quota-requests?status=CASE_OPENED").await;
    assert_eq!((status, &body), (200, &serde_json::json!({"Requests": []})));

    let (status, body) = call(local, "GET", "/_trent/quota-requests?status=OPEN").await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("BadStatus")));
    assert!(body["Message"].as_str().is_some_and(|m| m.contains("unknown status \"OPEN\"")), "{body}");

    let (status, body) = call(local, "POST", "/_trent/quota-requests/0123abcd/approve").await;
    assert_eq!((status, body["Code"].as_str()), (404, Some("NotFound")));
    assert!(
        body["Message"].as_str().is_some_and(|m| m.contains("no quota increase request has id 0123abcd")),
        "{body}"
    );

    let (status, body) = call(local, "POST", "/_trent/quota-requests/0123abcd/cancel").await;
    assert_eq!((status, body["Code"].as_str()), (404, Some("UnknownAction")));

    let (status, _) = call(local, "GET", "/_trent/quota-requests/0123abcd/approve").await;
    assert_eq!(status, 405, "decisions are POST only");

    match non_loopback_ip() {
        Some(ip) => {
            let remote = SocketAddr::new(ip, port);
            for (method, path) in
                [("GET", "/_trent/quota-requests"), ("POST", "/_trent/quota-requests/0123abcd/approve")]
            {
                let (status, body) = call(remote, method, path).await;
                assert_eq!((status, body["Code"].as_str()), (403, Some("AccessDenied")), "{method} {path} from {ip}");
                assert!(
                    body["Message"].as_str().is_some_and(|m| m.contains("only connections from loopback")),
                    "{body}"
                );
            }
        }
        None => eprintln!("this host has no non-loopback address: the refusal of remote peers is not exercised"),
    }
}
