//! `kg export`: the whole graph as NDJSON in the import format, one report a line, in the
//! order the reports were imported, so that importing the file into an empty store
//! rebuilds the same graph (every derived link and status is derived again on the way).

use std::collections::HashMap;
use std::io::Write;

use serde_json::Value;

use crate::model::record::derived::{IMPORT_ORDER, INPUT};
use crate::model::{Label, NodeId};
use crate::store::{ListOrder, ListQuery, Position, Store, StoreError};

/// Reports read per store call.
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

/// Writes every report as one NDJSON line, in import order, and returns how many. Memory
/// holds each report's id and place in the order, never the reports themselves.
pub async fn export(store: &dyn Store, out: &mut dyn Write) -> Result<usize, ExportError> {
    let mut order: Vec<(u64, NodeId)> = Vec::new();
    let mut missing: Vec<NodeId> = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list(&ListQuery {
                after: after.take(),
                ..ListQuery::of(Label::Report, PAGE)
            })
            .await?;
        let Some(last) = page.records.last() else {
            break;
        };
        after = Some(Position::of(last, ListOrder::Name));
        for record in &page.records {
            let place = record.props.get(IMPORT_ORDER).and_then(Value::as_u64);
            match (place, record.props.contains_key(INPUT)) {
                (Some(place), true) => order.push((place, record.id.clone())),
                _ => missing.push(record.id.clone()),
            }
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
    let mut written = 0;
    for chunk in order.chunks(PAGE) {
        let ids: Vec<NodeId> = chunk.iter().map(|(_, id)| id.clone()).collect();
        let mut inputs: HashMap<NodeId, Value> = store
            .nodes(&ids)
            .await?
            .into_iter()
            .filter_map(|mut record| Some((record.id, record.props.remove(INPUT)?)))
            .collect();
        for id in &ids {
            if let Some(Value::String(input)) = inputs.remove(id) {
                writeln!(out, "{input}")?;
                written += 1;
            }
        }
    }
    out.flush()?;
    Ok(written)
}
