//! Where `kg import` sends its batches and merge lines: this process's importer over a
//! store, or a running server (`remote.rs`). Both answer alike, so the file reader and its
//! reporting are written once.

use super::file::RejectionError;
use super::input::MergeKeys;
use super::{ImportFailure, Importer, PathSegment, ReportInput};
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
    /// Imports a batch. `atomic`: all of it or, when any report is refused, none of it;
    /// otherwise the valid reports, refusing the others and those that need them.
    async fn import_batch(
        &self,
        inputs: &[ReportInput],
        atomic: bool,
    ) -> anyhow::Result<BatchOutcome>;

    /// Merges two entities by key (a merge line).
    async fn merge(&self, keys: &MergeKeys) -> anyhow::Result<Merged>;
}

/// The importer of an app over a store opened by this process.
pub struct LocalTarget(pub crate::app::App);

#[async_trait::async_trait]
impl ImportTarget for LocalTarget {
    async fn import_batch(
        &self,
        inputs: &[ReportInput],
        atomic: bool,
    ) -> anyhow::Result<BatchOutcome> {
        self.0.importer.import_batch(inputs, atomic).await
    }

    async fn merge(&self, keys: &MergeKeys) -> anyhow::Result<Merged> {
        self.0.importer.merge(keys).await
    }
}

#[async_trait::async_trait]
impl ImportTarget for Importer {
    async fn import_batch(
        &self,
        inputs: &[ReportInput],
        atomic: bool,
    ) -> anyhow::Result<BatchOutcome> {
        let base = [PathSegment::Field("line")];
        let mut outcome = BatchOutcome::default();
        if atomic {
            match self.import(inputs, &base, true).await {
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
        } else {
            let partial = self.import_valid(inputs, &base).await.map_err(domain)?;
            count(&mut outcome, &partial.applied);
            for (index, errors) in partial.rejected {
                outcome
                    .rejected
                    .push((index, errors.iter().map(Into::into).collect()));
            }
        }
        Ok(outcome)
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
