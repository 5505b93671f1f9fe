//! Non-atomic imports: the valid reports of a batch are applied, the invalid ones refused
//! with their errors. Used by `importReports(atomic: false)` and by `kg import`.

use std::collections::{BTreeMap, BTreeSet};

use super::validate::{Checker, I};
use super::{
    Derived, ImportFailure, ImportOutcome, Importer, InputError, PathSegment, ReportInput,
};
use crate::domain::{DomainError, Graph};

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

/// The valid reports of a batch derived, not yet applied (see [`Importer::derive_valid`]).
pub(super) struct DerivedValid {
    /// The batch of the `accepted` reports; none when every report was refused.
    pub derived: Option<Derived>,
    pub accepted: Vec<usize>,
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
        let attempt =
            |batch: Vec<ReportInput>| async move { self.import(&batch, base, true).await };
        let (applied, accepted, rejected) = rounds(inputs, base.len(), attempt).await?;
        Ok(PartialOutcome {
            applied: applied.unwrap_or_default(),
            accepted,
            rejected,
        })
    }

    /// The same rounds, deriving on `graph` at import `version` without applying: how a
    /// pipelined import prepares a batch while the one before it is written.
    pub(super) async fn derive_valid(
        &self,
        graph: &Graph,
        version: u64,
        inputs: &[ReportInput],
        base: &[PathSegment],
    ) -> Result<DerivedValid, DomainError> {
        let attempt = |batch: Vec<ReportInput>| async move {
            let path_of = |index: usize| {
                let mut path = base.to_vec();
                path.push(I(index));
                path
            };
            let checker = shape_checker(&batch, &path_of);
            self.derive(graph, version, &batch, &path_of, checker).await
        };
        let (derived, accepted, rejected) = rounds(inputs, base.len(), attempt).await?;
        Ok(DerivedValid {
            derived,
            accepted,
            rejected,
        })
    }
}

/// Runs `attempt` on the remaining inputs, setting aside the reports each round's errors
/// name, until a round succeeds: its result (none when every report was refused), the
/// input indexes it had, and the refused reports' errors by input index.
async fn rounds<T, Attempt, Fut>(
    inputs: &[ReportInput],
    base: usize,
    mut attempt: Attempt,
) -> Result<(Option<T>, Vec<usize>, BTreeMap<usize, Vec<InputError>>), DomainError>
where
    Attempt: FnMut(Vec<ReportInput>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ImportFailure>>,
{
    let mut remaining: Vec<usize> = (0..inputs.len()).collect();
    let mut rejected: BTreeMap<usize, Vec<InputError>> = BTreeMap::new();
    while !remaining.is_empty() {
        let batch: Vec<ReportInput> = remaining.iter().map(|&i| inputs[i].clone()).collect();
        let errors = match attempt(batch).await {
            Ok(done) => return Ok((Some(done), remaining, rejected)),
            Err(ImportFailure::Domain(error)) => return Err(error),
            Err(ImportFailure::Invalid(errors)) => errors,
        };
        set_aside(errors, base, &mut remaining, &mut rejected);
    }
    Ok((None, Vec::new(), rejected))
}

/// The shape checks of every input, which need no store.
pub(super) fn shape_checker(
    inputs: &[ReportInput],
    path_of: &impl Fn(usize) -> Vec<PathSegment>,
) -> Checker {
    let mut checker = Checker::new();
    for (index, input) in inputs.iter().enumerate() {
        super::validate::check_shape(&mut checker, &path_of(index), input);
    }
    checker
}

/// Moves the reports a round's `errors` name from `remaining` to `rejected`, their paths
/// renumbered to the original inputs. Errors that name no report cannot be set aside: then
/// every remaining report is refused.
fn set_aside(
    errors: Vec<InputError>,
    base: usize,
    remaining: &mut Vec<usize>,
    rejected: &mut BTreeMap<usize, Vec<InputError>>,
) {
    let mut refused = BTreeSet::new();
    for mut error in errors {
        let Some(PathSegment::Index(position)) = error.path.get(base).cloned() else {
            continue;
        };
        let Some(&original) = remaining.get(position) else {
            continue;
        };
        error.path[base] = PathSegment::Index(original);
        rejected.entry(original).or_default().push(error);
        refused.insert(position);
    }
    if refused.is_empty() {
        for index in remaining.drain(..) {
            rejected.entry(index).or_default();
        }
        return;
    }
    *remaining = std::mem::take(remaining)
        .into_iter()
        .enumerate()
        .filter(|(position, _)| !refused.contains(position))
        .map(|(_, index)| index)
        .collect();
}
