//! Subscriptions: reports as their imports commit, and the statuses those imports change.

use std::sync::Arc;

use async_graphql::{Context, Subscription as SubscriptionRoot, ID};
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::errors::{api_error, ApiError};
use super::explanation::ClaimStatus;
use super::ids::decode;
use super::provenance::{Claim, Report};
use crate::domain::Graph;
use crate::import::Importer;
use crate::metrics::Metrics;
use crate::model;

/// Subscriptions, over WebSocket (`graphql-transport-ws` or `graphql-ws`) at `/graphql/ws`.
pub struct Subscription;

/// A claim's status, changed by an import that committed.
pub struct ClaimStatusChange(crate::import::StatusChange);

fn status_named(name: &str) -> Option<ClaimStatus> {
    crate::domain::status::ClaimStatus::parse(name).map(ClaimStatus::from)
}

/// A claim's status, changed by an import (or an entity merge, or its undoing) that
/// committed.
#[async_graphql::Object]
impl ClaimStatusChange {
    /// The claim, as it is now.
    async fn claim(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Claim>> {
        let mut found =
            super::loaders::typed::<model::Claim>(ctx, std::slice::from_ref(&self.0.claim)).await?;
        Ok(found.pop().map(Claim))
    }

    /// Its status before the import; null for a claim the import introduced.
    async fn old_status(&self) -> Option<ClaimStatus> {
        self.0.old.as_deref().and_then(status_named)
    }

    /// Its status now.
    async fn new_status(&self) -> Option<ClaimStatus> {
        status_named(&self.0.new)
    }

    /// The import's report that speaks of the claim (for a claim changed only indirectly,
    /// through a conflict or a principal, the import's first report); null when a merge
    /// changed it.
    async fn report(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Report>> {
        let Some(id) = &self.0.report else {
            return Ok(None);
        };
        let mut found =
            super::loaders::typed::<model::Report>(ctx, std::slice::from_ref(id)).await?;
        Ok(found.pop().map(Report))
    }
}

/// The items a receiver hears, until it falls behind: then how many it missed, and the end.
fn imported_events<T: Clone + Send + 'static>(
    receiver: tokio::sync::broadcast::Receiver<T>,
) -> impl Stream<Item = Result<T, u64>> {
    futures_util::stream::unfold((receiver, false), |(mut receiver, ended)| async move {
        if ended {
            return None;
        }
        match receiver.recv().await {
            Ok(id) => Some((Ok(id), (receiver, false))),
            Err(RecvError::Lagged(missed)) => Some((Err(missed), (receiver, true))),
            Err(RecvError::Closed) => None,
        }
    })
}

/// Subscriptions, over WebSocket at `/graphql/ws`.
#[SubscriptionRoot]
impl Subscription {
    /// Each report as its import commits.
    ///
    /// A subscriber that falls too far behind (the server keeps the last 16,384 imported
    /// reports for it) gets one `SUBSCRIPTION_LAGGED` error and its subscription ends, so
    /// it can subscribe again and catch up by query: events are never skipped silently.
    async fn report_imported(
        &self,
        ctx: &Context<'_>,
    ) -> impl Stream<Item = async_graphql::Result<Report>> {
        let importer = ctx.data_unchecked::<Arc<Importer>>().clone();
        let graph = ctx.data_unchecked::<Graph>().clone();
        let open = ctx.data_unchecked::<Arc<Metrics>>().subscription_opened();
        imported_events(importer.subscribe())
            .map(move |event| {
                // Counted as open for as long as the stream lives.
                let _open = &open;
                event
            })
            .then(move |event| {
                let graph = graph.clone();
                async move {
                    let id = match event {
                        Ok(id) => id,
                        Err(missed) => return Some(Err(ApiError::Lagged(missed).into())),
                    };
                    let report = graph
                        .typed::<model::Report>(std::slice::from_ref(&id))
                        .await
                        .map_err(api_error);
                    match report {
                        Ok(mut found) => found.remove(&id).map(|r| Ok(Report(r))),
                        Err(error) => Some(Err(error)),
                    }
                }
            })
            .filter_map(std::future::ready)
    }

    /// A claim's status changing because an import committed (never before the commit):
    /// the claim, its status before and after, and the report that changed it. Give
    /// `subject` to hear of the claims about one entity, `claim` for one claim, neither for
    /// all. A subscriber that falls more than 16,384 changes behind gets one
    /// `SUBSCRIPTION_LAGGED` error and its subscription ends.
    async fn claim_status_changed(
        &self,
        ctx: &Context<'_>,
        subject: Option<ID>,
        claim: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ClaimStatusChange>>> {
        let subject = subject.as_ref().map(decode).transpose()?;
        let claim = claim.as_ref().map(decode).transpose()?;
        let importer = ctx.data_unchecked::<Arc<Importer>>().clone();
        let open = ctx.data_unchecked::<Arc<Metrics>>().subscription_opened();
        Ok(imported_events(importer.subscribe_status_changes())
            .filter(move |event| {
                let wanted = match event {
                    Ok(change) => {
                        subject
                            .as_ref()
                            .is_none_or(|s| change.subject.as_ref() == Some(s))
                            && claim.as_ref().is_none_or(|c| &change.claim == c)
                    }
                    Err(_) => true,
                };
                std::future::ready(wanted)
            })
            .map(move |event| {
                let _open = &open;
                event
                    .map(ClaimStatusChange)
                    .map_err(|missed| ApiError::Lagged(missed).into())
            }))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::imported_events;
    use crate::model::{Label, NodeId};

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_how_much_it_missed_and_ends() {
        let (sender, receiver) = tokio::sync::broadcast::channel(2);
        let id = |n: usize| NodeId::new(Label::Report, &format!("r{n}"));
        for n in 0..5 {
            sender.send(id(n)).unwrap();
        }
        drop(sender);
        let heard: Vec<_> = imported_events(receiver).collect().await;
        assert_eq!(
            heard,
            vec![Err(3)],
            "three events were missed; the stream ends there"
        );
    }

    #[tokio::test]
    async fn a_subscriber_that_keeps_up_hears_every_event() {
        let (sender, receiver) = tokio::sync::broadcast::channel(4);
        let id = |n: usize| NodeId::new(Label::Report, &format!("r{n}"));
        let events = imported_events(receiver);
        for n in 0..3 {
            sender.send(id(n)).unwrap();
        }
        drop(sender);
        let heard: Vec<_> = events.collect().await;
        assert_eq!(heard, (0..3).map(|n| Ok(id(n))).collect::<Vec<_>>());
    }
}
