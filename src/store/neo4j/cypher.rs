//! The Cypher the store runs, written to Neo4j 5's documented language. Labels and
//! relationship types are formatted in only from the code's allow-lists; values are always
//! parameters.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::model::record::{EdgeRecord, NodeRecord};
use crate::model::{Label, NodeId, RelType};
use crate::store::search::words;
use crate::store::{Direction, ListOrder, ListQuery, Plan, StoreError};

pub const NODES: &str = "UNWIND $ids AS id
MATCH (n:KgNode {id: id})
RETURN n.id AS id, properties(n) AS props";

pub const GUARDS: &str = "UNWIND $guards AS guard
MATCH (n:KgNode {id: guard.id})
WHERE n[guard.property] IS NULL OR n[guard.property] <> guard.value
RETURN n.id AS id";

pub const SEARCH_FULLTEXT: &str =
    "CALL db.index.fulltext.queryNodes('kg_search', $query, {limit: $limit})
YIELD node
RETURN node.id AS id, node.search_primary AS primary_text, node.search_secondary AS secondary_text";

/// For servers without full-text indexes: every term must start a word of the node.
pub const SEARCH_SCAN: &str = "MATCH (n:KgNode)
WHERE all(term IN $terms WHERE any(word IN n.search_words WHERE word STARTS WITH term))
RETURN n.id AS id, n.search_primary AS primary_text, n.search_secondary AS secondary_text
LIMIT $limit";

/// Creates the rows' nodes that do not exist yet, and tells which were created and each
/// node's element id, by which [`merge_edges`] finds it again in the same transaction. The
/// look-up is by `KgNode.id` alone, the unique constraint's label: a `MERGE` on both labels
/// does the same on Neo4j, but the test server then scans the kind's nodes for every row (a
/// batch took seconds at a few thousand claims). Writes hold the import lock (see
/// [`LOCK_IMPORT_VERSION`]), so no other import creates the same node in between; rows
/// come deduplicated by id ([`nodes_by_label`]). The subquery ends in an aggregation, so it
/// gives one row for every row, created or not; its filter projects `existing` again, as a
/// `WITH ... WHERE` sees only what that `WITH` projects.
pub fn merge_nodes(label: Label) -> String {
    format!(
        "UNWIND $rows AS row
OPTIONAL MATCH (existing:KgNode {{id: row.id}})
CALL {{ WITH row, existing
  WITH row, existing WHERE existing IS NULL
  CREATE (n:KgNode:{label} {{id: row.id}}) SET n += row.props, n.kg_import = $import
  RETURN collect(n) AS made }}
RETURN row.id AS id, existing IS NULL AS created, elementId(coalesce(existing, head(made))) AS element",
        label = label.as_str()
    )
}

/// Creates the rows' nodes, known to be absent ([`NodeWrite::Create`]), and gives each
/// node's element id as [`merge_nodes`] does.
pub fn create_nodes(label: Label) -> String {
    format!(
        "UNWIND $rows AS row
CREATE (n:KgNode:{label} {{id: row.id}}) SET n += row.props, n.kg_import = $import
RETURN row.id AS id, true AS created, elementId(n) AS element",
        label = label.as_str()
    )
}

/// How a batch's node is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeWrite {
    /// Created unless a node of its id exists ([`merge_nodes`]).
    Merge,
    /// Created without looking ([`create_nodes`]): the batch knows the store lacks it, at
    /// the import version the store has just checked (`WriteBatch::absent`). Should that
    /// ever be wrong, the unique constraint on `KgNode.id` fails the batch, which then
    /// writes nothing.
    Create,
}

/// Takes the import lock (the write lock on the version node, created when absent; the
/// unique constraint on `KgNode.id` keeps it one) and reads the version under it, so that
/// a concurrent import waits here until this one commits and then reads the new version.
pub const LOCK_IMPORT_VERSION: &str = "MERGE (k:KgNode {id: 'KgMeta:imports'})
ON CREATE SET k.version = 0
SET k.writer = $import
RETURN k.version AS version";

/// Ends a versioned batch: the import version and the count of writes go up together.
pub const BUMP_IMPORT_VERSION: &str = "MATCH (k:KgNode {id: 'KgMeta:imports'})
SET k.version = k.version + 1, k.writes = coalesce(k.writes, 0) + 1";

/// Ends a batch without an import version: only the count of writes goes up. Last in the
/// transaction, so that the version node's write lock is held only while it commits.
pub const BUMP_WRITES: &str = "MERGE (k:KgNode {id: 'KgMeta:imports'})
ON CREATE SET k.version = 0
SET k.writes = coalesce(k.writes, 0) + 1";

pub const IMPORT_VERSION: &str = "MATCH (k:KgNode {id: 'KgMeta:imports'})
RETURN k.version AS version";

/// How many batches any kg process has written to this database.
pub const GRAPH_VERSION: &str = "MATCH (k:KgNode {id: 'KgMeta:imports'})
RETURN coalesce(k.writes, 0) AS writes";

/// Sets the given properties on existing nodes, overwriting those it names.
pub const UPDATE_NODES: &str = "UNWIND $rows AS row
MATCH (n:KgNode {id: row.id})
SET n += row.props";

/// The parameters of [`expand`] besides `$roots`: the attribute of each filtered hop.
pub fn expand_params(plan: &Plan) -> Vec<(String, Value)> {
    plan.flatten()
        .into_iter()
        .filter_map(|step| {
            step.hop
                .attribute
                .map(|a| (format!("attribute{}", step.number), json!(a)))
        })
        .collect()
}

/// A whole read plan as one query that walks each hop once: the roots are collected as
/// frontier `f0`, then [`plan_steps`] follow the plan from them. One row comes back, with a
/// list per step (`s0` the roots).
pub fn expand(plan: &Plan) -> String {
    let (steps, columns) = plan_steps(plan);
    format!(
        "UNWIND $roots AS rid\nMATCH (n:KgNode {{id: rid}})\nWITH collect(DISTINCT n) AS f0{steps}
RETURN [x IN f0 | {{s: '', id: x.id, p: properties(x)}}] AS s0{columns}"
    )
}

/// The steps of a plan from frontier `f0`: each step is a `CALL` subquery that unwinds its
/// parent's frontier, follows its hop, and collects what it reached as `s{n}` (`{s: from
/// id, id, p: properties}`) and as its own frontier `f{n}` (distinct nodes) for its
/// children. Returns the subqueries and the columns to return (`, s1, s2`). (A `UNION ALL`
/// of one branch per step, each walking from the roots, was twice as slow on the test
/// server: every branch repeats its parents' hops.)
fn plan_steps(plan: &Plan) -> (String, String) {
    let mut text = String::new();
    let mut columns = String::new();
    for step in plan.flatten() {
        let rel = step.hop.rel.as_str();
        let mut pattern = match step.hop.direction {
            Direction::Out => format!("(a)-[:{rel}]->(b:KgNode)"),
            Direction::In => format!("(a)<-[:{rel}]-(b:KgNode)"),
        };
        if step.hop.attribute.is_some() {
            pattern.push_str(&format!(" WHERE b.attribute = $attribute{}", step.number));
        }
        text.push_str(&format!(
            "\nCALL {{ WITH f{parent} UNWIND f{parent} AS a MATCH {pattern}\n  RETURN collect({{s: a.id, id: b.id, p: properties(b)}}) AS s{n}, collect(DISTINCT b) AS f{n} }}",
            parent = step.parent,
            n = step.number,
        ));
        columns.push_str(&format!(", s{}", step.number));
    }
    (text, columns)
}

/// How an edge row names its ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeEnds {
    /// By `KgNode.id`: each end is looked up in the id index.
    Ids,
    /// By element id, as [`merge_nodes`] returned it in this transaction: each end is found
    /// by a seek with no index. Element ids are stable only within a transaction, so they
    /// are never kept beyond it. (Over 10,000 reports the edges took 4.7 s this way on the
    /// test server, against 13.3 s by `KgNode.id`: BENCHMARKS.md.)
    Elements,
}

/// Creates the edges of `rel` that are absent, between ends named as `ends` says (rows of
/// [`edge_rows`]).
///
/// The pattern names first the end with fewer edges of the type. Neo4j plans `MERGE` on two
/// bound nodes alike either way (it checks from the end of lower degree); the test server
/// checks from the first node named, and an organisation's evidence edges run to every
/// claim it took a stance on, so naming the organisation first made each row read all of
/// them (ARCHITECTURE.md, "What differs").
pub fn merge_edges(rel: RelType, ends: EdgeEnds) -> String {
    let (evidence, rel) = (rel.evidence_stance().is_some(), rel.as_str());
    let pattern = if evidence {
        format!("(b)<-[:{rel}]-(a)")
    } else {
        format!("(a)-[:{rel}]->(b)")
    };
    let matches = match ends {
        EdgeEnds::Ids => "MATCH (a:KgNode {id: row.source})\nMATCH (b:KgNode {id: row.target})",
        EdgeEnds::Elements => {
            "MATCH (a) WHERE elementId(a) = row.source\nMATCH (b) WHERE elementId(b) = row.target"
        }
    };
    format!("UNWIND $rows AS row\n{matches}\nMERGE {pattern}")
}

/// Every entity not merged into another, with its names.
pub const ENTITY_NAMES: &str = "MATCH (n:KgNode)
WHERE (n:Person OR n:Organization OR n:Place OR n:Event) AND n.merged_into IS NULL
RETURN n.id AS id, n.name AS name, coalesce(n.aliases, []) AS aliases";

pub fn delete_edges(rel: RelType) -> String {
    format!(
        "UNWIND $rows AS row
MATCH (:KgNode {{id: row.source}})-[r:{rel}]->(:KgNode {{id: row.target}})
DELETE r",
        rel = rel.as_str()
    )
}

pub fn edges(rel: RelType, direction: Direction) -> String {
    let near = match direction {
        Direction::Out => "a",
        Direction::In => "b",
    };
    format!(
        "MATCH (a:KgNode)-[:{rel}]->(b:KgNode)
WHERE {near}.id IN $ids
RETURN a.id AS source_id, b.id AS target_id
ORDER BY source_id, target_id",
        rel = rel.as_str()
    )
}

/// A listing as one Cypher query (one round trip): the count when asked (column `total`),
/// the page (`keys`, its nodes' sort keys, and `s0`, the nodes as [`expand`] gives roots),
/// and what the query's `read_ahead` plan reaches from the page (`s1`, `s2`, ...), in one
/// row.
pub struct Listing {
    pub text: String,
    pub params: Vec<(String, Value)>,
}

pub fn list(query: &ListQuery) -> Result<Listing, StoreError> {
    const VALUE_PARAMS: [&str; 4] = ["v0", "v1", "v2", "v3"];
    if query.equals.len() > VALUE_PARAMS.len() {
        return Err(StoreError::Internal("too many listing filters".into()));
    }
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    for ((property, value), param) in query.equals.iter().zip(VALUE_PARAMS) {
        // Property names are code constants; refuse anything else rather than format it in.
        if !property.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(StoreError::Internal(format!(
                "bad property name {property}"
            )));
        }
        conditions.push(format!("n.{property} = ${param}"));
        params.push((param, json!(value)));
    }
    for property in &query.absent {
        if !property.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(StoreError::Internal(format!(
                "bad property name {property}"
            )));
        }
        conditions.push(format!("n.{property} IS NULL"));
    }
    if let Some(filter) = &query.status {
        params.push(("status", json!(filter.status)));
        match filter.as_of {
            None => conditions.push("n.status = $status".into()),
            Some(day) => {
                params.push(("as_of", json!(day.to_string())));
                conditions.push(
                    "split(last([e IN n.status_timeline WHERE split(e, '=')[0] <= $as_of]), '=')[1] = $status"
                        .into(),
                );
            }
        }
    }
    for (bound, op, name) in [(query.from, ">=", "from"), (query.to, "<=", "to")] {
        if let Some(day) = bound {
            conditions.push(format!("n.sort_date {op} ${name}"));
            params.push((name, json!(day.to_string())));
        }
    }
    let column = match query.order {
        ListOrder::Name => "n.sort_key",
        ListOrder::Date => "coalesce(n.sort_date, '~')",
        ListOrder::Support => "coalesce(n.support_rank, '~')",
    };
    let filter = |conditions: &[String]| {
        if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        }
    };
    let counted = filter(&conditions);
    let mut windowed = conditions.clone();
    for (bound, op, key, id) in [
        (&query.after, ">", "after_key", "after_id"),
        (&query.before, "<", "before_key", "before_id"),
    ] {
        if let Some(position) = bound {
            windowed.push(format!(
                "({column} {op} ${key} OR ({column} = ${key} AND n.id {op} ${id}))"
            ));
            params.push((key, json!(position.sort_key)));
            params.push((id, json!(position.id)));
        }
    }
    let windowed = filter(&windowed);
    let order = if query.from_end { "DESC" } else { "ASC" };
    let label = query.label.as_str();
    let (count, total) = if query.count {
        (
            format!("CALL {{ MATCH (n:{label}) {counted} RETURN count(n) AS total }}\n"),
            "total, ",
        )
    } else {
        (String::new(), "")
    };
    let (steps, columns) = plan_steps(&query.read_ahead);
    let text = format!(
        "{count}CALL {{ MATCH (n:{label}) {windowed}
  WITH n ORDER BY {column} {order}, n.id {order} LIMIT $limit
  RETURN collect({{k: {column}, n: n}}) AS page }}
WITH {total}page, [x IN page | x.n] AS f0{steps}
RETURN {total}[x IN page | x.k] AS keys, [x IN page | {{s: '', id: x.n.id, p: properties(x.n)}}] AS s0{columns}"
    );
    params.push(("limit", json!(query.limit)));
    let params = params
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .chain(expand_params(&query.read_ahead))
        .collect();
    Ok(Listing { text, params })
}

/// Node rows per label and way of writing them (those in `absent` are created, the others
/// merged), with the properties the store adds for sorting and search. The
/// properties written are those of `as_created` (the same nodes with the batch's updates
/// applied, [`WriteBatch::nodes_as_created`]); sorting and search use what was given.
///
/// [`WriteBatch::nodes_as_created`]: crate::store::WriteBatch::nodes_as_created
pub fn nodes_by_label(
    nodes: &[Arc<NodeRecord>],
    as_created: &[Arc<NodeRecord>],
    absent: &HashSet<NodeId>,
) -> BTreeMap<(Label, NodeWrite), Vec<Value>> {
    let mut rows: BTreeMap<(Label, NodeWrite), Vec<Value>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    // The first of a node's records wins, as `apply` leaves a stored node untouched.
    let first = nodes
        .iter()
        .zip(as_created)
        .filter(|(node, _)| seen.insert(&node.id));
    for (node, created) in first {
        let mut props = created.props.clone();
        let (primary, secondary) = node.search_texts();
        let mut search_words = words(&primary);
        search_words.extend(words(&secondary));
        search_words.sort();
        search_words.dedup();
        props.insert("sort_key".into(), json!(node.sort_text()));
        props.insert("search_primary".into(), json!(primary));
        props.insert("search_secondary".into(), json!(secondary));
        props.insert("search_words".into(), json!(search_words));
        let write = if absent.contains(&node.id) {
            NodeWrite::Create
        } else {
            NodeWrite::Merge
        };
        rows.entry((node.label(), write))
            .or_default()
            .push(json!({ "id": node.id.to_string(), "props": props }));
    }
    rows
}

/// Edge rows per relationship type, for [`delete_edges`]: ends by `KgNode.id`.
pub fn edges_by_type(edges: &[EdgeRecord]) -> BTreeMap<RelType, Vec<Value>> {
    edge_rows(edges, &HashMap::new())
        .into_iter()
        .map(|((rel, _), rows)| (rel, rows))
        .collect()
}

/// Edge rows for [`merge_edges`], per relationship type and way of naming the ends: by
/// element id where `elements` (`KgNode.id` to element id) knows both ends, else by
/// `KgNode.id`.
pub fn edge_rows(
    edges: &[EdgeRecord],
    elements: &HashMap<String, String>,
) -> BTreeMap<(RelType, EdgeEnds), Vec<Value>> {
    let mut rows: BTreeMap<(RelType, EdgeEnds), Vec<Value>> = BTreeMap::new();
    for edge in edges {
        let (source, target) = (edge.from.to_string(), edge.to.to_string());
        let row = match (elements.get(&source), elements.get(&target)) {
            (Some(a), Some(b)) => (
                (edge.rel, EdgeEnds::Elements),
                json!({ "source": a, "target": b }),
            ),
            _ => (
                (edge.rel, EdgeEnds::Ids),
                json!({ "source": source, "target": target }),
            ),
        };
        rows.entry(row.0).or_default().push(row.1);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Props;

    fn edge(from: &str, to: &str) -> EdgeRecord {
        EdgeRecord {
            from: NodeId::new(Label::Assertion, from),
            rel: RelType::About,
            to: NodeId::new(Label::Claim, to),
        }
    }

    #[test]
    fn edges_name_their_ends_by_element_only_when_both_are_known() {
        let elements: HashMap<String, String> = [
            ("Assertion:a".to_string(), "#1:0".to_string()),
            ("Claim:c".to_string(), "#2:0".to_string()),
        ]
        .into();
        let rows = edge_rows(&[edge("a", "c"), edge("a", "stored")], &elements);
        assert_eq!(
            rows[&(RelType::About, EdgeEnds::Elements)],
            vec![json!({ "source": "#1:0", "target": "#2:0" })]
        );
        assert_eq!(
            rows[&(RelType::About, EdgeEnds::Ids)],
            vec![json!({ "source": "Assertion:a", "target": "Claim:stored" })]
        );
        assert!(
            merge_edges(RelType::About, EdgeEnds::Elements).contains("elementId(a) = row.source")
        );
        assert!(merge_edges(RelType::About, EdgeEnds::Ids).contains("{id: row.source}"));
    }

    #[test]
    fn only_nodes_known_absent_are_created_without_looking() {
        let node = |key: &str| {
            Arc::new(NodeRecord {
                id: NodeId::new(Label::Claim, key),
                props: Props::new(),
            })
        };
        let nodes = [node("new"), node("maybe")];
        let absent = HashSet::from([NodeId::new(Label::Claim, "new")]);
        let rows = nodes_by_label(&nodes, &nodes, &absent);
        let ids = |write| -> Vec<&str> {
            rows[&(Label::Claim, write)]
                .iter()
                .filter_map(|row| row["id"].as_str())
                .collect()
        };
        assert_eq!(ids(NodeWrite::Create), ["Claim:new"]);
        assert_eq!(ids(NodeWrite::Merge), ["Claim:maybe"]);
        assert!(!create_nodes(Label::Claim).contains("MATCH"));
    }
}
