//! Entity merges: an importer's decision that two entities are one, never made
//! automatically. The merged entity's links move to the kept one, the move is recorded on
//! the merged entity (so its key keeps resolving to the kept one, and the merge can be
//! undone), and conflicts and statuses are derived again, all in one transaction.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use super::error::{ImportFailure, InputError, InputErrorCode, PathSegment};
use super::{plan, until_current, Importer};
use crate::domain::{materialise, DomainError, Graph};
use crate::model::record::derived::{
    MERGED_AT, MERGED_INTO, MERGE_MOVED, MERGE_ORDER, MERGE_PROPS, MERGE_REASON, MERGE_SHARED,
};
use crate::model::record::{EdgeRecord, NodeRecord, StoredNode};
use crate::model::{Claim, ClaimValue, Label, NodeId, RelType};
use crate::store::overlay::Overlay;
use crate::store::{Direction, ListQuery, WriteBatch};

/// The edges that end at an entity; the evidence edges are the ones that leave one.
const INTO_ENTITIES: [RelType; 5] = [
    RelType::PublishedBy,
    RelType::AffiliatedWith,
    RelType::Names,
    RelType::Subject,
    RelType::Value,
];

/// What a merge, or its undoing, did.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeOutcome {
    pub kept: NodeId,
    pub merged: NodeId,
    /// The links moved from the merged entity to the kept one, or back.
    pub moved: usize,
    /// The claims whose stored status was derived again.
    pub rederived: usize,
    /// Whether it was done already, and nothing was written.
    pub already: bool,
}

fn refuse(field: &'static str, code: InputErrorCode, message: String) -> ImportFailure {
    ImportFailure::Invalid(vec![InputError {
        path: vec![PathSegment::Field(field)],
        code,
        message,
    }])
}

fn merged_into(record: &NodeRecord) -> Option<NodeId> {
    record
        .props
        .get(MERGED_INTO)
        .and_then(Value::as_str)
        .and_then(NodeId::parse)
}

fn edge_text(edge: &EdgeRecord) -> Value {
    Value::String(
        serde_json::json!([
            edge.from.to_string(),
            edge.rel.as_str(),
            edge.to.to_string()
        ])
        .to_string(),
    )
}

fn edges_in(record: &NodeRecord, property: &str) -> Vec<EdgeRecord> {
    let texts = record.props.get(property).and_then(Value::as_array);
    texts
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|text| {
            let [from, rel, to]: [String; 3] = serde_json::from_str(text).ok()?;
            Some(EdgeRecord {
                from: NodeId::parse(&from)?,
                rel: RelType::parse(&rel)?,
                to: NodeId::parse(&to)?,
            })
        })
        .collect()
}

/// The edge with `to` at the ends where `from` was.
fn moved_to(edge: &EdgeRecord, from: &NodeId, to: &NodeId) -> EdgeRecord {
    let swap = |id: &NodeId| if id == from { to.clone() } else { id.clone() };
    EdgeRecord {
        from: swap(&edge.from),
        rel: edge.rel,
        to: swap(&edge.to),
    }
}

/// The claim with `from` replaced by `to` as its subject or value, where the moved edge
/// says so.
fn moved_claim(mut claim: Claim, rel: RelType, to: &NodeId) -> Claim {
    match rel {
        RelType::Subject => claim.subject = to.clone(),
        RelType::Value => claim.value = ClaimValue::Entity(to.clone()),
        _ => {}
    }
    claim
}

impl Importer {
    /// Merges `merge` into `keep`: both must be stored entities of one kind, neither
    /// merged already, and nothing merged into `merge`. Asking again for a merge that is
    /// done changes nothing (`moved` and `rederived` are 0).
    pub async fn merge_entities(
        &self,
        keep: &NodeId,
        merge: &NodeId,
        reason: Option<&str>,
    ) -> Result<MergeOutcome, ImportFailure> {
        let _writing = self.writing.lock().await;
        until_current(
            || self.merge_once(keep, merge, reason),
            ImportFailure::is_stale,
        )
        .await
    }

    /// [`Importer::merge_entities`] by the keys the entities were imported with (a merge
    /// line of `kg import`).
    pub async fn merge_keys(
        &self,
        keep: &str,
        merge: &str,
        reason: Option<&str>,
    ) -> Result<MergeOutcome, ImportFailure> {
        let mut ids = Vec::new();
        for (field, key) in [("keep", keep), ("merge", merge)] {
            let candidates: Vec<NodeId> = crate::domain::entity_candidates(key).collect();
            let found = self.graph.records(&candidates).await?;
            match candidates.into_iter().find(|id| found.contains_key(id)) {
                Some(id) => ids.push(id),
                None => {
                    return Err(refuse(
                        field,
                        InputErrorCode::UnknownReference,
                        format!("no entity `{key}` in the store"),
                    ))
                }
            }
        }
        self.merge_entities(&ids[0], &ids[1], reason).await
    }

    /// Undoes the merge of `merged`: its links move back, and conflicts and statuses are
    /// derived again. Links made to the kept entity since (by imports naming either key)
    /// stay with it.
    pub async fn unmerge_entity(&self, merged: &NodeId) -> Result<MergeOutcome, ImportFailure> {
        let _writing = self.writing.lock().await;
        until_current(|| self.unmerge_once(merged), ImportFailure::is_stale).await
    }

    async fn merge_once(
        &self,
        keep: &NodeId,
        merge: &NodeId,
        reason: Option<&str>,
    ) -> Result<MergeOutcome, ImportFailure> {
        let store = self.graph.store();
        let version = store.import_version().await.map_err(DomainError::from)?;
        let records = self.graph.records(&[keep.clone(), merge.clone()]).await?;
        if records.get(merge).and_then(|r| merged_into(r)).as_ref() == Some(keep) {
            // Asked again (a retry, a re-run of a file): it is done already.
            return Ok(MergeOutcome {
                kept: keep.clone(),
                merged: merge.clone(),
                moved: 0,
                rederived: 0,
                already: true,
            });
        }
        for (field, id) in [("keep", keep), ("merge", merge)] {
            let found = records.get(id);
            if !id.label().is_entity() || found.is_none() {
                return Err(refuse(
                    field,
                    InputErrorCode::UnknownReference,
                    format!("no entity {id}"),
                ));
            }
            if let Some(into) = found.and_then(|r| merged_into(r)) {
                return Err(refuse(
                    field,
                    InputErrorCode::InvalidValue,
                    format!("{id} was merged into {into} already"),
                ));
            }
        }
        if keep == merge {
            return Err(refuse(
                "merge",
                InputErrorCode::InvalidValue,
                "an entity cannot be merged into itself".into(),
            ));
        }
        if keep.label() != merge.label() {
            return Err(refuse(
                "merge",
                InputErrorCode::WrongType,
                format!("{merge} is not a {}", keep.label().as_str()),
            ));
        }
        let merged_in = store
            .list(&ListQuery {
                equals: vec![(MERGED_INTO, merge.to_string())],
                ..ListQuery::of(merge.label(), 1)
            })
            .await
            .map_err(DomainError::from)?;
        if let Some(earlier) = merged_in.records.first() {
            return Err(refuse(
                "merge",
                InputErrorCode::InvalidValue,
                format!(
                    "{} was merged into {merge}: undo that merge first",
                    earlier.id
                ),
            ));
        }

        let both = [keep.clone(), merge.clone()];
        let mut touching = Vec::new();
        for rel in RelType::EVIDENCE {
            touching.extend(
                store
                    .edges(&both, rel, Direction::Out)
                    .await
                    .map_err(DomainError::from)?,
            );
        }
        for rel in INTO_ENTITIES {
            touching.extend(
                store
                    .edges(&both, rel, Direction::In)
                    .await
                    .map_err(DomainError::from)?,
            );
        }
        let kept_edges: BTreeSet<&EdgeRecord> = touching
            .iter()
            .filter(|e| e.from == *keep || e.to == *keep)
            .collect();
        let moved: Vec<EdgeRecord> = touching
            .iter()
            .filter(|e| e.from == *merge || e.to == *merge)
            .cloned()
            .collect();
        let mut batch = WriteBatch::default();
        let mut shared = Vec::new();
        for edge in &moved {
            batch.removed_edges.push(edge.clone());
            let new = moved_to(edge, merge, keep);
            if kept_edges.contains(&new) {
                shared.push(new);
            } else {
                batch.edges.push(new);
            }
        }
        let claims = self.moved_claims(&moved, keep).await?;
        let mut around: Vec<NodeId> = vec![keep.clone()];
        around.extend(claims.iter().map(|c| c.subject.clone()));
        batch
            .updates
            .extend(claims.iter().map(StoredNode::to_record));
        let mut record = NodeRecord {
            id: merge.clone(),
            props: Default::default(),
        };
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        record
            .props
            .insert(MERGED_INTO.into(), keep.to_string().into());
        record.props.insert(MERGED_AT.into(), now.into());
        record.props.insert(
            MERGE_REASON.into(),
            reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map_or(Value::Null, Value::from),
        );
        record
            .props
            .insert(MERGE_MOVED.into(), moved.iter().map(edge_text).collect());
        record
            .props
            .insert(MERGE_SHARED.into(), shared.iter().map(edge_text).collect());
        // Only this write can commit at `version`: its place among the imports.
        record
            .props
            .insert(MERGE_ORDER.into(), version.saturating_mul(1_000_000).into());
        batch.updates.push(record);
        let rederived = self.rederive(&mut batch, &around, &moved).await?;
        self.commit(batch, version).await?;
        Ok(MergeOutcome {
            kept: keep.clone(),
            merged: merge.clone(),
            moved: moved.len(),
            rederived,
            already: false,
        })
    }

    async fn unmerge_once(&self, merged: &NodeId) -> Result<MergeOutcome, ImportFailure> {
        let store = self.graph.store();
        let version = store.import_version().await.map_err(DomainError::from)?;
        let records = self.graph.records(std::slice::from_ref(merged)).await?;
        let Some(record) = records.get(merged).filter(|_| merged.label().is_entity()) else {
            return Err(refuse(
                "merged",
                InputErrorCode::UnknownReference,
                format!("no entity {merged}"),
            ));
        };
        let Some(keep) = merged_into(record) else {
            return Err(refuse(
                "merged",
                InputErrorCode::InvalidValue,
                format!("{merged} is not merged into anything"),
            ));
        };
        let moved = edges_in(record, MERGE_MOVED);
        let shared: BTreeSet<EdgeRecord> = edges_in(record, MERGE_SHARED).into_iter().collect();
        let mut batch = WriteBatch::default();
        for edge in &moved {
            let moved = moved_to(edge, merged, &keep);
            if !shared.contains(&moved) {
                batch.removed_edges.push(moved);
            }
            batch.edges.push(edge.clone());
        }
        let claims = self.moved_claims(&moved, merged).await?;
        let mut around: Vec<NodeId> = vec![keep.clone(), merged.clone()];
        around.extend(claims.iter().map(|c| c.subject.clone()));
        batch
            .updates
            .extend(claims.iter().map(StoredNode::to_record));
        batch.updates.push(NodeRecord {
            id: merged.clone(),
            props: MERGE_PROPS
                .iter()
                .map(|p| (p.to_string(), Value::Null))
                .collect(),
        });
        let rederived = self.rederive(&mut batch, &around, &moved).await?;
        self.commit(batch, version).await?;
        Ok(MergeOutcome {
            kept: keep,
            merged: merged.clone(),
            moved: moved.len(),
            rederived,
            already: false,
        })
    }

    /// The claims whose subject or value moved with `moved`, as they are once it points at
    /// `to`.
    async fn moved_claims(
        &self,
        moved: &[EdgeRecord],
        to: &NodeId,
    ) -> Result<Vec<Claim>, DomainError> {
        let links: Vec<&EdgeRecord> = moved
            .iter()
            .filter(|e| matches!(e.rel, RelType::Subject | RelType::Value))
            .collect();
        let ids: Vec<NodeId> = links.iter().map(|e| e.from.clone()).collect();
        let mut claims = self.graph.typed::<Claim>(&ids).await?;
        for edge in links {
            if let Some(claim) = claims.remove(&edge.from) {
                claims.insert(edge.from.clone(), moved_claim(claim, edge.rel, to));
            }
        }
        let mut claims: Vec<Claim> = claims.into_values().collect();
        claims.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(claims)
    }

    /// Derives again, on the graph as `batch` will leave it, the conflict links of every
    /// claim about the entities `around`, and the statuses of every claim whose evidence
    /// or links changed. Returns how many claims' statuses were derived.
    async fn rederive(
        &self,
        batch: &mut WriteBatch,
        around: &[NodeId],
        moved: &[EdgeRecord],
    ) -> Result<usize, DomainError> {
        let store = self.graph.store();
        let after = Graph::new(Arc::new(Overlay::new(
            Arc::clone(store),
            Arc::new(batch.clone()),
        )));
        let claims = after.claims_about(around).await?;
        let ids: Vec<NodeId> = claims.iter().map(|c| c.id.clone()).collect();
        let wanted = plan::conflict_links(&after, &claims, |_| true).await?;
        let mut existing = BTreeSet::new();
        for rel in [RelType::ConflictsWith, RelType::Refines] {
            for direction in [Direction::Out, Direction::In] {
                existing.extend(store.edges(&ids, rel, direction).await?);
            }
        }
        batch
            .removed_edges
            .extend(existing.difference(&wanted).cloned());
        batch.edges.extend(wanted.difference(&existing).cloned());

        // Whose evidence moved: the claims of moved evidence edges, and the claims asserted
        // in moved reports or citing moved sources.
        let mut changed: BTreeSet<NodeId> = ids.into_iter().collect();
        let mut reports = Vec::new();
        let mut sources = Vec::new();
        for edge in moved {
            match edge.from.label() {
                Label::Report => reports.push(edge.from.clone()),
                Label::Source => sources.push(edge.from.clone()),
                Label::Claim => {
                    changed.insert(edge.from.clone());
                }
                _ => {
                    changed.insert(edge.to.clone());
                }
            }
        }
        let mut assertions = after
            .far_ends(&reports, RelType::MadeIn, Direction::In)
            .await?;
        assertions.extend(
            after
                .far_ends(&sources, RelType::Cites, Direction::In)
                .await?,
        );
        changed.extend(
            after
                .far_ends(&assertions, RelType::About, Direction::Out)
                .await?,
        );
        let changed: Vec<NodeId> = changed.into_iter().collect();
        let updates = materialise::status_updates_with(&self.graph, batch, &changed).await?;
        let rederived = updates.iter().filter(|u| u.label() == Label::Claim).count();
        batch.updates.extend(updates);
        Ok(rederived)
    }

    /// Applies the batch if no import committed since `version`, then tells subscribers of
    /// the statuses it changed.
    async fn commit(&self, mut batch: WriteBatch, version: u64) -> Result<(), ImportFailure> {
        let store = self.graph.store();
        let changes = if self.status_changed.receiver_count() > 0 {
            super::changes::status_changes(store.as_ref(), &batch).await?
        } else {
            Vec::new()
        };
        batch.expect_version = Some(version);
        store
            .apply(&batch)
            .await
            .map_err(|e| ImportFailure::Domain(e.into()))?;
        for change in changes {
            let _ = self.status_changed.send(change);
        }
        Ok(())
    }
}
