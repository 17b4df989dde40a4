//! The load loops. Open loop: a dispatcher issues arrivals on a schedule (constant or
//! Poisson) and spawns one task per request, whatever the answers; at most `max_in_flight`
//! are outstanding, and arrivals beyond that are dropped and counted. Closed loop: N workers
//! each send a request when their previous one finished. Both stop at the end of the window
//! or after `--requests`, then wait at most `drain` for requests still retrying and abort the
//! rest. Every loop here is bounded in count and time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::args::Arrivals;
use super::client::{Prepared, SimClient, final_result};
use super::envelope::Envelope;
use super::ops::Mix;
use super::rng::{self, Rng};
use super::stats::{AttemptResult, Stats};

/// What each arrival does.
pub enum Work {
    /// Send one request of the mix.
    Requests {
        /// The mix.
        mix: Mix,
        /// Per client: per mix entry, the request variants.
        per_client: Vec<Arc<Vec<Vec<Prepared>>>>,
    },
    /// Encrypt one message through the client's data key cache.
    Envelope {
        /// Per client.
        per_client: Vec<Arc<Envelope>>,
        /// The plaintext of every message.
        message: Bytes,
    },
}

/// Open or closed loop.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Arrivals at `rate` per second.
    Open {
        /// Per second.
        rate: f64,
        /// Spacing.
        arrivals: Arrivals,
        /// Outstanding requests at most.
        max_in_flight: usize,
    },
    /// `concurrency` requests always in flight.
    Closed {
        /// Workers.
        concurrency: usize,
    },
}

/// A ready-to-run load.
pub struct Engine {
    /// The simulated clients.
    pub clients: Vec<Arc<SimClient>>,
    /// What an arrival does.
    pub work: Work,
    /// Loop shape.
    pub shape: Shape,
    /// Bound on requests (or messages) started.
    pub max_requests: u64,
    /// Wait for stragglers after the window.
    pub drain: Duration,
}

/// Runs one arrival on client `c`.
async fn one(work: &Work, clients: &[Arc<SimClient>], stats: &Arc<Stats>, c: usize, seq: u64, since: Instant) {
    match work {
        Work::Requests { mix, per_client } => {
            let entries = &per_client[c];
            let variants = &entries[mix.pick(rng::spread(seq))];
            let req = &variants[(seq as usize) % variants.len()];
            let r = clients[c].request(stats, req).await;
            let code = r.as_ref().err().map_or("", |f| f.code.as_str());
            stats.finish(final_result(&r), since.elapsed(), code);
        }
        Work::Envelope { per_client, message } => {
            // Boxed for the same reason as the SDK path: keep the request futures small.
            use trent_client::{Error, KmsFailure};
            let (result, code) = match Box::pin(per_client[c].encrypt(message)).await {
                Ok(_) => (AttemptResult::Ok, ""),
                Err(Error::Kms { kind: KmsFailure::Throttled, .. }) => {
                    (AttemptResult::Throttled, "ThrottlingException")
                }
                Err(Error::Kms { kind: KmsFailure::Unreachable, .. }) => (AttemptResult::Error, "Transport or Timeout"),
                Err(Error::Kms { .. }) => (AttemptResult::Error, "KMS error"),
                Err(_) => (AttemptResult::Error, "envelope error"),
            };
            stats.finish(result, since.elapsed(), code);
        }
    }
}

impl Engine {
    /// Issues open-loop arrivals on schedule until the window ends; returns the running requests.
    async fn dispatch(
        self: Arc<Self>,
        stats: Arc<Stats>,
        stop: Arc<AtomicBool>,
        handle: tokio::runtime::Handle,
        rate: f64,
        arrivals: Arrivals,
        max_in_flight: usize,
    ) -> JoinSet<()> {
        let deadline = stats.start + stats.window;
        let mut set = JoinSet::new();
        let permits = Arc::new(Semaphore::new(max_in_flight.max(1)));
        let gap = 1.0 / rate.max(1e-9);
        let mut rng = Rng::new();
        let mut next = stats.start;
        let mut offset = 0.0f64;
        let mut seq = 0u64;
        let n = self.clients.len().max(1);
        tokio::time::sleep_until(stats.start.into()).await;
        while seq < self.max_requests && !stop.load(Relaxed) {
            let now = Instant::now();
            if next >= deadline {
                break;
            }
            if next > now {
                tokio::time::sleep_until(next.into()).await;
                continue;
            }
            // Issue every arrival that is due (timers tick in milliseconds).
            while next <= now && next < deadline && seq < self.max_requests {
                stats.arrival(next);
                stats.lag(now - next);
                match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let engine = self.clone();
                        let stats = stats.clone();
                        let scheduled = next;
                        let c = (seq as usize) % n;
                        set.spawn_on(
                            async move {
                                one(&engine.work, &engine.clients, &stats, c, seq, scheduled).await;
                                drop(permit);
                            },
                            &handle,
                        );
                    }
                    Err(_) => {
                        stats.dropped.fetch_add(1, Relaxed);
                    }
                }
                seq += 1;
                // Offsets in f64 seconds from the start, so spacing errors never add up.
                offset = match arrivals {
                    Arrivals::Constant => seq as f64 / rate,
                    Arrivals::Poisson => offset + rng.exponential(gap),
                    Arrivals::Bursts => (seq as f64 / rate).floor(),
                };
                next = stats.start + Duration::from_secs_f64(offset);
            }
            while set.try_join_next().is_some() {}
        }
        if seq >= self.max_requests || stop.load(Relaxed) {
            stats.issue_ended(Instant::now());
        }
        set
    }

    /// Runs the load; `stats.start` is the start of the measured window. Returns when every
    /// request finished or was aborted after the drain time.
    pub async fn run(self: Arc<Self>, stats: Arc<Stats>, stop: Arc<AtomicBool>) {
        let deadline = stats.start + stats.window;
        let mut set = JoinSet::new();
        match self.shape {
            Shape::Open { rate, arrivals, max_in_flight } => {
                // The dispatcher gets a thread of its own, so that keeping the schedule never
                // waits behind request tasks on the runtime's workers.
                let handle = tokio::runtime::Handle::current();
                let (tx, rx) = tokio::sync::oneshot::channel();
                let (engine, st, sp) = (self.clone(), stats.clone(), stop.clone());
                let spawned = std::thread::Builder::new().name("trent-load-dispatch".into()).spawn(move || {
                    let set = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
                        Ok(rt) => rt.block_on(engine.dispatch(st, sp, handle, rate, arrivals, max_in_flight)),
                        Err(_) => JoinSet::new(),
                    };
                    let _ = tx.send(set);
                });
                set = match spawned {
                    Ok(_) => rx.await.unwrap_or_default(),
                    Err(_) => {
                        let handle = tokio::runtime::Handle::current();
                        self.clone().dispatch(stats.clone(), stop.clone(), handle, rate, arrivals, max_in_flight).await
                    }
                };
            }
            Shape::Closed { concurrency } => {
                let issued = Arc::new(AtomicU64::new(0));
                let n = self.clients.len().max(1);
                tokio::time::sleep_until(stats.start.into()).await;
                for w in 0..concurrency.max(1) {
                    let engine = self.clone();
                    let stats = stats.clone();
                    let issued = issued.clone();
                    let stop = stop.clone();
                    set.spawn(async move {
                        loop {
                            let now = Instant::now();
                            if now >= deadline || stop.load(Relaxed) {
                                break;
                            }
                            let seq = issued.fetch_add(1, Relaxed);
                            if seq >= engine.max_requests {
                                stats.issue_ended(now);
                                break;
                            }
                            stats.arrival(now);
                            one(&engine.work, &engine.clients, &stats, w % n, seq, now).await;
                        }
                    });
                }
            }
        }
        // Closed-loop workers stop themselves at the deadline; open loop has stopped issuing.
        let drain_until = deadline.max(Instant::now()) + self.drain;
        let drained =
            tokio::time::timeout_at(drain_until.into(), async { while set.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            stats.unfinished.store(set.len() as u64, Relaxed);
            set.abort_all();
            while set.join_next().await.is_some() {}
        }
    }
}
