//! Derived status and its explanation.

use async_graphql::{Context, Enum, Object};

use super::loaders::{record, status_inputs_of, typed};
use super::provenance::{Assertion, Claim};
use super::scalars::Date;
use crate::domain::status::{self, derive_status, Verdict};
use crate::domain::timeline::StatusTimeline;
use crate::model::{self, NodeId};

/// A claim's status, derived from its evidence by the status rule (its text, with each
/// clause, is served by `statusRule`; each value names its clause).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::ClaimStatus")]
pub enum ClaimStatus {
    /// Clause 1 of the rule.
    Retracted,
    /// Clause 2 of the rule.
    Confirmed,
    /// Clause 3 of the rule.
    Denied,
    /// Clause 4 of the rule.
    Disputed,
    /// Clause 5 of the rule.
    Corroborated,
    /// Clause 6 of the rule.
    Reported,
    /// Clause 7 of the rule: nothing counted (yet, as of the day asked).
    Unreported,
}

/// The verdict of the status rule for one claim.
pub async fn status_of(
    ctx: &Context<'_>,
    claim: &NodeId,
    as_of: Option<Date>,
) -> async_graphql::Result<Verdict> {
    let inputs = status_inputs_of(ctx, claim).await?;
    Ok(derive_status(&inputs, as_of.map(|d| d.0)))
}

/// A claim's status as stored at import (materialised), read from the request's snapshot
/// when a plan reached the claim; derived afresh only when the claim has no timeline of the
/// current rule.
pub async fn stored_status(
    ctx: &Context<'_>,
    claim: &NodeId,
    as_of: Option<Date>,
) -> async_graphql::Result<ClaimStatus> {
    let stored = record(ctx, claim)
        .await?
        .and_then(|r| StatusTimeline::from_props(&r.props))
        .filter(StatusTimeline::is_current);
    Ok(match stored {
        Some(timeline) => timeline.at(as_of.map(|d| d.0)).into(),
        None => status_of(ctx, claim, as_of).await?.status.into(),
    })
}

/// Why a claim has its status: the rule that matched and the evidence it used.
pub struct StatusExplanation(pub Verdict);

async fn assertions(ctx: &Context<'_>, ids: &[NodeId]) -> async_graphql::Result<Vec<Assertion>> {
    Ok(typed::<model::Assertion>(ctx, ids)
        .await?
        .into_iter()
        .map(Assertion)
        .collect())
}

/// Why a claim has its status: the rule that matched and the evidence it used.
#[Object]
impl StatusExplanation {
    /// The status.
    async fn status(&self) -> ClaimStatus {
        self.0.status.into()
    }

    /// The version of the rule that derived it.
    async fn rule_version(&self) -> &str {
        self.0.rule_version
    }

    /// The number of the clause of the rule that matched, 1 to 7.
    async fn rule(&self) -> u8 {
        self.0.rule
    }

    /// The verdict in one sentence, naming the chains, denials and conflicts.
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// The day the evidence was counted up to, when asked for.
    async fn as_of(&self) -> Option<Date> {
        self.0.as_of.map(Date)
    }

    /// The independent chains of support.
    async fn chains(&self) -> Vec<EvidenceChain<'_>> {
        self.0.chains.iter().map(EvidenceChain).collect()
    }

    /// Assertions that deny or dispute the claim.
    async fn denials(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Assertion>> {
        assertions(ctx, &self.0.denials).await
    }

    /// Those denials made of the occurrence of the event the claim is about: they count
    /// against every claim about the event.
    async fn presupposition_denials(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<Assertion>> {
        assertions(ctx, &self.0.presupposition_denials).await
    }

    /// Retractions counted; what each withdrew is in `excluded`.
    async fn retractions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Assertion>> {
        assertions(ctx, &self.0.retractions).await
    }

    /// Those denials made on the record by a principal of the claim.
    async fn principal_denials(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Assertion>> {
        assertions(ctx, &self.0.principal_denials).await
    }

    /// Assertions that confirm it on the record by a principal or by a primary document.
    async fn confirmations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Assertion>> {
        assertions(ctx, &self.0.confirmations).await
    }

    /// Conflicting claims that have support.
    async fn conflicts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Claim>> {
        let claims = typed::<model::Claim>(ctx, &self.0.supported_conflicts).await?;
        Ok(claims.into_iter().map(Claim).collect())
    }

    /// Assertions not counted, with why (made after `asOf`, retracted, or relaying a report
    /// that makes the same claim). Every assertion of the claim is in exactly one chain, in
    /// `denials`, in `retractions`, or here.
    async fn excluded(&self) -> Vec<ExcludedAssertion<'_>> {
        self.0.excluded.iter().map(ExcludedAssertion).collect()
    }
}

/// One independent chain of support: assertions that go back to the same origin.
pub struct EvidenceChain<'a>(&'a status::Chain);

/// One independent chain of support: assertions that go back to the same origin.
#[Object]
impl EvidenceChain<'_> {
    /// Whom the chain goes back to: the cited sources, or the outlet speaking for itself.
    async fn origin(&self) -> &str {
        &self.0.origin
    }

    /// The assertions in the chain.
    async fn assertions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Assertion>> {
        assertions(ctx, &self.0.assertions).await
    }
}

/// An assertion the rule left out, and why.
pub struct ExcludedAssertion<'a>(&'a status::Excluded);

/// An assertion the rule left out, and why.
#[Object]
impl ExcludedAssertion<'_> {
    /// The assertion.
    async fn assertion(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Assertion>> {
        Ok(assertions(ctx, std::slice::from_ref(&self.0.assertion))
            .await?
            .pop())
    }

    /// Why it was not counted.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
}
