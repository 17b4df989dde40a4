//! `trent quotas`: the operator's side of quota increase requests. Under
//! `[service_quotas] approval = "manual"` (or to decide early under "after")
//! requests wait in `CASE_OPENED` until someone runs
//!
//! ```sh
//! trent quotas list [--status CASE_OPENED] [--json]
//! trent quotas approve REQUEST_ID     # APPROVED: the new value applies at once
//! trent quotas deny REQUEST_ID        # DENIED: the value never applies
//! trent quotas close REQUEST_ID       # CASE_CLOSED: withdrawn, the value never applies
//! ```
//!
//! It talks to the running server's `/_trent/` admin routes, which answer
//! loopback peers only, so it runs on the server's host (`--endpoint`,
//! default `http://127.0.0.1:4599`). Plain HTTP/1.1 over a TCP socket: one
//! request per run, no TLS on loopback, so no HTTP client dependency.
//!
//! Exit codes: 0 done; 1 anything else (the server failed, an unexpected
//! answer); 2 bad arguments; 3 no request has that id; 4 refused, nothing
//! changed (the request is already decided); 5 the admin routes could not be
//! reached (server not running, not a loopback peer, Service Quotas not served).

use std::fmt;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trent_core::service_quotas::OperatorRequest;

/// The server's address when `--endpoint` is not given (`trent serve`'s default).
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4599";

/// How long to wait for the server to accept and to answer.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Exit code: no request has that id.
const EXIT_NOT_FOUND: i32 = 3;
/// Exit code: refused, nothing changed.
const EXIT_REFUSED: i32 = 4;
/// Exit code: the admin routes could not be reached.
const EXIT_UNREACHABLE: i32 = 5;

/// Every status a request can be listed in (the Service Quotas model's).
const STATUSES: [&str; 7] =
    ["PENDING", "CASE_OPENED", "APPROVED", "DENIED", "CASE_CLOSED", "NOT_APPROVED", "INVALID_REQUEST"];

/// `trent quotas`: list and decide quota increase requests on a running server.
#[derive(Debug, Args)]
pub struct QuotasArgs {
    /// The running server (its admin routes answer loopback only).
    #[arg(long, global = true, default_value = DEFAULT_ENDPOINT)]
    endpoint: String,
    #[command(subcommand)]
    command: QuotasCommand,
}

#[derive(Debug, Subcommand)]
enum QuotasCommand {
    /// List quota increase requests of every account and region, newest first.
    List {
        /// Only requests in this status.
        #[arg(long, ignore_case = true, value_parser = clap::builder::PossibleValuesParser::new(STATUSES))]
        status: Option<String>,
        /// Print the server's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Approve an open request (PENDING or CASE_OPENED): the new value applies at once.
    Approve {
        /// The request id (`Id` from RequestServiceQuotaIncrease or `trent quotas list`).
        request_id: String,
    },
    /// Deny an open request: DENIED, the value never applies.
    Deny {
        /// The request id.
        request_id: String,
    },
    /// Close an open request's case without approving it: CASE_CLOSED, the value never applies.
    Close {
        /// The request id.
        request_id: String,
    },
}

/// A failure with its own exit code, already phrased for the operator.
#[derive(Debug)]
struct Failure {
    code: i32,
    message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

fn failure(code: i32, message: impl Into<String>) -> anyhow::Error {
    Failure { code, message: message.into() }.into()
}

/// Runs `trent quotas …`. A failure with its own exit code ends the process
/// here (after printing `trent: MESSAGE`); any other error goes back to main.
pub async fn run(args: QuotasArgs) -> anyhow::Result<()> {
    exit_on_failure(execute(args).await)
}

/// Ends the process with a [`Failure`]'s own exit code; other results go back to main.
pub(crate) fn exit_on_failure(result: anyhow::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) => match e.downcast_ref::<Failure>() {
            Some(f) => {
                eprintln!("trent: {f}");
                use std::io::Write;
                let _ = std::io::stdout().flush();
                std::process::exit(f.code);
            }
            None => Err(e),
        },
        ok => ok,
    }
}

async fn execute(args: QuotasArgs) -> anyhow::Result<()> {
    let endpoint = Endpoint::parse(&args.endpoint)?;
    match args.command {
        QuotasCommand::List { status, json } => {
            let status = status.map(|s| s.to_ascii_uppercase());
            let path = match &status {
                Some(s) => format!("/_trent/quota-requests?status={s}"),
                None => "/_trent/quota-requests".to_owned(),
            };
            let body = endpoint.call("GET", &path).await?;
            let listed: Listed = serde_json::from_slice(&body).context("reading the server's listing")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&listed.requests)?);
            } else {
                print_table(&listed.requests, status.as_deref());
            }
            Ok(())
        }
        QuotasCommand::Approve { request_id } => decide(&endpoint, &request_id, "approve").await,
        QuotasCommand::Deny { request_id } => decide(&endpoint, &request_id, "deny").await,
        QuotasCommand::Close { request_id } => decide(&endpoint, &request_id, "close").await,
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    requests: Vec<OperatorRequest>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Decided {
    request: OperatorRequest,
}

async fn decide(endpoint: &Endpoint, request_id: &str, verb: &str) -> anyhow::Result<()> {
    // Ids are [0-9a-zA-Z-]; anything else cannot name a request (and must not reach the path).
    if request_id.is_empty() || !request_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(failure(EXIT_NOT_FOUND, format!("{request_id:?} is not a quota increase request id")));
    }
    let body = endpoint.call("POST", &format!("/_trent/quota-requests/{request_id}/{verb}")).await?;
    let Decided { request: r } = serde_json::from_slice(&body).context("reading the server's answer")?;
    let q = &r.request;
    let what = format!(
        "{} {} ({}) = {} for account {} in {}",
        q.service_code, q.quota_code, q.quota_name, q.desired_value, r.account_id, r.region
    );
    let case = q.case_id.as_deref().map(|c| format!(", case {c}")).unwrap_or_default();
    let outcome = match q.status.as_str() {
        "APPROVED" => "the new value applies now",
        _ => "the value will not apply",
    };
    println!("{} request {}: {what}; status {}{case}; {outcome}.", past_tense(verb), q.id, q.status);
    Ok(())
}

fn past_tense(verb: &str) -> &'static str {
    match verb {
        "approve" => "approved",
        "deny" => "denied",
        _ => "closed",
    }
}

fn print_table(requests: &[OperatorRequest], status: Option<&str>) {
    if requests.is_empty() {
        match status {
            Some(s) => println!("no quota increase requests in status {s}"),
            None => println!("no quota increase requests"),
        }
        return;
    }
    let header = ["REQUEST ID", "STATUS", "ACCOUNT", "REGION", "QUOTA", "DESIRED", "CASE", "CREATED", "LAST UPDATED"];
    let rows: Vec<[String; 9]> = requests
        .iter()
        .map(|r| {
            let q = &r.request;
            [
                q.id.clone(),
                q.status.clone(),
                r.account_id.clone(),
                r.region.clone(),
                q.quota_code.clone(),
                q.desired_value.to_string(),
                q.case_id.clone().unwrap_or_else(|| "-".into()),
                utc(q.created),
                utc(q.last_updated),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(&header);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
}

/// Epoch seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds), or the
/// number itself if it is out of range.
fn utc(epoch_seconds: f64) -> String {
    let whole = epoch_seconds.floor() as i64;
    time::OffsetDateTime::from_unix_timestamp(whole)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| whole.to_string())
}

/// Where the server listens: `http://HOST:PORT`.
pub(crate) struct Endpoint {
    /// As given, for messages.
    text: String,
    /// `HOST:PORT`, for the connection and the Host header.
    authority: String,
}

impl Endpoint {
    pub(crate) fn parse(text: &str) -> anyhow::Result<Endpoint> {
        let usage = |why: &str| failure(2, format!("--endpoint {text:?}: {why} (e.g. {DEFAULT_ENDPOINT})"));
        let Some(rest) = text.strip_prefix("http://") else {
            return Err(usage("must start with http:// (the admin routes are plain HTTP on loopback)"));
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(usage("give only the scheme, host and port"));
        }
        let authority = if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Endpoint { text: text.to_owned(), authority })
    }

    /// Sends one request with an empty body; the answer's body on 200,
    /// otherwise a [`Failure`] (or an error) saying what the server refused.
    async fn call(&self, method: &str, path: &str) -> anyhow::Result<Vec<u8>> {
        self.call_with_body(method, path, b"").await
    }

    /// [`Endpoint::call`] with a JSON body (`trent faults add`).
    pub(crate) async fn call_with_body(&self, method: &str, path: &str, body: &[u8]) -> anyhow::Result<Vec<u8>> {
        let unreachable = |e: &dyn fmt::Display| {
            failure(
                EXIT_UNREACHABLE,
                format!("could not reach Trent at {}: {e} (is `trent serve` running there? see --endpoint)", self.text),
            )
        };
        let mut stream = match tokio::time::timeout(TIMEOUT, TcpStream::connect(&self.authority)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(unreachable(&e)),
            Err(_) => return Err(unreachable(&"timed out connecting")),
        };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.authority,
            body.len()
        );
        let mut raw = Vec::new();
        let exchange = async {
            stream.write_all(request.as_bytes()).await?;
            stream.write_all(body).await?;
            stream.read_to_end(&mut raw).await
        };
        match tokio::time::timeout(TIMEOUT, exchange).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(unreachable(&e)),
            Err(_) => return Err(unreachable(&"no answer in 30 s")),
        }
        let (status, body) = parse_response(&raw).with_context(|| format!("reading the answer of {}", self.text))?;
        if status == 200 {
            return Ok(body);
        }
        let (code, message) = match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(v) => (
                v["Code"].as_str().unwrap_or_default().to_owned(),
                v["Message"].as_str().unwrap_or_default().to_owned(),
            ),
            Err(_) => (String::new(), String::from_utf8_lossy(&body).trim().to_owned()),
        };
        let message = if message.is_empty() { format!("HTTP {status} from {}", self.text) } else { message };
        match (status, code.as_str()) {
            (404, "NotFound") => Err(failure(EXIT_NOT_FOUND, message)),
            (400, "BadRule") => Err(failure(2, message)),
            (409, _) => Err(failure(EXIT_REFUSED, format!("refused, nothing changed: {message}"))),
            (403, _) | (404, "NotServed") => Err(failure(EXIT_UNREACHABLE, message)),
            (404, "") => Err(failure(
                EXIT_UNREACHABLE,
                format!("{} has no /_trent/ admin routes (is it a Trent server of this version?)", self.text),
            )),
            _ => bail!("{message} (HTTP {status})"),
        }
    }
}

/// Splits an HTTP/1.1 answer read to its end into status and body.
fn parse_response(raw: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(raw).context("not an HTTP answer")? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => bail!("the answer ended inside its headers"),
    };
    let status = response.code.context("no status code")?;
    let header = |name: &str| {
        response.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| String::from_utf8_lossy(h.value))
    };
    if header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        bail!("a chunked answer (not expected from the admin routes)");
    }
    let mut body = raw[head_len..].to_vec();
    if let Some(len) = header("content-length").and_then(|v| v.trim().parse::<usize>().ok()) {
        if body.len() < len {
            bail!("the answer ended after {} of {len} body bytes", body.len());
        }
        body.truncate(len);
    }
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_utc() {
        assert_eq!(utc(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_700_000_000.25), "2023-11-14T22:13:20Z");
        assert_eq!(utc(951_782_400.0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn endpoints_need_http_and_get_a_port() {
        assert_eq!(Endpoint::parse("http://127.0.0.1:4599").expect("ok").authority, "127.0.0.1:4599");
        assert_eq!(Endpoint::parse("http://localhost/").expect("ok").authority, "localhost:80");
        assert_eq!(Endpoint::parse("http://[::1]:9/").expect("ok").authority, "[::1]:9");
        for bad in ["https://127.0.0.1:4599", "127.0.0.1:4599", "http://", "http://h:1/path"] {
            let err = Endpoint::parse(bad).err().expect(bad);
            assert_eq!(err.downcast_ref::<Failure>().map(|f| f.code), Some(2), "{bad}");
        }
    }

    #[test]
    fn answers_split_into_status_and_body() {
        let raw = b"HTTP/1.1 409 Conflict\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(raw).expect("ok"), (409, b"{}".to_vec()));
        let short = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n{}";
        assert!(parse_response(short).is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\ncontent-le").is_err());
    }
}
