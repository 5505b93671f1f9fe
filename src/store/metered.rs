//! A store decorator that times every call into the server's metrics (`/metrics`).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::{
    ApplyOutcome, Direction, ListQuery, Neighbourhood, NeighbourhoodQuery, Page, PathQuery, Paths,
    Plan, Store, StoreError, Subgraph, WriteBatch,
};
use crate::metrics::Metrics;
use crate::model::record::{EdgeRecord, NodeRecord};
use crate::model::{NodeId, RelType};

/// Wraps a store and records each call's duration and outcome.
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }

    async fn timed<T>(
        &self,
        call: &'static str,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = work.await;
        self.metrics
            .store_call(call, started.elapsed(), result.is_ok());
        result
    }
}

#[async_trait]
impl Store for MeteredStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Arc<NodeRecord>>, StoreError> {
        self.timed("nodes", self.inner.nodes(ids)).await
    }

    async fn edges(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<EdgeRecord>, StoreError> {
        self.timed("edges", self.inner.edges(ids, rel, direction))
            .await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        self.timed("list", self.inner.list(query)).await
    }

    async fn expand(&self, roots: &[NodeId], plan: &Plan) -> Result<Subgraph, StoreError> {
        self.timed("expand", self.inner.expand(roots, plan)).await
    }

    async fn paths(&self, query: &PathQuery) -> Result<Paths, StoreError> {
        self.timed("paths", self.inner.paths(query)).await
    }

    async fn neighbourhood(&self, query: &NeighbourhoodQuery) -> Result<Neighbourhood, StoreError> {
        self.timed("neighbourhood", self.inner.neighbourhood(query))
            .await
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<NodeId>, StoreError> {
        self.timed("search", self.inner.search(text, limit)).await
    }

    async fn entity_names(&self) -> Result<Vec<super::EntityNames>, StoreError> {
        self.timed("entity_names", self.inner.entity_names()).await
    }

    async fn import_version(&self) -> Result<u64, StoreError> {
        self.timed("import_version", self.inner.import_version())
            .await
    }

    async fn graph_version(&self) -> Result<u64, StoreError> {
        self.timed("graph_version", self.inner.graph_version())
            .await
    }

    async fn apply(&self, batch: &WriteBatch) -> Result<ApplyOutcome, StoreError> {
        self.timed("apply", self.inner.apply(batch)).await
    }
}
