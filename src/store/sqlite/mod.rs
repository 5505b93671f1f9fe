//! The embedded store: SQLite (bundled) in WAL mode under the data dir, FTS5 for search.
//!
//! Durability: every batch is one `BEGIN IMMEDIATE` transaction with `synchronous=FULL`, so
//! a batch acknowledged to a caller has been fsynced, and a process killed mid-batch leaves
//! the previous state (SQLite's WAL discards the uncommitted frames on the next open).
//! Reads use a small pool of read-only connections, so they run side by side and while a
//! write is in flight. The process holds a lock on `kg.lock` in the data dir.

mod cache;
mod sql;
mod walk;

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

pub use cache::DEFAULT_CACHE_BYTES;
use cache::{Generation, NodeCache};

use super::{
    ApplyOutcome, Direction, ListQuery, Neighbourhood, NeighbourhoodQuery, Page, PathQuery, Paths,
    Plan, Store, StoreError, Subgraph, WriteBatch,
};
use crate::model::record::{EdgeRecord, NodeRecord};
use crate::model::{NodeId, RelType};

/// The file the embedded store keeps under the data dir.
pub const DATABASE_FILE: &str = "kg.sqlite3";
/// The file whose lock says which process owns the data dir.
pub const LOCK_FILE: &str = "kg.lock";
/// How many reads run at once, each on its own connection (WAL lets readers proceed side
/// by side, and beside the writer).
const READERS: usize = 4;
/// How much of the database each reader maps into memory unless told otherwise.
pub const DEFAULT_MMAP_BYTES: u64 = 1 << 30;

/// The embedded store.
pub struct SqliteStore {
    readers: Arc<Readers>,
    nodes: Arc<NodeCache>,
    writer: Arc<Mutex<Connection>>,
    /// Batches written, counted from the database's own count when it opened: the data dir's
    /// lock keeps other processes from writing, so this process sees every write.
    writes: AtomicU64,
    /// Held for the store's life: a second process on the same data dir would race this
    /// one's imports, which read before they write.
    _lock: File,
}

/// A small pool of read-only connections.
struct Readers {
    path: PathBuf,
    mmap_bytes: u64,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Readers {
    fn open(&self) -> Result<Connection, StoreError> {
        let reader = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(internal)?;
        sql::prepare_reader(&reader, self.mmap_bytes).map_err(internal)?;
        Ok(reader)
    }

    async fn read<T, F>(self: &Arc<Self>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Internal("the reader pool is closed".into()))?;
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let idle = readers.idle.lock().ok().and_then(|mut idle| idle.pop());
            let mut connection = match idle {
                Some(connection) => connection,
                None => readers.open()?,
            };
            let answer = work(&mut connection);
            if let Ok(mut idle) = readers.idle.lock() {
                idle.push(connection);
            }
            answer
        })
        .await
        .map_err(|e| StoreError::Internal(format!("store task failed: {e}")))?
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`, which this process then owns: a
    /// second process opening the same dir gets an error naming it.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(data_dir, DEFAULT_MMAP_BYTES, DEFAULT_CACHE_BYTES)
    }

    /// [`SqliteStore::open`], with each reader mapping at most `mmap_bytes` of the
    /// database (0: none, every page read through SQLite's own cache), and decoded nodes
    /// kept between reads up to `cache_bytes` of their stored JSON (0: none).
    pub fn open_with(
        data_dir: &Path,
        mmap_bytes: u64,
        cache_bytes: u64,
    ) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let lock_path = data_dir.join(LOCK_FILE);
        let lock = File::create(&lock_path).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", lock_path.display()))
        })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::Unavailable(format!(
                    "the data dir {} is in use by another kg process (it holds {})",
                    data_dir.display(),
                    lock_path.display()
                )))
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot lock {}: {e}",
                    lock_path.display()
                )))
            }
        }
        let path = data_dir.join(DATABASE_FILE);
        let writer = Connection::open(&path).map_err(internal)?;
        sql::prepare_writer(&writer).map_err(internal)?;
        let writes = sql::write_count(&writer)?;
        let readers = Readers {
            path,
            mmap_bytes,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(READERS),
        };
        // One reader now, so that a data dir that cannot be read fails at start.
        let first = readers.open()?;
        readers.idle.lock().map_err(|_| poisoned())?.push(first);
        Ok(Self {
            readers: Arc::new(readers),
            nodes: Arc::new(NodeCache::new(cache_bytes)),
            writer: Arc::new(Mutex::new(writer)),
            writes: AtomicU64::new(writes),
            _lock: lock,
        })
    }

    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(&self.writer);
        tokio::task::spawn_blocking(move || {
            let mut guard = connection.lock().map_err(|_| poisoned())?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("store task failed: {e}")))?
    }
}

fn poisoned() -> StoreError {
    StoreError::Internal("a store thread panicked".into())
}

/// A SQLite error as a store error: a database still busy or locked after the busy timeout
/// (another process writing, say) is `Unavailable`, which a client may retry; anything else
/// is a fault.
fn internal(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(format!("the embedded store is busy: {error}"))
        }
        _ => StoreError::Internal(error.to_string()),
    }
}

impl SqliteStore {
    /// Runs `work` on a reader inside one read transaction, with the node cache as of what
    /// that transaction sees: for every read that returns records.
    async fn read_snapshot<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, Option<&Generation>) -> Result<T, StoreError> + Send + 'static,
    {
        let cache = Arc::clone(&self.nodes);
        self.readers
            .read(move |c| sql::in_snapshot(c, &cache, work))
            .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Arc<NodeRecord>>, StoreError> {
        let ids = ids.to_vec();
        self.read_snapshot(move |tx, generation| sql::cached_nodes(tx, &ids, generation))
            .await
    }

    async fn edges(
        &self,
        ids: &[NodeId],
        rel: RelType,
        direction: Direction,
    ) -> Result<Vec<EdgeRecord>, StoreError> {
        let ids = sql::id_list(ids);
        self.readers
            .read(move |c| sql::edges(c, &ids, rel, direction))
            .await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let query = query.clone();
        self.read_snapshot(move |tx, generation| sql::list(tx, &query, generation))
            .await
    }

    async fn expand(&self, roots: &[NodeId], plan: &Plan) -> Result<Subgraph, StoreError> {
        let (roots, plan) = (roots.to_vec(), plan.clone());
        self.read_snapshot(move |tx, generation| sql::expand(tx, &roots, &plan, generation))
            .await
    }

    async fn paths(&self, query: &PathQuery) -> Result<Paths, StoreError> {
        let query = query.clone();
        self.read_snapshot(move |tx, generation| walk::paths(tx, &query, generation))
            .await
    }

    async fn neighbourhood(&self, query: &NeighbourhoodQuery) -> Result<Neighbourhood, StoreError> {
        let query = query.clone();
        self.read_snapshot(move |tx, generation| walk::neighbourhood(tx, &query, generation))
            .await
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<NodeId>, StoreError> {
        let text = text.to_string();
        self.readers
            .read(move |c| sql::search(c, &text, limit))
            .await
    }

    async fn entity_names(&self) -> Result<Vec<super::EntityNames>, StoreError> {
        self.readers.read(sql::entity_names).await
    }

    async fn import_version(&self) -> Result<u64, StoreError> {
        self.readers.read(|c| sql::import_version(c)).await
    }

    async fn graph_version(&self) -> Result<u64, StoreError> {
        Ok(self.writes.load(Ordering::SeqCst))
    }

    async fn apply(&self, batch: &WriteBatch) -> Result<ApplyOutcome, StoreError> {
        let batch = batch.clone();
        let outcome = self.write(move |c| sql::apply(c, &batch)).await?;
        // After the commit, so that whoever reads the new version also reads what it wrote.
        self.writes.fetch_add(1, Ordering::SeqCst);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::record::EdgeRecord;
    use crate::model::{Label, RelType};
    use crate::store::plan::{Hop, Step};
    use crate::store::Direction;

    fn person(key: &str, name: &str) -> NodeRecord {
        let props = json!({ "id": format!("Person:{key}"), "name": name });
        NodeRecord {
            id: NodeId::new(Label::Person, key),
            props: props.as_object().cloned().unwrap_or_default(),
        }
    }

    fn name_of(records: &[Arc<NodeRecord>]) -> Option<String> {
        records
            .first()?
            .props
            .get("name")?
            .as_str()
            .map(str::to_string)
    }

    /// The far ends of the one step of `plan` from `root`, by key, sorted.
    async fn reached_keys(store: &SqliteStore, root: &NodeId, plan: &Plan) -> Vec<String> {
        let subgraph = store
            .expand(std::slice::from_ref(root), plan)
            .await
            .expect("expanded");
        let mut keys: Vec<String> = subgraph
            .reached
            .iter()
            .filter(|r| r.step == 1)
            .map(|r| r.id.key().to_string())
            .collect();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn only_nodes_with_text_get_search_rows() {
        let dir = tempfile::tempdir().expect("a temporary dir");
        let store = SqliteStore::open(dir.path()).expect("the store opens");
        let textless = NodeRecord {
            id: NodeId::new(Label::Assertion, "r1#0"),
            props: json!({ "id": "Assertion:r1#0", "stance": "ASSERTS" })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        };
        let batch = WriteBatch {
            nodes: vec![person("ada", "Ada Lovelace").into(), textless.into()],
            ..WriteBatch::default()
        };
        store.apply(&batch).await.expect("written");
        let file = Connection::open(dir.path().join(DATABASE_FILE)).expect("the file opens");
        let rows: Vec<String> = file
            .prepare("SELECT id FROM node_search")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("search rows");
        assert_eq!(rows, ["Person:ada"]);
        let found = store.search("lovelace", 10).await.expect("searched");
        assert_eq!(found, [NodeId::new(Label::Person, "ada")]);
    }

    #[tokio::test]
    async fn cached_links_never_outlive_a_write() {
        let dir = tempfile::tempdir().expect("a temporary dir");
        let store = SqliteStore::open(dir.path()).expect("the store opens");
        let (ada, bob, eve) = (
            person("ada", "Ada"),
            person("bob", "Bob"),
            person("eve", "Eve"),
        );
        let link = |to: &NodeRecord| EdgeRecord {
            from: ada.id.clone(),
            rel: RelType::Relays,
            to: to.id.clone(),
        };
        let batch = WriteBatch {
            nodes: vec![ada.clone().into(), bob.clone().into(), eve.clone().into()],
            edges: vec![link(&bob)],
            ..WriteBatch::default()
        };
        store.apply(&batch).await.expect("written");
        let plan = Plan {
            steps: vec![Step::new(Hop::new(RelType::Relays, Direction::Out))],
        };
        let back = Plan {
            steps: vec![Step::new(Hop::new(RelType::Relays, Direction::In))],
        };
        for _ in 0..2 {
            // The second read of each comes from the cache, a node without links included.
            assert_eq!(reached_keys(&store, &ada.id, &plan).await, ["bob"]);
            assert!(reached_keys(&store, &eve.id, &back).await.is_empty());
        }
        let added = WriteBatch {
            edges: vec![link(&eve)],
            ..WriteBatch::default()
        };
        store.apply(&added).await.expect("linked");
        assert_eq!(reached_keys(&store, &ada.id, &plan).await, ["bob", "eve"]);
        assert_eq!(reached_keys(&store, &eve.id, &back).await, ["ada"]);
        let removed = WriteBatch {
            removed_edges: vec![link(&bob)],
            ..WriteBatch::default()
        };
        store.apply(&removed).await.expect("unlinked");
        assert_eq!(reached_keys(&store, &ada.id, &plan).await, ["eve"]);
    }

    #[tokio::test]
    async fn cached_nodes_never_outlive_a_write_versioned_or_not() {
        let dir = tempfile::tempdir().expect("a temporary dir");
        let store = SqliteStore::open(dir.path()).expect("the store opens");
        let id = NodeId::new(Label::Person, "ada");
        let batch = WriteBatch {
            nodes: vec![person("ada", "Ada").into()],
            ..WriteBatch::default()
        };
        store.apply(&batch).await.expect("written");
        let plan = Plan::default();
        for _ in 0..2 {
            // The second read comes from the cache.
            assert_eq!(
                name_of(&store.nodes(std::slice::from_ref(&id)).await.unwrap()).as_deref(),
                Some("Ada")
            );
            let subgraph = store
                .expand(std::slice::from_ref(&id), &plan)
                .await
                .unwrap();
            assert_eq!(name_of(&subgraph.nodes).as_deref(), Some("Ada"));
        }
        // An update without an import version (as the rebuild writes them).
        let update = WriteBatch {
            updates: vec![person("ada", "Ada Lovelace")],
            ..WriteBatch::default()
        };
        store.apply(&update).await.expect("updated");
        let read = store.nodes(std::slice::from_ref(&id)).await.unwrap();
        assert_eq!(name_of(&read).as_deref(), Some("Ada Lovelace"));
        let subgraph = store
            .expand(std::slice::from_ref(&id), &plan)
            .await
            .unwrap();
        assert_eq!(name_of(&subgraph.nodes).as_deref(), Some("Ada Lovelace"));
    }
}
