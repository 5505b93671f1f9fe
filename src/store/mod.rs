//! The one store contract, and its implementations.
//!
//! The contract is a batch-first property graph: every read takes many ids at once, so a
//! GraphQL request costs a number of store calls bounded by the shape of the query, never by
//! the number of rows. Only the modules below this one know a database crate.

mod counting;
mod metered;
pub mod neo4j;
pub mod overlay;
pub mod plan;
pub mod search;
pub mod sqlite;
pub mod walk;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde_json::Value;

pub use counting::CountingStore;
pub use metered::MeteredStore;
pub use plan::{Expanded, Hop, Plan, Step, Subgraph};
pub use walk::{
    Neighbourhood, NeighbourhoodQuery, PathQuery, Paths, WalkFilter, WalkHop, WalkPath,
};

use crate::model::record::{derived, EdgeRecord, NodeRecord};
use crate::model::{Label, NodeId, RelType};

/// Which end of an edge the given ids are on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Edges leaving the given nodes.
    Out,
    /// Edges entering the given nodes.
    In,
}

/// A node's place in a listing's order: its sort key (name, title or statement, lower
/// case), then its id. Pages start and end at one, so they stay put when nodes are added.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub sort_key: String,
    pub id: String,
}

/// What sorts after every date, for nodes without one.
pub const NO_DATE: &str = "~";

impl Position {
    /// Where a stored node sits in a listing in this order.
    pub fn of(record: &NodeRecord, order: ListOrder) -> Self {
        let sort_key = match order {
            ListOrder::Name => record.sort_text(),
            ListOrder::Date => record
                .props
                .get(derived::SORT_DATE)
                .and_then(Value::as_str)
                .unwrap_or(NO_DATE)
                .to_string(),
            ListOrder::Support => record
                .props
                .get(derived::SUPPORT_RANK)
                .and_then(Value::as_str)
                .unwrap_or(NO_DATE)
                .to_string(),
        };
        Self {
            sort_key,
            id: record.id.to_string(),
        }
    }
}

/// What a listing is sorted by, then by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Name, title or statement, case-insensitive.
    #[default]
    Name,
    /// The derived `sort_date` (events, reports); nodes without one come last.
    Date,
    /// The derived `support_rank` of claims: the best supported first.
    Support,
}

/// A status a listed node must have (its derived `status`), or have had on a day (read
/// from its `status_timeline`).
#[derive(Clone, Debug, PartialEq)]
pub struct StatusFilter {
    pub status: String,
    pub as_of: Option<NaiveDate>,
}

/// A filtered, sorted, keyset-paged listing of one label.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    pub label: Label,
    /// Properties that must equal these strings. Names come from code, never from requests.
    pub equals: Vec<(&'static str, String)>,
    /// Properties that must be absent (or null). Names come from code, never from requests.
    pub absent: Vec<&'static str>,
    pub status: Option<StatusFilter>,
    /// Only nodes whose `sort_date` is on or after this day.
    pub from: Option<NaiveDate>,
    /// Only nodes whose `sort_date` is on or before this day.
    pub to: Option<NaiveDate>,
    pub order: ListOrder,
    /// Only nodes after this position.
    pub after: Option<Position>,
    /// Only nodes before this position.
    pub before: Option<Position>,
    pub limit: usize,
    /// The last `limit` nodes of the window rather than the first (returned in order).
    pub from_end: bool,
    /// Whether to count the whole list (the filters, not the window) for [`Page::total`].
    /// Counting visits every match, so a page that shows no total does without.
    pub count: bool,
    /// What to read from the page's nodes in the same call, as [`Store::expand`] would:
    /// a page and what its selection asks of it cost one store call (one round trip on
    /// Neo4j), and are read at one version of the graph.
    pub read_ahead: Plan,
}

impl ListQuery {
    /// The first `limit` nodes of a label.
    pub fn of(label: Label, limit: usize) -> Self {
        Self {
            label,
            equals: Vec::new(),
            absent: Vec::new(),
            status: None,
            from: None,
            to: None,
            order: ListOrder::Name,
            after: None,
            before: None,
            limit,
            from_end: false,
            count: true,
            read_ahead: Plan::default(),
        }
    }
}

/// One page of a listing, with the count of all matching nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub records: Vec<NodeRecord>,
    /// How many nodes the whole list holds, when the query asked for the count.
    pub total: Option<usize>,
    /// The page's nodes and what the query's `read_ahead` reached from them; empty when
    /// it planned nothing.
    pub read_ahead: Subgraph,
}

/// An entity's names, as [`Store::entity_names`] gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct EntityNames {
    pub id: NodeId,
    pub name: String,
    pub aliases: Vec<String>,
}

/// A condition checked inside the write transaction: if the node exists, its property must
/// equal the value, otherwise nothing is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Guard {
    pub id: NodeId,
    pub property: &'static str,
    pub value: Value,
}

/// Everything one import writes, applied atomically: nodes and edges are created when
/// absent and left untouched when present, so applying a batch twice changes nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteBatch {
    pub guards: Vec<Guard>,
    /// Edges deleted before the nodes and edges below are written (absent ones are
    /// ignored): what an entity merge moves, and conflict links it re-derives.
    pub removed_edges: Vec<EdgeRecord>,
    /// Shared, so that an overlay of the batch and a store writing it on another thread
    /// read the same records instead of copies.
    pub nodes: Vec<Arc<NodeRecord>>,
    pub edges: Vec<EdgeRecord>,
    /// Properties set on nodes after the nodes and edges above are written, overwriting the
    /// properties they name: what the import derives (materialised statuses) rather than
    /// what it was given. A null removes the property. A store may write a node the batch
    /// creates with its updates at once ([`WriteBatch::nodes_as_created`]).
    pub updates: Vec<NodeRecord>,
    /// The import version the batch was derived at (see [`Store::import_version`]). When
    /// set, the store applies the batch only if no other import has committed since, and
    /// bumps the version; otherwise it fails with [`StoreError::Stale`] and writes nothing.
    pub expect_version: Option<u64>,
    /// Those of `nodes` the store lacked when the batch was derived, at `expect_version`.
    /// A store applying the batch at that version (no other import has committed since)
    /// may create them without looking for them first; an overlay of the batch answers for
    /// them from the batch alone ([`Overlay::new`]). Empty when not known.
    ///
    /// [`Overlay::new`]: overlay::Overlay::new
    pub absent: Arc<HashSet<NodeId>>,
}

impl WriteBatch {
    /// The batch's nodes as they are created, each with its updates already applied, so a
    /// store can write a new node once instead of writing it and then updating it. Nodes
    /// without updates are shared.
    pub fn nodes_as_created(&self) -> Vec<Arc<NodeRecord>> {
        let mut updates: HashMap<&NodeId, Vec<&NodeRecord>> = HashMap::new();
        for update in &self.updates {
            updates.entry(&update.id).or_default().push(update);
        }
        self.nodes
            .iter()
            .map(|node| match updates.get(&node.id) {
                None => Arc::clone(node),
                Some(updates) => {
                    let mut node = NodeRecord::clone(node);
                    for update in updates {
                        node.patch(&update.props);
                    }
                    Arc::new(node)
                }
            })
            .collect()
    }

    /// The updates to apply once the batch's nodes are written, leaving out those of nodes
    /// it created: [`WriteBatch::nodes_as_created`] already carries them.
    pub fn updates_after(&self, created: &[NodeId]) -> Vec<&NodeRecord> {
        let created: HashSet<&NodeId> = created.iter().collect();
        self.updates
            .iter()
            .filter(|update| !created.contains(&update.id))
            .collect()
    }
}

/// Which nodes of a batch were created and which already existed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplyOutcome {
    pub created: Vec<NodeId>,
    pub existing: Vec<NodeId>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or did not answer in time; the call may be retried.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A [`Guard`] failed; nothing was written.
    #[error("{id} already exists with another {property}")]
    GuardFailed { id: NodeId, property: &'static str },
    /// Another import committed after this batch's reads: the batch may miss what that
    /// import wrote. Nothing was written; derive the batch again.
    #[error("another import committed first")]
    Stale,
    /// The database answered with something the contract does not allow.
    #[error("the store failed: {0}")]
    Internal(String),
}

/// The store contract. Both the embedded store and the Neo4j store implement it, and the
/// conformance suite in `tests/` runs the same bodies against both.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A short name for logs and test output.
    fn backend(&self) -> &'static str;

    /// The nodes with these ids, in no particular order; unknown ids are left out.
    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Arc<NodeRecord>>, StoreError>;

    /// The edges of type `rel` leaving (`Out`) or entering (`In`) any of `ids`, sorted by
    /// (from, to).
    async fn edges(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<EdgeRecord>, StoreError>;

    /// One page of a label's nodes, with what its `read_ahead` plan reaches from them: on
    /// Neo4j one query.
    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError>;

    /// The roots (those that exist) and everything `plan` reaches from them, in one call:
    /// on Neo4j one query, whatever the number of rows and the depth of the plan.
    async fn expand(&self, roots: &[NodeId], plan: &Plan) -> Result<Subgraph, StoreError>;

    /// The `limit` shortest simple paths between two entities, in [`walk::path_order`]: on
    /// Neo4j one query.
    async fn paths(&self, query: &PathQuery) -> Result<Paths, StoreError>;

    /// The entities within `depth` hops of a centre and the hops between them: on Neo4j
    /// one query.
    async fn neighbourhood(&self, query: &NeighbourhoodQuery) -> Result<Neighbourhood, StoreError>;

    /// Up to `limit` node ids with a word starting with each word of `text`, in names,
    /// aliases, titles, statements or descriptions, ranked by [`search::rank`].
    async fn search(&self, text: &str, limit: usize) -> Result<Vec<NodeId>, StoreError>;

    /// Every entity not merged into another, with its name and aliases as stored: what
    /// possible duplicates are found among. On Neo4j one query.
    async fn entity_names(&self) -> Result<Vec<EntityNames>, StoreError>;

    /// How many imports with an `expect_version` have committed: read before an import
    /// derives its batch, so that the batch is applied only if the reads are still current.
    async fn import_version(&self) -> Result<u64, StoreError>;

    /// A number that changes whenever a write commits, by this process or (on Neo4j) any
    /// other on the same database. Read before a read, it says whether what the read
    /// returned may be given again: while the number holds, nothing was written since.
    async fn graph_version(&self) -> Result<u64, StoreError>;

    /// Applies a batch in one transaction: all of it or, on any error, none of it. Returns
    /// only once the batch is durable.
    async fn apply(&self, batch: &WriteBatch) -> Result<ApplyOutcome, StoreError>;
}
