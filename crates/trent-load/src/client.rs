//! A simulated client: one identity (credentials, account, region), its own connections and
//! its own retry state, running one logical request at a time per task. Several of them run
//! at once to model several applications, accounts and regions.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::ops::{Material, Operation};
use super::raw_http_client::{Body, Failure, FailureKind, RawHttpKms};
use super::retry::Backoff;
use super::sdk;
use super::stats::{AttemptResult, Stats};

/// Who a simulated client is.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Account id if known (Trent config), else the access key id.
    pub account: String,
    /// Region requests are signed for.
    pub region: String,
    /// Credentials.
    pub credentials: trent_sigv4::Credentials,
}

/// How a client retries.
pub enum Strategy {
    /// One attempt (raw HTTP client).
    None,
    /// Exponential backoff with full jitter (raw HTTP client).
    Backoff(Backoff),
    /// The SDK's standard or adaptive mode.
    Sdk(aws_sdk_kms::Client),
}

/// A request ready to send: operation, body (hashed once) and the values the SDK path needs.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The operation.
    pub op: Operation,
    /// Its `X-Amz-Target`, built once.
    pub target: String,
    /// JSON body for the raw HTTP client.
    pub body: Body,
    /// The same values for the SDK.
    pub material: Arc<Material>,
    /// Quota bucket the request draws on.
    pub bucket: usize,
}

/// One simulated client.
pub struct SimClient {
    /// Index of its identity.
    pub identity: usize,
    /// The raw HTTP connection (also used by setup and quota discovery).
    pub http: RawHttpKms,
    /// Its retry strategy.
    pub strategy: Strategy,
    /// Bound on one logical request, retries included.
    pub timeout: Duration,
}

fn result_of(r: &Result<Bytes, Failure>) -> (AttemptResult, &str) {
    match r {
        Ok(_) => (AttemptResult::Ok, ""),
        Err(f) if f.kind == FailureKind::Throttled => (AttemptResult::Throttled, f.code.as_str()),
        Err(f) => (AttemptResult::Error, f.code.as_str()),
    }
}

/// How a finished logical request counts.
pub fn final_result(r: &Result<Bytes, Failure>) -> AttemptResult {
    result_of(r).0
}

impl SimClient {
    /// Runs one prepared request with this client's strategy, counting every attempt.
    pub async fn request(&self, stats: &Arc<Stats>, req: &Prepared) -> Result<Bytes, Failure> {
        let work = async {
            match &self.strategy {
                // Boxed: the SDK's futures are several kilobytes, and would otherwise make every
                // raw HTTP request's future that large too (copied on each spawn and poll).
                Strategy::Sdk(client) => {
                    Box::pin(sdk::counted(stats, req.bucket, sdk::call(client, req.op, &req.material)))
                        .await
                        .map(|()| Bytes::new())
                }
                _ => self.raw_request(stats, req.bucket, &req.target, &req.body).await,
            }
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(r) => r,
            Err(_) => {
                Err(Failure::local(FailureKind::Timeout, "Timeout", format!("no answer within {:?}", self.timeout)))
            }
        }
    }

    /// Sends a request through the raw HTTP client with this client's retries (the SDK modes get
    /// the SDK's default-like 3 attempts here; used by envelope mode).
    pub async fn raw_request(&self, stats: &Stats, bucket: usize, target: &str, body: &Body) -> Result<Bytes, Failure> {
        let mut attempts = 0u32;
        loop {
            let (sent, r) = self.http.call_timed(target, body).await;
            let answered = Instant::now();
            let (result, code) = result_of(&r);
            stats.attempt(bucket, sent, answered, attempts > 0, result, code);
            attempts += 1;
            let delay = match (&r, &self.strategy) {
                (Err(f), Strategy::Backoff(b)) if f.retryable() => b.delay(attempts),
                _ => None,
            };
            match delay {
                Some(d) => tokio::time::sleep(d).await,
                None => return r,
            }
        }
    }
}
