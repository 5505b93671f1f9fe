//! Conversions between the store contract and Bolt values, and error classification.

use neo4rs::{BoltType, Query, Row};
use serde_json::{Map, Value};

use crate::model::record::{NodeRecord, Props};
use crate::model::NodeId;
use crate::store::StoreError;

/// Properties the store keeps for itself; never handed back as node properties.
pub(super) const INTERNAL_PROPERTIES: [&str; 5] = [
    "sort_key",
    "search_primary",
    "search_secondary",
    "search_words",
    "kg_import",
];

/// A JSON value as a Bolt parameter. Records hold only strings, numbers, booleans and lists,
/// all of which convert.
pub(super) fn bolt(value: Value) -> Result<BoltType, StoreError> {
    BoltType::try_from(value).map_err(|e| StoreError::Internal(format!("unconvertible value: {e}")))
}

/// A query with JSON parameters.
pub(super) fn query(text: &str, params: &[(&str, Value)]) -> Result<Query, StoreError> {
    let mut query = neo4rs::query(text);
    for (name, value) in params {
        query = query.param(name, bolt(value.clone())?);
    }
    Ok(query)
}

/// A query with JSON parameters, failing as the driver does.
pub(super) fn prepare(text: &str, params: Vec<(&str, Value)>) -> Result<Query, neo4rs::Error> {
    let mut query = neo4rs::query(text);
    for (name, value) in params {
        query = query.param(name, BoltType::try_from(value)?);
    }
    Ok(query)
}

pub(super) fn string(row: &Row, column: &str) -> Result<String, StoreError> {
    row.get::<String>(column)
        .map_err(|e| StoreError::Internal(format!("column {column}: {e}")))
}

pub(super) fn id(row: &Row, column: &str) -> Result<NodeId, StoreError> {
    let text = string(row, column)?;
    NodeId::parse(&text).ok_or_else(|| StoreError::Internal(format!("bad id {text}")))
}

/// A node from a row with `id` and `props` columns, without the store's own properties.
pub(super) fn node(row: &Row) -> Result<NodeRecord, StoreError> {
    let id = id(row, "id")?;
    let props: Map<String, Value> = row
        .get::<Map<String, Value>>("props")
        .map_err(|e| StoreError::Internal(format!("properties of {id}: {e}")))?;
    let props: Props = props
        .into_iter()
        .filter(|(key, _)| !INTERNAL_PROPERTIES.contains(&key.as_str()))
        .collect();
    Ok(NodeRecord { id, props })
}

/// A node a plan step reached, from its `{s, id, p}` map: the id it was reached from (none
/// for a root) and the node, without the store's own properties.
pub(super) fn reached(
    entry: Map<String, Value>,
) -> Result<(Option<NodeId>, NodeRecord), StoreError> {
    let from = entry
        .get("s")
        .and_then(Value::as_str)
        .and_then(NodeId::parse);
    Ok((from, record(entry)?))
}

/// A node from its `{id, p}` map (`p` its properties), without the store's own properties.
pub(super) fn record(mut entry: Map<String, Value>) -> Result<NodeRecord, StoreError> {
    let id_text = entry
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::Internal("a node without `id`".into()))?;
    let id =
        NodeId::parse(id_text).ok_or_else(|| StoreError::Internal(format!("bad id {id_text}")))?;
    let props = match entry.remove("p") {
        Some(Value::Object(props)) => props,
        _ => return Err(StoreError::Internal(format!("properties of {id}"))),
    };
    let props: Props = props
        .into_iter()
        .filter(|(key, _)| !INTERNAL_PROPERTIES.contains(&key.as_str()))
        .collect();
    Ok(NodeRecord { id, props })
}

/// Whether running the same work again may succeed: the server was unreachable, the
/// connection broke, or Neo4j called the error transient.
pub(super) fn retryable(error: &neo4rs::Error) -> bool {
    match error {
        // A server that went away mid-answer shows as an unexpected message.
        neo4rs::Error::IOError { .. }
        | neo4rs::Error::ConnectionError
        | neo4rs::Error::UnexpectedMessage(_) => true,
        neo4rs::Error::Neo4j(e) => e.code().starts_with("Neo.TransientError"),
        _ => false,
    }
}

/// A driver error as a store error: unreachable and transient ones as `Unavailable`.
pub(super) fn store_error(error: neo4rs::Error) -> StoreError {
    if retryable(&error) {
        StoreError::Unavailable(format!("Neo4j: {error}"))
    } else {
        StoreError::Internal(format!("Neo4j: {error}"))
    }
}
