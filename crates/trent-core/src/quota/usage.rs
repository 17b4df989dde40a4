//! [`UsageMeter`]: what each account quota admitted and refused, how fast it
//! is being spent right now, and by whom — so an operator can see which quota
//! a throttled caller hits and how close every other one is.
//!
//! It only observes: [`crate::quota::QuotaEngine`] tells it the outcome of each
//! decision after the limiter made it, and nothing here feeds back into a
//! decision. Buckets are per account, region and quota — what Service Quotas
//! and CloudWatch's `AWS/Usage` report; the engine also puts a custom key
//! store's pool under the calling account. The hot-key limit is not metered.
//!
//! Cost per request: one read lock on a map of (account, region) scopes, a
//! few relaxed atomics, and one short mutex for the per-caller counts.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use super::catalog::QuotaId;
use super::fxhash::FxBuildHasher;

/// Width of one slot of the recent-rate ring (100 ms).
const SLOT_NANOS: u64 = 100_000_000;
/// Slots in the ring: one second of 100 ms slots, plus room so a slot being
/// reused is never one still counted.
const SLOTS: usize = 16;
/// Slots summed for "the last second".
const RECENT_SLOTS: u64 = 10;
/// Distinct callers counted per bucket; later ones are counted under
/// [`OTHER_CALLERS`], so a caller-id storm cannot grow memory without bound.
pub const MAX_CALLERS_PER_BUCKET: usize = 256;
/// The caller name standing for every caller past [`MAX_CALLERS_PER_BUCKET`].
pub const OTHER_CALLERS: &str = "(other callers)";

/// Units admitted in one 100 ms slot.
#[derive(Debug, Default)]
struct Slot {
    /// Slot number (`now / SLOT_NANOS`) the count belongs to.
    epoch: AtomicU64,
    count: AtomicU64,
}

/// What one caller did against one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallerCounts {
    /// Requests admitted.
    pub admitted: u64,
    /// Requests refused with ThrottlingException attributed to this bucket.
    pub throttled: u64,
}

/// Counters of one (account, region, quota) bucket.
#[derive(Debug, Default)]
struct BucketUsage {
    admitted: AtomicU64,
    throttled: AtomicU64,
    slots: [Slot; SLOTS],
    callers: Mutex<HashMap<Box<str>, CallerCounts, FxBuildHasher>>,
}

impl BucketUsage {
    fn add_recent(&self, now: u64, units: u64) {
        let epoch = now / SLOT_NANOS;
        let slot = &self.slots[(epoch % SLOTS as u64) as usize];
        let seen = slot.epoch.load(Ordering::Relaxed);
        if seen != epoch {
            // First use of this slot in this lap: whoever wins the swap clears it.
            if slot.epoch.compare_exchange(seen, epoch, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                slot.count.store(0, Ordering::Relaxed);
            }
        }
        slot.count.fetch_add(units, Ordering::Relaxed);
    }

    /// Units admitted in the last second (ten 100 ms slots, the current one included).
    fn recent(&self, now: u64) -> u64 {
        let epoch = now / SLOT_NANOS;
        self.slots
            .iter()
            .filter(|s| {
                let e = s.epoch.load(Ordering::Relaxed);
                e <= epoch && epoch - e < RECENT_SLOTS
            })
            .map(|s| s.count.load(Ordering::Relaxed))
            .sum()
    }

    fn count_caller(&self, caller: &str, admitted: bool) {
        let mut callers = self.callers.lock();
        let entry = match callers.get_mut(caller) {
            Some(e) => e,
            None => {
                let name = if callers.len() >= MAX_CALLERS_PER_BUCKET { OTHER_CALLERS } else { caller };
                callers.entry(name.into()).or_default()
            }
        };
        if admitted {
            entry.admitted += 1;
        } else {
            entry.throttled += 1;
        }
    }
}

/// The buckets of one (account, region), one per catalog quota.
#[derive(Debug)]
struct ScopeUsage {
    quotas: Vec<BucketUsage>,
}

impl ScopeUsage {
    fn new() -> Self {
        Self { quotas: (0..QuotaId::COUNT).map(|_| BucketUsage::default()).collect() }
    }
}

/// account → region → buckets.
type Scopes = HashMap<Box<str>, HashMap<Box<str>, Arc<ScopeUsage>, FxBuildHasher>, FxBuildHasher>;

/// Per-bucket admitted and throttled counts, the rate of the last second and
/// the top callers, for every account quota a request has drawn on.
#[derive(Debug)]
pub struct UsageMeter {
    enabled: AtomicBool,
    scopes: RwLock<Scopes>,
}

impl Default for UsageMeter {
    fn default() -> Self {
        Self { enabled: AtomicBool::new(true), scopes: RwLock::new(HashMap::default()) }
    }
}

/// Which account bucket: the calling account, its region and the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountQuota<'a> {
    /// The calling account.
    pub account_id: &'a str,
    /// The region the call was made in.
    pub region: &'a str,
    /// The quota.
    pub quota: QuotaId,
}

/// One bucket's usage at one instant, for metrics and the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSnapshot {
    /// The calling account.
    pub account_id: String,
    /// The region the calls were made in.
    pub region: String,
    /// The quota.
    pub quota: QuotaId,
    /// Units admitted since the server started.
    pub admitted: u64,
    /// Requests refused and attributed to this quota since the server started.
    pub throttled: u64,
    /// Units admitted in the last second.
    pub last_second: u64,
    /// Requests per second enforced now (filled in by the engine).
    pub limit: f64,
    /// Callers, most requests first.
    pub callers: Vec<(String, CallerCounts)>,
}

impl UsageMeter {
    /// Turns metering on or off (off: [`UsageMeter::record`] returns at once).
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    /// Whether metering is on.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    fn scope(&self, account_id: &str, region: &str) -> Arc<ScopeUsage> {
        if let Some(s) = self.scopes.read().get(account_id).and_then(|r| r.get(region)) {
            return s.clone();
        }
        let mut w = self.scopes.write();
        w.entry(account_id.into())
            .or_default()
            .entry(region.into())
            .or_insert_with(|| Arc::new(ScopeUsage::new()))
            .clone()
    }

    /// Records one decision on one bucket: `units` admitted (when `admitted`)
    /// or one request refused, by `caller` (a principal ARN), at monotonic `now`.
    pub fn record(&self, bucket: AccountQuota<'_>, caller: &str, admitted: bool, units: u32, now: u64) {
        let AccountQuota { account_id, region, quota } = bucket;
        if !self.enabled() {
            return;
        }
        let scope = self.scope(account_id, region);
        let Some(b) = scope.quotas.get(quota.index()) else { return };
        if admitted {
            b.admitted.fetch_add(u64::from(units), Ordering::Relaxed);
            b.add_recent(now, u64::from(units));
        } else {
            b.throttled.fetch_add(1, Ordering::Relaxed);
        }
        b.count_caller(caller, admitted);
    }

    /// Units admitted on one bucket in the last second (0 if never used).
    pub fn last_second(&self, account_id: &str, region: &str, quota: QuotaId, now: u64) -> u64 {
        let scopes = self.scopes.read();
        scopes
            .get(account_id)
            .and_then(|r| r.get(region))
            .and_then(|s| s.quotas.get(quota.index()))
            .map_or(0, |b| b.recent(now))
    }

    /// Every bucket that was ever drawn on or refused, with `limit` left at 0
    /// (the engine, which knows the values in force, fills it in).
    pub fn snapshot(&self, now: u64) -> Vec<BucketSnapshot> {
        let scopes: Vec<(String, String, Arc<ScopeUsage>)> = {
            let r = self.scopes.read();
            r.iter()
                .flat_map(|(a, regions)| {
                    regions.iter().map(move |(reg, s)| (a.to_string(), reg.to_string(), s.clone()))
                })
                .collect()
        };
        let mut out = Vec::new();
        for (account_id, region, scope) in scopes {
            for (i, b) in scope.quotas.iter().enumerate() {
                let admitted = b.admitted.load(Ordering::Relaxed);
                let throttled = b.throttled.load(Ordering::Relaxed);
                if admitted == 0 && throttled == 0 {
                    continue;
                }
                let Some(quota) = QuotaId::from_index(i) else { continue };
                let mut callers: Vec<(String, CallerCounts)> =
                    b.callers.lock().iter().map(|(k, v)| (k.to_string(), *v)).collect();
                callers.sort_by(|a, b| {
                    (b.1.admitted + b.1.throttled).cmp(&(a.1.admitted + a.1.throttled)).then_with(|| a.0.cmp(&b.0))
                });
                out.push(BucketSnapshot {
                    account_id: account_id.clone(),
                    region: region.clone(),
                    quota,
                    admitted,
                    throttled,
                    last_second: b.recent(now),
                    limit: 0.0,
                    callers,
                });
            }
        }
        out.sort_by(|a, b| (&a.account_id, &a.region, a.quota).cmp(&(&b.account_id, &b.region, b.quota)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn counts_admitted_throttled_recent_and_callers() {
        let m = UsageMeter::default();
        let q = QuotaId::SYMMETRIC;
        for i in 0..5 {
            m.record(
                AccountQuota { account_id: "111122223333", region: "us-east-1", quota: q },
                "arn:a",
                true,
                1,
                i * 100_000_000,
            );
        }
        m.record(
            AccountQuota { account_id: "111122223333", region: "us-east-1", quota: q },
            "arn:b",
            true,
            2,
            450_000_000,
        );
        m.record(
            AccountQuota { account_id: "111122223333", region: "us-east-1", quota: q },
            "arn:b",
            false,
            1,
            460_000_000,
        );
        let snap = m.snapshot(900_000_000);
        assert_eq!(snap.len(), 1);
        let b = &snap[0];
        assert_eq!((b.admitted, b.throttled, b.last_second), (7, 1, 7));
        assert_eq!(b.callers[0], ("arn:a".to_owned(), CallerCounts { admitted: 5, throttled: 0 }));
        assert_eq!(b.callers[1], ("arn:b".to_owned(), CallerCounts { admitted: 1, throttled: 1 }));
        // 1.35 s: the slots of 0.0-0.3 s have left the last second; 0.4 s stays.
        assert_eq!(m.last_second("111122223333", "us-east-1", q, 1_350_000_000), 3);
        // Ten seconds on, a reused slot starts from zero.
        m.record(AccountQuota { account_id: "111122223333", region: "us-east-1", quota: q }, "arn:a", true, 1, 10 * S);
        assert_eq!(m.last_second("111122223333", "us-east-1", q, 10 * S), 1);
    }

    #[test]
    fn off_records_nothing_and_callers_are_capped() {
        let m = UsageMeter::default();
        m.set_enabled(false);
        m.record(AccountQuota { account_id: "1", region: "r", quota: QuotaId::SYMMETRIC }, "c", true, 1, 0);
        assert!(m.snapshot(0).is_empty());
        m.set_enabled(true);
        for i in 0..(MAX_CALLERS_PER_BUCKET + 10) {
            m.record(
                AccountQuota { account_id: "1", region: "r", quota: QuotaId::SYMMETRIC },
                &format!("c{i}"),
                true,
                1,
                0,
            );
        }
        let snap = m.snapshot(0);
        assert_eq!(snap[0].callers.len(), MAX_CALLERS_PER_BUCKET + 1);
        assert_eq!(snap[0].callers.iter().find(|c| c.0 == OTHER_CALLERS).map(|c| c.1.admitted), Some(10));
    }
}
