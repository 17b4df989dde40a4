//! One load run, start to report: check the options, set up keys and clients,
//! offer the load, collect the statistics.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::args::LoadArgs;
use crate::client::{SimClient, Strategy};
use crate::engine::{Engine, Shape, Work};
use crate::envelope::{CacheSettings, Envelope};
use crate::error::{Error, Result, ensure_usage};
use crate::ops::Mix;
use crate::raw_http_client::RawHttpKms;
use crate::report::{CacheReport, Report, RunFacts};
use crate::retry::{Backoff, RetryMode};
use crate::stats::Stats;
use crate::{client, cpu, identity, progress, report, sdk, setup};

/// Attempts per request for the chosen strategy.
fn max_attempts(args: &LoadArgs) -> u32 {
    args.max_attempts.unwrap_or(match args.retry {
        RetryMode::None => 1,
        RetryMode::Backoff => 6,
        RetryMode::Standard | RetryMode::Adaptive => 3,
    })
}

/// One run, start to report. `run_id` keeps SDK retry partitions of runs in one process apart.
pub(crate) async fn run_once(args: &LoadArgs, label: &str, run_id: usize) -> Result<Report> {
    let mix = Mix::parse(&args.operations).map_err(Error::usage)?;
    ensure_usage!(!args.duration.is_zero(), "--duration must be more than 0");
    ensure_usage!((1..=4096).contains(&args.payload_size), "--payload-size must be 1 to 4096 bytes");
    ensure_usage!(args.burst_seconds > 0.0, "--burst-seconds must be more than 0");
    let shape = match (args.rate, args.concurrency) {
        (Some(rate), cap) => {
            ensure_usage!(rate.is_finite() && rate > 0.0, "--rate must be more than 0");
            Shape::Open { rate, arrivals: args.arrivals, max_in_flight: cap.unwrap_or(args.max_in_flight) }
        }
        (None, c) => Shape::Closed { concurrency: c.unwrap_or(32).max(1) },
    };
    let attempts = max_attempts(args);
    ensure_usage!(attempts >= 1, "--max-attempts must be at least 1");

    let regions = identity::regions(args);
    let first = identity::endpoint(args, &regions[0])?;
    let principals = identity::principals(args, &first).await?;
    let identities = identity::identities(&principals, &regions);
    let endpoints: Vec<_> = identities.iter().map(|i| identity::endpoint(args, &i.region)).collect::<Result<_>>()?;

    // Setup through separate small clients, so the run's connections start clean.
    let setup_clients: Vec<RawHttpKms> = identities
        .iter()
        .zip(&endpoints)
        .map(|(i, e)| RawHttpKms::new(e, &i.region, i.credentials.clone(), 4))
        .collect::<Result<_>>()?;
    let want = setup::Wanted {
        mix: &mix,
        envelope: args.envelope,
        key_ids: &args.key_ids,
        sign_key_id: args.sign_key_id.as_deref(),
        mac_key_id: args.mac_key_id.as_deref(),
        kem_key_id: args.kem_key_id.as_deref(),
        create_keys: args.keys,
        payload_size: args.payload_size,
        quota: args.quota,
    };
    let prepared = setup::prepare(&identities, &setup_clients, &first, &want).await?;
    drop(setup_clients);

    let n_clients = args.clients.unwrap_or(identities.len()).max(1);
    let connections = args.connections.unwrap_or(match shape {
        Shape::Closed { concurrency } => concurrency,
        Shape::Open { .. } => 64,
    });
    let per_client = connections.div_ceil(n_clients).max(1);
    let mut clients = Vec::with_capacity(n_clients);
    for c in 0..n_clients {
        let id = c % identities.len();
        let ident = &identities[id];
        let strategy = match args.retry {
            RetryMode::None => Strategy::None,
            RetryMode::Backoff => {
                Strategy::Backoff(Backoff { base: args.backoff_base, cap: args.backoff_cap, max_attempts: attempts })
            }
            mode => Strategy::Sdk(sdk::client(
                &endpoints[id].url,
                &ident.region,
                &ident.credentials,
                mode,
                attempts,
                format!("trent-load-{}-{run_id}-{c}", std::process::id()),
            )),
        };
        clients.push(Arc::new(SimClient {
            identity: id,
            http: RawHttpKms::new(&endpoints[id], &ident.region, ident.credentials.clone(), per_client)?,
            strategy,
            timeout: args.timeout,
        }));
    }

    tokio::time::sleep(args.settle).await;
    let start = Instant::now() + Duration::from_millis(20);
    let stats = Arc::new(Stats::new(start, args.duration, args.drain + args.timeout, prepared.buckets.len()));

    let cache = CacheSettings { max_age: args.cache_max_age, max_messages: args.cache_max_messages, capacity: 100 };
    let mut envelopes = Vec::new();
    let work = if args.envelope {
        for c in &clients {
            let (arn, bucket) = prepared.envelope[c.identity]
                .clone()
                .ok_or_else(|| Error::setup("envelope mode needs a symmetric key", None))?;
            envelopes.push(Arc::new(Envelope::new(c.clone(), stats.clone(), bucket, &arn, cache)?));
        }
        let message: Vec<u8> = (0..args.message_size).map(|i| (i % 251) as u8).collect();
        Work::Envelope { per_client: envelopes.clone(), message: message.into() }
    } else {
        let per_identity: Vec<Arc<Vec<Vec<client::Prepared>>>> = prepared.requests.into_iter().map(Arc::new).collect();
        Work::Requests {
            mix: mix.clone(),
            per_client: clients.iter().map(|c| per_identity[c.identity].clone()).collect(),
        }
    };
    let workload = if args.envelope {
        format!(
            "envelope messages of {} B (cache: max age {:?}, max {} messages per data key)",
            args.message_size, args.cache_max_age, args.cache_max_messages
        )
    } else {
        mix.describe()
    };
    let engine =
        Arc::new(Engine { clients, work, shape, max_requests: args.requests.unwrap_or(u64::MAX), drain: args.drain });
    let ticker = progress::start(args.progress, label.to_owned(), stats.clone());
    let cpu0 = cpu::process_seconds().unwrap_or(0.0);
    let began = Instant::now();
    engine.run(stats.clone(), Arc::new(AtomicBool::new(false))).await;
    let elapsed = began.elapsed();
    let cpu_seconds = cpu::process_seconds().unwrap_or(0.0) - cpu0;
    if let Some(t) = ticker {
        t.abort();
        let _ = t.await;
    }
    let cache_report = (!envelopes.is_empty()).then(|| {
        let mut c = CacheReport { hits: 0, misses: 0, kms_calls: 0 };
        for e in &envelopes {
            let s = e.counters.snapshot();
            c.hits += s.cache_hits;
            c.misses += s.cache_misses;
            c.kms_calls += s.kms_calls();
        }
        c
    });
    let open = match shape {
        Shape::Open { rate, arrivals, max_in_flight } => Some((rate, arrivals, max_in_flight)),
        Shape::Closed { .. } => None,
    };
    let facts = RunFacts {
        label: label.to_owned(),
        endpoint: first.url.clone(),
        workload,
        open,
        concurrency: match shape {
            Shape::Closed { concurrency } => Some(concurrency),
            Shape::Open { .. } => None,
        },
        retry: args.retry,
        max_attempts: attempts,
        clients: n_clients,
        burst_seconds: args.burst_seconds,
        elapsed,
        cpu_seconds,
        cache: cache_report,
        notes: prepared.notes,
    };
    Ok(report::build(&stats, &prepared.buckets, facts))
}
