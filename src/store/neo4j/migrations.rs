//! The Cypher of `schema/neo4j/`, applied idempotently at startup and versioned on a
//! `KgSchema` node, so that a later change is one more numbered file.

use neo4rs::Graph;
use serde_json::json;

use super::bolt::{query, store_error};
use crate::store::StoreError;

/// How search runs on this server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchMode {
    /// Neo4j's full-text index (`kg_search`).
    FullText,
    /// A scan of `search_words`, on servers that refuse full-text indexes.
    Scan,
}

struct Migration {
    version: i64,
    cypher: &'static str,
    /// A server may refuse it; the store then works around what it would have added.
    optional: bool,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        cypher: include_str!("../../../schema/neo4j/001_constraints.cypher"),
        optional: false,
    },
    Migration {
        version: 2,
        cypher: include_str!("../../../schema/neo4j/002_fulltext.cypher"),
        optional: true,
    },
    Migration {
        version: 3,
        cypher: include_str!("../../../schema/neo4j/003_status_and_dates.cypher"),
        optional: false,
    },
];

/// The statements of a file: `;`-terminated, `//` comments dropped.
fn statements(cypher: &str) -> Vec<String> {
    let text: String = cypher
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

async fn schema_state(graph: &Graph, text: &str) -> Result<Option<(i64, String)>, StoreError> {
    let mut rows = graph
        .execute(query(text, &[])?)
        .await
        .map_err(store_error)?;
    let Some(row) = rows.next().await.map_err(store_error)? else {
        return Ok(None);
    };
    let version = row.get::<i64>("version").unwrap_or(0);
    let mode = row.get::<String>("mode").unwrap_or_default();
    Ok(Some((version, mode)))
}

/// Brings the schema up to date and tells how search runs.
pub async fn migrate(graph: &Graph) -> Result<SearchMode, StoreError> {
    let current = schema_state(
        graph,
        "MATCH (s:KgSchema {id: 'kg'}) RETURN s.version AS version, s.search_mode AS mode",
    )
    .await?;
    let (applied, mut mode) = current.unwrap_or((0, "fulltext".into()));
    for migration in MIGRATIONS.iter().filter(|m| m.version > applied) {
        for statement in statements(migration.cypher) {
            match graph.run(neo4rs::query(&statement)).await {
                Ok(()) => {}
                Err(neo4rs::Error::Neo4j(e)) if migration.optional => {
                    tracing::warn!(
                        version = migration.version,
                        error = %e.message(),
                        "the server refused an optional schema step; search will scan"
                    );
                    mode = "scan".into();
                }
                Err(other) => return Err(store_error(other)),
            }
        }
        let version = migration.version;
        graph
            .run(query(
                "MERGE (s:KgSchema {id: 'kg'}) SET s.version = $version, s.search_mode = $mode",
                &[("version", json!(version)), ("mode", json!(mode))],
            )?)
            .await
            .map_err(store_error)?;
    }
    if mode == "fulltext" {
        // A new full-text index fills in the background; wait so that the first search sees
        // everything already stored.
        let _ = graph.run(neo4rs::query("CALL db.awaitIndexes(300)")).await;
        Ok(SearchMode::FullText)
    } else {
        Ok(SearchMode::Scan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_file_splits_into_statements_without_comments() {
        for migration in MIGRATIONS {
            let statements = statements(migration.cypher);
            assert!(!statements.is_empty());
            for statement in statements {
                assert!(statement.starts_with("CREATE "), "{statement}");
                assert!(
                    statement.contains("IF NOT EXISTS"),
                    "idempotent: {statement}"
                );
            }
        }
    }
}
