//! Reads for resolvers: first from the request's read-ahead snapshot (see `prefetch`), and
//! for what no plan covered, through loaders that gather the keys of all resolvers of one
//! field path into one store call per kind of read.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, QueryPathSegment};

use super::batcher::{BatchLoad, Batcher};
use super::prefetch::reads;

use super::errors::api_error;
use crate::domain::provenance::status_inputs;
use crate::domain::status::StatusInputs;
use crate::domain::{DomainError, Graph};
use crate::model;
use crate::model::record::{NodeRecord, StoredNode};
use crate::model::{NodeId, RelType};
use crate::store::{Direction, Hop};

/// Nodes by id.
pub struct NodeLoader(Graph);

impl BatchLoad for NodeLoader {
    type Key = NodeId;
    type Value = Arc<NodeRecord>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[NodeId]) -> Result<HashMap<NodeId, Arc<NodeRecord>>, Self::Error> {
        self.0.records(keys).await.map_err(Arc::new)
    }
}

/// The ids at the other end of one kind of edge.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinkKey {
    pub id: NodeId,
    pub rel: RelType,
    pub direction: Direction,
}

/// Linked ids, one store call per (relationship, direction) in the batch.
pub struct LinkLoader(Graph);

impl BatchLoad for LinkLoader {
    type Key = LinkKey;
    type Value = Vec<NodeId>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[LinkKey]) -> Result<HashMap<LinkKey, Vec<NodeId>>, Self::Error> {
        let mut groups: HashMap<(RelType, Direction), Vec<NodeId>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.rel, key.direction))
                .or_default()
                .push(key.id.clone());
        }
        let mut found = HashMap::new();
        for ((rel, direction), ids) in groups {
            let linked = self
                .0
                .linked(&ids, rel, direction)
                .await
                .map_err(Arc::new)?;
            for id in ids {
                let targets = linked.get(&id).cloned().unwrap_or_default();
                found.insert(LinkKey { id, rel, direction }, targets);
            }
        }
        Ok(found)
    }
}

/// The status rule's inputs, by claim.
pub struct StatusLoader(Graph);

impl BatchLoad for StatusLoader {
    type Key = NodeId;
    type Value = Arc<StatusInputs>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[NodeId],
    ) -> Result<HashMap<NodeId, Arc<StatusInputs>>, Self::Error> {
        let inputs = status_inputs(&self.0, keys).await.map_err(Arc::new)?;
        Ok(inputs.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// One request's loaders. They do not cache: each load reads the store.
pub struct Loaders {
    nodes: Arc<Batcher<NodeLoader>>,
    links: Arc<Batcher<LinkLoader>>,
    status: Arc<Batcher<StatusLoader>>,
}

impl Loaders {
    pub fn new(graph: Graph) -> Self {
        Self {
            nodes: Batcher::new(NodeLoader(graph.clone())),
            links: Batcher::new(LinkLoader(graph.clone())),
            status: Batcher::new(StatusLoader(graph)),
        }
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    &reads(ctx).loaders
}

/// The batch group of a resolver: its field path without list indexes, so that the items
/// of a list share batches and different fields never do.
fn group(ctx: &Context<'_>) -> String {
    let Some(node) = &ctx.path_node else {
        return String::new();
    };
    let mut names: Vec<&str> = std::iter::once(node)
        .chain(node.parents())
        .filter_map(|n| match n.segment {
            QueryPathSegment::Name(name) => Some(name),
            QueryPathSegment::Index(_) => None,
        })
        .collect();
    names.reverse();
    names.join(".")
}

/// The nodes of these ids, in the same order; unknown ids are left out.
pub async fn records(
    ctx: &Context<'_>,
    ids: &[NodeId],
) -> async_graphql::Result<Vec<Arc<NodeRecord>>> {
    let mut found = reads(ctx).records(ids);
    let missing: Vec<NodeId> = ids
        .iter()
        .zip(&found)
        .filter(|(_, record)| record.is_none())
        .map(|(id, _)| id.clone())
        .collect();
    if !missing.is_empty() {
        let loaded: HashMap<NodeId, Arc<NodeRecord>> = loaders(ctx)
            .nodes
            .load_many(&group(ctx), missing)
            .await
            .map_err(api_error)?;
        for (slot, id) in found.iter_mut().zip(ids) {
            if slot.is_none() {
                *slot = loaded.get(id).cloned();
            }
        }
    }
    Ok(found.into_iter().flatten().collect())
}

pub async fn record(
    ctx: &Context<'_>,
    id: &NodeId,
) -> async_graphql::Result<Option<Arc<NodeRecord>>> {
    Ok(records(ctx, std::slice::from_ref(id))
        .await?
        .into_iter()
        .next())
}

/// The nodes of these ids decoded as `T`, in order.
pub async fn typed<T: StoredNode>(
    ctx: &Context<'_>,
    ids: &[NodeId],
) -> async_graphql::Result<Vec<T>> {
    records(ctx, ids)
        .await?
        .iter()
        .map(|r| T::from_record(r).map_err(api_error))
        .collect()
}

/// The ids at the other end of `id`'s `rel` edges.
pub async fn linked(
    ctx: &Context<'_>,
    id: &NodeId,
    rel: RelType,
    direction: Direction,
) -> async_graphql::Result<Vec<NodeId>> {
    if let Some(read_ahead) = reads(ctx).links(id, Hop::new(rel, direction)) {
        return Ok(read_ahead);
    }
    let key = LinkKey {
        id: id.clone(),
        rel,
        direction,
    };
    Ok(loaders(ctx)
        .links
        .load_many(&group(ctx), [key.clone()])
        .await
        .map_err(api_error)?
        .remove(&key)
        .unwrap_or_default())
}

/// The nodes at the other end of `id`'s `rel` edges, decoded as `T`.
pub async fn linked_typed<T: StoredNode>(
    ctx: &Context<'_>,
    id: &NodeId,
    rel: RelType,
    direction: Direction,
) -> async_graphql::Result<Vec<T>> {
    let ids = linked(ctx, id, rel, direction).await?;
    typed(ctx, &ids).await
}

/// The claims at the other end of `id`'s `rel` edges that have this attribute: read from a
/// plan's filtered hop when there is one, else from all the links.
pub async fn linked_claims(
    ctx: &Context<'_>,
    id: &NodeId,
    (rel, direction): (RelType, Direction),
    attribute: &'static str,
) -> async_graphql::Result<Vec<model::Claim>> {
    let hop = Hop::claims_of(rel, direction, attribute);
    let ids = match reads(ctx).links(id, hop) {
        Some(read_ahead) => read_ahead,
        None => linked(ctx, id, rel, direction).await?,
    };
    Ok(typed::<model::Claim>(ctx, &ids)
        .await?
        .into_iter()
        .filter(|claim| claim.attribute == attribute)
        .collect())
}

pub async fn status_inputs_of(
    ctx: &Context<'_>,
    claim: &NodeId,
) -> async_graphql::Result<Arc<StatusInputs>> {
    Ok(loaders(ctx)
        .status
        .load_many(&group(ctx), [claim.clone()])
        .await
        .map_err(api_error)?
        .remove(claim)
        .unwrap_or_default())
}
