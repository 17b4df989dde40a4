//! Latency decorators: the quota decision ([`TimedAdmission`]) and every
//! key store call ([`TimedStore`]) observed into [`Metrics`] histograms,
//! without the quota engine or the stores knowing about metrics.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use trent_core::KmsResult;
use trent_core::key::model::{AliasRecord, KeyRecord};
use trent_core::quota::admission::{Admission, Charge};
use trent_core::store::{AliasCaps, Doc, KeyStore, Page, StoreChange, StoreResult};

use super::{Metrics, StoreLabels};

/// An [`Admission`] that times the one it wraps.
pub struct TimedAdmission {
    inner: Arc<dyn Admission>,
    metrics: Arc<Metrics>,
}

impl TimedAdmission {
    /// Times `inner`'s decisions into `metrics`.
    pub fn new(inner: Arc<dyn Admission>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }
}

#[async_trait::async_trait]
impl Admission for TimedAdmission {
    async fn admit(&self, charge: &Charge<'_>) -> KmsResult<()> {
        if !self.metrics.enabled {
            return self.inner.admit(charge).await;
        }
        let start = Instant::now();
        let r = self.inner.admit(charge).await;
        self.metrics.admission_seconds.observe(start.elapsed().as_secs_f64());
        r
    }
}

/// A [`KeyStore`] that times every call of the one it wraps.
pub struct TimedStore {
    inner: Arc<dyn KeyStore>,
    metrics: Arc<Metrics>,
}

impl TimedStore {
    /// Times `inner`'s calls into `metrics`.
    pub fn new(inner: Arc<dyn KeyStore>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }

    async fn time<T>(&self, call: &'static str, f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        if !self.metrics.enabled {
            return f.await;
        }
        let start = Instant::now();
        let r = f.await;
        self.metrics.store_seconds.get_or_create(&StoreLabels { call }).observe(start.elapsed().as_secs_f64());
        r
    }
}

#[async_trait::async_trait]
impl KeyStore for TimedStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        self.time("insert_key", self.inner.insert_key(key)).await
    }

    async fn insert_key_capped(&self, key: &KeyRecord, cap: u64) -> StoreResult<()> {
        self.time("insert_key_capped", self.inner.insert_key_capped(key, cap)).await
    }

    async fn get_key(&self, key_id: &str) -> StoreResult<Option<KeyRecord>> {
        self.time("get_key", self.inner.get_key(key_id)).await
    }

    async fn update_key(&self, key: &KeyRecord) -> StoreResult<()> {
        self.time("update_key", self.inner.update_key(key)).await
    }

    async fn delete_key(&self, key_id: &str) -> StoreResult<()> {
        self.time("delete_key", self.inner.delete_key(key_id)).await
    }

    async fn list_keys(
        &self,
        account_id: &str,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<KeyRecord>> {
        self.time("list_keys", self.inner.list_keys(account_id, region, after, limit)).await
    }

    async fn list_all_keys(&self, after: Option<&str>, limit: usize) -> StoreResult<Page<KeyRecord>> {
        self.time("list_all_keys", self.inner.list_all_keys(after, limit)).await
    }

    async fn count_keys(&self, account_id: &str, region: &str) -> StoreResult<u64> {
        self.time("count_keys", self.inner.count_keys(account_id, region)).await
    }

    async fn keys_due_for_deletion(&self, now: f64) -> StoreResult<Vec<String>> {
        self.time("keys_due_for_deletion", self.inner.keys_due_for_deletion(now)).await
    }

    async fn keys_due_for_rotation(&self, now: f64) -> StoreResult<Vec<String>> {
        self.time("keys_due_for_rotation", self.inner.keys_due_for_rotation(now)).await
    }

    async fn insert_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        self.time("insert_alias", self.inner.insert_alias(alias)).await
    }

    async fn update_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        self.time("update_alias", self.inner.update_alias(alias)).await
    }

    async fn insert_alias_capped(&self, alias: &AliasRecord, caps: AliasCaps) -> StoreResult<()> {
        self.time("insert_alias_capped", self.inner.insert_alias_capped(alias, caps)).await
    }

    async fn update_alias_capped(&self, alias: &AliasRecord, cap: u64) -> StoreResult<()> {
        self.time("update_alias_capped", self.inner.update_alias_capped(alias, cap)).await
    }

    async fn delete_alias(&self, account_id: &str, region: &str, alias_name: &str) -> StoreResult<()> {
        self.time("delete_alias", self.inner.delete_alias(account_id, region, alias_name)).await
    }

    async fn get_alias(&self, account_id: &str, region: &str, alias_name: &str) -> StoreResult<Option<AliasRecord>> {
        self.time("get_alias", self.inner.get_alias(account_id, region, alias_name)).await
    }

    async fn list_aliases(
        &self,
        account_id: &str,
        region: &str,
        target_key_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<AliasRecord>> {
        self.time("list_aliases", self.inner.list_aliases(account_id, region, target_key_id, after, limit)).await
    }

    async fn insert_doc(&self, doc: &Doc) -> StoreResult<()> {
        self.time("insert_doc", self.inner.insert_doc(doc)).await
    }

    async fn insert_doc_capped(&self, doc: &Doc, cap: u64) -> StoreResult<()> {
        self.time("insert_doc_capped", self.inner.insert_doc_capped(doc, cap)).await
    }

    async fn insert_doc_capped_in_group(&self, doc: &Doc, cap: u64, group: &str, group_cap: u64) -> StoreResult<()> {
        self.time("insert_doc_capped_in_group", self.inner.insert_doc_capped_in_group(doc, cap, group, group_cap)).await
    }

    async fn put_doc(&self, doc: &Doc) -> StoreResult<()> {
        self.time("put_doc", self.inner.put_doc(doc)).await
    }

    async fn get_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<Option<Doc>> {
        self.time("get_doc", self.inner.get_doc(kind, scope, id)).await
    }

    async fn delete_doc(&self, kind: &str, scope: &str, id: &str) -> StoreResult<()> {
        self.time("delete_doc", self.inner.delete_doc(kind, scope, id)).await
    }

    async fn list_docs(&self, kind: &str, scope: Option<&str>) -> StoreResult<Vec<Doc>> {
        self.time("list_docs", self.inner.list_docs(kind, scope)).await
    }

    async fn wipe(&self) -> StoreResult<()> {
        self.time("wipe", self.inner.wipe()).await
    }

    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<StoreChange>> {
        self.inner.changes()
    }
}
