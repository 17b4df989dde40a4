//! The live quota dashboard at `/_trent/ui` (loopback peers only, like the
//! other `/_trent/` routes): every quota's usage against its limit over the
//! last minutes, throttles as they happen, top callers, increase requests,
//! and the profile and region tier in force.
//!
//! The page (HTML, CSS and JS in `assets/`, embedded with `include_str!`)
//! loads `/_trent/ui/snapshot` once, then follows `/_trent/ui/events`
//! (server-sent events, one snapshot a second). Snapshots are computed by a
//! sampler task that runs only while at least one page is connected: an idle
//! dashboard costs the server nothing.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Extensions, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::watch;
use trent_core::quota::QuotaEngine;
use trent_core::quota::catalog::{RegionTier, region_tier};

use crate::http::ServiceQuotasApi;
use crate::metrics::quota::usage_resource;

/// Seconds of history kept per quota (five minutes).
pub const HISTORY_SECONDS: usize = 300;
/// Throttle events kept for the feed.
const FEED_LEN: usize = 50;
/// Callers shown per quota.
const TOP_CALLERS: usize = 5;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// What the dashboard reads.
pub struct Dashboard {
    engine: Arc<QuotaEngine>,
    service_quotas: Option<Arc<dyn ServiceQuotasApi>>,
    started: std::time::Instant,
    state: Mutex<Samples>,
    latest: watch::Sender<Arc<str>>,
    clients: AtomicUsize,
    /// Whether a sampler task runs (at most one does).
    sampling: AtomicBool,
    /// Snapshots the sampler has taken (tests check that it stops).
    ticks: AtomicU64,
}

/// Per-second history, kept between ticks of the sampler.
#[derive(Default)]
struct Samples {
    /// bucket id → last-second usage samples, oldest first.
    history: HashMap<String, VecDeque<u64>>,
    /// bucket id → throttled count at the previous tick.
    throttled_before: HashMap<String, u64>,
    /// (bucket id, caller) → that caller's throttled count at the previous tick.
    caller_throttled_before: HashMap<(String, String), u64>,
    /// Newest first.
    feed: VecDeque<Value>,
}

fn tier_name(t: RegionTier) -> &'static str {
    match t {
        RegionTier::Top => "top",
        RegionTier::Middle => "middle",
        RegionTier::Default => "default",
    }
}

impl Dashboard {
    /// A dashboard over `engine`; `service_quotas` lists increase requests.
    pub fn new(engine: Arc<QuotaEngine>, service_quotas: Option<Arc<dyn ServiceQuotasApi>>) -> Arc<Self> {
        let (latest, _) = watch::channel(Arc::from("{}"));
        Arc::new(Self {
            engine,
            service_quotas,
            started: std::time::Instant::now(),
            state: Mutex::new(Samples::default()),
            latest,
            clients: AtomicUsize::new(0),
            sampling: AtomicBool::new(false),
            ticks: AtomicU64::new(0),
        })
    }

    /// One snapshot as JSON; `advance` appends a history sample (the
    /// sampler's once-a-second tick) rather than only reading.
    pub async fn snapshot(&self, advance: bool) -> Value {
        let buckets = self.engine.usage_snapshot();
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let (out, feed) = self.sample(&buckets, now_ms, advance);
        let increases = match &self.service_quotas {
            Some(sq) => sq.operator_requests(None).await.map(|r| json!(r)).unwrap_or_else(|_| json!([])),
            None => json!([]),
        };
        json!({
            "time": now_ms,
            "uptimeSeconds": self.started.elapsed().as_secs(),
            "enforcing": self.engine.enabled(),
            "profile": self.engine.profile().as_str(),
            "algorithm": format!("{:?}", self.engine.algorithm()),
            "buckets": out,
            "throttles": feed,
            "increases": increases,
        })
    }

    /// The buckets as JSON with their history, and the throttle feed;
    /// `advance` records this instant as a new history sample.
    fn sample(
        &self,
        buckets: &[trent_core::quota::BucketSnapshot],
        now_ms: i128,
        advance: bool,
    ) -> (Vec<Value>, Vec<Value>) {
        let mut out = Vec::with_capacity(buckets.len());
        let mut samples = self.state.lock();
        for b in buckets {
            let def = b.quota.def();
            let id = format!("{}/{}/{}", b.account_id, b.region, def.code);
            if advance {
                let h = samples.history.entry(id.clone()).or_default();
                h.push_back(b.last_second);
                while h.len() > HISTORY_SECONDS {
                    h.pop_front();
                }
                let before = samples.throttled_before.insert(id.clone(), b.throttled).unwrap_or(0);
                if b.throttled > before {
                    // The caller throttled most since the previous tick.
                    let mut top: Option<(&str, u64)> = None;
                    for (caller, n) in &b.callers {
                        let was = samples.caller_throttled_before.insert((id.clone(), caller.clone()), n.throttled);
                        let delta = n.throttled - was.unwrap_or(0).min(n.throttled);
                        if delta > 0 && top.is_none_or(|(_, d)| delta > d) {
                            top = Some((caller, delta));
                        }
                    }
                    samples.feed.push_front(json!({
                        "time": now_ms, "id": id, "name": def.name, "code": def.code,
                        "account": b.account_id, "region": b.region,
                        "count": b.throttled - before, "caller": top.map(|c| c.0),
                    }));
                    samples.feed.truncate(FEED_LEN);
                }
            }
            let history: Vec<u64> = samples.history.get(&id).map(|h| h.iter().copied().collect()).unwrap_or_default();
            let callers: Vec<Value> = b
                .callers
                .iter()
                .take(TOP_CALLERS)
                .map(|(c, n)| json!({ "caller": c, "admitted": n.admitted, "throttled": n.throttled }))
                .collect();
            out.push(json!({
                "id": id,
                "account": b.account_id,
                "region": b.region,
                "tier": tier_name(region_tier(&b.region)),
                "code": def.code,
                "name": def.name,
                "resource": usage_resource(b),
                "admitted": b.admitted,
                "throttled": b.throttled,
                "lastSecond": b.last_second,
                "limit": b.limit,
                "callers": callers,
                "callerCount": b.callers.len(),
                "history": history,
            }));
        }
        (out, samples.feed.iter().cloned().collect())
    }

    /// Starts the sampler if it is not running: it ticks once a second and
    /// stops when the last page disconnects. At most one runs: a page that
    /// connects while the sampler is deciding to stop keeps it going.
    fn subscribe(self: &Arc<Self>) -> Subscription {
        self.clients.fetch_add(1, Ordering::SeqCst);
        if self.sampling.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            let me = self.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    tick.tick().await;
                    if me.clients.load(Ordering::SeqCst) == 0 {
                        me.sampling.store(false, Ordering::SeqCst);
                        // A page that came meanwhile saw `sampling` still set
                        // and started nothing: take it over, unless another
                        // sampler has started since.
                        let revived = me.clients.load(Ordering::SeqCst) > 0
                            && me.sampling.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok();
                        if !revived {
                            return;
                        }
                    }
                    me.ticks.fetch_add(1, Ordering::Relaxed);
                    let snap = me.snapshot(true).await;
                    me.latest.send_replace(Arc::from(snap.to_string()));
                }
            });
        }
        Subscription { dashboard: self.clone(), rx: self.latest.subscribe() }
    }
}

/// One connected page; dropping it lets the sampler stop when it was the last.
struct Subscription {
    dashboard: Arc<Dashboard>,
    rx: watch::Receiver<Arc<str>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.dashboard.clients.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The dashboard's routes, to merge into the server's router.
pub fn routes(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/_trent/ui", get(|| async { asset(INDEX_HTML, "text/html; charset=utf-8") }))
        .route("/_trent/ui/app.js", get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/_trent/ui/style.css", get(|| async { asset(STYLE_CSS, "text/css; charset=utf-8") }))
        .route("/_trent/ui/snapshot", get(snapshot))
        .route("/_trent/ui/events", get(events))
        .with_state(dashboard)
}

fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, "the dashboard answers only connections from loopback (127.0.0.1 or ::1)").into_response()
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

async fn snapshot(State(d): State<Arc<Dashboard>>, extensions: Extensions) -> Response {
    if !crate::loopback::from_loopback(&extensions) {
        return forbidden();
    }
    let mut r = Response::new(Body::from(d.snapshot(false).await.to_string()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// `GET /_trent/ui/events[?max=N]`: a snapshot a second, for ever or for
/// `N` snapshots (a headless browser waiting for the network to go idle
/// needs a stream that ends).
async fn events(State(d): State<Arc<Dashboard>>, extensions: Extensions, uri: axum::http::Uri) -> Response {
    if !crate::loopback::from_loopback(&extensions) {
        return forbidden();
    }
    let max: u64 = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("max=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    let sub = d.subscribe();
    let stream = futures_util::stream::unfold((sub, 0u64), move |(mut sub, sent)| async move {
        if sent >= max {
            return None;
        }
        sub.rx.changed().await.ok()?;
        let data = sub.rx.borrow_and_update().clone();
        Some((Ok::<Event, Infallible>(Event::default().event("snapshot").data(&*data)), (sub, sent + 1)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

#[cfg(test)]
mod sampler_tests {
    use super::*;

    fn dashboard() -> Arc<Dashboard> {
        let engine = QuotaEngine::new(
            &trent_core::quota::QuotaConfig::default(),
            Arc::new(trent_core::quota::SystemMonotonicClock::default()),
        )
        .expect("engine");
        Dashboard::new(Arc::new(engine), None)
    }

    /// Lets the sampler run every tick due by now (time is paused: the
    /// runtime jumps the clock instead of waiting).
    async fn run_for(seconds: u64) {
        for _ in 0..seconds * 10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_sampler_runs_only_while_a_page_is_connected() {
        let d = dashboard();
        run_for(5).await;
        assert_eq!(d.ticks.load(Ordering::Relaxed), 0, "no page, no sampling");

        let page = d.subscribe();
        run_for(3).await;
        let while_open = d.ticks.load(Ordering::Relaxed);
        assert!((3..=4).contains(&while_open), "one snapshot a second while a page is open: {while_open}");

        // Two pages share one sampler.
        let second = d.subscribe();
        run_for(3).await;
        let both = d.ticks.load(Ordering::Relaxed) - while_open;
        assert!((3..=4).contains(&both), "still one snapshot a second with two pages: {both}");

        drop(page);
        drop(second);
        run_for(2).await;
        let stopped_at = d.ticks.load(Ordering::Relaxed);
        run_for(10).await;
        assert_eq!(d.ticks.load(Ordering::Relaxed), stopped_at, "the sampler stops with the last page");
        assert!(!d.sampling.load(Ordering::SeqCst));

        // A page that comes back starts it again, once.
        let back = d.subscribe();
        run_for(3).await;
        let again = d.ticks.load(Ordering::Relaxed) - stopped_at;
        assert!((3..=4).contains(&again), "{again}");
        drop(back);
    }
}
