//! Paths and neighbourhoods in Cypher: one query each.
//!
//! A path is a bounded variable-length pattern over the claim and evidence relationships
//! (two relationships a hop), filtered and ordered in the query as [`path_order`] orders
//! paths, so `LIMIT` keeps exactly the paths the embedded store finds. A neighbourhood is a
//! chain of `CALL` subqueries, one a level, as `expand` reads a plan. Relationship types
//! and hop bounds are formatted in from the code (the bounds are validated numbers);
//! everything from a request is a parameter.
//!
//! [`path_order`]: crate::store::walk::path_order

use neo4rs::Row;
use serde_json::{json, Map, Value};

use crate::model::record::NodeRecord;
use crate::model::{Label, NodeId, RelType};
use crate::store::walk::{NeighbourhoodQuery, PathQuery, WalkFilter, WalkHop, WalkPath};
use crate::store::StoreError;

/// The relationship types a walk follows, as a Cypher type alternation.
fn types(filter: &WalkFilter) -> String {
    filter
        .rels()
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join("|")
}

/// The condition a claim node `c` meets to carry a walk, and its parameters.
fn admits(filter: &WalkFilter, c: &str) -> (String, Vec<(&'static str, Value)>) {
    let mut conditions = vec!["true".to_string()];
    let mut params = Vec::new();
    if let Some(attributes) = &filter.attributes {
        conditions.push(format!("{c}.attribute IN $attributes"));
        params.push(("attributes", json!(attributes)));
    }
    if let Some(statuses) = &filter.statuses {
        params.push(("statuses", json!(statuses)));
        match filter.as_of {
            None => conditions.push(format!("{c}.status IN $statuses")),
            Some(day) => {
                params.push(("as_of", json!(day.to_string())));
                conditions.push(format!(
                    "split(last([e IN {c}.status_timeline WHERE split(e, '=')[0] <= $as_of]), '=')[1] IN $statuses"
                ));
            }
        }
    }
    (conditions.join(" AND "), params)
}

/// The evidence relationship types, as a parameter.
fn evidence_types() -> Value {
    json!(RelType::EVIDENCE.map(|r| r.as_str()))
}

/// The condition on the hops of a path whose nodes are `ns` and relationships `rs`,
/// starting at an entity: each claim (odd positions) admitted, each pair of links a hop,
/// and no node twice.
fn hops_hold(filter: &WalkFilter, claim_ok: &str) -> String {
    let join = match (filter.claims, filter.evidence) {
        (true, true) => "(NOT type(rs[i - 1]) IN $evidence OR NOT type(rs[i]) IN $evidence)",
        (false, _) => "(type(rs[i - 1]) IN $evidence) <> (type(rs[i]) IN $evidence)",
        (true, false) => "true",
    };
    format!(
        "size(rs) % 2 = 0
    AND all(i IN range(1, size(ns) - 2, 2) WHERE {claim_ok} AND {join})
    AND all(n IN ns WHERE single(x IN ns WHERE x = n))"
    )
}

/// The paths query and its parameters; each path's row carries the records of the nodes
/// along it (only the rows kept by `LIMIT` build them). Enumerating whole paths grows with
/// the branching to the power of the hops; this meets in the middle instead: the half
/// paths from each end (at most half the hops), joined where they meet. A path of `h` hops
/// is split once, its first `ceil(h / 2)` hops on the left, so no path is found twice.
pub fn paths(query: &PathQuery) -> (String, Vec<(&'static str, Value)>) {
    let (claim_ok, mut params) = admits(&query.filter, "ns[i]");
    let holds = hops_hold(&query.filter, &claim_ok);
    let left = query.max_hops.div_ceil(2) * 2;
    let right = (query.max_hops / 2) * 2;
    let text = format!(
        "MATCH (a:KgNode {{id: $from}}), (b:KgNode {{id: $to}})
CALL {{
  WITH b
  MATCH pr = (b)-[:{types}*0..{right}]-(:KgNode)
  WITH pr, nodes(pr) AS ns, relationships(pr) AS rs
  WHERE {holds}
  RETURN collect(pr) AS rights
}}
CALL {{
  WITH a
  MATCH pl = (a)-[:{types}*0..{left}]-(m:KgNode)
  WITH pl, m, nodes(pl) AS ns, relationships(pl) AS rs
  WHERE {holds}
  RETURN m, collect(pl) AS lefts
}}
WITH lefts, [pr IN rights WHERE last(nodes(pr)) = m] AS meeting
UNWIND lefts AS pl
UNWIND meeting AS pr
WITH pl, pr
WHERE (length(pl) = length(pr) OR length(pl) = length(pr) + 2) AND length(pl) > 0
  AND none(n IN nodes(pl)[0..-1] WHERE n IN nodes(pr))
WITH nodes(pl) + reverse(nodes(pr))[1..] AS ns, relationships(pl) + reverse(relationships(pr)) AS rs
WITH ns, [n IN ns | n.id] AS ids, [r IN rs | type(r)] AS types
ORDER BY size(ids), ids, types
LIMIT $limit
RETURN ids, types, [n IN ns | {{id: n.id, p: properties(n)}}] AS records",
        types = types(&query.filter),
    );
    params.extend([
        ("from", json!(query.from.to_string())),
        ("to", json!(query.to.to_string())),
        ("evidence", evidence_types()),
        ("limit", json!(query.limit)),
    ]);
    (text, params)
}

fn parse_rel(text: &str) -> Result<RelType, StoreError> {
    RelType::parse(text).ok_or_else(|| StoreError::Internal(format!("unknown relationship {text}")))
}

fn parse_id(text: &str) -> Result<NodeId, StoreError> {
    NodeId::parse(text).ok_or_else(|| StoreError::Internal(format!("bad id {text}")))
}

/// A path from its row: the ids along it (entity, claim, entity, ...) and the types.
pub fn path(row: &Row) -> Result<WalkPath, StoreError> {
    let ids: Vec<String> = row
        .get("ids")
        .map_err(|e| StoreError::Internal(format!("column ids: {e}")))?;
    let types: Vec<String> = row
        .get("types")
        .map_err(|e| StoreError::Internal(format!("column types: {e}")))?;
    if ids.len() != types.len() + 1 || !types.len().is_multiple_of(2) {
        return Err(StoreError::Internal(format!(
            "a path of {ids:?} by {types:?}"
        )));
    }
    (0..types.len() / 2)
        .map(|hop| {
            Ok(WalkHop {
                from: parse_id(&ids[hop * 2])?,
                from_link: parse_rel(&types[hop * 2])?,
                claim: parse_id(&ids[hop * 2 + 1])?,
                to_link: parse_rel(&types[hop * 2 + 1])?,
                to: parse_id(&ids[hop * 2 + 2])?,
            })
        })
        .collect()
}

/// The neighbourhood query: level `n` collects the hops leaving frontier `fn` as `hn`, and
/// the claims and entities they reach as `kn` and `xn`. A level closes the walk when it is
/// the one after the last, or when more than `max_nodes` entities were reached before it
/// (farther ones sort after all of them, so none could be kept, as on the embedded store):
/// it starts only from the entities of its frontier that can be kept (`sortedn`: the first
/// ids in the order [`Neighbourhood::from_levels`] cuts by, then cut), keeps only the hops
/// among them, and leaves no frontier after it. The query also returns, as `records`, every
/// node the levels reached with its properties; the cut itself is made afterwards, in one
/// place for every store.
///
/// [`Neighbourhood::from_levels`]: crate::store::walk::Neighbourhood::from_levels
pub fn neighbourhood(query: &NeighbourhoodQuery) -> (String, Vec<(&'static str, Value)>) {
    let (claim_ok, mut params) = admits(&query.filter, "c");
    let types = types(&query.filter);
    let join = match (query.filter.claims, query.filter.evidence) {
        (true, true) => "(NOT type(r1) IN $evidence OR NOT type(r2) IN $evidence)",
        (false, _) => "((type(r1) IN $evidence) <> (type(r2) IN $evidence))",
        (true, false) => "true",
    };
    let mut text = "MATCH (c0:KgNode {id: $centre})
WITH [c0] AS f0, [c0.id] AS seen0"
        .to_string();
    let mut carried = vec!["f0".to_string()];
    let mut reached = vec!["f0".to_string()];
    for level in 0..=query.depth {
        let closing = if level == query.depth {
            "true".to_string()
        } else {
            format!("size(seen{level}) > $max_nodes")
        };
        // Aggregations here have no grouping key, so an empty frontier still gives a row.
        // Only a closing level's frontier is sorted: the others are read whole. No more
        // than `max_nodes` can be kept, so the sort keeps only the first that many (a top-k,
        // not a sort of the whole frontier): the test server's sort buffers each row's whole
        // scope, and a hub's frontier of 5,000 outgrew its query memory sorted whole.
        text.push_str(&format!(
            "
CALL {{
  WITH f{level}, seen{level}
  UNWIND CASE WHEN {closing} THEN f{level} ELSE [] END AS x
  WITH {rank} AS rank, x.id AS id
  WITH rank, id ORDER BY rank, id LIMIT $max_nodes
  RETURN collect(id) AS sorted{level}
}}
CALL {{
  WITH f{level}, seen{level}, sorted{level}
  WITH {closing} AS closing, f{level},
       sorted{level}[0..($max_nodes - size(seen{level}) + size(f{level}))] AS kept
  WITH closing, kept, CASE WHEN closing THEN [e IN f{level} WHERE e.id IN kept] ELSE f{level} END AS cut
  UNWIND cut AS e
  MATCH (e)-[r1:{types}]-(c:KgNode)-[r2:{types}]-(x:KgNode)
  WHERE x <> e AND {claim_ok} AND {join} AND (NOT closing OR x.id IN kept)
  RETURN collect({{from: e.id, from_link: type(r1), claim: c.id, to_link: type(r2), to: x.id}}) AS h{level},
         collect(DISTINCT c) AS k{level},
         collect(DISTINCT x) AS x{level}
}}",
            rank = label_rank("x"),
        ));
        carried.extend([format!("h{level}"), format!("k{level}")]);
        reached.push(format!("k{level}"));
        if level < query.depth {
            carried.push(format!("x{level}"));
            reached.push(format!("x{level}"));
            let next = level + 1;
            text.push_str(&format!(
                "
WITH {carried}, CASE WHEN {closing} THEN [] ELSE [x IN x{level} WHERE NOT x.id IN seen{level}] END AS f{next}, seen{level}
WITH {carried}, f{next}, seen{level} + [x IN f{next} | x.id] AS seen{next}",
                carried = carried.join(", "),
            ));
        }
    }
    let hops: Vec<String> = (0..=query.depth).map(|level| format!("h{level}")).collect();
    text.push_str(&format!(
        "\nRETURN {}, [n IN {} | {{id: n.id, p: properties(n)}}] AS records",
        hops.join(", "),
        reached.join(" + "),
    ));
    params.extend([
        ("centre", json!(query.centre.to_string())),
        ("evidence", evidence_types()),
        ("max_nodes", json!(query.max_nodes)),
    ]);
    (text, params)
}

/// A node's label as the rank `NodeId`'s order gives it, so that ordering by it and then by
/// id orders nodes as the other stores do. (Within a label, ids order by their keys; Cypher
/// compares strings by UTF-16 units, Rust by code points, which differ only for keys with
/// characters beyond the Basic Multilingual Plane.)
fn label_rank(node: &str) -> String {
    let cases: String = Label::ALL
        .iter()
        .enumerate()
        .map(|(rank, label)| format!(" WHEN '{}' THEN {rank}", label.as_str()))
        .collect();
    format!("CASE split({node}.id, ':')[0]{cases} END")
}

/// The nodes a walk query returns with a row, from its `records` column (repeats kept).
pub fn records(row: &Row) -> Result<Vec<NodeRecord>, StoreError> {
    let records: Vec<Map<String, Value>> = row
        .get("records")
        .map_err(|e| StoreError::Internal(format!("column records: {e}")))?;
    records.into_iter().map(super::bolt::record).collect()
}

/// The hops of each level, from the neighbourhood's one row.
pub fn levels(row: &Row, depth: usize) -> Result<Vec<Vec<WalkHop>>, StoreError> {
    (0..=depth)
        .map(|level| {
            let column = format!("h{level}");
            let hops: Vec<Map<String, Value>> = row
                .get(&column)
                .map_err(|e| StoreError::Internal(format!("column {column}: {e}")))?;
            hops.iter()
                .map(|hop| {
                    let text = |name: &str| {
                        hop.get(name).and_then(Value::as_str).ok_or_else(|| {
                            StoreError::Internal(format!("a hop without {name}: {hop:?}"))
                        })
                    };
                    Ok(WalkHop {
                        from: parse_id(text("from")?)?,
                        from_link: parse_rel(text("from_link")?)?,
                        claim: parse_id(text("claim")?)?,
                        to_link: parse_rel(text("to_link")?)?,
                        to: parse_id(text("to")?)?,
                    })
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_rank_in_the_order_node_ids_sort_by() {
        let ids: Vec<NodeId> = Label::ALL.iter().map(|l| NodeId::new(*l, "k")).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "Label::ALL is in the order ids sort by");
        let rank = label_rank("x");
        for (rank_of, label) in Label::ALL.iter().enumerate() {
            assert!(
                rank.contains(&format!("WHEN '{}' THEN {rank_of}", label.as_str())),
                "{rank}"
            );
        }
    }
}
