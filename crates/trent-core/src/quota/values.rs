//! Effective quota values: profile default, then configured overrides, then
//! approved Service Quotas increases, per (account, region, quota).
//!
//! Read on every admitted request, so the common case (no override, no
//! increase) costs a catalog lookup and two atomic loads; increases are held
//! in maps sharded by account so readers of different accounts never share a lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::RwLock;

use super::catalog::{Profile, QuotaId};
use super::config::{QuotaConfig, QuotaConfigError};
use super::fxhash::{FxBuildHasher, hash_pair, reduce};

/// Wildcard for `account_id` / `region` in overrides.
const ANY: &str = "*";

type Table = HashMap<String, HashMap<String, Vec<(QuotaId, f64)>, FxBuildHasher>, FxBuildHasher>;

fn get(t: &Table, account: &str, region: &str, q: QuotaId) -> Option<f64> {
    t.get(account)?.get(region)?.iter().find(|(id, _)| *id == q).map(|&(_, v)| v)
}

fn set(t: &mut Table, account: &str, region: &str, q: QuotaId, f: impl FnOnce(Option<f64>) -> f64) {
    let list = t.entry(account.to_owned()).or_default().entry(region.to_owned()).or_default();
    match list.iter_mut().find(|(id, _)| *id == q) {
        Some(entry) => entry.1 = f(Some(entry.1)),
        None => list.push((q, f(None))),
    }
}

/// One optional value per catalog quota.
type Row = Box<[Option<f64>]>;

fn empty_row() -> Row {
    vec![None; QuotaId::COUNT].into_boxed_slice()
}

/// Configured overrides, split by wildcard shape so a lookup only hashes
/// what could match (no hashing at all when only `*`/`*` overrides exist).
#[derive(Default)]
struct Overrides {
    exact: HashMap<String, HashMap<String, Row, FxBuildHasher>, FxBuildHasher>,
    by_account: HashMap<String, Row, FxBuildHasher>,
    by_region: HashMap<String, Row, FxBuildHasher>,
    any: Option<Row>,
}

impl Overrides {
    fn insert(&mut self, account: &str, region: &str, q: QuotaId, value: f64) {
        let row = match (account == ANY, region == ANY) {
            (true, true) => self.any.get_or_insert_with(empty_row),
            (true, false) => self.by_region.entry(region.to_owned()).or_insert_with(empty_row),
            (false, true) => self.by_account.entry(account.to_owned()).or_insert_with(empty_row),
            (false, false) => {
                self.exact.entry(account.to_owned()).or_default().entry(region.to_owned()).or_insert_with(empty_row)
            }
        };
        row[q.index()] = Some(value);
    }

    /// The most specific override: exact, then account + any region, then
    /// any account + region, then any + any.
    fn get(&self, account: &str, region: &str, q: QuotaId) -> Option<f64> {
        let i = q.index();
        let exact = || self.exact.get(account)?.get(region)?[i];
        let by_account = || self.by_account.get(account)?[i];
        let by_region = || self.by_region.get(region)?[i];
        (if self.exact.is_empty() { None } else { exact() })
            .or_else(|| if self.by_account.is_empty() { None } else { by_account() })
            .or_else(|| if self.by_region.is_empty() { None } else { by_region() })
            .or_else(|| self.any.as_ref().and_then(|row| row[i]))
    }
}

const SHARDS: usize = 16;

/// The value of every quota for every (account, region).
pub(crate) struct QuotaValues {
    profile: Profile,
    overrides: Overrides,
    increases: Box<[RwLock<Table>]>,
    increase_count: AtomicUsize,
}

impl QuotaValues {
    /// Values for `config` (validated here) with no increases yet.
    pub(crate) fn new(config: &QuotaConfig) -> Result<Self, QuotaConfigError> {
        config.validate()?;
        let mut overrides = Overrides::default();
        for o in &config.overrides {
            overrides.insert(&o.account_id, &o.region, o.resolve()?, o.value);
        }
        Ok(Self {
            profile: config.profile,
            overrides,
            increases: (0..SHARDS).map(|_| RwLock::new(Table::default())).collect(),
            increase_count: AtomicUsize::new(0),
        })
    }

    /// The profile whose defaults apply.
    pub(crate) fn profile(&self) -> Profile {
        self.profile
    }

    /// AWS's default for `q` in `region` under the profile.
    pub(crate) fn default_value(&self, region: &str, q: QuotaId) -> f64 {
        q.def().default_in(self.profile, region)
    }

    /// The default overlaid by the most specific configured override
    /// (exact, then account + any region, then any account + region, then any + any).
    pub(crate) fn configured(&self, account: &str, region: &str, q: QuotaId) -> f64 {
        self.overrides.get(account, region, q).unwrap_or_else(|| self.default_value(region, q))
    }

    fn shard(&self, account: &str) -> &RwLock<Table> {
        &self.increases[reduce(hash_pair(account, ""), SHARDS)]
    }

    /// The highest approved increase, if any.
    pub(crate) fn increase(&self, account: &str, region: &str, q: QuotaId) -> Option<f64> {
        if self.increase_count.load(Ordering::Acquire) == 0 {
            return None;
        }
        get(&self.shard(account).read(), account, region, q)
    }

    /// The value enforced and reported by GetServiceQuota: the configured value,
    /// or an approved increase above it.
    pub(crate) fn applied(&self, account: &str, region: &str, q: QuotaId) -> f64 {
        let base = self.configured(account, region, q);
        match self.increase(account, region, q) {
            Some(v) => v.max(base),
            None => base,
        }
    }

    /// Records an approved increase; takes effect for the next request.
    pub(crate) fn record_increase(&self, account: &str, region: &str, q: QuotaId, value: f64) {
        let mut t = self.shard(account).write();
        set(&mut t, account, region, q, |old| old.map_or(value, |o| o.max(value)));
        self.increase_count.fetch_add(1, Ordering::Release);
    }

    /// Forgets every approved increase (a server reset): configured values apply again.
    pub(crate) fn clear_increases(&self) {
        for shard in self.increases.iter() {
            shard.write().clear();
        }
        self.increase_count.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quota::config::QuotaOverride;

    fn ov(account: &str, region: &str, code: &str, value: f64) -> QuotaOverride {
        QuotaOverride { account_id: account.into(), region: region.into(), quota_code: code.into(), value }
    }

    #[test]
    fn override_precedence_is_most_specific_first() {
        let c = QuotaConfig {
            overrides: vec![
                ov("*", "*", "L-32B67F4A", 1.0),
                ov("*", "eu-west-1", "L-32B67F4A", 2.0),
                ov("111122223333", "*", "L-32B67F4A", 3.0),
                ov("111122223333", "eu-west-1", "L-32B67F4A", 4.0),
            ],
            ..QuotaConfig::default()
        };
        let v = QuotaValues::new(&c).expect("valid");
        let q = QuotaId::for_operation(crate::Operation::CreateKey).expect("quota");
        assert_eq!(v.applied("111122223333", "eu-west-1", q), 4.0);
        assert_eq!(v.applied("111122223333", "us-east-1", q), 3.0);
        assert_eq!(v.applied("444455556666", "eu-west-1", q), 2.0);
        assert_eq!(v.applied("444455556666", "us-east-1", q), 1.0);
        assert_eq!(v.default_value("us-east-1", q), 5.0);
        // Other quotas keep their defaults.
        assert_eq!(v.applied("111122223333", "us-east-1", QuotaId::SYMMETRIC), 100_000.0);
    }

    #[test]
    fn increases_raise_and_never_lower() {
        let c = QuotaConfig { overrides: vec![ov("111122223333", "*", "L-2AC98190", 10.0)], ..QuotaConfig::default() };
        let v = QuotaValues::new(&c).expect("valid");
        assert_eq!(v.applied("111122223333", "us-east-1", QuotaId::RSA), 10.0);
        v.record_increase("111122223333", "us-east-1", QuotaId::RSA, 20.0);
        assert_eq!(v.applied("111122223333", "us-east-1", QuotaId::RSA), 20.0);
        v.record_increase("111122223333", "us-east-1", QuotaId::RSA, 15.0);
        assert_eq!(v.applied("111122223333", "us-east-1", QuotaId::RSA), 20.0);
        assert_eq!(v.applied("111122223333", "us-west-2", QuotaId::RSA), 10.0);
        assert_eq!(v.applied("444455556666", "us-east-1", QuotaId::RSA), 1_000.0);
    }
}
