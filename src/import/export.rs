//! `kg export`: the whole graph as NDJSON in the import format, one report a line, and one
//! `mergeEntities` line per entity merge, in the order they were imported and made, so
//! that importing the file into an empty store rebuilds the same graph (every derived link
//! and status is derived again on the way).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use serde_json::Value;

use super::input::{MergeKeys, MergeLine};
use super::next_page;
use crate::model::record::derived::{IMPORT_ORDER, INPUT, MERGED_INTO, MERGE_ORDER, MERGE_REASON};
use crate::model::record::NodeRecord;
use crate::model::{Label, NodeId};
use crate::store::{Store, StoreError};

/// Reports fetched per store call, in import order.
const PAGE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
    /// Reports imported by a kg that did not keep their input: they cannot be written back.
    #[error(
        "{count} report(s), {example} among them, were imported by a kg that did not keep \
         report inputs; import them again into a fresh store to export them"
    )]
    NoInput { count: usize, example: String },
}

/// Writes every report as one NDJSON line, and every entity merge as a `mergeEntities`
/// line, in the order they were imported and made, and returns how many lines. Memory holds
/// each report's id and place in the order, never the reports themselves.
pub async fn export(store: &dyn Store, out: &mut dyn Write) -> Result<usize, ExportError> {
    let mut order: Vec<(u64, NodeId)> = Vec::new();
    let mut merges: Vec<(u64, String)> = Vec::new();
    let mut missing: Vec<NodeId> = Vec::new();
    let mut after = None;
    while let Some(records) = next_page(store, Label::Report, &mut after).await? {
        for record in records {
            let place = record.props.get(IMPORT_ORDER).and_then(Value::as_u64);
            match (place, record.props.contains_key(INPUT)) {
                (Some(place), true) => order.push((place, record.id)),
                _ => missing.push(record.id),
            }
        }
    }
    for label in [
        Label::Person,
        Label::Organization,
        Label::Place,
        Label::Event,
    ] {
        let mut after = None;
        while let Some(records) = next_page(store, label, &mut after).await? {
            merges.extend(records.iter().filter_map(merge_line));
        }
    }
    if let Some(example) = missing.first() {
        return Err(ExportError::NoInput {
            count: missing.len(),
            example: example.key().to_string(),
        });
    }
    // Reports of one batch share its version and keep their order in it; ids break no
    // ties that matter, but keep the file the same from one export to the next.
    order.sort();
    merges.sort();
    let mut merges = merges.into_iter().peekable();
    let mut written = 0;
    for chunk in order.chunks(PAGE) {
        let ids: Vec<NodeId> = chunk.iter().map(|(_, id)| id.clone()).collect();
        let mut inputs: HashMap<NodeId, Value> = store
            .nodes(&ids)
            .await?
            .into_iter()
            .filter_map(|record| {
                let mut record = Arc::unwrap_or_clone(record);
                Some((record.id, record.props.remove(INPUT)?))
            })
            .collect();
        for (place, id) in chunk {
            while let Some((_, line)) = merges.next_if(|(merged, _)| merged < place) {
                writeln!(out, "{line}")?;
                written += 1;
            }
            if let Some(Value::String(input)) = inputs.remove(id) {
                writeln!(out, "{input}")?;
                written += 1;
            }
        }
    }
    for (_, line) in merges {
        writeln!(out, "{line}")?;
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

/// The merge line of a merged entity, at its place in the order; `None` for the others.
fn merge_line(record: &NodeRecord) -> Option<(u64, String)> {
    let kept = record.props.get(MERGED_INTO).and_then(Value::as_str)?;
    let kept = NodeId::parse(kept)?;
    let place = record.props.get(MERGE_ORDER).and_then(Value::as_u64)?;
    let line = MergeLine {
        merge_entities: MergeKeys {
            keep: kept.key().to_string(),
            merge: record.id.key().to_string(),
            reason: record
                .props
                .get(MERGE_REASON)
                .and_then(Value::as_str)
                .map(String::from),
        },
    };
    Some((place, serde_json::to_string(&line).ok()?))
}
