//! Turns valid inputs into one write batch: nodes, edges, the digest guard, and the
//! conflict and refinement links of the claims it introduces.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::input::{ClaimValueInput, ReportInput};
use super::resolve::{entity_label, Resolver};
use super::validate::report_key;
use crate::domain::attributes::attribute;
use crate::domain::conflict::{containment, relate, Relation};
use crate::domain::provenance::upward_links;
use crate::domain::{DomainError, Graph};
use crate::model::record::derived::{IMPORT_ORDER, INPUT, SORT_DATE};
use crate::model::record::{EdgeRecord, NodeRecord, StoredNode};
use crate::model::{
    Assertion, Claim, ClaimValue, Entity, Label, NodeId, RelType, Report, ReportedDate, Source,
};
use crate::store::{Guard, WriteBatch};

/// The content digest stored on a report: equal inputs, equal digests. It hashes a
/// canonical form: keys sorted, and absent optional fields (nulls, empty lists) left out,
/// so that adding an optional field to the input format changes no stored report's digest.
/// `tests/api/importing.rs` pins the seed reports' digests.
pub fn digest(input: &ReportInput) -> String {
    digest_of_canonical(&canonical(input))
}

fn digest_of_canonical(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// The input in its canonical form: JSON with keys sorted and absent optional fields left
/// out. Stored on the report, it is what `kg export` writes back.
pub fn canonical(input: &ReportInput) -> String {
    let value = serde_json::to_value(input).unwrap_or_default();
    let mut canonical = String::new();
    write_canonical(&value, &mut canonical);
    canonical
}

/// The digest stores written before the canonical form hold: the input's serialisation,
/// nulls included. A stored report matches either, so re-importing into such a store is
/// still idempotent.
pub fn legacy_digest(input: &ReportInput) -> String {
    let serialised = serde_json::to_vec(input).unwrap_or_default();
    hex::encode(Sha256::digest(serialised))
}

fn is_absent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(fields) => {
            let mut present: Vec<(&String, &Value)> =
                fields.iter().filter(|(_, v)| !is_absent(v)).collect();
            present.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (n, (key, value)) in present.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A report's source: sources are keyed within their report (keys cannot hold `#`).
pub(super) fn source_id(report: &str, source: &str) -> NodeId {
    NodeId::new(Label::Source, &format!("{report}#{source}"))
}

/// A report's assertion, keyed within its report by its own key or else its place.
pub(super) fn assertion_id(report: &str, index: usize, key: Option<&str>) -> NodeId {
    let local = key.map_or_else(|| index.to_string(), str::to_string);
    NodeId::new(Label::Assertion, &format!("{report}#{local}"))
}

fn date(text: &Option<String>) -> Option<ReportedDate> {
    text.as_deref().and_then(|t| t.parse().ok())
}

/// A report's record with the day listings sort it by: the earliest its publication allows.
pub(super) fn dated(report: &Report) -> NodeRecord {
    let mut record = report.to_record();
    if let Some(published) = &report.published_at {
        record.props.insert(
            SORT_DATE.into(),
            Value::String(published.earliest().to_string()),
        );
    }
    record
}

/// Stamps the batch's reports with their place in the order of imports: `version` is the
/// store's import version the batch is applied at, which only this batch can commit at.
pub(super) fn number_reports(batch: &mut WriteBatch, version: u64) {
    let reports = batch
        .nodes
        .iter_mut()
        .filter(|n| n.label() == Label::Report);
    for (index, record) in reports.enumerate() {
        // Not shared yet: the batch is still being built.
        let record = Arc::make_mut(record);
        let order = version
            .saturating_mul(1_000_000)
            .saturating_add(index as u64);
        record.props.insert(IMPORT_ORDER.into(), Value::from(order));
    }
}

/// The batch for valid inputs, without conflict links yet.
pub(super) fn build(resolver: &Resolver, inputs: &[ReportInput]) -> (WriteBatch, Vec<Claim>) {
    // Validation has passed, so every reference resolves and every value parses.
    let mut batch = WriteBatch::default();
    let mut claims = Vec::new();
    let edge = |from: &NodeId, rel: RelType, to: &NodeId| EdgeRecord {
        from: from.clone(),
        rel,
        to: to.clone(),
    };
    for input in inputs {
        let Some(key) = report_key(input) else {
            continue;
        };
        let report_id = NodeId::new(Label::Report, key);
        let canonical = canonical(input);
        let report = Report {
            id: report_id.clone(),
            title: input.title.trim().to_string(),
            url: input.url.clone(),
            kind: input.kind,
            published_at: date(&input.published_at),
            published_at_inferred: input.published_at_inferred.clone(),
            content_digest: digest_of_canonical(&canonical),
        };
        batch.guards.push(Guard {
            id: report_id.clone(),
            property: "content_digest",
            value: Value::String(report.content_digest.clone()),
        });
        let mut record = dated(&report);
        record.props.insert(INPUT.into(), Value::String(canonical));
        batch.nodes.push(record.into());
        if let Some(publisher) = &input.publisher {
            if let Some(org) = resolver.lookup(publisher) {
                batch
                    .edges
                    .push(edge(&report_id, RelType::PublishedBy, &org));
            }
        }
        for relayed in &input.relays {
            batch.edges.push(edge(
                &report_id,
                RelType::Relays,
                &NodeId::new(Label::Report, relayed),
            ));
        }
        for entity in &input.entities {
            let label = entity_label(entity.entity_type);
            batch.nodes.push(
                Entity {
                    id: NodeId::new(label, &entity.key),
                    name: entity.name.trim().to_string(),
                    aliases: entity.aliases.clone(),
                    description: entity.description.clone(),
                    organization_kind: entity.organization_kind,
                }
                .to_record()
                .into(),
            );
        }
        for source in &input.sources {
            let id = source_id(key, &source.key);
            batch.nodes.push(
                Source {
                    id: id.clone(),
                    description: source.description.trim().to_string(),
                    count: source.count,
                    anonymous: source.anonymous,
                }
                .to_record()
                .into(),
            );
            let links = [
                (&source.affiliation, RelType::AffiliatedWith),
                (&source.person, RelType::Names),
            ];
            for (target, rel) in links {
                if let Some(target) = target.as_deref().and_then(|k| resolver.lookup(k)) {
                    batch.edges.push(edge(&id, rel, &target));
                }
            }
        }
        for claim in &input.claims {
            let Some(subject) = resolver.lookup(&claim.subject) else {
                continue;
            };
            let value = match &claim.value {
                None => ClaimValue::None,
                Some(ClaimValueInput::Entity(k)) => match resolver.lookup(k) {
                    Some(id) => ClaimValue::Entity(id),
                    None => continue,
                },
                Some(ClaimValueInput::Text(text)) => ClaimValue::Text(text.trim().to_string()),
                Some(ClaimValueInput::Date(text)) => match text.parse() {
                    Ok(date) => ClaimValue::Date(date),
                    Err(_) => continue,
                },
                Some(ClaimValueInput::Number(n)) => ClaimValue::Number(*n),
            };
            let id = NodeId::new(Label::Claim, &claim.key);
            batch.edges.push(edge(&id, RelType::Subject, &subject));
            if let ClaimValue::Entity(target) = &value {
                batch.edges.push(edge(&id, RelType::Value, target));
            }
            let claim = Claim {
                id,
                statement: claim.statement.trim().to_string(),
                subject,
                attribute: claim.attribute.clone(),
                value,
                value_inferred: claim.value_inferred.clone(),
                qualifier: claim.qualifier.clone(),
                valid_from: date(&claim.valid_from),
                valid_to: date(&claim.valid_to),
            };
            batch.nodes.push(claim.to_record().into());
            claims.push(claim);
        }
        for (index, assertion) in input.assertions.iter().enumerate() {
            let id = assertion_id(key, index, assertion.key.as_deref());
            batch.nodes.push(
                Assertion {
                    id: id.clone(),
                    stance: assertion.stance,
                    quote: assertion.quote.clone(),
                    made_at: date(&assertion.made_at),
                }
                .to_record()
                .into(),
            );
            batch.edges.push(edge(&id, RelType::MadeIn, &report_id));
            batch.edges.push(edge(
                &id,
                RelType::About,
                &NodeId::new(Label::Claim, &assertion.claim),
            ));
            for cited in &assertion.cites {
                let source = source_id(key, cited);
                batch.edges.push(edge(&id, RelType::Cites, &source));
            }
            let claim = NodeId::new(Label::Claim, &assertion.claim);
            for speaker in speakers(resolver, input, &assertion.cites) {
                batch
                    .edges
                    .push(edge(&speaker, RelType::evidence(assertion.stance), &claim));
            }
        }
    }
    (batch, claims)
}

/// The organisations an assertion speaks for: its report's publisher, and the affiliations
/// of the sources it cites. Each gets an evidence edge to the claim.
fn speakers(resolver: &Resolver, input: &ReportInput, cites: &[String]) -> BTreeSet<NodeId> {
    let affiliations = input
        .sources
        .iter()
        .filter(|source| cites.contains(&source.key))
        .filter_map(|source| source.affiliation.as_deref());
    input
        .publisher
        .as_deref()
        .into_iter()
        .chain(affiliations)
        .filter_map(|key| resolver.lookup(key))
        .filter(|id| id.label() == Label::Organization)
        .collect()
}

/// Adds conflict and refinement links between the claims the batch introduces and the
/// claims already stored (or introduced alongside) with the same subject and attribute.
pub(super) async fn link_conflicts(
    graph: &Graph,
    batch: &mut WriteBatch,
    new_claims: &[Claim],
    stored: &BTreeSet<NodeId>,
) -> Result<(), DomainError> {
    let links = conflict_links(graph, new_claims, |c| !stored.contains(&c.id)).await?;
    batch.edges.extend(links);
    Ok(())
}

/// The conflict and refinement links of the `new_claims` that `fresh` selects, with the
/// claims `graph` holds about the same subjects and with each other.
pub(super) async fn conflict_links(
    graph: &Graph,
    new_claims: &[Claim],
    fresh: impl Fn(&Claim) -> bool,
) -> Result<BTreeSet<EdgeRecord>, DomainError> {
    let fresh: Vec<&Claim> = new_claims
        .iter()
        .filter(|c| fresh(c))
        .filter(|c| attribute(&c.attribute).is_some_and(|spec| spec.functional))
        .collect();
    if fresh.is_empty() {
        return Ok(BTreeSet::new());
    }
    let subjects: Vec<NodeId> = fresh.iter().map(|c| c.subject.clone()).collect();
    let mut candidates: Vec<Claim> = graph.claims_about(&subjects).await?;
    candidates.extend(new_claims.iter().cloned());

    // Containment of every entity value involved, from the store and from this batch.
    let contained_in = |c: &Claim| attribute(&c.attribute).is_some_and(|s| s.contained_in);
    let mut direct: BTreeMap<NodeId, BTreeSet<NodeId>> = BTreeMap::new();
    for claim in new_claims.iter().filter(|c| contained_in(c)) {
        if let ClaimValue::Entity(outer) = &claim.value {
            direct
                .entry(claim.subject.clone())
                .or_default()
                .insert(outer.clone());
        }
    }
    let mut starts: Vec<NodeId> = candidates
        .iter()
        .filter_map(|c| match &c.value {
            ClaimValue::Entity(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    starts.extend(direct.values().flatten().cloned());
    for (inner, outers) in upward_links(graph, &starts, |s| s.contained_in).await? {
        direct.entry(inner).or_default().extend(outers);
    }
    let closed = containment(&direct);

    // Only claims on the same subject and attribute can conflict.
    let mut alike: HashMap<(&NodeId, &str), Vec<&Claim>> = HashMap::new();
    for claim in &candidates {
        alike
            .entry((&claim.subject, claim.attribute.as_str()))
            .or_default()
            .push(claim);
    }
    let mut links = BTreeSet::new();
    for claim in fresh {
        let same = alike.get(&(&claim.subject, claim.attribute.as_str()));
        for other in same.into_iter().flatten() {
            match relate(claim, other, &closed) {
                Relation::Compatible => {}
                Relation::Conflicts => {
                    links.insert((claim.id.clone(), RelType::ConflictsWith, other.id.clone()));
                    links.insert((other.id.clone(), RelType::ConflictsWith, claim.id.clone()));
                }
                Relation::Refines => {
                    links.insert((claim.id.clone(), RelType::Refines, other.id.clone()));
                }
                Relation::RefinedBy => {
                    links.insert((other.id.clone(), RelType::Refines, claim.id.clone()));
                }
            }
        }
    }
    Ok(links
        .into_iter()
        .map(|(from, rel, to)| EdgeRecord { from, rel, to })
        .collect())
}
