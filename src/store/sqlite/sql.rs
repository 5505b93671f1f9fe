//! The SQL of the embedded store.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use super::cache::{Generation, NodeCache};
use super::internal;
use crate::model::record::{EdgeRecord, NodeRecord, Props};
use crate::model::{NodeId, RelType};
use crate::store::plan::{Hop, Reached};
use crate::store::search::{self, Candidate, MAX_CANDIDATES};
use crate::store::{
    ApplyOutcome, Direction, ListOrder, ListQuery, Page, Plan, StoreError, Subgraph, WriteBatch,
};

/// Bumped, with a migration step below, whenever the tables change.
const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS nodes (
    id       TEXT PRIMARY KEY,
    label    TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    props    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS nodes_by_label ON nodes (label, sort_key, id);
CREATE TABLE IF NOT EXISTS edges (
    src TEXT NOT NULL,
    rel TEXT NOT NULL,
    dst TEXT NOT NULL,
    PRIMARY KEY (src, rel, dst)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_by_dst ON edges (dst, rel, src);
CREATE INDEX IF NOT EXISTS nodes_by_status ON nodes (label, json_extract(props, '$.status'));
CREATE INDEX IF NOT EXISTS nodes_by_date
    ON nodes (label, coalesce(json_extract(props, '$.sort_date'), '~'), id);
CREATE INDEX IF NOT EXISTS nodes_merged
    ON nodes (label) WHERE json_extract(props, '$.merged_into') IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS node_search
    USING fts5(id UNINDEXED, primary_text, secondary_text, tokenize = 'unicode61 remove_diacritics 2');
";

pub(super) fn prepare_writer(c: &Connection) -> rusqlite::Result<()> {
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    plan_once(c)?;
    let version: i64 = c.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version < SCHEMA_VERSION {
        c.execute_batch(SCHEMA)?;
        c.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    Ok(())
}

pub(super) fn prepare_reader(c: &Connection, mmap_bytes: u64) -> rusqlite::Result<()> {
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    // Walks read many pages at random: mapped, they are read without a copy each time.
    c.pragma_update(
        None,
        "mmap_size",
        i64::try_from(mmap_bytes).unwrap_or(i64::MAX),
    )?;
    plan_once(c)?;
    c.pragma_update(None, "cache_size", -16_384)
}

/// Plans every statement once, whatever is later bound to it. SQLite otherwise takes a
/// bound `LIMIT ?` as a constant and compiles the statement again whenever the value is
/// bound anew, which rusqlite does on every run: a page of 5 events spent half of its
/// listing's time compiling it (the query planner stability guarantee turns that off).
fn plan_once(c: &Connection) -> rusqlite::Result<()> {
    c.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
}

/// Ids as the JSON array that `json_each` expands, so one statement serves any batch size.
pub(super) fn id_list(ids: &[NodeId]) -> String {
    Value::Array(ids.iter().map(|id| Value::String(id.to_string())).collect()).to_string()
}

fn decode(id: String, props: String) -> Result<NodeRecord, StoreError> {
    let id = NodeId::parse(&id).ok_or_else(|| StoreError::Internal(format!("bad id {id}")))?;
    let props: Props = serde_json::from_str(&props)
        .map_err(|e| StoreError::Internal(format!("bad properties on {id}: {e}")))?;
    Ok(NodeRecord { id, props })
}

pub(super) fn parse_id(text: &str) -> Result<NodeId, StoreError> {
    NodeId::parse(text).ok_or_else(|| StoreError::Internal(format!("bad id {text}")))
}

const NODES: &str = "SELECT id, props FROM nodes WHERE id IN (SELECT value FROM json_each(?1))";

pub(super) fn nodes(c: &Connection, ids: &str) -> Result<Vec<NodeRecord>, StoreError> {
    let mut statement = c.prepare_cached(NODES).map_err(internal)?;
    let rows = statement
        .query_map([ids], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(internal)?;
    rows.map(|row| {
        let (id, props) = row.map_err(internal)?;
        decode(id, props)
    })
    .collect()
}

pub(super) fn edges(
    c: &Connection,
    ids: &str,
    rel: RelType,
    direction: Direction,
) -> Result<Vec<EdgeRecord>, StoreError> {
    edges_where(c, ids, rel, direction, None)
}

/// The edges of `rel` at these ids (`ids` a JSON array); when `attribute` is given, only
/// those whose far end is a claim of that attribute.
fn edges_where(
    c: &Connection,
    ids: &str,
    rel: RelType,
    direction: Direction,
    attribute: Option<&str>,
) -> Result<Vec<EdgeRecord>, StoreError> {
    let (near, far) = match direction {
        Direction::Out => ("src", "dst"),
        Direction::In => ("dst", "src"),
    };
    let sql = match attribute {
        None => format!(
            "SELECT e.src, e.dst FROM edges AS e
             WHERE e.rel = ?1 AND e.{near} IN (SELECT value FROM json_each(?2))
             ORDER BY e.src, e.dst"
        ),
        Some(_) => format!(
            "SELECT e.src, e.dst FROM edges AS e JOIN nodes AS n ON n.id = e.{far}
             WHERE e.rel = ?1 AND e.{near} IN (SELECT value FROM json_each(?2))
             AND json_extract(n.props, '$.attribute') = ?3 ORDER BY e.src, e.dst"
        ),
    };
    let mut statement = c.prepare_cached(&sql).map_err(internal)?;
    let pair = |row: &rusqlite::Row<'_>| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?));
    let rows = match attribute {
        None => statement.query_map(params![rel.as_str(), ids], pair),
        Some(attribute) => statement.query_map(params![rel.as_str(), ids, attribute], pair),
    }
    .map_err(internal)?;
    rows.map(|row| {
        let (from, to) = row.map_err(internal)?;
        Ok(EdgeRecord {
            from: parse_id(&from)?,
            rel,
            to: parse_id(&to)?,
        })
    })
    .collect()
}

/// The status a node had on a day, read from its timeline (entries in day order; the
/// first, with no day, sorts before every day).
const STATUS_AS_OF: &str = "(SELECT substr(j.value, instr(j.value, '=') + 1)
    FROM json_each(nodes.props, '$.status_timeline') AS j
    WHERE substr(j.value, 1, instr(j.value, '=') - 1) <= ?{day}
    ORDER BY j.key DESC LIMIT 1)";

/// A page of a listing and what its `read_ahead` reaches, inside the caller's read
/// transaction: the count, the page and the read-ahead see one version of the graph.
pub(super) fn list(
    c: &Connection,
    query: &ListQuery,
    generation: Option<&Generation>,
) -> Result<Page, StoreError> {
    // Property names come from the code's own allow-list, values are always bound.
    let mut values: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(query.label.as_str())];
    let mut filters = String::new();
    let bind = |values: &mut Vec<Box<dyn rusqlite::ToSql>>, value: Box<dyn rusqlite::ToSql>| {
        values.push(value);
        values.len()
    };
    for (name, value) in &query.equals {
        let n = bind(&mut values, Box::new(value.clone()));
        filters.push_str(&format!(" AND json_extract(props, '$.{name}') = ?{n}"));
    }
    if let Some(filter) = &query.status {
        let status = bind(&mut values, Box::new(filter.status.clone()));
        match filter.as_of {
            None => filters.push_str(&format!(" AND json_extract(props, '$.status') = ?{status}")),
            Some(day) => {
                let day = bind(&mut values, Box::new(day.to_string()));
                filters.push_str(&format!(
                    " AND {} = ?{status}",
                    STATUS_AS_OF.replace("{day}", &day.to_string())
                ));
            }
        }
    }
    for (bound, op) in [(query.from, ">="), (query.to, "<=")] {
        if let Some(day) = bound {
            let n = bind(&mut values, Box::new(day.to_string()));
            filters.push_str(&format!(
                " AND json_extract(props, '$.sort_date') {op} ?{n}"
            ));
        }
    }
    // Kept apart from the other filters: a count takes them off rather than filter on them.
    let absent: String = query
        .absent
        .iter()
        .map(|name| format!(" AND json_extract(props, '$.{name}') IS NULL"))
        .collect();
    let where_clause = format!("WHERE label = ?1{filters}{absent}");
    let params: Vec<&dyn rusqlite::ToSql> = values.iter().map(|v| v.as_ref()).collect();
    let total = if query.count {
        let counted: i64 = c
            .prepare_cached(&count_sql(query, &filters))
            .and_then(|mut statement| statement.query_row(params.as_slice(), |row| row.get(0)))
            .map_err(internal)?;
        Some(counted as usize)
    } else {
        None
    };
    let column = match query.order {
        ListOrder::Name => "sort_key",
        ListOrder::Date => "coalesce(json_extract(props, '$.sort_date'), '~')",
        ListOrder::Support => "coalesce(json_extract(props, '$.support_rank'), '~')",
    };
    let mut window = String::new();
    for (bound, op) in [(&query.after, ">"), (&query.before, "<")] {
        if let Some(position) = bound {
            let key = bind(&mut values, Box::new(position.sort_key.clone()));
            let id = bind(&mut values, Box::new(position.id.clone()));
            window.push_str(&format!(" AND ({column}, id) {op} (?{key}, ?{id})"));
        }
    }
    let limit = bind(&mut values, Box::new(query.limit as i64));
    let order = if query.from_end { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT id, props FROM nodes {where_clause}{window}
         ORDER BY {column} {order}, id {order} LIMIT ?{limit}"
    );
    let params: Vec<&dyn rusqlite::ToSql> = values.iter().map(|v| v.as_ref()).collect();
    let mut statement = c.prepare_cached(&sql).map_err(internal)?;
    let rows = statement
        .query_map(params.as_slice(), |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(internal)?;
    let mut records: Vec<NodeRecord> = rows
        .map(|row| {
            let (id, props) = row.map_err(internal)?;
            decode(id, props)
        })
        .collect::<Result<_, _>>()?;
    if query.from_end {
        records.reverse();
    }
    let read_ahead = if query.read_ahead.is_empty() {
        Subgraph::default()
    } else {
        let roots: Vec<NodeId> = records.iter().map(|r| r.id.clone()).collect();
        expand(c, &roots, &query.read_ahead, generation)?
    };
    Ok(Page {
        records,
        total,
        read_ahead,
    })
}

/// Counts a listing: `filters` are all but the properties that must be absent. Those (an
/// entity merged away) are checked by counting the nodes that have them and taking those
/// off: the few are found through the partial index `nodes_merged`, where counting the
/// nodes without them would read every row's JSON.
fn count_sql(query: &ListQuery, filters: &str) -> String {
    if query.absent.is_empty() {
        return format!("SELECT count(*) FROM nodes WHERE label = ?1{filters}");
    }
    let any_present = query
        .absent
        .iter()
        .map(|name| format!("json_extract(props, '$.{name}') IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "SELECT (SELECT count(*) FROM nodes WHERE label = ?1{filters})
              - (SELECT count(*) FROM nodes WHERE label = ?1{filters} AND ({any_present}))"
    )
}

/// The nodes of these ids: those the cache holds as of the reading transaction, and the
/// rest read, decoded and cached.
pub(super) fn cached_nodes(
    c: &Connection,
    ids: &[NodeId],
    generation: Option<&Generation>,
) -> Result<Vec<Arc<NodeRecord>>, StoreError> {
    let Some(generation) = generation else {
        return Ok(nodes(c, &id_list(ids))?.into_iter().map(Arc::new).collect());
    };
    let mut found = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        match generation.get(id) {
            Some(record) => found.push(record),
            None => missing.push(id.clone()),
        }
    }
    if missing.is_empty() {
        return Ok(found);
    }
    let mut statement = c.prepare_cached(NODES).map_err(internal)?;
    let mut rows = statement.query([id_list(&missing)]).map_err(internal)?;
    while let Some(row) = rows.next().map_err(internal)? {
        let props: String = row.get(1).map_err(internal)?;
        let stored_bytes = props.len();
        let record = Arc::new(decode(row.get(0).map_err(internal)?, props)?);
        generation.insert(Arc::clone(&record), stored_bytes);
        found.push(record);
    }
    Ok(found)
}

/// Runs `read` inside one read transaction, with the node cache as of what that
/// transaction sees (none when it began before the cache's last write).
pub(super) fn in_snapshot<T>(
    c: &mut Connection,
    cache: &NodeCache,
    read: impl FnOnce(&Connection, Option<&Generation>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = c.transaction().map_err(internal)?;
    // The transaction's first read fixes what it sees, and so the cache it may use.
    let generation = cache.at(write_count(&tx)?);
    read(&tx, generation.as_deref())
}

/// The roots and what the plan reaches from them, inside the caller's read transaction:
/// one statement per step (in process, a statement costs no round trip) for the links the
/// cache does not know, then one for all the nodes reached that it does not hold.
pub(super) fn expand(
    tx: &Connection,
    roots: &[NodeId],
    plan: &Plan,
    generation: Option<&Generation>,
) -> Result<Subgraph, StoreError> {
    let flat = plan.flatten();
    // The nodes each step reached, by step number (0: the roots), with where from.
    let mut reached: Vec<Vec<(Option<NodeId>, NodeId)>> = vec![Vec::new(); flat.len() + 1];
    reached[0] = roots.iter().map(|id| (None, id.clone())).collect();
    for step in &flat {
        let mut frontier: Vec<NodeId> = reached[step.parent]
            .iter()
            .map(|(_, id)| id.clone())
            .collect();
        frontier.sort();
        frontier.dedup();
        let mut unknown = Vec::new();
        for near in frontier {
            match generation.and_then(|g| g.links(&near, step.hop)) {
                Some(ends) => reached[step.number]
                    .extend(ends.iter().map(|far| (Some(near.clone()), far.clone()))),
                None => unknown.push(near),
            }
        }
        if unknown.is_empty() {
            continue;
        }
        let pairs = far_ends(tx, &unknown, step.hop)?;
        if let Some(generation) = generation {
            remember_links(generation, &unknown, step.hop, &pairs);
        }
        reached[step.number].extend(pairs.into_iter().map(|(near, far)| (Some(near), far)));
    }
    let mut all: Vec<NodeId> = reached.iter().flatten().map(|(_, id)| id.clone()).collect();
    all.sort();
    all.dedup();
    let mut subgraph = Subgraph {
        nodes: cached_nodes(tx, &all, generation)?,
        reached: Vec::new(),
    };
    for (step, pairs) in reached.into_iter().enumerate() {
        subgraph.reached.extend(
            pairs
                .into_iter()
                .map(|(from, id)| Reached { step, from, id }),
        );
    }
    Ok(subgraph)
}

/// The links of `hop` from these nodes, as `(near, far)` pairs.
fn far_ends(
    tx: &Connection,
    near: &[NodeId],
    hop: Hop,
) -> Result<Vec<(NodeId, NodeId)>, StoreError> {
    let edges = edges_where(tx, &id_list(near), hop.rel, hop.direction, hop.attribute)?;
    Ok(edges
        .into_iter()
        .map(|edge| match hop.direction {
            Direction::Out => (edge.from, edge.to),
            Direction::In => (edge.to, edge.from),
        })
        .collect())
}

/// Keeps the far ends of `hop` from each of `near`, none included: a node with no such
/// link is known not to have one.
fn remember_links(generation: &Generation, near: &[NodeId], hop: Hop, pairs: &[(NodeId, NodeId)]) {
    let mut ends: rustc_hash::FxHashMap<&NodeId, Vec<NodeId>> =
        near.iter().map(|id| (id, Vec::new())).collect();
    for (from, far) in pairs {
        if let Some(list) = ends.get_mut(from) {
            list.push(far.clone());
        }
    }
    for (from, list) in ends {
        generation.insert_links(from.clone(), hop, list.into());
    }
}

impl rusqlite::ToSql for crate::model::Label {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

pub(super) fn entity_names(
    c: &mut Connection,
) -> Result<Vec<crate::store::EntityNames>, StoreError> {
    let mut statement = c
        .prepare_cached(
            "SELECT id, json_extract(props, '$.name'), coalesce(json_extract(props, '$.aliases'), '[]')
             FROM nodes
             WHERE label IN ('Person', 'Organization', 'Place', 'Event')
               AND json_extract(props, '$.merged_into') IS NULL",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .map_err(internal)?;
    let mut names = Vec::new();
    for row in rows {
        let (id, name, aliases) = row.map_err(internal)?;
        let Some(id) = NodeId::parse(&id) else {
            continue;
        };
        names.push(crate::store::EntityNames {
            id,
            name: name.unwrap_or_default(),
            aliases: serde_json::from_str(&aliases).unwrap_or_default(),
        });
    }
    Ok(names)
}

pub(super) fn search(
    c: &mut Connection,
    text: &str,
    limit: usize,
) -> Result<Vec<NodeId>, StoreError> {
    // Each word becomes a quoted prefix term, so no request text is read as FTS syntax.
    let terms = search::terms(text);
    if terms.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let query: Vec<String> = terms.iter().map(|t| format!("\"{t}\"*")).collect();
    let mut statement = c
        .prepare_cached(
            "SELECT id, primary_text, secondary_text FROM node_search
             WHERE node_search MATCH ?1 ORDER BY bm25(node_search), id LIMIT ?2",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map(params![query.join(" "), MAX_CANDIDATES as i64], |row| {
            Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?))
        })
        .map_err(internal)?;
    let candidates = rows
        .map(|row| {
            let (id, primary, secondary) = row.map_err(internal)?;
            Ok(Candidate {
                id: parse_id(&id)?,
                primary,
                secondary,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(search::rank(text, candidates, limit))
}

/// The import version, as stored in `meta`.
pub(super) fn import_version(c: &Connection) -> Result<u64, StoreError> {
    counter(c, "imports")
}

/// How many batches have been written, versioned or not: what the node cache goes by.
pub(super) fn write_count(c: &Connection) -> Result<u64, StoreError> {
    counter(c, "writes")
}

fn counter(c: &Connection, key: &str) -> Result<u64, StoreError> {
    let mut statement = c
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")
        .map_err(internal)?;
    let value: Option<i64> = statement
        .query_row([key], |row| row.get(0))
        .optional()
        .map_err(internal)?;
    Ok(value.unwrap_or(0) as u64)
}

fn bump(c: &Connection, key: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, 1)
         ON CONFLICT (key) DO UPDATE SET value = value + 1",
    )
    .and_then(|mut statement| statement.execute([key]))
    .map_err(internal)?;
    Ok(())
}

/// Properties as the JSON text the `props` column holds.
fn props_text(props: &Props) -> Result<String, StoreError> {
    serde_json::to_string(props).map_err(|e| StoreError::Internal(e.to_string()))
}

pub(super) fn apply(c: &mut Connection, batch: &WriteBatch) -> Result<ApplyOutcome, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(internal)?;
    if let Some(expected) = batch.expect_version {
        if import_version(&tx)? != expected {
            return Err(StoreError::Stale);
        }
        bump(&tx, "imports")?;
    }
    // Every batch, so that no reader's cached nodes outlive what it changed.
    bump(&tx, "writes")?;
    for guard in &batch.guards {
        let existing: Option<Option<String>> = tx
            .query_row(
                "SELECT json_extract(props, '$.' || ?2) FROM nodes WHERE id = ?1",
                params![guard.id.to_string(), guard.property],
                |row| row.get(0),
            )
            .optional()
            .map_err(internal)?;
        if let Some(existing) = existing {
            if existing.as_deref() != guard.value.as_str() {
                return Err(StoreError::GuardFailed {
                    id: guard.id.clone(),
                    property: guard.property,
                });
            }
        }
    }
    let mut outcome = ApplyOutcome::default();
    {
        let mut delete_edge = tx
            .prepare_cached("DELETE FROM edges WHERE src = ?1 AND rel = ?2 AND dst = ?3")
            .map_err(internal)?;
        for edge in &batch.removed_edges {
            delete_edge
                .execute(params![
                    edge.from.to_string(),
                    edge.rel.as_str(),
                    edge.to.to_string()
                ])
                .map_err(internal)?;
        }
        let mut insert_node = tx
            .prepare_cached(
                "INSERT INTO nodes (id, label, sort_key, props) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO NOTHING",
            )
            .map_err(internal)?;
        let mut index = tx
            .prepare_cached(
                "INSERT INTO node_search (id, primary_text, secondary_text) VALUES (?1, ?2, ?3)",
            )
            .map_err(internal)?;
        // Search texts and sort keys come from what was given; a new node carries what
        // the import derived for it from the start, rather than being updated at once.
        for (node, created) in batch.nodes.iter().zip(batch.nodes_as_created()) {
            let id = node.id.to_string();
            let props = props_text(&created.props)?;
            let inserted = insert_node
                .execute(params![id, node.label(), node.sort_text(), props])
                .map_err(internal)?;
            if inserted == 1 {
                let (primary, secondary) = node.search_texts();
                // A row without text matches no search: assertions were a third of the rows.
                if !(primary.is_empty() && secondary.is_empty()) {
                    index
                        .execute(params![id, primary, secondary])
                        .map_err(internal)?;
                }
                outcome.created.push(node.id.clone());
            } else {
                outcome.existing.push(node.id.clone());
            }
        }
        let mut insert_edge = tx
            .prepare_cached("INSERT OR IGNORE INTO edges (src, rel, dst) VALUES (?1, ?2, ?3)")
            .map_err(internal)?;
        for edge in &batch.edges {
            insert_edge
                .execute(params![
                    edge.from.to_string(),
                    edge.rel.as_str(),
                    edge.to.to_string()
                ])
                .map_err(internal)?;
        }
        let mut update = tx
            .prepare_cached("UPDATE nodes SET props = json_patch(props, ?2) WHERE id = ?1")
            .map_err(internal)?;
        for node in batch.updates_after(&outcome.created) {
            let props = props_text(&node.props)?;
            update
                .execute(params![node.id.to_string(), props])
                .map_err(internal)?;
        }
    }
    tx.commit().map_err(internal)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Label;

    #[test]
    fn counting_a_listing_without_merged_entities_reads_only_the_merged_ones() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let c = Connection::open(dir.path().join("count.sqlite")).expect("a store file");
        prepare_writer(&c).expect("the tables");
        for (key, merged) in [("a", None), ("b", Some("Person:a")), ("c", None)] {
            let mut props = serde_json::json!({ "id": format!("Person:{key}"), "name": key });
            if let Some(into) = merged {
                props["merged_into"] = into.into();
            }
            c.execute(
                "INSERT INTO nodes (id, label, sort_key, props) VALUES (?1, 'Person', ?2, ?3)",
                params![format!("Person:{key}"), key, props.to_string()],
            )
            .expect("a node");
        }
        let query = ListQuery {
            absent: vec!["merged_into"],
            ..ListQuery::of(Label::Person, 10)
        };
        let page = list(&c, &query, None).expect("a page");
        assert_eq!(page.total, Some(2));
        assert_eq!(page.records.len(), 2);
        let uncounted = list(
            &c,
            &ListQuery {
                count: false,
                ..query.clone()
            },
            None,
        )
        .expect("a page");
        assert_eq!(uncounted.total, None);

        let sql = count_sql(&query, "");
        let mut statement = c
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("the statement parses");
        let plan: Vec<String> = statement
            .query_map(["Person"], |row| row.get::<_, String>(3))
            .expect("a plan")
            .map(|line| line.expect("a plan line"))
            .collect();
        assert!(
            plan.iter().any(|line| line.contains("nodes_merged")),
            "{plan:#?}"
        );
    }

    #[test]
    fn a_statement_with_a_bound_limit_is_compiled_once_on_every_connection() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let path = dir.path().join("plans.sqlite");
        let writer = Connection::open(&path).expect("a store file");
        prepare_writer(&writer).expect("the tables");
        let reader = Connection::open(&path).expect("a reader");
        prepare_reader(&reader, 0).expect("a reader's settings");
        for (name, c) in [("writer", &writer), ("reader", &reader)] {
            let mut statement = c
                .prepare("SELECT id FROM nodes WHERE label = ?1 ORDER BY sort_key LIMIT ?2")
                .expect("the statement");
            for limit in [5, 5, 50] {
                statement
                    .query_map(params!["Event", limit], |row| row.get::<_, String>(0))
                    .expect("a run")
                    .for_each(drop);
            }
            assert_eq!(
                statement.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "the {name} compiled the statement again"
            );
        }
    }
}
