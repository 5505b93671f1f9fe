//! A store seen as if a batch were already applied: how an import derives what its batch
//! changes (materialised statuses) before writing it, so that both go in one transaction.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;

use super::{
    ApplyOutcome, Direction, ListQuery, Neighbourhood, NeighbourhoodQuery, Page, PathQuery, Paths,
    Plan, Store, StoreError, Subgraph, WriteBatch,
};
use crate::model::record::{EdgeRecord, NodeRecord};
use crate::model::{NodeId, RelType};

/// The store plus a pending batch, read-only. `nodes` and `edges` see the batch (stored
/// nodes win, as `apply` leaves them untouched, but with the batch's updates; removed edges
/// are gone); listings, walks and search see the store alone.
pub struct Overlay {
    store: Arc<dyn Store>,
    batch: WriteBatch,
}

impl Overlay {
    pub fn new(store: Arc<dyn Store>, batch: WriteBatch) -> Self {
        Self { store, batch }
    }
}

#[async_trait]
impl Store for Overlay {
    fn backend(&self) -> &'static str {
        self.store.backend()
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Arc<NodeRecord>>, StoreError> {
        let mut found = self.store.nodes(ids).await?;
        for record in &mut found {
            let id = record.id.clone();
            for update in self.batch.updates.iter().filter(|u| u.id == id) {
                // A copy of its own: the stored record may be shared with the store's cache.
                let record = Arc::make_mut(record);
                for (name, value) in &update.props {
                    match value {
                        serde_json::Value::Null => record.props.remove(name),
                        value => record.props.insert(name.clone(), value.clone()),
                    };
                }
            }
        }
        let stored: BTreeSet<NodeId> = found.iter().map(|r| r.id.clone()).collect();
        let wanted: BTreeSet<&NodeId> = ids.iter().collect();
        found.extend(
            self.batch
                .nodes
                .iter()
                .filter(|n| wanted.contains(&n.id) && !stored.contains(&n.id))
                .map(|n| Arc::new(n.clone())),
        );
        Ok(found)
    }

    async fn edges(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<EdgeRecord>, StoreError> {
        let mut edges = self.store.edges(ids, rel, direction).await?;
        edges.retain(|e| !self.batch.removed_edges.contains(e));
        let wanted: BTreeSet<&NodeId> = ids.iter().collect();
        edges.extend(
            self.batch
                .edges
                .iter()
                .filter(|e| {
                    e.rel == rel
                        && wanted.contains(match direction {
                            Direction::Out => &e.from,
                            Direction::In => &e.to,
                        })
                })
                .cloned(),
        );
        edges.sort();
        edges.dedup();
        Ok(edges)
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        self.store.list(query).await
    }

    async fn expand(&self, roots: &[NodeId], plan: &Plan) -> Result<Subgraph, StoreError> {
        self.store.expand(roots, plan).await
    }

    async fn paths(&self, query: &PathQuery) -> Result<Paths, StoreError> {
        self.store.paths(query).await
    }

    async fn neighbourhood(&self, query: &NeighbourhoodQuery) -> Result<Neighbourhood, StoreError> {
        self.store.neighbourhood(query).await
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<NodeId>, StoreError> {
        self.store.search(text, limit).await
    }

    async fn entity_names(&self) -> Result<Vec<super::EntityNames>, StoreError> {
        self.store.entity_names().await
    }

    async fn import_version(&self) -> Result<u64, StoreError> {
        self.store.import_version().await
    }

    async fn apply(&self, _batch: &WriteBatch) -> Result<ApplyOutcome, StoreError> {
        Err(StoreError::Internal("an overlay is read-only".into()))
    }
}
