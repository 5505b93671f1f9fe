//! Materialised statuses: which claims an import can change, and their timelines as the
//! import leaves the graph, written in the import's own transaction. The rule itself stays
//! in `status.rs`; this only decides what to re-derive.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::attributes::{attribute, OCCURRED, PARTICIPANT};
use super::provenance::status_inputs;
use super::timeline::StatusTimeline;
use super::{DomainError, Graph};
use crate::model::record::{NodeRecord, StoredNode};
use crate::model::{Claim, ClaimValue, Label, NodeId, RelType};
use crate::store::overlay::Overlay;
use crate::store::{Direction, WriteBatch};

/// How far down `position` and `partOf` links a new link's effect on principals is followed
/// (the same depth the rule follows them up).
const MAX_HIERARCHY_DEPTH: usize = 6;

/// The status properties of every claim whose status `batch` can change, derived on the
/// store as the batch will leave it.
pub async fn status_updates(
    graph: &Graph,
    batch: &WriteBatch,
) -> Result<Vec<NodeRecord>, DomainError> {
    let overlay = Graph::new(Arc::new(Overlay::new(
        Arc::clone(graph.store()),
        batch.clone(),
    )));
    let affected = affected_claims(&overlay, batch).await?;
    timelines(&overlay, &affected).await
}

/// The status properties of these claims, derived from scratch.
pub async fn timelines(graph: &Graph, claims: &[NodeId]) -> Result<Vec<NodeRecord>, DomainError> {
    let mut updates: Vec<NodeRecord> = status_inputs(graph, claims)
        .await?
        .into_iter()
        .map(|(id, inputs)| NodeRecord {
            id,
            props: StatusTimeline::derive(&inputs).to_props(),
        })
        .collect();
    updates.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(updates)
}

/// Claims whose evidence the batch touches: those it asserts something about, those in
/// conflict with them, those about an event whose occurrence it asserts something about,
/// and those whose principals change because the batch links someone to an organisation
/// (`position`, `partOf`, ...) or to an event (`participant`).
async fn affected_claims(graph: &Graph, batch: &WriteBatch) -> Result<Vec<NodeId>, DomainError> {
    let mut affected: BTreeSet<NodeId> = BTreeSet::new();
    for edge in &batch.edges {
        match edge.rel {
            RelType::About => {
                affected.insert(edge.to.clone());
            }
            RelType::ConflictsWith => {
                affected.insert(edge.from.clone());
                affected.insert(edge.to.clone());
            }
            _ => {}
        }
    }
    // A conflicting claim's support counts against a claim, so its neighbours change too
    // (conflict links are stored both ways).
    let direct: Vec<NodeId> = affected.iter().cloned().collect();
    affected.extend(
        graph
            .linked(&direct, RelType::ConflictsWith, Direction::Out)
            .await?
            .into_values()
            .flatten(),
    );

    let mut served = Vec::new();
    // A denial of an event's occurrence counts against every claim about the event.
    let mut events: Vec<NodeId> = graph
        .typed::<Claim>(&direct)
        .await?
        .into_values()
        .filter(|claim| claim.attribute == OCCURRED)
        .map(|claim| claim.subject)
        .collect();
    for record in batch.nodes.iter().filter(|n| n.label() == Label::Claim) {
        let Ok(claim) = Claim::from_record(record) else {
            continue;
        };
        if !matches!(claim.value, ClaimValue::Entity(_)) {
            continue;
        }
        if claim.attribute == PARTICIPANT {
            events.push(claim.subject.clone());
        } else if attribute(&claim.attribute).is_some_and(|s| s.serves || s.contained_in) {
            served.push(claim.subject.clone());
        }
    }
    if !served.is_empty() {
        let below = serving(graph, &served).await?;
        affected.extend(
            graph
                .linked(&below, RelType::Subject, Direction::In)
                .await?
                .into_values()
                .flatten(),
        );
        let valued: Vec<NodeId> = graph
            .linked(&below, RelType::Value, Direction::In)
            .await?
            .into_values()
            .flatten()
            .collect();
        for claim in graph.typed::<Claim>(&valued).await?.into_values() {
            if claim.attribute == PARTICIPANT {
                events.push(claim.subject.clone());
            }
        }
        affected.extend(valued);
    }
    if !events.is_empty() {
        affected.extend(
            graph
                .linked(&events, RelType::Subject, Direction::In)
                .await?
                .into_values()
                .flatten(),
        );
    }
    Ok(affected
        .into_iter()
        .filter(|id| id.label() == Label::Claim)
        .collect())
}

/// These entities and everyone below them: those who serve them or are part of them, at
/// any depth up to the cap.
async fn serving(graph: &Graph, tops: &[NodeId]) -> Result<Vec<NodeId>, DomainError> {
    let mut seen: BTreeSet<NodeId> = tops.iter().cloned().collect();
    let mut frontier: Vec<NodeId> = seen.iter().cloned().collect();
    for _ in 0..MAX_HIERARCHY_DEPTH {
        if frontier.is_empty() {
            break;
        }
        let links: Vec<NodeId> = graph
            .linked(&frontier, RelType::Value, Direction::In)
            .await?
            .into_values()
            .flatten()
            .collect();
        let mut next = Vec::new();
        for claim in graph.typed::<Claim>(&links).await?.into_values() {
            let follows = attribute(&claim.attribute).is_some_and(|s| s.serves || s.contained_in);
            if follows && seen.insert(claim.subject.clone()) {
                next.push(claim.subject);
            }
        }
        frontier = next;
    }
    Ok(seen.into_iter().collect())
}
