//! Typed, batched reads over the store contract.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::DomainError;
use crate::model::record::{NodeRecord, StoredNode};
use crate::model::{Claim, Label, NodeId, RelType};
use crate::store::{Direction, Store};

/// The store, read in batches and decoded into model types.
#[derive(Clone)]
pub struct Graph {
    store: Arc<dyn Store>,
}

impl Graph {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The records of these ids, by id. One store call.
    pub async fn records(
        &self,
        ids: &[NodeId],
    ) -> Result<HashMap<NodeId, Arc<NodeRecord>>, DomainError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let records = self.store.nodes(&dedup(ids)).await?;
        Ok(records.into_iter().map(|r| (r.id.clone(), r)).collect())
    }

    /// The nodes of these ids decoded as `T`, by id. One store call.
    pub async fn typed<T: StoredNode>(
        &self,
        ids: &[NodeId],
    ) -> Result<HashMap<NodeId, T>, DomainError> {
        let mut typed = HashMap::new();
        for (id, record) in self.records(ids).await? {
            typed.insert(id, T::from_record(&record)?);
        }
        Ok(typed)
    }

    /// For each given id, the ids at the other end of its `rel` edges. One store call.
    pub async fn linked(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<BTreeMap<NodeId, Vec<NodeId>>, DomainError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut linked: BTreeMap<NodeId, Vec<NodeId>> = BTreeMap::new();
        for edge in self.store.edges(&dedup(ids), rel, direction).await? {
            let (near, far) = match direction {
                Direction::Out => (edge.from, edge.to),
                Direction::In => (edge.to, edge.from),
            };
            linked.entry(near).or_default().push(far);
        }
        Ok(linked)
    }

    /// The ids at the other end of these ids' `rel` edges, all together. One store call.
    pub async fn far_ends(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<NodeId>, DomainError> {
        Ok(self
            .linked(ids, rel, direction)
            .await?
            .into_values()
            .flatten()
            .collect())
    }

    /// Every claim whose subject is one of these entities. Two store calls.
    pub async fn claims_about(&self, entities: &[NodeId]) -> Result<Vec<Claim>, DomainError> {
        let ids = self
            .far_ends(entities, RelType::Subject, Direction::In)
            .await?;
        let mut claims: Vec<Claim> = self.typed::<Claim>(&ids).await?.into_values().collect();
        claims.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(claims)
    }
}

/// The ids of the four entity labels a bare entity key may have.
pub fn entity_candidates(key: &str) -> impl Iterator<Item = NodeId> + '_ {
    Label::ALL
        .into_iter()
        .filter(|label| label.is_entity())
        .map(move |label| NodeId::new(label, key))
}

fn dedup(ids: &[NodeId]) -> Vec<NodeId> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids
}
