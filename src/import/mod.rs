//! The one import path: everything that writes goes through [`Importer::import`], the seed
//! dataset included. Validated, all-or-nothing, idempotent.

mod changes;
mod error;
pub mod export;
pub mod file;
pub mod input;
pub mod merge;
mod partial;
mod pipeline;
mod plan;
pub mod remote;
mod resolve;
pub mod target;
mod validate;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;

use tokio::sync::{broadcast, Mutex};

/// How many imported reports a subscriber may fall behind before it is told it missed some.
pub const IMPORTED_BACKLOG: usize = 16_384;

pub use changes::StatusChange;
pub use error::{ImportFailure, InputError, InputErrorCode, PathSegment};
pub use input::ReportInput;
pub use partial::PartialOutcome;
pub use pipeline::Pipeline;
pub use plan::{canonical, digest};

use crate::domain::status::RULE_VERSION;
use crate::domain::timeline::STATUS_RULE;
use crate::domain::{materialise, DomainError, Graph};

use crate::model::record::derived::SUPPORT_RANK;
use crate::model::record::{NodeRecord, StoredNode};
use crate::model::{Label, NodeId, Report};
use crate::store::{ApplyOutcome, ListOrder, ListQuery, Position, Store, StoreError, WriteBatch};
use validate::{report_key, Checker, I};

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportOutcome {
    /// The reports of the input, in order.
    pub reports: Vec<NodeId>,
    /// Nodes this import created.
    pub created: Vec<NodeId>,
    /// Nodes of the input that were already stored and left as they were.
    pub existing: Vec<NodeId>,
}

/// Validates and applies imports, one at a time, and announces the reports they create.
pub struct Importer {
    graph: Graph,
    // Conflict detection reads the claims already stored, so two imports must not
    // interleave between that read and their write.
    writing: Mutex<()>,
    imported: broadcast::Sender<NodeId>,
    status_changed: broadcast::Sender<StatusChange>,
}

impl Importer {
    pub fn new(graph: Graph) -> Self {
        Self {
            graph,
            writing: Mutex::new(()),
            imported: broadcast::channel(IMPORTED_BACKLOG).0,
            status_changed: broadcast::channel(IMPORTED_BACKLOG).0,
        }
    }

    /// Reports created from now on, as they commit.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeId> {
        self.imported.subscribe()
    }

    /// Changes of claims' materialised statuses from now on, as their imports commit.
    pub fn subscribe_status_changes(&self) -> broadcast::Receiver<StatusChange> {
        self.status_changed.subscribe()
    }

    /// Imports a batch of reports in one transaction. `base` is the input path the errors
    /// are reported under (`["input"]`, or `["inputs"]` with each report's index added).
    pub async fn import(
        &self,
        inputs: &[ReportInput],
        base: &[PathSegment],
        indexed: bool,
    ) -> Result<ImportOutcome, ImportFailure> {
        let path_of = |index: usize| {
            let mut path = base.to_vec();
            if indexed {
                path.push(I(index));
            }
            path
        };
        let checker = partial::shape_checker(inputs, &path_of);
        let _writing = self.writing.lock().await;
        until_current(
            || self.attempt(inputs, &path_of, checker.clone()),
            ImportFailure::is_stale,
        )
        .await
    }

    /// One try at an import: reads, derives the batch at the store's current import version,
    /// and applies it only if no other import has committed since.
    async fn attempt(
        &self,
        inputs: &[ReportInput],
        path_of: &impl Fn(usize) -> Vec<PathSegment>,
        checker: Checker,
    ) -> Result<ImportOutcome, ImportFailure> {
        let version = self
            .graph
            .store()
            .import_version()
            .await
            .map_err(DomainError::from)?;
        let derived = self
            .derive(&self.graph, version, inputs, path_of, checker)
            .await?;
        if derived.batch.nodes.is_empty() {
            return Ok(self.announce(derived, ApplyOutcome::default()));
        }
        let applied = self.graph.store().apply(&derived.batch).await;
        match applied {
            Ok(applied) => Ok(self.announce(derived, applied)),
            Err(StoreError::GuardFailed { id, .. }) => {
                // Another process imported the same key with other content since the
                // check above.
                let index = inputs
                    .iter()
                    .position(|i| report_key(i) == Some(id.key()))
                    .unwrap_or(0);
                let mut checker = Checker::new();
                validate::report_conflict(&mut checker, &path_of(index), id.key());
                Err(ImportFailure::Invalid(checker.errors))
            }
            Err(other) => Err(ImportFailure::Domain(other.into())),
        }
    }

    /// Validates `inputs` and derives their batch on `graph` (the store, or the store as a
    /// batch still being written will leave it), to be applied at import `version`.
    async fn derive(
        &self,
        graph: &Graph,
        version: u64,
        inputs: &[ReportInput],
        path_of: &impl Fn(usize) -> Vec<PathSegment>,
        mut checker: Checker,
    ) -> Result<Derived, ImportFailure> {
        let resolver = resolve::Resolver::load(graph, inputs).await?;
        for (index, input) in inputs.iter().enumerate() {
            resolver.check(&mut checker, &path_of(index), index, input);
        }
        if !checker.errors.is_empty() {
            return Err(ImportFailure::Invalid(checker.errors));
        }

        // A report stored with the same digest was committed whole, with everything it
        // introduced: re-importing it writes nothing, and all its nodes count as existing.
        let (fresh, repeated): (Vec<ReportInput>, Vec<ReportInput>) =
            inputs.iter().cloned().partition(|input| {
                report_key(input).is_none_or(|key| {
                    !resolver
                        .stored
                        .contains_key(&NodeId::new(Label::Report, key))
                })
            });
        let (mut batch, claims) = plan::build(&resolver, &fresh);
        plan::number_reports(&mut batch, version);
        let stored: BTreeSet<NodeId> = resolver.stored.keys().cloned().collect();
        let mut status_changes = Vec::new();
        if !batch.nodes.is_empty() {
            plan::link_conflicts(graph, &mut batch, &claims, &stored).await?;
            batch.absent = Arc::new(
                resolver
                    .absent(graph, batch.nodes.iter().map(|n| &n.id))
                    .await?,
            );
            // Shared with the overlay the statuses are derived on, then taken back whole.
            let shared = Arc::new(std::mem::take(&mut batch));
            let updates = materialise::status_updates(graph, Arc::clone(&shared)).await?;
            batch = Arc::try_unwrap(shared).unwrap_or_else(|shared| (*shared).clone());
            batch.updates = updates;
            // One store read, spared when nobody listens.
            if self.status_changed.receiver_count() > 0 {
                status_changes = changes::status_changes(graph.store().as_ref(), &batch).await?;
            }
            batch.expect_version = Some(version);
        }
        let repeated = plan::build(&resolver, &repeated)
            .0
            .nodes
            .into_iter()
            .map(|node| node.id.clone())
            .collect();
        let reports = inputs
            .iter()
            .filter_map(report_key)
            .map(|key| NodeId::new(Label::Report, key))
            .collect();
        Ok(Derived {
            batch: Arc::new(batch),
            reports,
            repeated,
            status_changes,
        })
    }

    /// What a derived batch did, once `applied`; its new reports and status changes are
    /// told to subscribers now, after the commit.
    fn announce(&self, derived: Derived, mut applied: ApplyOutcome) -> ImportOutcome {
        let mut known: BTreeSet<NodeId> = applied.created.iter().cloned().collect();
        known.extend(applied.existing.iter().cloned());
        for node in derived.repeated {
            if known.insert(node.clone()) {
                applied.existing.push(node);
            }
        }
        // A batch creates thousands of nodes: looked up, not searched, for each report.
        let created: HashSet<&NodeId> = applied.created.iter().collect();
        // Nobody listening is fine.
        for report in derived.reports.iter().filter(|r| created.contains(r)) {
            let _ = self.imported.send(report.clone());
        }
        for change in derived.status_changes {
            let _ = self.status_changed.send(change);
        }
        ImportOutcome {
            reports: derived.reports,
            created: applied.created,
            existing: applied.existing,
        }
    }
}

/// A batch derived from valid inputs, not yet applied.
struct Derived {
    /// What to write; nothing when every report is stored already.
    batch: Arc<WriteBatch>,
    /// The inputs' reports, in order.
    reports: Vec<NodeId>,
    /// The nodes of the reports stored already, which count as existing.
    repeated: Vec<NodeId>,
    status_changes: Vec<StatusChange>,
}

/// How many times an import is derived again when other processes' imports keep
/// committing between its reads and its write.
const MAX_ATTEMPTS: u32 = 20;

/// Runs a write (an import, a merge, a page of a rebuild) again while it fails because
/// another kg process's import committed between its reads and its write. The pause grows
/// and differs per process, so that writers fall out of step.
async fn until_current<T, E, Fut>(
    mut attempt: impl FnMut() -> Fut,
    stale: impl Fn(&E) -> bool,
) -> Result<T, E>
where
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(error) if stale(&error) && tries < MAX_ATTEMPTS => {
                let pause = 5 * u64::from(tries) + u64::from(std::process::id() % 7);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            other => return other,
        }
    }
}

/// How many claims one rebuild batch re-derives.
const REBUILD_PAGE: usize = 500;

impl Importer {
    /// Re-derives the stored status of every claim when any was derived by another rule
    /// version than this one (or by none), or lacks its support rank. Returns how many
    /// claims were rebuilt.
    pub async fn rebuild_stale_statuses(&self) -> Result<usize, DomainError> {
        let _writing = self.writing.lock().await;
        let store = self.graph.store();
        let total = store.list(&ListQuery::of(Label::Claim, 0)).await?.total;
        let total = total.unwrap_or_default();
        let current = store
            .list(&ListQuery {
                equals: vec![(STATUS_RULE, RULE_VERSION.to_string())],
                ..ListQuery::of(Label::Claim, 0)
            })
            .await?
            .total
            .unwrap_or_default();
        // Claims stored before their support was: derived again too.
        let unranked = store
            .list(&ListQuery {
                absent: vec![SUPPORT_RANK],
                ..ListQuery::of(Label::Claim, 0)
            })
            .await?
            .total
            .unwrap_or_default();
        if total == current && unranked == 0 {
            return Ok(0);
        }
        let mut after = None;
        while let Some(records) = next_page(store.as_ref(), Label::Claim, &mut after).await? {
            let ids: Vec<NodeId> = records.into_iter().map(|r| r.id).collect();
            // Like an import, a page is derived at one import version and written only if
            // no other process imported meanwhile; otherwise it is derived again.
            let page = || async {
                let version = store.import_version().await?;
                let batch = WriteBatch {
                    updates: materialise::timelines(&self.graph, &ids).await?,
                    expect_version: Some(version),
                    ..WriteBatch::default()
                };
                store.apply(&batch).await?;
                Ok(())
            };
            until_current(page, DomainError::is_stale).await?;
        }
        // Reports stored before they carried their sort date get it now.
        let mut after = None;
        while let Some(records) = next_page(store.as_ref(), Label::Report, &mut after).await? {
            let mut updates = Vec::new();
            for record in &records {
                let report = Report::from_record(record)?;
                updates.push(plan::dated(&report));
            }
            store
                .apply(&WriteBatch {
                    updates,
                    ..WriteBatch::default()
                })
                .await?;
        }
        tracing::info!(
            claims = total,
            rule = RULE_VERSION,
            "rebuilt stored statuses"
        );
        Ok(total)
    }
}

/// The next page of a label's nodes after `after`, which moves on; `None` past the end.
async fn next_page(
    store: &dyn Store,
    label: Label,
    after: &mut Option<Position>,
) -> Result<Option<Vec<NodeRecord>>, StoreError> {
    let page = store
        .list(&ListQuery {
            after: after.take(),
            ..ListQuery::of(label, REBUILD_PAGE)
        })
        .await?;
    let Some(last) = page.records.last() else {
        return Ok(None);
    };
    *after = Some(Position::of(last, ListOrder::Name));
    Ok(Some(page.records))
}

/// Reads every `*.json` file of a folder, in name order, as report inputs.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<ReportInput>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut inputs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let input: ReportInput =
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        inputs.push(input);
    }
    Ok(inputs)
}
