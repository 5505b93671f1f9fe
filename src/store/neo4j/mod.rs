//! The Neo4j store, over Bolt with neo4rs 0.8: the same contract as the embedded store.
//!
//! Every call has a deadline and is retried (it is idempotent) when the server is
//! unreachable or calls the error transient; a write is acknowledged only after its
//! transaction commits. Labels and relationship types come from the code's allow-lists
//! (`Label`, `RelType`); every value is a bound parameter.

mod bolt;
mod cypher;
mod migrations;
mod walk;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use neo4rs::{ConfigBuilder, Graph, Row};
use serde_json::{json, Value};

pub use migrations::SearchMode;

use super::plan::Reached;
use super::search::{self, Candidate, MAX_CANDIDATES};
use super::{
    ApplyOutcome, Direction, Guard, ListQuery, Neighbourhood, NeighbourhoodQuery, Page, PathQuery,
    Paths, Plan, Store, StoreError, Subgraph, WriteBatch,
};
use crate::model::record::{EdgeRecord, NodeRecord};
use crate::model::{NodeId, RelType};
use bolt::{query, store_error};

/// How many times a call is tried when the server is unreachable or busy.
const ATTEMPTS: u32 = 3;
/// How long a call may go unanswered before the watchdog checks that the server is there.
const WATCHDOG_GRACE: Duration = Duration::from_millis(300);

/// Where and how to reach Neo4j.
#[derive(Clone)]
pub struct Neo4jConfig {
    /// `bolt://host:port` or `neo4j://host:port`.
    pub uri: String,
    pub user: String,
    pub password: String,
    /// The database; the server's default when `None`.
    pub database: Option<String>,
    /// The deadline of one attempt of one store call.
    pub timeout: Duration,
}

impl fmt::Debug for Neo4jConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password is never printed.
        f.debug_struct("Neo4jConfig")
            .field("uri", &self.uri)
            .field("user", &self.user)
            .field("database", &self.database)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The Neo4j store.
pub struct Neo4jStore {
    graph: Graph,
    /// `host:port` of the server, for the watchdog.
    address: String,
    search: SearchMode,
    timeout: Duration,
    queries: AtomicUsize,
    imports: AtomicU64,
}

impl Neo4jStore {
    /// Connects, applies `schema/neo4j/` and learns how search runs on this server.
    pub async fn connect(config: &Neo4jConfig) -> Result<Self, StoreError> {
        // The driver panics on a URI without a host; refuse it with a message instead.
        if !is_bolt_uri(&config.uri) {
            return Err(StoreError::Internal(format!(
                "`{}` is not a Neo4j URI: expected bolt://host:port or neo4j://host:port",
                config.uri
            )));
        }
        let mut builder = ConfigBuilder::default()
            .uri(config.uri.as_str())
            .user(config.user.as_str())
            .password(config.password.as_str())
            .max_connections(16);
        if let Some(database) = &config.database {
            builder = builder.db(database.as_str());
        }
        let settings = builder
            .build()
            .map_err(|e| StoreError::Internal(format!("Neo4j configuration: {e}")))?;
        let deadline = |what: &str| {
            StoreError::Unavailable(format!(
                "Neo4j did not answer {what} within {:?}",
                config.timeout
            ))
        };
        let graph = tokio::time::timeout(config.timeout, Graph::connect(settings))
            .await
            .map_err(|_| deadline("the connection"))?
            .map_err(store_error)?;
        // The driver retries every query for up to a minute, a refused password included;
        // opening one transaction is not retried, so bad credentials fail at once.
        match tokio::time::timeout(config.timeout, graph.start_txn()).await {
            Err(_) => return Err(deadline("the first transaction")),
            Ok(Err(neo4rs::Error::AuthenticationError(reason))) => {
                return Err(StoreError::Internal(format!(
                    "Neo4j at {} refused user `{}`: {reason}",
                    config.uri, config.user
                )))
            }
            Ok(Err(error)) => return Err(store_error(error)),
            Ok(Ok(txn)) => {
                let _ = txn.rollback().await;
            }
        }
        let search = tokio::time::timeout(config.timeout * 4, migrations::migrate(&graph))
            .await
            .map_err(|_| deadline("the schema migration"))??;
        tracing::info!(?search, "Neo4j store ready");
        Ok(Self {
            graph,
            address: bolt_address(&config.uri),
            search,
            timeout: config.timeout,
            queries: AtomicUsize::new(0),
            imports: AtomicU64::new(0),
        })
    }

    /// How search runs on this server.
    pub fn search_mode(&self) -> SearchMode {
        self.search
    }

    /// Bolt queries sent so far: how tests prove that requests do not grow in queries.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    /// Resolves once the server stops accepting connections. The driver retries a failed
    /// query by itself for up to a minute, so without this a request to a server that is
    /// down would wait out the whole deadline instead of failing fast.
    async fn watchdog(&self) {
        tokio::time::sleep(WATCHDOG_GRACE).await;
        loop {
            let connect = tokio::net::TcpStream::connect(self.address.as_str());
            match tokio::time::timeout(Duration::from_secs(1), connect).await {
                Ok(Ok(_)) => tokio::time::sleep(WATCHDOG_GRACE).await,
                _ => return,
            }
        }
    }

    /// Runs `work` under the deadline and the watchdog, again when it fails in a way worth
    /// retrying.
    async fn attempt<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, neo4rs::Error>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let answer = tokio::select! {
                answer = tokio::time::timeout(self.timeout, work()) => answer,
                () = self.watchdog() => {
                    return Err(StoreError::Unavailable(format!(
                        "Neo4j at {} refuses connections",
                        self.address
                    )))
                }
            };
            match answer {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error)) if bolt::retryable(&error) && attempt < ATTEMPTS => {
                    tracing::debug!(%error, attempt, "retrying a Neo4j call");
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                }
                Ok(Err(error)) => return Err(store_error(error)),
                Err(_) => {
                    return Err(StoreError::Unavailable(format!(
                        "Neo4j did not answer within {:?}",
                        self.timeout
                    )))
                }
            }
        }
    }

    /// The rows of one read query.
    async fn rows(&self, text: &str, params: &[(&str, Value)]) -> Result<Vec<Row>, StoreError> {
        // The exact read queries, one JSON line each, for measuring them straight over Bolt
        // (`scripts/bench-http --peer` replays them); off unless `KG_LOG` asks for them.
        tracing::trace!(target: "kg::cypher", "{}", json!({
            "text": text,
            "params": params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<serde_json::Map<_, _>>(),
        }));
        let prepared = query(text, params)?;
        self.attempt(|| async {
            self.queries.fetch_add(1, Ordering::SeqCst);
            let mut stream = self.graph.execute(prepared.clone()).await?;
            let mut rows = Vec::new();
            while let Some(row) = stream.next().await? {
                rows.push(row);
            }
            Ok(rows)
        })
        .await
    }

    /// A count kept on the version node, 0 before the node exists.
    async fn counter(&self, text: &str, column: &str) -> Result<u64, StoreError> {
        let rows = self.rows(text, &[]).await?;
        let count = rows
            .first()
            .and_then(|row| row.get::<i64>(column).ok())
            .unwrap_or(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// One attempt at a whole batch, in one transaction.
    async fn apply_once(
        &self,
        batch: &WriteBatch,
        import: &str,
    ) -> Result<Result<ApplyOutcome, StoreError>, neo4rs::Error> {
        let mut txn = self.graph.start_txn().await?;
        let run = |text: String, params: Vec<(&'static str, Value)>| {
            self.queries.fetch_add(1, Ordering::SeqCst);
            // The rows, not their values: a batch's parameters run to megabytes.
            tracing::trace!(target: "kg::cypher", "{}", json!({
                "text": text,
                "rows": params.iter().filter_map(|(_, v)| v.as_array()).map(Vec::len).sum::<usize>(),
            }));
            bolt::prepare(&text, params)
        };
        if let Some(expected) = batch.expect_version {
            let mut stream = txn
                .execute(run(
                    cypher::LOCK_IMPORT_VERSION.into(),
                    vec![("import", json!(import))],
                )?)
                .await?;
            let mut version = None;
            while let Some(row) = stream.next(txn.handle()).await? {
                version = row.get::<i64>("version").ok();
            }
            if version != i64::try_from(expected).ok() {
                txn.rollback().await?;
                return Ok(Err(StoreError::Stale));
            }
        }
        // At the version just checked, the nodes the batch was derived without are still
        // absent: they are created without looking, and a guard on one cannot fail.
        let no_nodes = HashSet::new();
        let absent = match batch.expect_version {
            Some(_) => &*batch.absent,
            None => &no_nodes,
        };
        let guards: Vec<&Guard> = batch
            .guards
            .iter()
            .filter(|g| !absent.contains(&g.id))
            .collect();
        if !guards.is_empty() {
            let guards: Vec<Value> = guards
                .iter()
                .map(
                    |g| json!({ "id": g.id.to_string(), "property": g.property, "value": g.value }),
                )
                .collect();
            let mut stream = txn
                .execute(run(
                    cypher::GUARDS.into(),
                    vec![("guards", Value::Array(guards))],
                )?)
                .await?;
            if let Some(row) = stream.next(txn.handle()).await? {
                let failed = row.get::<String>("id").unwrap_or_default();
                txn.rollback().await?;
                let id = NodeId::parse(&failed).unwrap_or_else(|| batch.guards[0].id.clone());
                let property = batch
                    .guards
                    .iter()
                    .find(|g| g.id == id)
                    .map_or("content_digest", |g| g.property);
                return Ok(Err(StoreError::GuardFailed { id, property }));
            }
        }
        for (rel, rows) in cypher::edges_by_type(&batch.removed_edges) {
            txn.run(run(
                cypher::delete_edges(rel),
                vec![("rows", Value::Array(rows))],
            )?)
            .await?;
        }
        let mut outcome = ApplyOutcome::default();
        let created = batch.nodes_as_created();
        // Each written node's element id, so that its edges find it without the id index.
        let mut elements = HashMap::new();
        for ((label, write), rows) in cypher::nodes_by_label(&batch.nodes, &created, absent) {
            let text = match write {
                cypher::NodeWrite::Merge => cypher::merge_nodes(label),
                cypher::NodeWrite::Create => cypher::create_nodes(label),
            };
            let mut stream = txn
                .execute(run(
                    text,
                    vec![("rows", Value::Array(rows)), ("import", json!(import))],
                )?)
                .await?;
            while let Some(row) = stream.next(txn.handle()).await? {
                let id = row.get::<String>("id").ok();
                if let (Some(id), Ok(element)) = (&id, row.get::<String>("element")) {
                    elements.insert(id.clone(), element);
                }
                match (
                    id.and_then(|id| NodeId::parse(&id)),
                    row.get::<bool>("created").unwrap_or(false),
                ) {
                    (Some(id), true) => outcome.created.push(id),
                    (Some(id), false) => outcome.existing.push(id),
                    (None, _) => {}
                }
            }
        }
        for ((rel, ends), rows) in cypher::edge_rows(&batch.edges, &elements) {
            txn.run(run(
                cypher::merge_edges(rel, ends),
                vec![("rows", Value::Array(rows))],
            )?)
            .await?;
        }
        let updates = batch.updates_after(&outcome.created);
        if !updates.is_empty() {
            let rows: Vec<Value> = updates
                .iter()
                .map(|node| json!({ "id": node.id.to_string(), "props": node.props }))
                .collect();
            txn.run(run(
                cypher::UPDATE_NODES.into(),
                vec![("rows", Value::Array(rows))],
            )?)
            .await?;
        }
        let bump = match batch.expect_version {
            Some(_) => cypher::BUMP_IMPORT_VERSION,
            None => cypher::BUMP_WRITES,
        };
        txn.run(run(bump.into(), vec![])?).await?;
        txn.commit().await?;
        Ok(Ok(outcome))
    }
}

/// Whether the URI names a Bolt scheme and a host.
fn is_bolt_uri(uri: &str) -> bool {
    const SCHEMES: [&str; 6] = [
        "bolt",
        "bolt+s",
        "bolt+ssc",
        "neo4j",
        "neo4j+s",
        "neo4j+ssc",
    ];
    let Some((scheme, rest)) = uri.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    SCHEMES.contains(&scheme) && !host.is_empty()
}

/// The `host:port` of a Bolt URI (`bolt://host:port`, `neo4j+s://host`), 7687 by default.
fn bolt_address(uri: &str) -> String {
    let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if host_port
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
    {
        host_port.to_string()
    } else {
        format!("{host_port}:7687")
    }
}

#[async_trait]
impl Store for Neo4jStore {
    fn backend(&self) -> &'static str {
        "neo4j"
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Arc<NodeRecord>>, StoreError> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows = self.rows(cypher::NODES, &[("ids", json!(ids))]).await?;
        rows.iter()
            .map(|row| bolt::node(row).map(Arc::new))
            .collect()
    }

    async fn edges(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<EdgeRecord>, StoreError> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows = self
            .rows(&cypher::edges(rel, direction), &[("ids", json!(ids))])
            .await?;
        rows.iter()
            .map(|row| {
                Ok(EdgeRecord {
                    from: bolt::id(row, "source_id")?,
                    rel,
                    to: bolt::id(row, "target_id")?,
                })
            })
            .collect()
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let cypher::Listing { text, params } = cypher::list(query)?;
        let params: Vec<(&str, Value)> = params
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect();
        let rows = self.rows(&text, &params).await?;
        let row = rows
            .first()
            .ok_or_else(|| StoreError::Internal("a listing returned no row".into()))?;
        let total = if query.count {
            let count = row
                .get::<i64>("total")
                .map_err(|e| StoreError::Internal(format!("column total: {e}")))?;
            Some(usize::try_from(count).unwrap_or_default())
        } else {
            None
        };
        let keys: Vec<String> = row
            .get("keys")
            .map_err(|e| StoreError::Internal(format!("column keys: {e}")))?;
        let nodes = reached_by(row, 0)?;
        let mut page: Vec<(String, NodeRecord)> = keys
            .into_iter()
            .zip(nodes.into_iter().map(|(_, node)| node))
            .collect();
        // Collected in the subquery's order in practice, but only this sort is documented.
        page.sort_by(|(a, x), (b, y)| {
            a.cmp(b)
                .then_with(|| x.id.to_string().cmp(&y.id.to_string()))
        });
        let records: Vec<NodeRecord> = page.into_iter().map(|(_, record)| record).collect();
        let mut read_ahead = Subgraph::default();
        if !query.read_ahead.is_empty() {
            let roots = records.iter().map(|r| (None, r.clone()));
            let steps = query.read_ahead.flatten().len();
            read_ahead = subgraph_of(row, roots, steps)?;
        }
        Ok(Page {
            records,
            total,
            read_ahead,
        })
    }

    async fn expand(&self, roots: &[NodeId], plan: &Plan) -> Result<Subgraph, StoreError> {
        if roots.is_empty() {
            return Ok(Subgraph::default());
        }
        let roots: Vec<String> = roots.iter().map(ToString::to_string).collect();
        let extra = cypher::expand_params(plan);
        let mut params: Vec<(&str, Value)> = vec![("roots", json!(roots))];
        params.extend(
            extra
                .iter()
                .map(|(name, value)| (name.as_str(), value.clone())),
        );
        let rows = self.rows(&cypher::expand(plan), &params).await?;
        let Some(row) = rows.first() else {
            return Ok(Subgraph::default());
        };
        subgraph_of(row, reached_by(row, 0)?, plan.flatten().len())
    }

    async fn paths(&self, query: &PathQuery) -> Result<Paths, StoreError> {
        if query.from == query.to || query.limit == 0 || query.max_hops == 0 {
            return Ok(Paths::default());
        }
        let (text, params) = walk::paths(query);
        let rows = self.rows(&text, &params).await?;
        let paths = rows.iter().map(walk::path).collect::<Result<_, _>>()?;
        let mut records = Vec::new();
        for row in &rows {
            records.extend(walk::records(row)?.into_iter().map(Arc::new));
        }
        Ok(Paths::of(paths).with_records(records))
    }

    async fn neighbourhood(&self, query: &NeighbourhoodQuery) -> Result<Neighbourhood, StoreError> {
        let (text, params) = walk::neighbourhood(query);
        let rows = self.rows(&text, &params).await?;
        let Some(row) = rows.first() else {
            return Ok(Neighbourhood::default());
        };
        let levels = walk::levels(row, query.depth)?;
        let records = walk::records(row)?;
        Ok(
            Neighbourhood::from_levels(&query.centre, levels, query.max_nodes)
                .with_records(records.into_iter().map(Arc::new)),
        )
    }

    async fn entity_names(&self) -> Result<Vec<super::EntityNames>, StoreError> {
        let rows = self.rows(cypher::ENTITY_NAMES, &[]).await?;
        let mut names = Vec::new();
        for row in rows {
            names.push(super::EntityNames {
                id: bolt::id(&row, "id")?,
                name: row.get::<String>("name").unwrap_or_default(),
                aliases: row.get::<Vec<String>>("aliases").unwrap_or_default(),
            });
        }
        Ok(names)
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<NodeId>, StoreError> {
        let terms = search::terms(text);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let rows = match self.search {
            SearchMode::FullText => {
                let lucene: Vec<String> = terms.iter().map(|t| format!("{t}*")).collect();
                self.rows(
                    cypher::SEARCH_FULLTEXT,
                    &[
                        ("query", json!(lucene.join(" AND "))),
                        ("limit", json!(MAX_CANDIDATES)),
                    ],
                )
                .await?
            }
            SearchMode::Scan => {
                self.rows(
                    cypher::SEARCH_SCAN,
                    &[("terms", json!(terms)), ("limit", json!(MAX_CANDIDATES))],
                )
                .await?
            }
        };
        let candidates = rows
            .iter()
            .map(|row| {
                Ok(Candidate {
                    id: bolt::id(row, "id")?,
                    primary: row.get::<String>("primary_text").unwrap_or_default(),
                    secondary: row.get::<String>("secondary_text").unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(search::rank(text, candidates, limit))
    }

    async fn import_version(&self) -> Result<u64, StoreError> {
        self.counter(cypher::IMPORT_VERSION, "version").await
    }

    async fn graph_version(&self) -> Result<u64, StoreError> {
        self.counter(cypher::GRAPH_VERSION, "writes").await
    }

    async fn apply(&self, batch: &WriteBatch) -> Result<ApplyOutcome, StoreError> {
        // Marks the nodes this call creates, so that created and existing ones are told apart.
        let import = format!(
            "{}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
            self.imports.fetch_add(1, Ordering::SeqCst)
        );
        self.attempt(|| self.apply_once(batch, &import)).await?
    }
}

/// The nodes a plan's step reached, from its column `s{step}` of a read-ahead row.
fn reached_by(row: &Row, step: usize) -> Result<Vec<(Option<NodeId>, NodeRecord)>, StoreError> {
    let column = format!("s{step}");
    let entries: Vec<serde_json::Map<String, Value>> = row
        .get(&column)
        .map_err(|e| StoreError::Internal(format!("column {column}: {e}")))?;
    entries.into_iter().map(bolt::reached).collect()
}

/// A read-ahead row as a subgraph: the roots (step 0), then what steps 1 to `steps`
/// reached, every node once.
fn subgraph_of(
    row: &Row,
    roots: impl IntoIterator<Item = (Option<NodeId>, NodeRecord)>,
    steps: usize,
) -> Result<Subgraph, StoreError> {
    let mut subgraph = Subgraph::default();
    let mut seen = std::collections::HashSet::new();
    let mut add = |step: usize, (from, node): (Option<NodeId>, NodeRecord)| {
        let id = node.id.clone();
        if seen.insert(id.clone()) {
            subgraph.nodes.push(Arc::new(node));
        }
        subgraph.reached.push(Reached { step, from, id });
    };
    for root in roots {
        add(0, root);
    }
    for step in 1..=steps {
        for reached in reached_by(row, step)? {
            add(step, reached);
        }
    }
    Ok(subgraph)
}

#[cfg(test)]
mod tests {
    use super::{bolt_address, is_bolt_uri};

    #[test]
    fn only_bolt_uris_with_a_host_are_taken() {
        assert!(is_bolt_uri("bolt://127.0.0.1:7687"));
        assert!(is_bolt_uri("neo4j+s://db.example.org"));
        assert!(!is_bolt_uri(""));
        assert!(!is_bolt_uri("bolt://"));
        assert!(!is_bolt_uri("bolt://:7687"));
        assert!(!is_bolt_uri("http://127.0.0.1:7474"));
        assert!(!is_bolt_uri("127.0.0.1:7687"));
    }

    #[test]
    fn the_watchdog_knows_where_the_server_listens() {
        assert_eq!(bolt_address("bolt://127.0.0.1:7688"), "127.0.0.1:7688");
        assert_eq!(
            bolt_address("neo4j+s://db.example.org"),
            "db.example.org:7687"
        );
        assert_eq!(bolt_address("bolt://user@neo4j:7687/?x=1"), "neo4j:7687");
        assert_eq!(bolt_address("localhost:9000"), "localhost:9000");
    }
}
