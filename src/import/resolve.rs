//! Reference resolution: every key an input refers to must be introduced by the batch or
//! already stored, as a node of the right kind. One store call for the whole batch.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::error::InputErrorCode;
use super::input::{ClaimValueInput, EntityType, ReportInput};
use super::plan::{assertion_id, source_id};
use super::validate::{at, report_key, Checker, Path, F, I};
use crate::domain::attributes::{attribute, ValueKind};
use crate::domain::entity_candidates as graph_candidates;
use crate::domain::{DomainError, Graph};
use serde_json::Value;

use crate::model::record::derived::MERGED_INTO;
use crate::model::record::NodeRecord;
use crate::model::{Label, NodeId};

pub(super) fn entity_label(entity_type: EntityType) -> Label {
    match entity_type {
        EntityType::Person => Label::Person,
        EntityType::Organization => Label::Organization,
        EntityType::Place => Label::Place,
        EntityType::Event => Label::Event,
    }
}

/// What the batch introduces and what the store already holds, for resolving keys.
pub(super) struct Resolver {
    declared_entities: BTreeMap<String, Label>,
    declared_claims: BTreeMap<String, Label>,
    batch_reports: BTreeMap<String, usize>,
    pub stored: HashMap<NodeId, Arc<NodeRecord>>,
    /// Every id looked for in the store: those missing from `stored` are not there.
    looked_up: HashSet<NodeId>,
}

impl Resolver {
    pub async fn load(graph: &Graph, inputs: &[ReportInput]) -> Result<Self, DomainError> {
        let mut declared_entities = BTreeMap::new();
        let mut declared_claims = BTreeMap::new();
        let mut batch_reports = BTreeMap::new();
        let mut lookup: Vec<NodeId> = Vec::new();
        for (index, input) in inputs.iter().enumerate() {
            if let Some(key) = report_key(input) {
                batch_reports.entry(key.to_string()).or_insert(index);
                lookup.push(NodeId::new(Label::Report, key));
                // Looked up too, so that the importer knows which nodes of the batch are
                // new without asking again (`absent`).
                lookup.extend(input.sources.iter().map(|s| source_id(key, &s.key)));
                let assertions = input.assertions.iter().enumerate();
                lookup.extend(assertions.map(|(i, a)| assertion_id(key, i, a.key.as_deref())));
            }
            lookup.extend(
                input
                    .relays
                    .iter()
                    .map(|key| NodeId::new(Label::Report, key)),
            );
            for entity in &input.entities {
                declared_entities
                    .entry(entity.key.clone())
                    .or_insert(entity_label(entity.entity_type));
            }
            for claim in &input.claims {
                declared_claims.insert(claim.key.clone(), Label::Claim);
            }
            let mut entity_keys: Vec<&str> =
                input.entities.iter().map(|e| e.key.as_str()).collect();
            entity_keys.extend(input.publisher.as_deref());
            for source in &input.sources {
                entity_keys.extend(source.affiliation.as_deref());
                entity_keys.extend(source.person.as_deref());
            }
            for claim in &input.claims {
                entity_keys.push(&claim.subject);
                if let Some(ClaimValueInput::Entity(key)) = &claim.value {
                    entity_keys.push(key);
                }
            }
            lookup.extend(entity_keys.into_iter().flat_map(graph_candidates));
            lookup.extend(
                input
                    .assertions
                    .iter()
                    .map(|a| NodeId::new(Label::Claim, &a.claim)),
            );
        }
        Ok(Self {
            declared_entities,
            declared_claims,
            batch_reports,
            stored: graph.records(&lookup).await?,
            looked_up: lookup.into_iter().collect(),
        })
    }

    /// Those of `ids` the store does not hold: known from the lookup above, which covers
    /// every node a batch creates; any other id is looked up now, in one store call.
    pub async fn absent(
        &self,
        graph: &Graph,
        ids: impl Iterator<Item = &NodeId>,
    ) -> Result<HashSet<NodeId>, DomainError> {
        let (known, unknown): (Vec<&NodeId>, Vec<&NodeId>) =
            ids.partition(|id| self.looked_up.contains(*id));
        let unknown: Vec<NodeId> = unknown.into_iter().cloned().collect();
        let found = graph.records(&unknown).await?;
        let known = known
            .into_iter()
            .filter(|id| !self.stored.contains_key(*id));
        let unknown = unknown.iter().filter(|id| !found.contains_key(*id));
        Ok(known.chain(unknown).cloned().collect())
    }

    fn stored_entity(&self, key: &str) -> Vec<NodeId> {
        graph_candidates(key)
            .filter(|id| self.stored.contains_key(id))
            .collect()
    }

    /// The id an entity key stands for: introduced by the batch, else stored; the kept
    /// entity's when the key's entity was merged into another.
    pub fn lookup(&self, key: &str) -> Option<NodeId> {
        let id = match self.declared_entities.get(key) {
            Some(label) => NodeId::new(*label, key),
            None => self.stored_entity(key).into_iter().next()?,
        };
        let kept = self
            .stored
            .get(&id)
            .and_then(|record| record.props.get(MERGED_INTO))
            .and_then(Value::as_str)
            .and_then(NodeId::parse);
        Some(kept.unwrap_or(id))
    }

    /// The id an entity key stands for, checked against the labels allowed there.
    pub fn entity(
        &self,
        checker: &mut Checker,
        path: Path,
        key: &str,
        allowed: &[Label],
    ) -> Option<NodeId> {
        let Some(id) = self.lookup(key) else {
            checker.fail(
                path,
                InputErrorCode::UnknownReference,
                format!("no entity `{key}` in this input or in the store"),
            );
            return None;
        };
        if !allowed.contains(&id.label()) {
            let allowed: Vec<&str> = allowed.iter().map(|l| l.as_str()).collect();
            checker.fail(
                path,
                InputErrorCode::WrongType,
                format!(
                    "`{key}` is a {}, expected {}",
                    id.label().as_str(),
                    allowed.join(" or ")
                ),
            );
            return None;
        }
        Some(id)
    }

    pub fn claim_exists(&self, key: &str) -> bool {
        self.declared_claims.contains_key(key)
            || self.stored.contains_key(&NodeId::new(Label::Claim, key))
    }

    pub fn report_exists(&self, key: &str) -> bool {
        self.batch_reports.contains_key(key)
            || self.stored.contains_key(&NodeId::new(Label::Report, key))
    }

    /// Checks every reference of one report.
    pub fn check(&self, checker: &mut Checker, base: &Path, index: usize, input: &ReportInput) {
        if let Some(key) = report_key(input) {
            let stored = self.stored.get(&NodeId::new(Label::Report, key));
            // Digests are taken only for reports stored already (re-imports).
            let matches = |r: &NodeRecord| {
                let digests = [
                    Value::String(super::plan::digest(input)),
                    Value::String(super::plan::legacy_digest(input)),
                ];
                r.props
                    .get("content_digest")
                    .is_some_and(|d| digests.contains(d))
            };
            if stored.is_some_and(|r| !matches(r)) {
                super::validate::report_conflict(checker, base, key);
            }
            if self
                .batch_reports
                .get(key)
                .is_some_and(|first| *first != index)
            {
                checker.fail(
                    at(base, &[F("key")]),
                    InputErrorCode::DuplicateKey,
                    format!("report `{key}` appears twice in this batch"),
                );
            }
        }
        for (index, entity) in input.entities.iter().enumerate() {
            let wanted = entity_label(entity.entity_type);
            if let Some(other) = self
                .stored_entity(&entity.key)
                .into_iter()
                .find(|id| id.label() != wanted)
            {
                checker.fail(
                    at(base, &[F("entities"), I(index), F("key")]),
                    InputErrorCode::DuplicateKey,
                    format!("`{}` is already a {}", entity.key, other.label().as_str()),
                );
            }
            if self.declared_entities.get(&entity.key) != Some(&wanted) {
                checker.fail(
                    at(base, &[F("entities"), I(index), F("type")]),
                    InputErrorCode::DuplicateKey,
                    format!(
                        "`{}` is introduced with another type elsewhere in this batch",
                        entity.key
                    ),
                );
            }
        }
        if let Some(publisher) = &input.publisher {
            self.entity(
                checker,
                at(base, &[F("publisher")]),
                publisher,
                &[Label::Organization],
            );
        }
        for (index, relayed) in input.relays.iter().enumerate() {
            if !self.report_exists(relayed) {
                checker.fail(
                    at(base, &[F("relays"), I(index)]),
                    InputErrorCode::UnknownReference,
                    format!("no report `{relayed}` in this input or in the store"),
                );
            }
        }
        for (index, source) in input.sources.iter().enumerate() {
            let path = at(base, &[F("sources"), I(index)]);
            if let Some(key) = &source.affiliation {
                self.entity(
                    checker,
                    at(&path, &[F("affiliation")]),
                    key,
                    &[Label::Organization],
                );
            }
            if let Some(key) = &source.person {
                self.entity(checker, at(&path, &[F("person")]), key, &[Label::Person]);
            }
        }
        for (index, claim) in input.claims.iter().enumerate() {
            let path = at(base, &[F("claims"), I(index)]);
            let Some(spec) = attribute(&claim.attribute) else {
                continue;
            };
            self.entity(
                checker,
                at(&path, &[F("subject")]),
                &claim.subject,
                spec.subjects,
            );
            if let (ValueKind::Entity(labels), Some(ClaimValueInput::Entity(key))) =
                (spec.value, &claim.value)
            {
                self.entity(checker, at(&path, &[F("value"), F("entity")]), key, labels);
            }
        }
        for (index, assertion) in input.assertions.iter().enumerate() {
            if !self.claim_exists(&assertion.claim) {
                checker.fail(
                    at(base, &[F("assertions"), I(index), F("claim")]),
                    InputErrorCode::UnknownReference,
                    format!(
                        "no claim `{}` in this input or in the store",
                        assertion.claim
                    ),
                );
            }
        }
    }
}
