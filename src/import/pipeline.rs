//! Overlapping imports, for `kg import`: while one batch is written, the next is derived on
//! the graph as the first will leave it (an [`Overlay`] of the store and the batch being
//! written), so that deriving and writing run side by side instead of taking turns.
//!
//! The outcome is the one the batches would have one after the other. A batch derived on
//! an overlay expects the import version its predecessor leaves, so a write by anyone else
//! in between makes it stale. When the batch being written fails (another process imported
//! meanwhile, or the same key with other content), it is imported again the plain way, and
//! the next batch, derived on what did not happen, is derived again.

use std::sync::Arc;

use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::partial::DerivedValid;
use super::{Derived, Importer, PartialOutcome, PathSegment, ReportInput};
use crate::domain::{DomainError, Graph};
use crate::store::overlay::Overlay;
use crate::store::{ApplyOutcome, StoreError};

/// Non-atomic imports, one batch written while the next is derived.
pub struct Pipeline {
    importer: Arc<Importer>,
    in_flight: Mutex<Option<InFlight>>,
}

/// A derived batch whose write has started (or that had nothing to write).
struct InFlight {
    /// As sent, to import again the plain way if the write fails.
    inputs: Vec<ReportInput>,
    base: Vec<PathSegment>,
    valid: DerivedValid,
    /// The import version once it is written.
    version_after: u64,
    write: Option<JoinHandle<Result<ApplyOutcome, StoreError>>>,
}

impl Pipeline {
    pub fn new(importer: Arc<Importer>) -> Self {
        Self {
            importer,
            in_flight: Mutex::new(None),
        }
    }

    /// Derives the valid reports of `inputs` while the batch before them is written, waits
    /// for that write, then starts writing these. Returns the outcome of the batch before,
    /// if there was one. Errors name reports under `base` and their index, as in
    /// [`Importer::import_valid`].
    pub async fn send(
        &self,
        inputs: Vec<ReportInput>,
        base: &[PathSegment],
    ) -> Result<Option<PartialOutcome>, DomainError> {
        let mut slot = self.in_flight.lock().await;
        let previous = slot.take();
        let derived = self.derive(previous.as_ref(), &inputs, base).await;
        let mut outcome = None;
        let mut derived_on_what_happened = true;
        if let Some(previous) = previous {
            let (landed, as_derived) = self.land(previous).await?;
            outcome = Some(landed);
            derived_on_what_happened = as_derived;
        }
        let (valid, version) = if derived_on_what_happened {
            derived?
        } else {
            self.derive(None, &inputs, base).await?
        };
        *slot = Some(self.start(inputs, base, valid, version));
        Ok(outcome)
    }

    /// Waits for the batch being written: its outcome, if there was one.
    pub async fn finish(&self) -> Result<Option<PartialOutcome>, DomainError> {
        let previous = self.in_flight.lock().await.take();
        match previous {
            Some(previous) => Ok(Some(self.land(previous).await?.0)),
            None => Ok(None),
        }
    }

    /// Derives the valid reports of `inputs` on the store as `before`, a batch being
    /// written, will leave it (or on the store alone): the derivation, and the import
    /// version its write expects.
    async fn derive(
        &self,
        before: Option<&InFlight>,
        inputs: &[ReportInput],
        base: &[PathSegment],
    ) -> Result<(DerivedValid, u64), DomainError> {
        let store = self.importer.graph.store();
        let (graph, version) = match before {
            Some(before) => {
                let graph = match before.writing() {
                    Some(derived) => Graph::new(Arc::new(Overlay::new(
                        Arc::clone(store),
                        Arc::clone(&derived.batch),
                    ))),
                    None => self.importer.graph.clone(),
                };
                (graph, before.version_after)
            }
            None => (self.importer.graph.clone(), store.import_version().await?),
        };
        let valid = self
            .importer
            .derive_valid(&graph, version, inputs, base)
            .await?;
        Ok((valid, version))
    }

    /// Starts writing a derived batch.
    fn start(
        &self,
        inputs: Vec<ReportInput>,
        base: &[PathSegment],
        valid: DerivedValid,
        version: u64,
    ) -> InFlight {
        let batch = valid.derived.as_ref().map(|d| Arc::clone(&d.batch));
        let write = batch.filter(|b| !b.nodes.is_empty()).map(|batch| {
            let store = Arc::clone(self.importer.graph.store());
            tokio::spawn(async move { store.apply(&batch).await })
        });
        InFlight {
            inputs,
            base: base.to_vec(),
            version_after: if write.is_some() {
                version + 1
            } else {
                version
            },
            valid,
            write,
        }
    }

    /// Waits for a batch's write: its outcome, and whether it was written as derived. A
    /// batch whose write failed because of another writer is imported again the plain way.
    async fn land(&self, in_flight: InFlight) -> Result<(PartialOutcome, bool), DomainError> {
        let applied = match in_flight.write {
            Some(write) => write
                .await
                .map_err(|e| DomainError::Store(StoreError::Internal(e.to_string())))?,
            None => Ok(ApplyOutcome::default()),
        };
        match applied {
            Ok(applied) => {
                let valid = in_flight.valid;
                let applied = match valid.derived {
                    Some(derived) => self.importer.announce(derived, applied),
                    None => super::ImportOutcome::default(),
                };
                let outcome = PartialOutcome {
                    applied,
                    accepted: valid.accepted,
                    rejected: valid.rejected,
                };
                Ok((outcome, true))
            }
            Err(StoreError::Stale | StoreError::GuardFailed { .. }) => {
                let outcome = self
                    .importer
                    .import_valid(&in_flight.inputs, &in_flight.base)
                    .await?;
                Ok((outcome, false))
            }
            Err(other) => Err(other.into()),
        }
    }
}

impl InFlight {
    /// The batch being written, which the next is derived on top of; none when there was
    /// nothing to write.
    fn writing(&self) -> Option<&Derived> {
        self.valid.derived.as_ref().filter(|_| self.write.is_some())
    }
}
