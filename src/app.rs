//! Wires a store, the importer and the schema together, and seeds an empty store.

use std::path::PathBuf;
use std::sync::Arc;

use include_dir::{include_dir, Dir};

use crate::domain::Graph;
use crate::graphql::{self, KgExecutor, QueryLimits, Services, WalkLimits};
use crate::http::{Backend, Readiness};
use crate::import::{self, Importer, PathSegment, ReportInput};
use crate::metrics::Metrics;
use crate::model::Label;
use crate::store::{ListQuery, MeteredStore, Store};

/// The seed dataset, compiled in so that `kg serve` needs no checkout.
static BUNDLED_SEED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/data/seed");

/// Where seed reports come from.
#[derive(Clone, Debug, Default)]
pub enum Seed {
    /// No seeding.
    None,
    /// The dataset of `data/seed/` compiled into the binary.
    #[default]
    Bundled,
    /// Every `*.json` of a folder, in name order.
    Dir(PathBuf),
}

impl Seed {
    /// The seed's report inputs, in order.
    pub fn reports(&self) -> anyhow::Result<Vec<ReportInput>> {
        match self {
            Seed::None => Ok(Vec::new()),
            Seed::Dir(dir) => import::read_dir(dir),
            Seed::Bundled => {
                let mut files: Vec<_> = BUNDLED_SEED
                    .files()
                    .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
                    .collect();
                files.sort_by_key(|f| f.path());
                files
                    .into_iter()
                    .map(|f| {
                        serde_json::from_slice(f.contents())
                            .map_err(|e| anyhow::anyhow!("{}: {e}", f.path().display()))
                    })
                    .collect()
            }
        }
    }
}

/// A running application's parts.
#[derive(Clone)]
pub struct App {
    pub graph: Graph,
    pub importer: Arc<Importer>,
    pub schema: KgExecutor,
    pub metrics: Arc<Metrics>,
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_limits(store, WalkLimits::default(), QueryLimits::default(), 0)
    }

    /// An app whose queries and walks (paths, neighbourhoods) are held to these bounds, and
    /// which keeps up to `answer_cache_bytes` of query answers to give again while the graph
    /// is unchanged (0: none; [`App::new`] keeps none, so that every query runs).
    pub fn with_limits(
        store: Arc<dyn Store>,
        walk_limits: WalkLimits,
        query_limits: QueryLimits,
        answer_cache_bytes: u64,
    ) -> Self {
        let metrics = Arc::new(Metrics::new());
        let store: Arc<dyn Store> = Arc::new(MeteredStore::new(store, Arc::clone(&metrics)));
        let graph = Graph::new(store);
        let importer = Arc::new(Importer::new(graph.clone()));
        let schema = graphql::schema(Services {
            graph: graph.clone(),
            importer: Arc::clone(&importer),
            walk_limits,
            query_limits,
            metrics: Arc::clone(&metrics),
            answer_cache_bytes,
        });
        Self {
            graph,
            importer,
            schema,
            metrics,
        }
    }

    /// Whether the store answers, for `/readyz`.
    pub fn readiness(&self) -> Arc<dyn Readiness> {
        Arc::new(StoreReadiness(self.graph.clone()))
    }

    /// What the HTTP layer serves.
    pub fn http_backend(&self) -> Backend {
        Backend {
            schema: self.schema.clone(),
            readiness: self.readiness(),
            metrics: Arc::clone(&self.metrics),
        }
    }

    /// Imports the seed through the one import path when the store holds no report yet.
    /// Returns how many reports were imported.
    pub async fn seed_if_empty(&self, seed: &Seed) -> anyhow::Result<usize> {
        let reports = seed.reports()?;
        if reports.is_empty() {
            return Ok(0);
        }
        let existing = self
            .graph
            .store()
            .list(&ListQuery::of(Label::Report, 0))
            .await?;
        if existing.total.unwrap_or_default() > 0 {
            return Ok(0);
        }
        self.importer
            .import(&reports, &[PathSegment::Field("seed")], true)
            .await?;
        Ok(reports.len())
    }
}

/// Opens the store the settings name: Neo4j when a Bolt URI is given, else the embedded
/// store in its folder. Errors name the folder or the URI at fault.
pub async fn open_store(config: &crate::config::StoreConfig) -> anyhow::Result<Arc<dyn Store>> {
    use anyhow::Context as _;
    match config.neo4j()? {
        None => {
            let mmap = config
                .sqlite_mmap_mib
                .map_or(crate::store::sqlite::DEFAULT_MMAP_BYTES, |mib| {
                    u64::from(mib) << 20
                });
            let cache = config
                .node_cache_mib
                .map_or(crate::store::sqlite::DEFAULT_CACHE_BYTES, |mib| {
                    u64::from(mib) << 20
                });
            let store = crate::store::sqlite::SqliteStore::open_with(&config.data_dir, mmap, cache)
                .with_context(|| {
                    format!(
                        "cannot open the embedded store in {}",
                        config.data_dir.display()
                    )
                })?;
            Ok(Arc::new(store))
        }
        Some(neo4j) => {
            tracing::info!(?neo4j, "connecting to Neo4j");
            let store = crate::store::neo4j::Neo4jStore::connect(&neo4j)
                .await
                .with_context(|| format!("cannot use Neo4j at {}", neo4j.uri))?;
            Ok(Arc::new(store))
        }
    }
}

/// Ready when the store answers a count of reports.
struct StoreReadiness(Graph);

impl Readiness for StoreReadiness {
    fn check(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + '_>> {
        Box::pin(async move {
            match self.0.store().list(&ListQuery::of(Label::Report, 0)).await {
                Ok(_) => true,
                Err(error) => {
                    tracing::warn!(%error, "readiness check failed");
                    false
                }
            }
        })
    }
}
