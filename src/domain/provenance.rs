//! Gathers the evidence the status rule reads, for many claims at once, in a number of
//! store calls that depends on the depth of the organisation hierarchy (capped), never on
//! how many claims, assertions or sources there are.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::attributes::{attribute, OCCURRED, PARTICIPANT};
use super::status::{
    AssertionFacts, ConflictFacts, PresupposedFacts, Principal, SourceFacts, StatusInputs,
};
use super::{DomainError, Graph};
use crate::model::{Assertion, Claim, ClaimValue, Entity, Label, NodeId, RelType, Report, Source};
use crate::store::Direction;

/// How far up `position` and `partOf` links principals are followed.
pub(super) const MAX_HIERARCHY_DEPTH: usize = 6;

/// The status inputs of each of these claims.
pub async fn status_inputs(
    graph: &Graph,
    claim_ids: &[NodeId],
) -> Result<HashMap<NodeId, StatusInputs>, DomainError> {
    let wanted = graph.typed::<Claim>(claim_ids).await?;
    let events: Vec<NodeId> = wanted
        .values()
        .filter(|c| c.subject.label() == Label::Event)
        .map(|c| c.subject.clone())
        .collect();
    let about_events = graph.claims_about(&events).await?;
    let occurrences: Vec<&Claim> = about_events
        .iter()
        .filter(|c| c.attribute == OCCURRED)
        .collect();
    let mut occurrences_of: HashMap<&NodeId, Vec<&Claim>> = HashMap::new();
    for occurrence in &occurrences {
        occurrences_of
            .entry(&occurrence.subject)
            .or_default()
            .push(occurrence);
    }
    let conflicts = graph
        .linked(claim_ids, RelType::ConflictsWith, Direction::Out)
        .await?;
    let mut all_claims: Vec<NodeId> = claim_ids.to_vec();
    all_claims.extend(conflicts.values().flatten().cloned());
    all_claims.extend(occurrences.iter().map(|c| c.id.clone()));
    // Only the conflicting claims are still to be read: the others are at hand.
    let mut claims = wanted.clone();
    claims.extend(occurrences.iter().map(|c| (c.id.clone(), (*c).clone())));
    let unread: Vec<NodeId> = all_claims
        .iter()
        .filter(|id| !claims.contains_key(*id))
        .cloned()
        .collect();
    claims.extend(graph.typed::<Claim>(&unread).await?);
    let assertions_of = graph
        .linked(&all_claims, RelType::About, Direction::In)
        .await?;
    let assertion_ids: Vec<NodeId> = assertions_of.values().flatten().cloned().collect();
    let facts = assertion_facts(graph, &assertion_ids).await?;
    let facts_of = |claim: &NodeId| -> Vec<AssertionFacts> {
        assertions_of
            .get(claim)
            .into_iter()
            .flatten()
            .filter_map(|id| facts.get(id).cloned())
            .collect()
    };
    let wanted: Vec<&Claim> = claim_ids.iter().filter_map(|id| wanted.get(id)).collect();
    let principals = principals(graph, &wanted, &about_events).await?;

    let mut inputs = HashMap::new();
    for claim in wanted {
        let conflicts = conflicts
            .get(&claim.id)
            .into_iter()
            .flatten()
            .filter_map(|id| claims.get(id))
            .map(|other| ConflictFacts {
                claim: other.id.clone(),
                statement: other.statement.clone(),
                assertions: facts_of(&other.id),
            })
            .collect();
        let presupposes = if claim.attribute == OCCURRED {
            Vec::new()
        } else {
            occurrences_of
                .get(&claim.subject)
                .into_iter()
                .flatten()
                .map(|occurrence| PresupposedFacts {
                    claim: occurrence.id.clone(),
                    statement: occurrence.statement.clone(),
                    assertions: facts_of(&occurrence.id),
                })
                .collect()
        };
        inputs.insert(
            claim.id.clone(),
            StatusInputs {
                assertions: facts_of(&claim.id),
                principals: principals.get(&claim.id).cloned().unwrap_or_default(),
                conflicts,
                presupposes,
            },
        );
    }
    Ok(inputs)
}

fn first(map: &BTreeMap<NodeId, Vec<NodeId>>, id: &NodeId) -> Option<NodeId> {
    map.get(id).and_then(|ids| ids.first()).cloned()
}

/// Each assertion with its report, publisher, relays and sources.
async fn assertion_facts(
    graph: &Graph,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, AssertionFacts>, DomainError> {
    let assertions = graph.typed::<Assertion>(ids).await?;
    let report_of = graph.linked(ids, RelType::MadeIn, Direction::Out).await?;
    let cites = graph.linked(ids, RelType::Cites, Direction::Out).await?;
    let report_ids: Vec<NodeId> = report_of.values().flatten().cloned().collect();
    let source_ids: Vec<NodeId> = cites.values().flatten().cloned().collect();
    let reports = graph.typed::<Report>(&report_ids).await?;
    let sources = graph.typed::<Source>(&source_ids).await?;
    let publisher = graph
        .linked(&report_ids, RelType::PublishedBy, Direction::Out)
        .await?;
    let relays = graph
        .linked(&report_ids, RelType::Relays, Direction::Out)
        .await?;
    let affiliation = graph
        .linked(&source_ids, RelType::AffiliatedWith, Direction::Out)
        .await?;
    let names = graph
        .linked(&source_ids, RelType::Names, Direction::Out)
        .await?;
    let organisation_ids: Vec<NodeId> = publisher
        .values()
        .chain(affiliation.values())
        .flatten()
        .cloned()
        .collect();
    let organisations = graph.typed::<Entity>(&organisation_ids).await?;
    let name_of = |id: &Option<NodeId>| {
        id.as_ref()
            .and_then(|id| organisations.get(id))
            .map(|o| o.name.clone())
    };

    let mut facts = HashMap::new();
    for (id, assertion) in assertions {
        let Some(report) = first(&report_of, &id).and_then(|r| reports.get(&r)) else {
            continue;
        };
        let publisher = first(&publisher, &report.id);
        let sources = cites
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|s| sources.get(s))
            .map(|source| {
                let affiliation = first(&affiliation, &source.id);
                SourceFacts {
                    id: source.id.clone(),
                    description: source.description.clone(),
                    anonymous: source.anonymous,
                    affiliation_name: name_of(&affiliation),
                    affiliation,
                    person: first(&names, &source.id),
                }
            })
            .collect();
        facts.insert(
            id.clone(),
            AssertionFacts {
                id,
                stance: assertion.stance,
                date: assertion.made_at.or_else(|| report.published_at.clone()),
                report: report.id.clone(),
                report_title: report.title.clone(),
                report_kind: report.kind,
                publisher_name: name_of(&publisher),
                publisher,
                relays: relays.get(&report.id).cloned().unwrap_or_default(),
                sources,
            },
        );
    }
    Ok(facts)
}

fn entity_value(claim: &Claim) -> Option<&NodeId> {
    match &claim.value {
        ClaimValue::Entity(id) => Some(id),
        _ => None,
    }
}

fn is_agent(id: &NodeId) -> bool {
    matches!(id.label(), Label::Person | Label::Organization)
}

/// The principals of each claim: its parties (the subject and value when they are people or
/// organisations, an event's participants) and the organisations they serve, up the
/// `position` and `partOf` links, each over the days its links hold. `about_events` are
/// the claims about the events among the claims' subjects.
async fn principals(
    graph: &Graph,
    claims: &[&Claim],
    about_events: &[Claim],
) -> Result<HashMap<NodeId, Vec<Principal>>, DomainError> {
    let mut participants: BTreeMap<NodeId, Vec<NodeId>> = BTreeMap::new();
    for claim in about_events {
        if claim.attribute == PARTICIPANT {
            if let Some(value) = entity_value(claim) {
                participants
                    .entry(claim.subject.clone())
                    .or_default()
                    .push(value.clone());
            }
        }
    }
    let parties: HashMap<NodeId, Vec<NodeId>> = claims
        .iter()
        .map(|claim| {
            let mut parties: Vec<NodeId> = [Some(&claim.subject), entity_value(claim)]
                .into_iter()
                .flatten()
                .filter(|id| is_agent(id))
                .cloned()
                .collect();
            parties.extend(
                participants
                    .get(&claim.subject)
                    .cloned()
                    .unwrap_or_default(),
            );
            (claim.id.clone(), parties)
        })
        .collect();

    let starts: Vec<NodeId> = parties.values().flatten().cloned().collect();
    let links = upward_claims(graph, &starts, |spec| spec.serves || spec.contained_in).await?;
    Ok(parties
        .into_iter()
        .map(|(claim, parties)| {
            let mut principals: BTreeSet<Principal> = BTreeSet::new();
            for party in &parties {
                principals.extend(served_by(party, &links));
            }
            (claim, principals.into_iter().collect())
        })
        .collect())
}

/// A party and everyone it serves or belongs to, each over the days the whole path of links
/// to it may hold (the intersection of the links' validity; unknown bounds stay open).
fn served_by(party: &NodeId, links: &BTreeMap<NodeId, Vec<Claim>>) -> BTreeSet<Principal> {
    let mut found: BTreeSet<Principal> = BTreeSet::new();
    let mut frontier = vec![Principal::party(party.clone())];
    for _ in 0..=MAX_HIERARCHY_DEPTH {
        let mut next = Vec::new();
        for principal in frontier {
            if !found.insert(principal.clone()) {
                continue;
            }
            for link in links.get(&principal.id).into_iter().flatten() {
                let Some(above) = entity_value(link) else {
                    continue;
                };
                let from = [
                    principal.from,
                    link.valid_from.as_ref().map(|d| d.earliest()),
                ]
                .into_iter()
                .flatten()
                .max();
                let until = [
                    principal.until,
                    link.valid_to.as_ref().and_then(|d| d.latest()),
                ]
                .into_iter()
                .flatten()
                .min();
                next.push(Principal {
                    id: above.clone(),
                    from,
                    until,
                });
            }
        }
        frontier = next;
    }
    found
}

/// The direct upward links (by attributes the filter accepts) from these entities and
/// everything above them, level by level: two store calls a level.
pub async fn upward_links(
    graph: &Graph,
    starts: &[NodeId],
    follow: impl Fn(&super::attributes::AttributeSpec) -> bool,
) -> Result<BTreeMap<NodeId, BTreeSet<NodeId>>, DomainError> {
    Ok(upward_claims(graph, starts, follow)
        .await?
        .into_iter()
        .map(|(subject, claims)| {
            let above = claims.iter().filter_map(entity_value).cloned().collect();
            (subject, above)
        })
        .collect())
}

/// The claims that link these entities, and everything above them, upward (by attributes
/// the filter accepts), by subject, level by level: two store calls a level.
async fn upward_claims(
    graph: &Graph,
    starts: &[NodeId],
    follow: impl Fn(&super::attributes::AttributeSpec) -> bool,
) -> Result<BTreeMap<NodeId, Vec<Claim>>, DomainError> {
    let mut links: BTreeMap<NodeId, Vec<Claim>> = BTreeMap::new();
    let mut seen: BTreeSet<NodeId> = starts.iter().cloned().collect();
    let mut frontier: Vec<NodeId> = seen.iter().cloned().collect();
    for _ in 0..MAX_HIERARCHY_DEPTH {
        if frontier.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for claim in graph.claims_about(&frontier).await? {
            let Some(value) = entity_value(&claim).cloned() else {
                continue;
            };
            if attribute(&claim.attribute).is_some_and(&follow) {
                if seen.insert(value.clone()) {
                    next.push(value);
                }
                links.entry(claim.subject.clone()).or_default().push(claim);
            }
        }
        frontier = next;
    }
    Ok(links)
}
