//! The `trent load` command line.

use std::path::PathBuf;
use std::time::Duration;

use super::retry::RetryMode;
use super::units::parse_duration;

/// How arrivals are spaced in open-loop mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrivals {
    /// Evenly spaced, exactly `--rate` per second.
    Constant,
    /// A Poisson process: exponential gaps with mean 1/`--rate`.
    Poisson,
    /// Each second's `--rate` requests all at once, at the start of the second:
    /// the shape that finds a limiter admitting more than its quota in a second.
    Bursts,
}

/// Report format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Human-readable summary and timeline.
    Text,
    /// One JSON document.
    Json,
}

/// When to draw the live progress line on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// Only when stderr is a terminal.
    Auto,
    /// Always (one plain line per second when stderr is not a terminal).
    Always,
    /// Never.
    Never,
}

/// Canned experiments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// The same offered load above the quota four times: no retries, exponential backoff,
    /// adaptive (SDK), envelope encryption with data key caching; one table and one chart.
    Seed,
    /// S3 objects on an SSE-KMS bucket turned into the KMS requests S3 makes for them
    /// (GenerateDataKey per upload, Decrypt per download and per multipart part), without
    /// and with S3 Bucket Keys; one table and one chart. See docs/planning.md.
    S3SseKms,
}

/// `trent load`: offer a controlled KMS workload and report what got through.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// KMS endpoint (Trent or AWS) [default: $AWS_ENDPOINT_URL_KMS, $AWS_ENDPOINT_URL, else
    /// https://kms.REGION.amazonaws.com]. With --scenario seed and no endpoint, an in-process
    /// Trent server is started.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Region(s) to sign for; several (comma-separated or repeated) simulate clients in
    /// several regions [default: $AWS_REGION, else us-east-1].
    #[arg(long, value_delimiter = ',')]
    pub region: Vec<String>,
    /// Take the principals (accounts) from this Trent config file instead of the standard AWS
    /// credential chain; each principal becomes a simulated account.
    #[arg(long, value_name = "FILE")]
    pub trent_config: Option<PathBuf>,
    /// Operation mix: NAME or NAME=WEIGHT, comma-separated or repeated, e.g.
    /// `Encrypt=3,Decrypt=1` [default: Encrypt]. Known: Encrypt, Decrypt, GenerateDataKey,
    /// GenerateDataKeyWithoutPlaintext, ReEncrypt, GenerateRandom, Sign, Verify, GenerateMac,
    /// VerifyMac, DescribeKey, GetPublicKey, ListKeys, ListAliases, Encapsulate, Decapsulate.
    #[arg(long = "operation", short = 'o', value_name = "OP[=WEIGHT]")]
    pub operations: Vec<String>,
    /// Symmetric key(s) to use (id, ARN or alias); repeated keys are used in turn. Without
    /// it, keys are created (never on an amazonaws.com endpoint).
    #[arg(long = "key-id", value_name = "KEY")]
    pub key_ids: Vec<String>,
    /// Signing key for Sign / Verify / GetPublicKey [default: create ECC_NIST_P256].
    #[arg(long, value_name = "KEY")]
    pub sign_key_id: Option<String>,
    /// HMAC key for GenerateMac / VerifyMac [default: create HMAC_256].
    #[arg(long, value_name = "KEY")]
    pub mac_key_id: Option<String>,
    /// ML-KEM key for Encapsulate / Decapsulate [default: create ML_KEM_768].
    #[arg(long, value_name = "KEY")]
    pub kem_key_id: Option<String>,
    /// Symmetric keys to create per account and region when no --key-id is given.
    #[arg(long, default_value_t = 1)]
    pub keys: usize,
    /// Plaintext bytes per Encrypt (1–4096).
    #[arg(long, default_value_t = 32)]
    pub payload_size: usize,
    /// Open loop: requests (or messages) per second offered, whatever the answers.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Spacing of open-loop arrivals.
    #[arg(long, value_enum, default_value_t = Arrivals::Constant)]
    pub arrivals: Arrivals,
    /// Closed loop: this many requests in flight, each sent when the previous one finished
    /// [default without --rate: 32].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Open loop: most requests outstanding at once; arrivals beyond it are dropped and
    /// counted (the server or network is not keeping up).
    #[arg(long, default_value_t = 10_000)]
    pub max_in_flight: usize,
    /// Length of the measured window, e.g. 10s, 500ms, 2m.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Stop after this many requests (or messages) even if time remains.
    #[arg(long)]
    pub requests: Option<u64>,
    /// Simulated clients (each with its own connections, retry quota and rate limiter),
    /// spread over the accounts × regions [default: one per account and region].
    #[arg(long)]
    pub clients: Option<usize>,
    /// HTTP connections in total, split between clients [default: 64, or the concurrency].
    #[arg(long)]
    pub connections: Option<usize>,
    /// Client retry strategy: none, backoff (exponential, full jitter), standard or
    /// adaptive (the AWS SDK's own modes, run by aws-sdk-kms).
    #[arg(long, value_enum, default_value_t = RetryMode::None)]
    pub retry: RetryMode,
    /// Attempts per request, the first included [default: backoff 6, standard/adaptive 3].
    #[arg(long)]
    pub max_attempts: Option<u32>,
    /// Backoff: scale of the first retry delay.
    #[arg(long, default_value = "50ms", value_parser = parse_duration)]
    pub backoff_base: Duration,
    /// Backoff: cap of any one delay.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub backoff_cap: Duration,
    /// Bound on one request (or message), retries included.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// After the window, how long to wait for requests still retrying.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub drain: Duration,
    /// Envelope mode: each arrival is a message encrypted (ESDK format, suite 0x0478) through
    /// trent-client's data key cache; only cache misses call KMS (GenerateDataKey).
    #[arg(long)]
    pub envelope: bool,
    /// Envelope mode: plaintext bytes per message.
    #[arg(long, default_value_t = 1024)]
    pub message_size: usize,
    /// Envelope mode: a cached data key is used for at most this long.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub cache_max_age: Duration,
    /// Envelope mode: a cached data key encrypts at most this many messages.
    #[arg(long, default_value_t = 1000)]
    pub cache_max_messages: u64,
    /// The quota (requests/s) to compare with, instead of asking the endpoint's Service
    /// Quotas API (GetServiceQuota).
    #[arg(long)]
    pub quota: Option<f64>,
    /// The server's burst: an idle bucket admits quota × this at once (Trent default 1.0).
    #[arg(long, default_value_t = 1.0)]
    pub burst_seconds: f64,
    /// Pause between setup and the measured window, so setup calls do not eat the burst.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub settle: Duration,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Draw offered, admitted and throttled requests per second, with the quota, as SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    /// Live progress line on stderr.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Run a canned experiment instead of one run.
    #[arg(long, value_enum)]
    pub scenario: Option<Scenario>,
    /// --scenario seed or s3-sse-kms without --endpoint: the symmetric quota of the
    /// in-process server.
    #[arg(long, default_value_t = 1000.0)]
    pub seed_quota: f64,
    /// --scenario s3-sse-kms: PutObject requests per second.
    #[arg(long, default_value_t = 0.0)]
    pub s3_put_rate: f64,
    /// --scenario s3-sse-kms: GetObject requests per second.
    #[arg(long, default_value_t = 0.0)]
    pub s3_get_rate: f64,
    /// --scenario s3-sse-kms: multipart uploads started per second.
    #[arg(long, default_value_t = 0.0)]
    pub s3_multipart_rate: f64,
    /// --scenario s3-sse-kms: parts per multipart upload.
    #[arg(long, default_value_t = 8.0)]
    pub s3_parts: f64,
    /// --scenario s3-sse-kms: only this setting of S3 Bucket Keys (true or false) instead of
    /// both, without first.
    #[arg(long)]
    pub s3_bucket_key: Option<bool>,
    /// --scenario s3-sse-kms: buckets (each has its own bucket-level key).
    #[arg(long, default_value_t = 1.0)]
    pub s3_buckets: f64,
    /// --scenario s3-sse-kms: distinct requesters (each fetches its own bucket-level key).
    #[arg(long, default_value_t = 1.0)]
    pub s3_requesters: f64,
    /// --scenario s3-sse-kms: how long S3 reuses a bucket-level key (AWS does not publish it).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub s3_bucket_key_reuse: Duration,
}
