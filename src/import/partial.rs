//! Non-atomic imports: the valid reports of a batch are applied, the invalid ones refused
//! with their errors. Used by `importReports(atomic: false)` and by `kg import`.

use std::collections::{BTreeMap, BTreeSet};

use super::{ImportFailure, ImportOutcome, Importer, InputError, PathSegment, ReportInput};
use crate::domain::DomainError;

/// What a non-atomic import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PartialOutcome {
    /// The applied reports' outcome; its `reports` are those of `accepted`, in order.
    pub applied: ImportOutcome,
    /// The input indexes of the applied reports.
    pub accepted: Vec<usize>,
    /// The refused reports' errors, by input index; their paths name the input index.
    pub rejected: BTreeMap<usize, Vec<InputError>>,
}

impl Importer {
    /// Imports the valid reports of `inputs` in one transaction and refuses the others:
    /// each round imports what is left, and sets aside the reports its errors name, until
    /// a round succeeds. A report that needs one that was refused (an entity it introduced,
    /// say) is refused in a later round with its own error.
    pub async fn import_valid(
        &self,
        inputs: &[ReportInput],
        base: &[PathSegment],
    ) -> Result<PartialOutcome, DomainError> {
        let mut remaining: Vec<usize> = (0..inputs.len()).collect();
        let mut rejected: BTreeMap<usize, Vec<InputError>> = BTreeMap::new();
        while !remaining.is_empty() {
            let batch: Vec<ReportInput> = remaining.iter().map(|&i| inputs[i].clone()).collect();
            let errors = match self.import(&batch, base, true).await {
                Ok(applied) => {
                    return Ok(PartialOutcome {
                        applied,
                        accepted: remaining,
                        rejected,
                    })
                }
                Err(ImportFailure::Domain(error)) => return Err(error),
                Err(ImportFailure::Invalid(errors)) => errors,
            };
            let mut refused = BTreeSet::new();
            for mut error in errors {
                let Some(PathSegment::Index(position)) = error.path.get(base.len()).cloned() else {
                    continue;
                };
                let Some(&original) = remaining.get(position) else {
                    continue;
                };
                error.path[base.len()] = PathSegment::Index(original);
                rejected.entry(original).or_default().push(error);
                refused.insert(position);
            }
            if refused.is_empty() {
                // Errors that name no report cannot be set aside: refuse the rest.
                for index in remaining {
                    rejected.entry(index).or_default();
                }
                return Ok(PartialOutcome {
                    rejected,
                    ..PartialOutcome::default()
                });
            }
            remaining = remaining
                .into_iter()
                .enumerate()
                .filter(|(position, _)| !refused.contains(position))
                .map(|(_, index)| index)
                .collect();
        }
        Ok(PartialOutcome {
            rejected,
            ..PartialOutcome::default()
        })
    }
}
