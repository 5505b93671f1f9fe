//! A store seen as if a batch were already applied: how an import derives what its batch
//! changes (materialised statuses) before writing it, so that both go in one transaction.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;

use super::{
    ApplyOutcome, Direction, ListQuery, Neighbourhood, NeighbourhoodQuery, Page, PathQuery, Paths,
    Plan, Store, StoreError, Subgraph, WriteBatch,
};
use crate::model::record::{EdgeRecord, NodeRecord};
use crate::model::{NodeId, RelType};

/// The batch's edges of each type by one of their ends, as indexes into its `edges`.
type EdgeIndex = HashMap<RelType, HashMap<NodeId, Vec<usize>>>;

/// The store plus a pending batch, read-only. `nodes` and `edges` see the batch (stored
/// nodes win, as `apply` leaves them untouched, and every node carries the batch's updates;
/// removed edges are gone); listings, walks and search see the store alone.
///
/// Reading it gives the same answer before and after the batch commits, so a batch can be
/// derived on an overlay of the one still being written.
///
/// Told which of the batch's nodes the store lacks (`WriteBatch::absent`), it answers for
/// them from the batch alone: most of what an import reads back is what it is about to
/// create, and asking the store about those was most of its store reads.
pub struct Overlay {
    store: Arc<dyn Store>,
    batch: Arc<WriteBatch>,
    // Indexes into the batch, so that a read costs what it returns rather than the
    // batch's size: an import reads its overlay a few dozen times. The batch's nodes are
    // kept as they will be created (updates applied), shared by every read of them.
    new_nodes: HashMap<NodeId, Arc<NodeRecord>>,
    updates: HashMap<NodeId, Vec<usize>>,
    edges_from: EdgeIndex,
    edges_to: EdgeIndex,
    removed: HashSet<EdgeRecord>,
    absent: Arc<HashSet<NodeId>>,
}

impl Overlay {
    /// The store is not asked about the batch's `absent` nodes, as the batch's derivation
    /// found them, for nodes or for edges: a node the store lacks has no stored edges
    /// either, as every edge is written in the batch of its ends or after it.
    pub fn new(store: Arc<dyn Store>, batch: Arc<WriteBatch>) -> Self {
        let absent = Arc::clone(&batch.absent);
        let mut new_nodes = HashMap::new();
        for node in batch.nodes_as_created() {
            // The first of a repeated node is the one `apply` writes.
            new_nodes.entry(node.id.clone()).or_insert(node);
        }
        let mut updates: HashMap<NodeId, Vec<usize>> = HashMap::new();
        for (index, update) in batch.updates.iter().enumerate() {
            updates.entry(update.id.clone()).or_default().push(index);
        }
        let mut edges_from = EdgeIndex::new();
        let mut edges_to = EdgeIndex::new();
        for (index, edge) in batch.edges.iter().enumerate() {
            let by_end = edges_from.entry(edge.rel).or_default();
            by_end.entry(edge.from.clone()).or_default().push(index);
            let by_end = edges_to.entry(edge.rel).or_default();
            by_end.entry(edge.to.clone()).or_default().push(index);
        }
        let removed = batch.removed_edges.iter().cloned().collect();
        Self {
            store,
            batch,
            new_nodes,
            updates,
            edges_from,
            edges_to,
            removed,
            absent,
        }
    }

    /// Those of `ids` the store may hold.
    fn maybe_stored<'a>(&self, ids: &'a [NodeId]) -> Cow<'a, [NodeId]> {
        if self.absent.is_empty() {
            return Cow::Borrowed(ids);
        }
        let ids = ids.iter().filter(|id| !self.absent.contains(*id));
        Cow::Owned(ids.cloned().collect())
    }

    /// The batch's updates to this node, in order, applied as `apply` does.
    fn update(&self, record: &mut Arc<NodeRecord>) {
        let Some(indexes) = self.updates.get(&record.id) else {
            return;
        };
        // A copy of its own: the stored record may be shared with the store's cache.
        let record = Arc::make_mut(record);
        for update in indexes.iter().map(|&i| &self.batch.updates[i]) {
            record.patch(&update.props);
        }
    }
}

#[async_trait]
impl Store for Overlay {
    fn backend(&self) -> &'static str {
        self.store.backend()
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Arc<NodeRecord>>, StoreError> {
        let asked = self.maybe_stored(ids);
        let mut found = if asked.is_empty() {
            Vec::new()
        } else {
            self.store.nodes(&asked).await?
        };
        // Stored nodes win: `apply` leaves them untouched, then updates them.
        for record in &mut found {
            self.update(record);
        }
        let stored: HashSet<NodeId> = found.iter().map(|r| r.id.clone()).collect();
        let mut added: HashSet<&NodeId> = HashSet::new();
        for id in ids {
            if stored.contains(id) || !added.insert(id) {
                continue;
            }
            if let Some(created) = self.new_nodes.get(id) {
                found.push(Arc::clone(created));
            }
        }
        Ok(found)
    }

    async fn edges(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<EdgeRecord>, StoreError> {
        let asked = self.maybe_stored(ids);
        let mut edges = if asked.is_empty() {
            Vec::new()
        } else {
            self.store.edges(&asked, rel, direction).await?
        };
        edges.retain(|e| !self.removed.contains(e));
        let index = match direction {
            Direction::Out => &self.edges_from,
            Direction::In => &self.edges_to,
        };
        if let Some(by_end) = index.get(&rel) {
            let wanted: HashSet<&NodeId> = ids.iter().collect();
            for id in wanted {
                let added = by_end.get(id).into_iter().flatten();
                edges.extend(added.map(|&i| self.batch.edges[i].clone()));
            }
        }
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

    async fn graph_version(&self) -> Result<u64, StoreError> {
        self.store.graph_version().await
    }

    async fn apply(&self, _batch: &WriteBatch) -> Result<ApplyOutcome, StoreError> {
        Err(StoreError::Internal("an overlay is read-only".into()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Label;
    use crate::store::counting::CountingStore;
    use crate::store::sqlite::SqliteStore;

    fn node(label: Label, key: &str) -> NodeRecord {
        let props = json!({ "id": format!("{}:{key}", label.as_str()), "name": key });
        NodeRecord {
            id: NodeId::new(label, key),
            props: props.as_object().cloned().unwrap_or_default(),
        }
    }

    #[tokio::test]
    async fn the_store_is_not_asked_about_nodes_it_is_known_to_lack() {
        let dir = tempfile::tempdir().expect("a temporary dir");
        let sqlite = SqliteStore::open(dir.path()).expect("the store opens");
        let (stored, fresh) = (node(Label::Person, "ada"), node(Label::Claim, "c1"));
        let earlier = EdgeRecord {
            from: node(Label::Claim, "c0").id,
            rel: RelType::Subject,
            to: stored.id.clone(),
        };
        sqlite
            .apply(&WriteBatch {
                nodes: vec![stored.clone().into(), node(Label::Claim, "c0").into()],
                edges: vec![earlier.clone()],
                ..WriteBatch::default()
            })
            .await
            .expect("written");
        let counting = Arc::new(CountingStore::new(Arc::new(sqlite)));
        let link = EdgeRecord {
            from: fresh.id.clone(),
            rel: RelType::Subject,
            to: stored.id.clone(),
        };
        let batch = Arc::new(WriteBatch {
            nodes: vec![fresh.clone().into()],
            edges: vec![link.clone()],
            ..WriteBatch::default()
        });
        let knowing = Overlay::new(
            counting.clone(),
            Arc::new(WriteBatch {
                absent: Arc::new(HashSet::from([fresh.id.clone()])),
                ..(*batch).clone()
            }),
        );
        let plain = Overlay::new(counting.clone(), batch);

        let ids = |records: Vec<Arc<NodeRecord>>| {
            let mut ids: Vec<NodeId> = records.iter().map(|r| r.id.clone()).collect();
            ids.sort();
            ids
        };
        let only_fresh = std::slice::from_ref(&fresh.id);
        assert_eq!(
            ids(knowing.nodes(only_fresh).await.expect("read")),
            only_fresh
        );
        let out = knowing.edges(only_fresh, RelType::Subject, Direction::Out);
        assert_eq!(out.await.expect("read"), std::slice::from_ref(&link));
        assert_eq!(counting.calls(), 0, "nothing was asked of the store");

        // Nodes the store may hold are still asked about, and the answers are the plain
        // overlay's.
        let both = [fresh.id.clone(), stored.id.clone()];
        let nodes = ids(knowing.nodes(&both).await.expect("read"));
        assert_eq!(nodes, ids(plain.nodes(&both).await.expect("read")));
        assert_eq!(nodes.len(), 2);
        for direction in [Direction::Out, Direction::In] {
            let known = knowing.edges(&both, RelType::Subject, direction).await;
            let asked = plain.edges(&both, RelType::Subject, direction).await;
            assert_eq!(known.expect("read"), asked.expect("read"));
        }
        let into_stored = knowing.edges(&both, RelType::Subject, Direction::In).await;
        assert_eq!(into_stored.expect("read"), [earlier, link]);
    }
}
