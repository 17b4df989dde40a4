//! The aws-sdk-kms transport of `--retry standard|adaptive`: one SDK client per simulated
//! client, with its own retry partition (token bucket and adaptive rate limiter, as a
//! separate process would have), and an interceptor that reports every attempt the SDK makes
//! into the run's counters.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_kms::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_kms::config::{BehaviorVersion, Intercept, Region, RuntimeComponents};
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeySpec, EncapsulationAlgorithmSpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::config_bag::ConfigBag;

use super::ops::{Material, Operation};
use super::raw_http_client::{Failure, FailureKind, THROTTLING_CODES, error_code};
use super::retry::RetryMode;
use super::stats::{AttemptResult, Stats};
use trent_sigv4::Credentials;

/// Where the interceptor reports the attempts of the request running in this task.
pub struct Sink {
    stats: Arc<Stats>,
    bucket: usize,
    attempts: Cell<u32>,
    sent: Cell<Option<Instant>>,
}

tokio::task_local! {
    static SINK: Sink;
}

/// Runs `fut` (one SDK call) with its attempts counted into `stats` under `bucket`.
pub async fn counted<F: std::future::Future>(stats: &Arc<Stats>, bucket: usize, fut: F) -> F::Output {
    let sink = Sink { stats: stats.clone(), bucket, attempts: Cell::new(0), sent: Cell::new(None) };
    SINK.scope(sink, fut).await
}

#[derive(Debug)]
struct AttemptCounter;

impl Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "trent-load-attempt-counter"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = SINK.try_with(|s| s.sent.set(Some(Instant::now())));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = SINK.try_with(|s| {
            // An attempt that never reached the wire (signing failed, ...) is not a request.
            let Some(sent) = s.sent.take() else { return };
            let n = s.attempts.get();
            s.attempts.set(n + 1);
            let (result, code) = match ctx.response() {
                Some(r) if (200..300).contains(&r.status().as_u16()) => (AttemptResult::Ok, String::new()),
                Some(r) => {
                    let (code, _) = error_code(r.body().bytes().unwrap_or_default());
                    if THROTTLING_CODES.contains(&code.as_str()) || r.status().as_u16() == 429 {
                        (AttemptResult::Throttled, code)
                    } else if code.is_empty() {
                        (AttemptResult::Error, format!("HTTP{}", r.status().as_u16()))
                    } else {
                        (AttemptResult::Error, code)
                    }
                }
                None => (AttemptResult::Error, "Transport".to_owned()),
            };
            s.stats.attempt(s.bucket, sent, Instant::now(), n > 0, result, &code);
        });
        Ok(())
    }
}

/// Builds the SDK client of one simulated client.
pub fn client(
    endpoint_url: &str,
    region: &str,
    creds: &Credentials,
    mode: RetryMode,
    max_attempts: u32,
    partition: String,
) -> aws_sdk_kms::Client {
    let aws_creds = aws_credential_types::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.to_string(),
        creds.session_token.clone(),
        None,
        "trent-load",
    );
    let retry = match mode {
        RetryMode::Adaptive => RetryConfig::adaptive(),
        _ => RetryConfig::standard(),
    }
    .with_max_attempts(max_attempts.max(1));
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(aws_creds)
        .endpoint_url(endpoint_url)
        .retry_config(retry)
        .retry_partition(RetryPartition::new(partition))
        .interceptor(AttemptCounter)
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

/// Maps an SDK error to our classification.
pub fn failure<E: ProvideErrorMetadata>(err: SdkError<E, HttpResponse>) -> Failure {
    match &err {
        SdkError::TimeoutError(_) => Failure::local(FailureKind::Timeout, "Timeout", "SDK timeout"),
        SdkError::DispatchFailure(_) => Failure::local(FailureKind::Transport, "Transport", "dispatch failure"),
        _ => {
            let code = err.code().unwrap_or("Unknown").to_owned();
            let message = err.message().unwrap_or_default().to_owned();
            let kind = if THROTTLING_CODES.contains(&code.as_str()) {
                FailureKind::Throttled
            } else if err.raw_response().is_some_and(|r| r.status().is_server_error()) {
                FailureKind::Server
            } else {
                FailureKind::Service
            };
            Failure { kind, code, message }
        }
    }
}

/// Sends `op` with `m` through the SDK (attempts counted if inside [`counted`]).
pub async fn call(client: &aws_sdk_kms::Client, op: Operation, m: &Material) -> Result<(), Failure> {
    let blob = |v: &Vec<u8>| Blob::new(v.clone());
    match op {
        Operation::Encrypt => {
            client.encrypt().key_id(&m.key_id).plaintext(blob(&m.plaintext)).send().await.map(drop).map_err(failure)
        }
        Operation::Decrypt => client
            .decrypt()
            .key_id(&m.key_id)
            .ciphertext_blob(blob(&m.ciphertext))
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::GenerateDataKey => client
            .generate_data_key()
            .key_id(&m.key_id)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::GenerateDataKeyWithoutPlaintext => client
            .generate_data_key_without_plaintext()
            .key_id(&m.key_id)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::ReEncrypt => client
            .re_encrypt()
            .ciphertext_blob(blob(&m.ciphertext))
            .source_key_id(&m.key_id)
            .destination_key_id(&m.key_id)
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::GenerateRandom => {
            client.generate_random().number_of_bytes(32).send().await.map(drop).map_err(failure)
        }
        Operation::Sign => client
            .sign()
            .key_id(&m.key_id)
            .message(blob(&m.message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::from(m.signing_algorithm.as_str()))
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::Verify => client
            .verify()
            .key_id(&m.key_id)
            .message(blob(&m.message))
            .message_type(MessageType::Raw)
            .signature(blob(&m.signature))
            .signing_algorithm(SigningAlgorithmSpec::from(m.signing_algorithm.as_str()))
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::GenerateMac => client
            .generate_mac()
            .key_id(&m.key_id)
            .message(blob(&m.message))
            .mac_algorithm(MacAlgorithmSpec::from(m.mac_algorithm.as_str()))
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::VerifyMac => client
            .verify_mac()
            .key_id(&m.key_id)
            .message(blob(&m.message))
            .mac(blob(&m.mac))
            .mac_algorithm(MacAlgorithmSpec::from(m.mac_algorithm.as_str()))
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::DescribeKey => client.describe_key().key_id(&m.key_id).send().await.map(drop).map_err(failure),
        Operation::GetPublicKey => client.get_public_key().key_id(&m.key_id).send().await.map(drop).map_err(failure),
        Operation::ListKeys => client.list_keys().send().await.map(drop).map_err(failure),
        Operation::ListAliases => client.list_aliases().send().await.map(drop).map_err(failure),
        Operation::Encapsulate => client
            .encapsulate()
            .key_id(&m.key_id)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await
            .map(drop)
            .map_err(failure),
        Operation::Decapsulate => client
            .decapsulate()
            .key_id(&m.key_id)
            .shared_secret_ciphertext_blob(blob(&m.shared_secret_ciphertext))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await
            .map(drop)
            .map_err(failure),
        // A mix only holds supported operations (ops::SUPPORTED).
        other => Err(Failure::local(
            FailureKind::Service,
            "UnsupportedOperation",
            format!("trent load does not send {}", other.name()),
        )),
    }
}
