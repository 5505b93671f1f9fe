//! Materialised statuses: which claims an import can change, and their timelines as the
//! import leaves the graph, written in the import's own transaction. The rule itself stays
//! in `status.rs`; this only decides what to re-derive.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::attributes::{attribute, OCCURRED, OCCURRED_ON, PARTICIPANT};
// A new link's effect on principals is followed down as far as the rule follows links up.
use super::provenance::{status_inputs, MAX_HIERARCHY_DEPTH};
use super::timeline::{StatusTimeline, STATUS_TIMELINE};
use super::{DomainError, Graph};
use serde_json::Value;

use crate::model::record::derived::SORT_DATE;
use crate::model::record::{NodeRecord, Props, StoredNode};
use crate::model::{Claim, ClaimValue, Label, NodeId, RelType};
use crate::store::overlay::Overlay;
use crate::store::{Direction, WriteBatch};

/// The status properties of every claim whose status `batch` can change, derived on the
/// store as the batch will leave it.
pub async fn status_updates(
    graph: &Graph,
    batch: Arc<WriteBatch>,
) -> Result<Vec<NodeRecord>, DomainError> {
    let overlay = Graph::new(Arc::new(Overlay::new(
        Arc::clone(graph.store()),
        Arc::clone(&batch),
    )));
    let affected = affected_claims(&overlay, &batch, &[]).await?;
    timelines(&overlay, &affected).await
}

/// The same, for a batch that also changes these stored claims (an entity merge moves
/// claims to another subject or value): they count as if the batch introduced them.
pub async fn status_updates_with(
    graph: &Graph,
    batch: &WriteBatch,
    changed: &[NodeId],
) -> Result<Vec<NodeRecord>, DomainError> {
    let overlay = Graph::new(Arc::new(Overlay::new(
        Arc::clone(graph.store()),
        Arc::new(batch.clone()),
    )));
    let affected = affected_claims(&overlay, batch, changed).await?;
    timelines(&overlay, &affected).await
}

/// The status properties of these claims, derived from scratch, and of the events they
/// date or say took place: an event carries its occurrence claim's status (so that listings
/// filter events by status in the store) and its reported date (`sort_date`).
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
    let events: Vec<NodeId> = graph
        .typed::<Claim>(claims)
        .await?
        .into_values()
        .filter(|c| [OCCURRED, OCCURRED_ON].contains(&c.attribute.as_str()))
        .map(|c| c.subject)
        .collect();
    updates.extend(event_updates(graph, &events, &updates).await?);
    Ok(updates)
}

/// The derived properties of these events: the status of their occurrence claim (as just
/// derived in `claims`, else as stored) and the earliest day their `occurredOn` claims give.
async fn event_updates(
    graph: &Graph,
    events: &[NodeId],
    claims: &[NodeRecord],
) -> Result<Vec<NodeRecord>, DomainError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let about = graph.claims_about(events).await?;
    let occurrences: Vec<NodeId> = about
        .iter()
        .filter(|c| c.attribute == OCCURRED)
        .map(|c| c.id.clone())
        .collect();
    let stored = graph.records(&occurrences).await?;
    let derived: BTreeMap<&NodeId, &NodeRecord> = claims.iter().map(|r| (&r.id, r)).collect();
    let mut updates = BTreeMap::new();
    for claim in &about {
        let props = updates
            .entry(claim.subject.clone())
            .or_insert_with(Props::new);
        if claim.attribute == OCCURRED && !props.contains_key(STATUS_TIMELINE) {
            let latest = derived
                .get(&claim.id)
                .copied()
                .or_else(|| stored.get(&claim.id).map(|r| &**r));
            if let Some(timeline) = latest.and_then(|r| StatusTimeline::from_props(&r.props)) {
                props.extend(timeline.to_props());
            }
        }
        if let (OCCURRED_ON, ClaimValue::Date(date)) = (claim.attribute.as_str(), &claim.value) {
            let day = date.earliest().to_string();
            let earlier = props
                .get(SORT_DATE)
                .and_then(Value::as_str)
                .is_none_or(|known| day.as_str() < known);
            if earlier {
                props.insert(SORT_DATE.into(), Value::String(day));
            }
        }
    }
    Ok(updates
        .into_iter()
        .filter(|(_, props)| !props.is_empty())
        .map(|(id, props)| NodeRecord { id, props })
        .collect())
}

/// Claims whose evidence the batch touches: those it asserts something about, those in
/// conflict with them, those about an event whose occurrence it asserts something about,
/// and those whose principals change because the batch links someone to an organisation
/// (`position`, `partOf`, ...) or to an event (`participant`).
async fn affected_claims(
    graph: &Graph,
    batch: &WriteBatch,
    changed: &[NodeId],
) -> Result<Vec<NodeId>, DomainError> {
    let mut affected: BTreeSet<NodeId> = changed.iter().cloned().collect();
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
            .far_ends(&direct, RelType::ConflictsWith, Direction::Out)
            .await?,
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
    let mut claims: Vec<Claim> = batch
        .nodes
        .iter()
        .filter(|n| n.label() == Label::Claim)
        .filter_map(|record| Claim::from_record(record).ok())
        .collect();
    claims.extend(graph.typed::<Claim>(changed).await?.into_values());
    for claim in claims {
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
                .far_ends(&below, RelType::Subject, Direction::In)
                .await?,
        );
        let valued: Vec<NodeId> = graph
            .far_ends(&below, RelType::Value, Direction::In)
            .await?;
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
                .far_ends(&events, RelType::Subject, Direction::In)
                .await?,
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
            .far_ends(&frontier, RelType::Value, Direction::In)
            .await?;
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
