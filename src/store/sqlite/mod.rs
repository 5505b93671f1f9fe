//! The embedded store: SQLite (bundled) in WAL mode under the data dir, FTS5 for search.
//!
//! Durability: every batch is one `BEGIN IMMEDIATE` transaction with `synchronous=FULL`, so
//! a batch acknowledged to a caller has been fsynced, and a process killed mid-batch leaves
//! the previous state (SQLite's WAL discards the uncommitted frames on the next open).
//! Reads use their own connection, so they proceed while a write is in flight.

mod sql;

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};

use super::{ApplyOutcome, Direction, ListQuery, Page, Store, StoreError, WriteBatch};
use crate::model::record::{EdgeRecord, NodeRecord};
use crate::model::{NodeId, RelType};

/// The file the embedded store keeps under the data dir.
pub const DATABASE_FILE: &str = "kg.sqlite3";

/// The embedded store.
pub struct SqliteStore {
    reader: Arc<Mutex<Connection>>,
    writer: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let writer = Connection::open(&path).map_err(internal)?;
        sql::prepare_writer(&writer).map_err(internal)?;
        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(internal)?;
        sql::prepare_reader(&reader).map_err(internal)?;
        Ok(Self {
            reader: Arc::new(Mutex::new(reader)),
            writer: Arc::new(Mutex::new(writer)),
        })
    }

    async fn with<T, F>(connection: &Arc<Mutex<Connection>>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(connection);
        tokio::task::spawn_blocking(move || {
            let mut guard = connection
                .lock()
                .map_err(|_| StoreError::Internal("a store thread panicked".into()))?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("store task failed: {e}")))?
    }
}

fn internal(error: rusqlite::Error) -> StoreError {
    StoreError::Internal(error.to_string())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<NodeRecord>, StoreError> {
        let ids = sql::id_list(ids);
        Self::with(&self.reader, move |c| sql::nodes(c, &ids)).await
    }

    async fn edges(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<EdgeRecord>, StoreError> {
        let ids = sql::id_list(ids);
        Self::with(&self.reader, move |c| sql::edges(c, &ids, rel, direction)).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let query = query.clone();
        Self::with(&self.reader, move |c| sql::list(c, &query)).await
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<NodeId>, StoreError> {
        let text = text.to_string();
        Self::with(&self.reader, move |c| sql::search(c, &text, limit)).await
    }

    async fn apply(&self, batch: &WriteBatch) -> Result<ApplyOutcome, StoreError> {
        let batch = batch.clone();
        Self::with(&self.writer, move |c| sql::apply(c, &batch)).await
    }
}
