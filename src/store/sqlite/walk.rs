//! Paths and neighbourhoods on the embedded store: a search in Rust over the indexed
//! adjacency (`edges` by source and by destination), read in batches inside one read
//! transaction.

use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::sync::LazyLock;

use rusqlite::{Connection, Row};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::cache::Generation;
use super::sql::id_list;
use super::{internal, sql};
use crate::model::record::NodeRecord;
use crate::model::{NodeId, RelType};
use crate::store::walk::{
    Neighbourhood, NeighbourhoodQuery, PathQuery, Paths, WalkFilter, WalkHop, WalkPath,
};
use crate::store::StoreError;

/// The hops leaving entities, read from the store on first use and kept for the walk.
struct Adjacency<'c> {
    c: &'c Connection,
    filter: &'c WalkFilter,
    hops: HashMap<NodeId, Vec<WalkHop>>,
}

/// The links between the entities of `?1` and their claims, as `(entity, link, claim)`:
/// party links (`?2`) leave the claim, evidence links (`?3`) enter it.
const LINKS: &str = "SELECT dst, rel, src FROM edges
        WHERE dst IN (SELECT value FROM json_each(?1)) AND rel IN (SELECT value FROM json_each(?2))
        UNION ALL
        SELECT src, rel, dst FROM edges
        WHERE src IN (SELECT value FROM json_each(?1)) AND rel IN (SELECT value FROM json_each(?3))";

/// Every hop leaving the entities of `?1`, whatever its far end: one statement, so a level
/// of a walk costs one pass over the indexes and no row is built only to be dropped.
/// `CROSS JOIN` keeps `near` the outer loop: left to itself, SQLite scans every evidence
/// edge and probes `near`, a full scan of the store for a walk of one entity.
static HOPS_LEAVING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH near(entity, link, claim) AS MATERIALIZED ({LINKS})
         SELECT near.entity, near.link, near.claim, far.rel, far.dst FROM near
         CROSS JOIN edges far ON far.src = near.claim AND far.rel IN (SELECT value FROM json_each(?2))
         WHERE far.dst <> near.entity
         UNION ALL
         SELECT near.entity, near.link, near.claim, far.rel, far.src FROM near
         CROSS JOIN edges far ON far.dst = near.claim AND far.rel IN (SELECT value FROM json_each(?3))
         WHERE far.src <> near.entity"
    )
});

/// The relationship types of the filter as the two JSON arrays the statements take:
/// party links, then evidence links.
fn rel_lists(filter: &WalkFilter) -> Result<(String, String), StoreError> {
    let list = |evidence: bool| {
        let rels: Vec<&str> = filter
            .rels()
            .into_iter()
            .filter(|r| r.evidence_stance().is_some() == evidence)
            .map(RelType::as_str)
            .collect();
        serde_json::to_string(&rels).map_err(|e| StoreError::Internal(e.to_string()))
    };
    Ok((list(false)?, list(true)?))
}

fn rel(text: &str) -> Result<RelType, StoreError> {
    RelType::parse(text).ok_or_else(|| StoreError::Internal(format!("unknown relationship {text}")))
}

/// A text column of a row, borrowed rather than copied.
fn text<'r>(row: &'r Row<'_>, column: usize) -> Result<&'r str, StoreError> {
    row.get_ref(column)
        .and_then(|v| Ok(v.as_str()?))
        .map_err(internal)
}

/// Runs a walk statement over these entities and the filter's links, row by row.
fn for_each_row(
    c: &Connection,
    sql: &str,
    filter: &WalkFilter,
    entities: &[NodeId],
    mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let (party, evidence) = rel_lists(filter)?;
    let mut statement = c.prepare_cached(sql).map_err(internal)?;
    let mut rows = statement
        .query([id_list(entities), party, evidence])
        .map_err(internal)?;
    while let Some(row) = rows.next().map_err(internal)? {
        each(row)?;
    }
    Ok(())
}

/// `entities` by their text, so that a row naming one shares its id rather than parse it.
fn by_text(entities: &[NodeId]) -> HashMap<String, &NodeId> {
    entities.iter().map(|id| (id.to_string(), id)).collect()
}

/// Every hop leaving these entities that the filter admits.
fn hops_leaving(
    c: &Connection,
    filter: &WalkFilter,
    entities: &[NodeId],
) -> Result<Vec<WalkHop>, StoreError> {
    let near = by_text(entities);
    let mut hops = Vec::new();
    for_each_row(c, &HOPS_LEAVING, filter, entities, |row| {
        let (from_link, to_link) = (rel(text(row, 1)?)?, rel(text(row, 3)?)?);
        if filter.joins(from_link, to_link) {
            let from = text(row, 0)?;
            hops.push(WalkHop {
                from: match near.get(from) {
                    Some(&known) => known.clone(),
                    None => sql::parse_id(from)?,
                },
                from_link,
                claim: sql::parse_id(text(row, 2)?)?,
                to_link,
                to: sql::parse_id(text(row, 4)?)?,
            });
        }
        Ok(())
    })?;
    admitted(c, filter, hops)
}

/// One of the links `hops_among` reads: an entity (by its place in the slice) linked to a
/// claim (its id's place in a shared buffer, and the id's hash).
struct ClaimEnd {
    hash: u64,
    claim: std::ops::Range<usize>,
    entity: usize,
    link: RelType,
}

/// `ends` grouped by claim: sorted by the hash of the claim's id in `claim_ids`, then runs
/// of one hash split by the id itself (two claims may share a hash).
fn by_claim<'e>(
    ends: &'e mut [ClaimEnd],
    claim_ids: &'e str,
) -> impl Iterator<Item = &'e [ClaimEnd]> + 'e {
    let claim_of = |end: &ClaimEnd| &claim_ids[end.claim.clone()];
    ends.sort_unstable_by_key(|end| end.hash);
    ends.chunk_by_mut(|a, b| a.hash == b.hash)
        .flat_map(move |same_hash| {
            if same_hash
                .iter()
                .any(|end| claim_of(end) != claim_of(&same_hash[0]))
            {
                same_hash.sort_unstable_by(|a, b| claim_of(a).cmp(claim_of(b)));
            }
            let same_hash: &'e [ClaimEnd] = same_hash;
            same_hash.chunk_by(move |a, b| claim_of(a) == claim_of(b))
        })
}

/// The hops between two of these entities that the filter admits, found from their own
/// links alone: grouped by claim, so the claims' other ends are never read. (Seeking each
/// claim's other end costs a random B-tree descent, about 2 µs; the outermost level of a
/// neighbourhood has thousands of claims, and few of them link two kept entities.)
fn hops_among(
    c: &Connection,
    filter: &WalkFilter,
    entities: &[NodeId],
) -> Result<Vec<WalkHop>, StoreError> {
    // Rows name one of `entities` by its place in the slice, and their claims' ids go into
    // one buffer, so a row allocates nothing. The claims are grouped by sorting a hash of
    // their ids: comparing the ids themselves (long texts with a common prefix) made the
    // sort a sixth of a neighbourhood's time. Equal hashes are grouped again by text.
    let names: Vec<String> = entities.iter().map(NodeId::to_string).collect();
    let place: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    let mut claim_ids = String::new();
    let mut ends: Vec<ClaimEnd> = Vec::new();
    for_each_row(c, LINKS, filter, entities, |row| {
        if let Some(&entity) = place.get(text(row, 0)?) {
            let claim = text(row, 2)?;
            let start = claim_ids.len();
            claim_ids.push_str(claim);
            ends.push(ClaimEnd {
                hash: rustc_hash::FxBuildHasher.hash_one(claim),
                claim: start..claim_ids.len(),
                entity,
                link: rel(text(row, 1)?)?,
            });
        }
        Ok(())
    })?;
    let mut hops = Vec::new();
    for ends in by_claim(&mut ends, &claim_ids).filter(|ends| ends.len() > 1) {
        let claim = sql::parse_id(&claim_ids[ends[0].claim.clone()])?;
        for (i, from) in ends.iter().enumerate() {
            for to in &ends[i + 1..] {
                if from.entity != to.entity && filter.joins(from.link, to.link) {
                    hops.push(WalkHop {
                        from: entities[from.entity].clone(),
                        from_link: from.link,
                        claim: claim.clone(),
                        to_link: to.link,
                        to: entities[to.entity].clone(),
                    });
                }
            }
        }
    }
    admitted(c, filter, hops)
}

/// The hops resting on claims the filter admits.
fn admitted(
    c: &Connection,
    filter: &WalkFilter,
    mut hops: Vec<WalkHop>,
) -> Result<Vec<WalkHop>, StoreError> {
    if filter.admits_all() {
        return Ok(hops);
    }
    let claims: Vec<NodeId> = hops
        .iter()
        .map(|h| h.claim.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let admitted: HashSet<NodeId> = filter_facts(c, &claims)?
        .into_iter()
        .filter(|record| filter.admits(record))
        .map(|record| record.id)
        .collect();
    hops.retain(|h| admitted.contains(&h.claim));
    Ok(hops)
}

/// What a walk filter reads of claims: their attribute and statuses, not the whole record.
fn filter_facts(c: &Connection, claims: &[NodeId]) -> Result<Vec<NodeRecord>, StoreError> {
    let mut statement = c
        .prepare_cached(
            "SELECT id, json_object('attribute', json_extract(props, '$.attribute'),
                                    'status', json_extract(props, '$.status'),
                                    'status_timeline', json_extract(props, '$.status_timeline'))
             FROM nodes WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map([id_list(claims)], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(internal)?;
    rows.map(|row| {
        let (id, facts) = row.map_err(internal)?;
        let props = serde_json::from_str(&facts)
            .map_err(|e| StoreError::Internal(format!("facts of {id}: {e}")))?;
        Ok(NodeRecord {
            id: sql::parse_id(&id)?,
            props,
        })
    })
    .collect()
}

impl<'c> Adjacency<'c> {
    fn new(c: &'c Connection, filter: &'c WalkFilter) -> Self {
        Self {
            c,
            filter,
            hops: HashMap::default(),
        }
    }

    /// Reads the hops leaving the entities not read yet.
    fn read(&mut self, entities: &[NodeId]) -> Result<(), StoreError> {
        let missing: Vec<NodeId> = entities
            .iter()
            .filter(|e| !self.hops.contains_key(*e))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        for entity in &missing {
            self.hops.insert(entity.clone(), Vec::new());
        }
        for hop in hops_leaving(self.c, self.filter, &missing)? {
            self.hops.entry(hop.from.clone()).or_default().push(hop);
        }
        for entity in &missing {
            let Some(hops) = self.hops.get_mut(entity) else {
                continue;
            };
            // The order paths are enumerated in: by the ids along them, then the links.
            hops.sort_by(|a, b| {
                a.claim
                    .cmp_as_text(&b.claim)
                    .then_with(|| a.to.cmp_as_text(&b.to))
                    .then_with(|| a.from_link.as_str().cmp(b.from_link.as_str()))
                    .then_with(|| a.to_link.as_str().cmp(b.to_link.as_str()))
            });
            hops.dedup();
        }
        Ok(())
    }

    fn hops(&self, entity: &NodeId) -> &[WalkHop] {
        self.hops.get(entity).map(Vec::as_slice).unwrap_or_default()
    }
}

/// Distances in hops to one entity, found breadth first one level at a time, as far as
/// asked so far.
struct Distances {
    known: HashMap<NodeId, usize>,
    frontier: Vec<NodeId>,
    depth: usize,
}

impl Distances {
    fn new(target: &NodeId) -> Self {
        Self {
            known: HashMap::from_iter([(target.clone(), 0)]),
            frontier: vec![target.clone()],
            depth: 0,
        }
    }

    /// Extends the search until every entity within `depth` hops is known.
    fn reach(&mut self, adjacency: &mut Adjacency, depth: usize) -> Result<(), StoreError> {
        while self.depth < depth && !self.frontier.is_empty() {
            adjacency.read(&self.frontier)?;
            let mut next = Vec::new();
            for entity in &self.frontier {
                for hop in adjacency.hops(entity) {
                    if !self.known.contains_key(&hop.to) {
                        self.known.insert(hop.to.clone(), self.depth + 1);
                        next.push(hop.to.clone());
                    }
                }
            }
            self.frontier = next;
            self.depth += 1;
        }
        Ok(())
    }

    /// The distance, if within the depth searched.
    fn of(&self, entity: &NodeId) -> Option<usize> {
        self.known.get(entity).copied()
    }

    /// The distance, or what it is at least: beyond the depth searched when not known.
    fn at_least(&self, entity: &NodeId) -> usize {
        self.of(entity).unwrap_or(self.depth + 1)
    }
}

/// The length of the shortest path, if there is one within `max` hops: breadth first
/// from both ends, always widening the smaller frontier, so an entity cut off from the
/// other is found out after reading its own few neighbours.
fn shortest_length(
    adjacency: &mut Adjacency,
    from: &NodeId,
    to: &NodeId,
    max: usize,
) -> Result<Option<usize>, StoreError> {
    let mut sides = [
        (
            HashMap::from_iter([(from.clone(), 0usize)]),
            vec![from.clone()],
            0usize,
        ),
        (
            HashMap::from_iter([(to.clone(), 0usize)]),
            vec![to.clone()],
            0usize,
        ),
    ];
    loop {
        let (near, far) = if sides[0].1.len() <= sides[1].1.len() {
            (0, 1)
        } else {
            (1, 0)
        };
        if sides[near].1.is_empty() || sides[0].2 + sides[1].2 >= max {
            return Ok(None);
        }
        adjacency.read(&sides[near].1)?;
        let depth = sides[near].2 + 1;
        let mut next = Vec::new();
        let mut best: Option<usize> = None;
        for entity in std::mem::take(&mut sides[near].1) {
            for hop in adjacency.hops(&entity) {
                if let Some(there) = sides[far].0.get(&hop.to) {
                    let length = depth + there;
                    best = Some(best.map_or(length, |b| b.min(length)));
                }
                if !sides[near].0.contains_key(&hop.to) {
                    sides[near].0.insert(hop.to.clone(), depth);
                    next.push(hop.to.clone());
                }
            }
        }
        if let Some(length) = best {
            return Ok((length <= max).then_some(length));
        }
        sides[near].1 = next;
        sides[near].2 = depth;
    }
}

/// Appends to `found`, in path order, the simple paths of exactly `length` hops from the
/// last entity of `path` to the target, until `found` holds `limit`.
#[allow(clippy::too_many_arguments)]
fn extend(
    adjacency: &mut Adjacency,
    distances: &Distances,
    at: &NodeId,
    path: &mut WalkPath,
    visited: &mut HashSet<NodeId>,
    length: usize,
    found: &mut Vec<WalkPath>,
    limit: usize,
) -> Result<(), StoreError> {
    if found.len() >= limit {
        return Ok(());
    }
    if path.len() == length {
        if distances.of(at) == Some(0) {
            found.push(path.clone());
        }
        return Ok(());
    }
    let remaining = length - path.len();
    adjacency.read(std::slice::from_ref(at))?;
    let hops: Vec<WalkHop> = adjacency.hops(at).to_vec();
    for hop in hops {
        // Prune what cannot reach the target in the hops left.
        if distances.at_least(&hop.to) > remaining - 1 {
            continue;
        }
        if visited.contains(&hop.to) || visited.contains(&hop.claim) {
            continue;
        }
        visited.insert(hop.to.clone());
        visited.insert(hop.claim.clone());
        let next = hop.to.clone();
        path.push(hop);
        extend(
            adjacency, distances, &next, path, visited, length, found, limit,
        )?;
        if let Some(hop) = path.pop() {
            visited.remove(&hop.to);
            visited.remove(&hop.claim);
        }
    }
    Ok(())
}

/// The `limit` shortest simple paths in path order, with the records of what they pass
/// through, all as one transaction sees them.
pub(super) fn paths(
    c: &Connection,
    query: &PathQuery,
    generation: Option<&Generation>,
) -> Result<Paths, StoreError> {
    let found = Paths::of(shortest_paths(c, query)?);
    let records = sql::cached_nodes(c, &found.touched(), generation)?;
    Ok(found.with_records(records))
}

/// The `limit` shortest simple paths, shortest first, each length in path order.
fn shortest_paths(c: &Connection, query: &PathQuery) -> Result<Vec<WalkPath>, StoreError> {
    let mut adjacency = Adjacency::new(c, &query.filter);
    let mut distances = Distances::new(&query.to);
    let mut found = Vec::new();
    if query.from == query.to || query.limit == 0 {
        return Ok(found);
    }
    let Some(shortest) = shortest_length(&mut adjacency, &query.from, &query.to, query.max_hops)?
    else {
        return Ok(found);
    };
    for length in shortest..=query.max_hops {
        // Distances known to half the length prune the search from the start to the
        // entities that can still reach the target in the hops left; beyond that depth a
        // distance is only known to be larger, which prunes the second half.
        distances.reach(&mut adjacency, length / 2)?;
        let mut visited = HashSet::from_iter([query.from.clone()]);
        extend(
            &mut adjacency,
            &distances,
            &query.from,
            &mut Vec::new(),
            &mut visited,
            length,
            &mut found,
            query.limit,
        )?;
        if found.len() >= query.limit {
            break;
        }
    }
    Ok(found)
}

/// The entities within `depth` hops of the centre, level by level (stopping early once more
/// than `max_nodes` are reached), then the hops among the kept entities not read yet, then
/// the records of what is kept, all as one transaction sees them.
pub(super) fn neighbourhood(
    c: &Connection,
    query: &NeighbourhoodQuery,
    generation: Option<&Generation>,
) -> Result<Neighbourhood, StoreError> {
    let centre = sql::cached_nodes(c, std::slice::from_ref(&query.centre), generation)?;
    if centre.is_empty() {
        return Ok(Neighbourhood::default());
    }
    let mut adjacency = Adjacency::new(c, &query.filter);
    let mut distance: HashMap<NodeId, usize> = HashMap::from_iter([(query.centre.clone(), 0)]);
    let mut frontier = vec![query.centre.clone()];
    let mut levels = Vec::new();
    for level in 0..query.depth {
        adjacency.read(&frontier)?;
        let mut hops = Vec::new();
        let mut next = Vec::new();
        for entity in &frontier {
            for hop in adjacency.hops(entity) {
                if !distance.contains_key(&hop.to) {
                    distance.insert(hop.to.clone(), level + 1);
                    next.push(hop.to.clone());
                }
                hops.push(hop.clone());
            }
        }
        levels.push(hops);
        frontier = next;
        if distance.len() > query.max_nodes {
            // Farther entities sort after every one reached so far: none of them can be
            // kept, so the walk stops here.
            break;
        }
    }
    // The edges among what is kept: the hops between kept entities not read yet (the
    // outermost ones'), found from their own links alone.
    let mut kept: Vec<(usize, NodeId)> = distance.into_iter().map(|(id, d)| (d, id)).collect();
    kept.sort();
    kept.truncate(query.max_nodes);
    let unread: Vec<NodeId> = kept
        .into_iter()
        .map(|(_, id)| id)
        .filter(|id| !adjacency.hops.contains_key(id))
        .collect();
    let closing = if unread.is_empty() {
        Vec::new()
    } else {
        hops_among(c, &query.filter, &unread)?
    };
    levels.push(closing);
    let found = Neighbourhood::from_levels(&query.centre, levels, query.max_nodes);
    let records = sql::cached_nodes(c, &found.touched(), generation)?;
    Ok(found.with_records(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query plan of a statement on an empty store, one line per step.
    fn plan(sql: &str) -> Vec<String> {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let c = Connection::open(dir.path().join("plan.sqlite")).expect("a store file");
        sql::prepare_writer(&c).expect("the tables");
        let mut statement = c
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("the statement parses");
        let rows = statement
            .query_map(
                ["[\"Person:a\"]", "[\"SUBJECT\"]", "[\"ASSERTED\"]"],
                |row| row.get::<_, String>(3),
            )
            .expect("a plan");
        rows.map(|row| row.expect("a plan line")).collect()
    }

    #[test]
    fn claims_sharing_a_hash_are_still_told_apart() {
        let claim_ids = "Claim:aClaim:bClaim:aClaim:cClaim:b";
        let end = |claim: std::ops::Range<usize>, entity: usize, hash: u64| ClaimEnd {
            hash,
            claim,
            entity,
            link: RelType::Subject,
        };
        // a, b and c all share hash 7; c is alone under hash 9 too.
        let mut ends = vec![
            end(0..7, 0, 7),
            end(7..14, 1, 7),
            end(14..21, 2, 7),
            end(21..28, 3, 9),
            end(28..35, 4, 7),
        ];
        let groups: Vec<(String, Vec<usize>)> = by_claim(&mut ends, claim_ids)
            .map(|group| {
                let claim = claim_ids[group[0].claim.clone()].to_string();
                let mut entities: Vec<usize> = group.iter().map(|e| e.entity).collect();
                entities.sort();
                (claim, entities)
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("Claim:a".to_string(), vec![0, 2]),
                ("Claim:b".to_string(), vec![1, 4]),
                ("Claim:c".to_string(), vec![3]),
            ]
        );
    }

    #[test]
    fn walk_statements_seek_the_edges_and_never_scan_them() {
        for sql in [HOPS_LEAVING.as_str(), LINKS] {
            let plan = plan(sql);
            let scans: Vec<&String> = plan
                .iter()
                .filter(|line| line.starts_with("SCAN") && !line.contains("json_each"))
                .filter(|line| line.as_str() != "SCAN near")
                .collect();
            assert!(scans.is_empty(), "{scans:?} in {plan:#?}");
            assert!(
                plan.iter().any(|line| line.starts_with("SEARCH")),
                "{plan:#?}"
            );
        }
    }
}
