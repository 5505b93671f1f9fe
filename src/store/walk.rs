//! Walks between entities for analysts: paths and neighbourhoods, pushed down to the store
//! whole (on Neo4j, one query each).
//!
//! A walk steps from entity to entity through claims. A *hop* is entity, link, claim, link,
//! entity, where each link is the claim's subject, its value, or an evidence edge (an
//! organisation that asserted, confirmed, denied, disputed or retracted it). Two evidence
//! links never make a hop: two speakers on one claim are not linked by it. Which claims a
//! walk may rest on is a [`WalkFilter`]; the order of paths is [`path_order`], the same on
//! every store.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::Value;

use crate::model::record::{derived, NodeRecord};
use crate::model::{NodeId, RelType};

/// The links a walk may use, and the claims it may rest on.
#[derive(Clone, Debug, PartialEq)]
pub struct WalkFilter {
    /// Subject and value links (claim edges).
    pub claims: bool,
    /// Evidence links (an organisation's stance on a claim).
    pub evidence: bool,
    /// Only claims of these attributes; any when `None`.
    pub attributes: Option<Vec<String>>,
    /// Only claims whose status (as of `as_of`, else now) is one of these; any when `None`.
    pub statuses: Option<Vec<&'static str>>,
    pub as_of: Option<NaiveDate>,
}

impl WalkFilter {
    /// The relationship types a walk may follow: a claim's subject and value links always
    /// (an evidence edge leads to them too), and evidence links when asked for.
    pub fn rels(&self) -> Vec<RelType> {
        let mut rels = vec![RelType::Subject, RelType::Value];
        if self.evidence {
            rels.extend(RelType::EVIDENCE);
        }
        rels
    }

    /// Whether two links to one claim make a hop: never two evidence links (two speakers
    /// on one claim are not linked by it); an evidence link only when evidence is asked
    /// for; two party links only when claim edges are.
    pub fn joins(&self, from_link: RelType, to_link: RelType) -> bool {
        let evidence = [from_link, to_link]
            .iter()
            .filter(|l| l.evidence_stance().is_some())
            .count();
        match evidence {
            0 => self.claims,
            1 => self.evidence,
            _ => false,
        }
    }

    /// Whether every claim is admitted, so that no claim need be read to walk.
    pub fn admits_all(&self) -> bool {
        self.attributes.is_none() && self.statuses.is_none()
    }

    /// Whether a walk may rest on this claim, given its stored record.
    pub fn admits(&self, claim: &NodeRecord) -> bool {
        let text = |name: &str| claim.props.get(name).and_then(Value::as_str);
        if let Some(attributes) = &self.attributes {
            if !text("attribute").is_some_and(|a| attributes.iter().any(|x| x == a)) {
                return false;
            }
        }
        let Some(statuses) = &self.statuses else {
            return true;
        };
        let status = match self.as_of {
            None => text(derived::STATUS),
            Some(day) => status_on(claim, day),
        };
        status.is_some_and(|s| statuses.contains(&s))
    }
}

/// A claim's materialised status on a day: the last `DAY=STATUS` entry of its timeline
/// dated on or before it (the first entry has no day). Read the way every store reads it.
fn status_on(claim: &NodeRecord, day: NaiveDate) -> Option<&str> {
    let day = day.to_string();
    claim
        .props
        .get(derived::STATUS_TIMELINE)?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|entry| entry.split_once('='))
        .rfind(|(entry_day, _)| *entry_day <= day.as_str())
        .map(|(_, status)| status)
}

/// One step of a walk: from an entity, through a claim, to another entity, with the
/// relationship type linking each end to the claim.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WalkHop {
    pub from: NodeId,
    pub from_link: RelType,
    pub claim: NodeId,
    pub to_link: RelType,
    pub to: NodeId,
}

/// A path between two entities, as hops; consecutive hops share an entity.
pub type WalkPath = Vec<WalkHop>;

/// The ids along a path (entities and claims alternating), then the relationship types
/// along it: what paths are ordered by after their length.
fn path_keys(path: &WalkPath) -> (Vec<String>, Vec<&'static str>) {
    let mut ids = Vec::with_capacity(path.len() * 2 + 1);
    let mut types = Vec::with_capacity(path.len() * 2);
    if let Some(first) = path.first() {
        ids.push(first.from.to_string());
    }
    for hop in path {
        ids.push(hop.claim.to_string());
        ids.push(hop.to.to_string());
        types.push(hop.from_link.as_str());
        types.push(hop.to_link.as_str());
    }
    (ids, types)
}

/// The order of paths on every store: shorter first, then by the ids along them, then by
/// the relationship types along them (Cypher's order of lists, element by element).
pub fn path_order(a: &WalkPath, b: &WalkPath) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| path_keys(a).cmp(&path_keys(b)))
}

/// The k shortest simple paths between two entities.
#[derive(Clone, Debug, PartialEq)]
pub struct PathQuery {
    pub from: NodeId,
    pub to: NodeId,
    pub max_hops: usize,
    pub filter: WalkFilter,
    /// How many paths, at most.
    pub limit: usize,
}

/// The entities within `depth` hops of a centre.
#[derive(Clone, Debug, PartialEq)]
pub struct NeighbourhoodQuery {
    pub centre: NodeId,
    pub depth: usize,
    pub filter: WalkFilter,
    /// How many entities, at most, the centre included: the nearest, then by id.
    pub max_nodes: usize,
}

/// A neighbourhood: its entities, nearest first, the hops between them, and the records
/// of both, read with the walk so that drawing it costs no further store call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Neighbourhood {
    /// Each entity with its distance in hops from the centre, by distance then id.
    pub nodes: Vec<(NodeId, usize)>,
    /// The hops whose two ends are both among `nodes`, each once, sorted.
    pub hops: Vec<WalkHop>,
    /// Whether more entities were within reach than `max_nodes`.
    pub truncated: bool,
    /// The records of the entities and of the claims the hops rest on ([`Self::touched`]),
    /// in no particular order.
    pub records: Vec<Arc<NodeRecord>>,
}

impl Neighbourhood {
    /// The neighbourhood from the hops found level by level (`levels[0]` leaves the
    /// centre): every store finds the levels its own way, and this one function decides
    /// distances, the cut and the order, so that stores agree.
    pub fn from_levels(centre: &NodeId, levels: Vec<Vec<WalkHop>>, max_nodes: usize) -> Self {
        let mut distance = std::collections::BTreeMap::new();
        distance.insert(centre.clone(), 0);
        for (level, hops) in levels.iter().enumerate() {
            for hop in hops {
                distance.entry(hop.to.clone()).or_insert(level + 1);
            }
        }
        let mut nodes: Vec<(NodeId, usize)> = distance.into_iter().collect();
        nodes.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let truncated = nodes.len() > max_nodes;
        nodes.truncate(max_nodes);
        let kept: std::collections::BTreeSet<&NodeId> = nodes.iter().map(|(id, _)| id).collect();
        let mut hops: Vec<WalkHop> = levels
            .into_iter()
            .flatten()
            .filter(|hop| kept.contains(&hop.from) && kept.contains(&hop.to))
            .map(canonical)
            .collect();
        hops.sort();
        hops.dedup();
        Self {
            nodes,
            hops,
            truncated,
            records: Vec::new(),
        }
    }

    /// The ids whose records a neighbourhood carries: its entities and the claims its hops
    /// rest on, sorted, each once.
    pub fn touched(&self) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = self.nodes.iter().map(|(id, _)| id.clone()).collect();
        ids.extend(self.hops.iter().map(|hop| hop.claim.clone()));
        sorted(ids)
    }

    /// Keeps, of records read along the walk (possibly more, possibly repeated), one for
    /// each id [`Self::touched`] names.
    pub fn with_records(mut self, read: impl IntoIterator<Item = Arc<NodeRecord>>) -> Self {
        self.records = one_each(self.touched(), read);
        self
    }
}

/// Paths, and the records of what they pass through, read with them so that showing them
/// costs no further store call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Paths {
    /// In [`path_order`].
    pub paths: Vec<WalkPath>,
    /// The records of the entities and claims along the paths ([`Self::touched`]), in no
    /// particular order.
    pub records: Vec<Arc<NodeRecord>>,
}

impl Paths {
    /// Paths (in any order) without their records yet.
    pub fn of(mut paths: Vec<WalkPath>) -> Self {
        paths.sort_by(path_order);
        Self {
            paths,
            records: Vec::new(),
        }
    }

    /// The entities and claims along the paths, sorted, each once.
    pub fn touched(&self) -> Vec<NodeId> {
        sorted(
            self.paths
                .iter()
                .flatten()
                .flat_map(|h| [h.from.clone(), h.claim.clone(), h.to.clone()])
                .collect(),
        )
    }

    /// Keeps, of records read along the paths (possibly repeated), one for each id
    /// [`Self::touched`] names.
    pub fn with_records(mut self, read: impl IntoIterator<Item = Arc<NodeRecord>>) -> Self {
        self.records = one_each(self.touched(), read);
        self
    }
}

fn sorted(mut ids: Vec<NodeId>) -> Vec<NodeId> {
    ids.sort();
    ids.dedup();
    ids
}

/// One record for each wanted id, of those read.
fn one_each(
    wanted: Vec<NodeId>,
    read: impl IntoIterator<Item = Arc<NodeRecord>>,
) -> Vec<Arc<NodeRecord>> {
    let wanted: std::collections::HashSet<NodeId> = wanted.into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    read.into_iter()
        .filter(|record| wanted.contains(&record.id) && seen.insert(record.id.clone()))
        .collect()
}

/// A hop read in one fixed direction (from the smaller id), so that a hop found from both
/// of its ends is kept once.
fn canonical(hop: WalkHop) -> WalkHop {
    if hop.from <= hop.to {
        hop
    } else {
        WalkHop {
            from: hop.to,
            from_link: hop.to_link,
            claim: hop.claim,
            to_link: hop.from_link,
            to: hop.from,
        }
    }
}
