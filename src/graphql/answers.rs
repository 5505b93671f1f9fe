//! Answers given again: a query asked again while the graph has not changed gets the answer
//! it got before, without running again.
//!
//! Frontends send the same few queries (a listing's first page, an entity's card) again and
//! again, and executing even a small one costs hundreds of resolved fields. An answer is kept
//! with the store's graph version read before it ran ([`crate::store::Store::graph_version`]),
//! and given again only while the store still reports that version: any committed write, by
//! this process or (on Neo4j) by any other on the database, changes it. A query that asks
//! only for what the schema and the code decide (`__typename`, introspection, `statusRule`,
//! `attributes`) is kept without a version, so it costs no store call. Only queries are
//! kept, only answers without errors, and only up to a bound on their size.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection,
};
use async_graphql::{CacheControl, Request, Response, Value};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// Kept answers by request, bounded by the bytes of their JSON.
pub(super) struct Answers {
    kept: Cache<String, Arc<Kept>, AnswerBytes>,
}

/// One answer (without errors or headers, so its data and extensions say it all) and the
/// graph version it was read at: none for an answer that reads nothing of the graph.
pub(super) struct Kept {
    pub(super) version: Option<u64>,
    data: Value,
    extensions: BTreeMap<String, Value>,
    cache_control: CacheControl,
    bytes: u64,
}

impl Kept {
    pub(super) fn response(&self) -> Response {
        let mut response = Response::new(self.data.clone());
        response.extensions = self.extensions.clone();
        response.cache_control = self.cache_control;
        response
    }
}

#[derive(Clone)]
struct AnswerBytes;

impl Weighter<String, Arc<Kept>> for AnswerBytes {
    fn weight(&self, key: &String, kept: &Arc<Kept>) -> u64 {
        // The decoded answer is a few times larger than its JSON: the bound is approximate.
        key.len() as u64 + kept.bytes
    }
}

impl Answers {
    /// Answers kept up to `bytes` of their JSON; `None` for 0, which keeps none.
    pub(super) fn new(bytes: u64) -> Option<Self> {
        (bytes > 0).then(|| Self {
            kept: Cache::with_weighter(1024, bytes, AnswerBytes),
        })
    }

    /// What tells one request's answer from another's: the query, the operation it names
    /// and the variables. Nothing else a request carries changes a query's answer (write
    /// access only matters to mutations).
    pub(super) fn key(request: &Request) -> String {
        let variables = serde_json::to_string(&request.variables).unwrap_or_default();
        let operation = request.operation_name.as_deref().unwrap_or_default();
        let mut key =
            String::with_capacity(request.query.len() + operation.len() + variables.len() + 2);
        key.push_str(&request.query);
        key.push('\u{0}');
        key.push_str(operation);
        key.push('\u{0}');
        key.push_str(&variables);
        key
    }

    /// What is kept for this key, at whatever version.
    pub(super) fn get(&self, key: &str) -> Option<Arc<Kept>> {
        self.kept.get(key)
    }

    /// Keeps an answer read at `version` (none: it reads nothing of the graph), unless it
    /// has errors (an error may be passing: a store that did not answer, a deadline) or
    /// sets HTTP headers (none of ours does).
    pub(super) fn keep(&self, key: String, version: Option<u64>, response: &Response) {
        if !response.errors.is_empty() || !response.http_headers.is_empty() {
            return;
        }
        let Ok(json) = serde_json::to_vec(response) else {
            return;
        };
        let kept = Kept {
            version,
            data: response.data.clone(),
            extensions: response.extensions.clone(),
            cache_control: response.cache_control,
            bytes: json.len() as u64,
        };
        self.kept.insert(key, Arc::new(kept));
    }
}

/// Root fields whose answers come from the schema and the code alone, never the graph.
const GRAPH_FREE_ROOTS: [&str; 5] = [
    "__typename",
    "__schema",
    "__type",
    "statusRule",
    "attributes",
];

/// What a query request needs to be kept: whether its answer reads the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Keeping {
    /// Not a query (or not one operation): never kept.
    Never,
    /// A query that asks only for graph-free root fields: kept whatever is written.
    Always,
    /// A query that reads the graph: kept while the graph's version holds.
    WhileUnchanged,
}

/// How a request's answer may be kept, from its parsed document.
pub(super) fn keeping(document: &ExecutableDocument, operation: Option<&str>) -> Keeping {
    let chosen = match (&document.operations, operation) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, operation)| operation),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some(operation) = chosen.filter(|o| o.node.ty == OperationType::Query) else {
        return Keeping::Never;
    };
    // Fragments at the root are not followed: a query that spreads one counts as reading.
    let graph_free = operation.node.selection_set.node.items.iter().all(|item| {
        matches!(&item.node, Selection::Field(field)
            if GRAPH_FREE_ROOTS.contains(&field.node.name.node.as_str()))
    });
    if graph_free {
        Keeping::Always
    } else {
        Keeping::WhileUnchanged
    }
}
