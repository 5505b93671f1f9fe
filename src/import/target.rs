//! Where `kg import` sends its batches and merge lines: this process's importer over a
//! store, or a running server (`remote.rs`). Both answer alike, so the file reader and its
//! reporting are written once.

use super::file::RejectionError;
use super::input::MergeKeys;
use super::{ImportFailure, Importer, PartialOutcome, PathSegment, Pipeline, ReportInput};
use crate::domain::DomainError;

/// What became of a merge line.
#[derive(Clone, Debug)]
pub enum Merged {
    Now,
    Already,
    Refused(Vec<RejectionError>),
}

/// What one batch did where it was imported.
#[derive(Clone, Debug, Default)]
pub struct BatchOutcome {
    pub created: usize,
    pub already_present: usize,
    /// The refused reports: their index among the batch's inputs, and why.
    pub rejected: Vec<(usize, Vec<RejectionError>)>,
}

/// Where `kg import` sends its batches: this process's importer over a store, or a
/// running server's `importReports` (see `remote.rs`).
#[async_trait::async_trait]
pub trait ImportTarget: Send + Sync {
    /// Imports a batch, or starts to: a target may keep one batch being written while the
    /// next is sent. Returns the outcomes of the batches finished by now, oldest first.
    /// `atomic`: all of it or, when any report is refused, none of it; otherwise the valid
    /// reports, refusing the others and those that need them.
    async fn import_batch(
        &self,
        inputs: Vec<ReportInput>,
        atomic: bool,
    ) -> anyhow::Result<Vec<BatchOutcome>>;

    /// Finishes the batch still being written, if any: its outcome.
    async fn finish(&self) -> anyhow::Result<Vec<BatchOutcome>> {
        Ok(Vec::new())
    }

    /// Merges two entities by key (a merge line), once the batches before it are finished.
    async fn merge(&self, keys: &MergeKeys) -> anyhow::Result<Merged>;
}

/// The importer of an app over a store opened by this process. Non-atomic batches are
/// pipelined: one is written while the next is derived (see `pipeline.rs`).
pub struct LocalTarget {
    app: crate::app::App,
    pipeline: Pipeline,
}

impl LocalTarget {
    pub fn new(app: crate::app::App) -> Self {
        let pipeline = Pipeline::new(std::sync::Arc::clone(&app.importer));
        Self { app, pipeline }
    }
}

#[async_trait::async_trait]
impl ImportTarget for LocalTarget {
    async fn import_batch(
        &self,
        inputs: Vec<ReportInput>,
        atomic: bool,
    ) -> anyhow::Result<Vec<BatchOutcome>> {
        if atomic {
            let mut outcomes = self.finish().await?;
            outcomes.extend(self.app.importer.import_batch(inputs, atomic).await?);
            return Ok(outcomes);
        }
        let finished = self.pipeline.send(inputs, &BASE).await.map_err(domain)?;
        Ok(finished.map(partial_outcome).into_iter().collect())
    }

    async fn finish(&self) -> anyhow::Result<Vec<BatchOutcome>> {
        let finished = self.pipeline.finish().await.map_err(domain)?;
        Ok(finished.map(partial_outcome).into_iter().collect())
    }

    async fn merge(&self, keys: &MergeKeys) -> anyhow::Result<Merged> {
        let unsettled = self.finish().await?;
        anyhow::ensure!(
            unsettled.is_empty(),
            "a merge was sent before the batches before it were finished"
        );
        self.app.importer.merge(keys).await
    }
}

/// The path a batch's errors are reported under: `line`, then the report's index.
const BASE: [PathSegment; 1] = [PathSegment::Field("line")];

#[async_trait::async_trait]
impl ImportTarget for Importer {
    async fn import_batch(
        &self,
        inputs: Vec<ReportInput>,
        atomic: bool,
    ) -> anyhow::Result<Vec<BatchOutcome>> {
        let mut outcome = BatchOutcome::default();
        if atomic {
            match self.import(&inputs, &BASE, true).await {
                Ok(applied) => count(&mut outcome, &applied),
                Err(super::ImportFailure::Invalid(errors)) => {
                    for error in &errors {
                        if let Some(PathSegment::Index(i)) = error.path.get(1) {
                            outcome
                                .rejected
                                .push((*i, vec![RejectionError::from(error)]));
                        }
                    }
                }
                Err(super::ImportFailure::Domain(error)) => return Err(domain(error)),
            }
            return Ok(vec![outcome]);
        }
        let partial = self.import_valid(&inputs, &BASE).await.map_err(domain)?;
        Ok(vec![partial_outcome(partial)])
    }

    async fn merge(&self, keys: &MergeKeys) -> anyhow::Result<Merged> {
        match self
            .merge_keys(&keys.keep, &keys.merge, keys.reason.as_deref())
            .await
        {
            Ok(outcome) if outcome.already => Ok(Merged::Already),
            Ok(_) => Ok(Merged::Now),
            Err(ImportFailure::Invalid(errors)) => Ok(Merged::Refused(
                errors
                    .iter()
                    .map(|error| {
                        let path: Vec<String> =
                            error.path.iter().map(ToString::to_string).collect();
                        RejectionError {
                            code: error.code.as_str().to_string(),
                            input_path: format!("mergeEntities.{}", path.join(".")),
                            message: error.message.clone(),
                        }
                    })
                    .collect(),
            )),
            Err(ImportFailure::Domain(error)) => Err(domain(error)),
        }
    }
}

fn partial_outcome(partial: PartialOutcome) -> BatchOutcome {
    let mut outcome = BatchOutcome::default();
    count(&mut outcome, &partial.applied);
    for (index, errors) in partial.rejected {
        outcome
            .rejected
            .push((index, errors.iter().map(Into::into).collect()));
    }
    outcome
}

fn count(outcome: &mut BatchOutcome, applied: &super::ImportOutcome) {
    let created = applied
        .reports
        .iter()
        .filter(|r| applied.created.contains(r))
        .count();
    outcome.created += created;
    outcome.already_present += applied.reports.len() - created;
}

fn domain(error: DomainError) -> anyhow::Error {
    anyhow::anyhow!("the store failed: {error}")
}
