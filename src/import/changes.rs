//! What an import changed in the materialised statuses, told to subscribers after the
//! commit: each claim whose status differs from what was stored before, with the report of
//! the import that asserted something about it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::domain::DomainError;
use crate::model::{Label, NodeId, RelType};
use crate::store::{Store, WriteBatch};

/// One claim's status, changed by an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub claim: NodeId,
    /// What the claim is about.
    pub subject: Option<NodeId>,
    /// The stored status before; none for a claim the import introduced.
    pub old: Option<String>,
    pub new: String,
    /// The import's report that speaks of the claim; for a claim changed only indirectly
    /// (a conflict, a principal), the import's first report.
    pub report: Option<NodeId>,
}

fn status_of(props: &serde_json::Map<String, Value>) -> Option<String> {
    props
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn subject_of(props: &serde_json::Map<String, Value>) -> Option<NodeId> {
    props
        .get("subject")
        .and_then(Value::as_str)
        .and_then(NodeId::parse)
}

/// The status changes `batch` makes, against the store before it is applied: one read of
/// the touched claims.
pub async fn status_changes(
    store: &dyn Store,
    batch: &WriteBatch,
) -> Result<Vec<StatusChange>, DomainError> {
    let touched: Vec<NodeId> = batch
        .updates
        .iter()
        .filter(|u| u.id.label() == Label::Claim && u.props.contains_key("status"))
        .map(|u| u.id.clone())
        .collect();
    if touched.is_empty() {
        return Ok(Vec::new());
    }
    let before: HashMap<NodeId, _> = store
        .nodes(&touched)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), Arc::unwrap_or_clone(r).props))
        .collect();
    let introduced: HashMap<&NodeId, _> = batch.nodes.iter().map(|n| (&n.id, &n.props)).collect();
    // Which report of the batch made each assertion, and what each assertion is about.
    let mut report_of_assertion = HashMap::new();
    let mut claim_reports: HashMap<&NodeId, &NodeId> = HashMap::new();
    for edge in &batch.edges {
        if edge.rel == RelType::MadeIn {
            report_of_assertion.insert(&edge.from, &edge.to);
        }
    }
    for edge in &batch.edges {
        if edge.rel == RelType::About {
            if let Some(report) = report_of_assertion.get(&edge.from) {
                claim_reports.entry(&edge.to).or_insert(report);
            }
        }
    }
    let first_report = batch.nodes.iter().find(|n| n.id.label() == Label::Report);
    Ok(batch
        .updates
        .iter()
        .filter(|u| touched.contains(&u.id))
        .filter_map(|update| {
            let new = status_of(&update.props)?;
            let stored = before.get(&update.id);
            let old = stored.and_then(status_of);
            if old.as_deref() == Some(new.as_str()) {
                return None;
            }
            let subject = stored
                .and_then(subject_of)
                .or_else(|| introduced.get(&update.id).and_then(|p| subject_of(p)));
            let report = claim_reports
                .get(&update.id)
                .map(|r| (*r).clone())
                .or_else(|| first_report.map(|r| r.id.clone()));
            Some(StatusChange {
                claim: update.id.clone(),
                subject,
                old,
                new,
                report,
            })
        })
        .collect())
}
