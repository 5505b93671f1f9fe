//! The import mutations: every write of the API goes through the one import path.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Object, ID};

use super::errors::{api_error, ApiError, WriteAccess};
use super::ids::decode;
use super::import::{input_error, ImportResult, ReportInputObject};
use super::merges::EntityMerge;
use crate::domain::Graph;
use crate::import::{ImportFailure, Importer, PathSegment};
use crate::metrics::Metrics;
use crate::model::record::NodeRecord;
use crate::model::NodeId;

/// The most reports one `importReports` call takes.
const MAX_IMPORT_BATCH: usize = 1_000;

/// The import mutations: validated, all or nothing, idempotent.
pub struct Mutation;

async fn run_import(
    ctx: &Context<'_>,
    inputs: Vec<ReportInputObject>,
    root: &'static str,
    indexed: bool,
    atomic: bool,
) -> async_graphql::Result<ImportResult> {
    let importer = ctx.data_unchecked::<Arc<Importer>>();
    let inputs: Vec<crate::import::ReportInput> = inputs.into_iter().map(Into::into).collect();
    let base = [PathSegment::Field(root)];
    let counted = |result: ImportResult| {
        ctx.data_unchecked::<Arc<Metrics>>()
            .reports_imported(result.reports_created());
        Ok(result)
    };
    if !atomic {
        let partial = importer
            .import_valid(&inputs, &base)
            .await
            .map_err(api_error)?;
        return counted(ImportResult::new(
            &inputs,
            partial.applied,
            &partial.accepted,
            &partial.rejected,
        ));
    }
    match importer.import(&inputs, &base, indexed).await {
        Ok(outcome) => {
            let accepted: Vec<usize> = (0..inputs.len()).collect();
            counted(ImportResult::new(
                &inputs,
                outcome,
                &accepted,
                &Default::default(),
            ))
        }
        Err(failure) => Err(refused(ctx, failure)),
    }
}

/// A refused write as GraphQL errors: one per problem, each with its code and input path.
fn refused(ctx: &Context<'_>, failure: ImportFailure) -> async_graphql::Error {
    match failure {
        ImportFailure::Invalid(errors) => {
            // The resolver's own error is listed after those added, so it takes the last one
            // and the response keeps input order.
            let mut errors: Vec<_> = errors.iter().map(input_error).collect();
            let last = errors
                .pop()
                .unwrap_or_else(|| ApiError::BadUserInput("invalid input".into()).extend());
            for error in errors {
                ctx.add_error(ctx.set_error_path(error.into_server_error(ctx.item.pos)));
            }
            last
        }
        ImportFailure::Domain(error) => api_error(error),
    }
}

/// The import mutations: validated, all or nothing, idempotent.
#[Object]
impl Mutation {
    /// Imports one report with its entities, sources, claims and assertions. Invalid input
    /// writes nothing and returns one error per problem, each with `extensions.code` and
    /// `extensions.inputPath`.
    #[graphql(guard = "WriteAccess")]
    async fn import_report(
        &self,
        ctx: &Context<'_>,
        input: ReportInputObject,
    ) -> async_graphql::Result<ImportResult> {
        run_import(ctx, vec![input], "input", false, true).await
    }

    /// Imports up to 1,000 reports in one transaction. Later reports may refer to what
    /// earlier ones introduce. With `atomic` (the default) it is all of them or none: any
    /// invalid report fails the call with one error per problem. With `atomic: false` the
    /// valid reports are imported and the invalid ones (and those that need them) are
    /// refused: `outcomes` says which, with their errors.
    #[graphql(guard = "WriteAccess")]
    async fn import_reports(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<ReportInputObject>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> async_graphql::Result<ImportResult> {
        // Nullable, so that a variable left out (`$atomic: Boolean`) means the default.
        let atomic = atomic.unwrap_or(true);
        if inputs.len() > MAX_IMPORT_BATCH {
            return Err(async_graphql::Error::from(ApiError::BadUserInput(format!(
                "at most {MAX_IMPORT_BATCH} reports at once"
            ))));
        }
        run_import(ctx, inputs, "inputs", true, atomic).await
    }

    /// Merges one entity into another of the same kind, as the importer decides (nothing
    /// is merged automatically; `possibleDuplicates` suggests). Every link of `merge`
    /// (claims about it or valued by it, reports it published, sources affiliated with it or
    /// naming it, evidence) moves to `keep`; conflicts and statuses are derived again; the
    /// merge is recorded on `merge`, whose id and key resolve to `keep` from then on, in
    /// lookups and in imports. `unmergeEntity` undoes it. One transaction.
    #[graphql(guard = "WriteAccess")]
    async fn merge_entities(
        &self,
        ctx: &Context<'_>,
        keep: ID,
        merge: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<EntityMerge> {
        let importer = ctx.data_unchecked::<Arc<Importer>>();
        let keep = decode(&keep)?;
        let merge = decode(&merge)?;
        let outcome = importer
            .merge_entities(&keep, &merge, reason.as_deref())
            .await
            .map_err(|failure| refused(ctx, failure))?;
        let record = stored(ctx, &outcome.merged).await?;
        recorded_merge(ctx, record, &outcome.merged, outcome.rederived).await
    }

    /// Undoes the merge of `merged`: its links move back from the entity it was merged
    /// into, its id and key resolve to it again, and conflicts and statuses are derived
    /// again. Links made to the kept entity since the merge stay with it. Returns the merge
    /// as it was recorded.
    #[graphql(guard = "WriteAccess")]
    async fn unmerge_entity(
        &self,
        ctx: &Context<'_>,
        merged: ID,
    ) -> async_graphql::Result<EntityMerge> {
        let importer = ctx.data_unchecked::<Arc<Importer>>();
        let merged = decode(&merged)?;
        // The record is read first: undoing the merge clears it.
        let before = stored(ctx, &merged).await?;
        let outcome = importer
            .unmerge_entity(&merged)
            .await
            .map_err(|failure| refused(ctx, failure))?;
        recorded_merge(ctx, before, &merged, outcome.rederived).await
    }
}

/// The stored record of a node, if there is one.
async fn stored(ctx: &Context<'_>, id: &NodeId) -> async_graphql::Result<Option<NodeRecord>> {
    let graph = ctx.data_unchecked::<Graph>();
    Ok(graph
        .records(std::slice::from_ref(id))
        .await
        .map_err(api_error)?
        .remove(id)
        .map(Arc::unwrap_or_clone))
}

/// The merge recorded on `record` (the merged entity), as a mutation answers it.
async fn recorded_merge(
    ctx: &Context<'_>,
    record: Option<NodeRecord>,
    merged: &NodeId,
    rederived: usize,
) -> async_graphql::Result<EntityMerge> {
    let recorded = match record {
        Some(record) => EntityMerge::load(ctx, record, Some(rederived)).await?,
        None => None,
    };
    recorded.ok_or_else(|| api_error(ApiError::Internal(format!("{merged} vanished"))))
}
