//! A store decorator that counts calls: how the tests prove that a request's store calls do
//! not grow with the rows it returns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::{
    ApplyOutcome, Direction, ListQuery, Neighbourhood, NeighbourhoodQuery, Page, PathQuery, Paths,
    Plan, Store, StoreError, Subgraph, WriteBatch,
};
use crate::model::record::{EdgeRecord, NodeRecord};
use crate::model::{NodeId, RelType};

/// Wraps a store and counts every call made through it.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    calls: AtomicUsize,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            calls: AtomicUsize::new(0),
        }
    }

    /// Calls made so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.calls.store(0, Ordering::SeqCst);
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Store for CountingStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Arc<NodeRecord>>, StoreError> {
        self.count();
        self.inner.nodes(ids).await
    }

    async fn edges(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<EdgeRecord>, StoreError> {
        self.count();
        self.inner.edges(ids, rel, direction).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        self.count();
        self.inner.list(query).await
    }

    async fn expand(&self, roots: &[NodeId], plan: &Plan) -> Result<Subgraph, StoreError> {
        self.count();
        self.inner.expand(roots, plan).await
    }

    async fn paths(&self, query: &PathQuery) -> Result<Paths, StoreError> {
        self.count();
        self.inner.paths(query).await
    }

    async fn neighbourhood(&self, query: &NeighbourhoodQuery) -> Result<Neighbourhood, StoreError> {
        self.count();
        self.inner.neighbourhood(query).await
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<NodeId>, StoreError> {
        self.count();
        self.inner.search(text, limit).await
    }

    async fn entity_names(&self) -> Result<Vec<super::EntityNames>, StoreError> {
        self.count();
        self.inner.entity_names().await
    }

    async fn import_version(&self) -> Result<u64, StoreError> {
        self.inner.import_version().await
    }

    async fn graph_version(&self) -> Result<u64, StoreError> {
        self.count();
        self.inner.graph_version().await
    }

    async fn apply(&self, batch: &WriteBatch) -> Result<ApplyOutcome, StoreError> {
        self.count();
        self.inner.apply(batch).await
    }
}
