//! The root query: lookups, search, listings, and the catalogue and rule the graph
//! follows, merged with the analysts' walks and analyses.

use async_graphql::connection::EmptyFields;
use async_graphql::{Context, Enum, MergedObject, Object, SimpleObject, ID};

use super::analysis::AnalysisQuery;
use super::connection::{page, window, Page, PageArgs, MAX_PAGE_SIZE};
use super::entity::{Event, Node, Organization, OrganizationKind, Person, Place};
use super::errors::{api_error, ApiError};
use super::explanation::ClaimStatus;
use super::ids::decode;
use super::merges::MergeQuery;
use super::prefetch::{keep_page, plan, prefetch, Selection};
use super::provenance::{Claim, Report};
use super::scalars::Date;
use super::walks::WalkQuery;
use crate::domain::attributes::{ValueKind, CATALOGUE};
use crate::domain::status::RULE_VERSION;
use crate::domain::Graph;
use crate::model::record::derived::MERGED_INTO;
use crate::model::record::{NodeRecord, StoredNode};
use crate::model::{self, Label};
use crate::store::{ListOrder, ListQuery, Position, StatusFilter};

/// Queries: the core ones, the analysts' walks, and their timelines, contested claims and
/// attribution chains.
#[derive(MergedObject, Default)]
pub struct Query(CoreQuery, WalkQuery, AnalysisQuery, MergeQuery);

/// Lookups, search, listings, and the catalogue and rule the graph follows.
#[derive(Default)]
pub struct CoreQuery;

/// A page of a listing: `filter` gives the label, filters and order; `args` the window.
async fn list<T, N>(
    ctx: &Context<'_>,
    filter: ListQuery,
    args: PageArgs,
    wrap: impl Fn(T) -> N,
) -> async_graphql::Result<Page<N>>
where
    T: StoredNode,
    N: async_graphql::OutputType,
{
    let window = window(args)?;
    let graph = ctx.data_unchecked::<Graph>();
    // One beyond the page, to tell whether there is more.
    let mut absent = filter.absent.clone();
    if filter.label.is_entity() {
        // A merged entity lives on only as a pointer to the one it was merged into.
        absent.push(MERGED_INTO);
    }
    let query = ListQuery {
        absent,
        after: window.after.clone(),
        before: window.before.clone(),
        from_end: window.from_end,
        limit: window.limit + 1,
        count: asks_total(ctx),
        read_ahead: plan(ctx, &[filter.label], Selection::Connection),
        ..filter
    };
    let mut found = graph.store().list(&query).await.map_err(api_error)?;
    keep_page(ctx, &query.read_ahead, &mut found);
    let items = found
        .records
        .iter()
        .map(|record: &NodeRecord| {
            T::from_record(record)
                .map(|node| (Position::of(record, query.order), wrap(node), EmptyFields))
                .map_err(api_error)
        })
        .collect::<async_graphql::Result<Vec<_>>>()?;
    // Without `totalCount` in the selection the total is never shown.
    Ok(page(items, found.total.unwrap_or_default(), &window))
}

/// Whether the connection field being resolved selects `totalCount`.
pub(super) fn asks_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// The nodes of these ids that exist, with the selection read ahead; an entity merged into
/// another stands for the kept one, as a redirect would (one more read, only then).
pub(super) async fn read_ahead_following_merges(
    ctx: &Context<'_>,
    ids: Vec<model::NodeId>,
) -> async_graphql::Result<Vec<model::NodeId>> {
    prefetch(ctx, &ids, Selection::Object).await?;
    let records = super::loaders::records(ctx, &ids).await?;
    let mut found = Vec::new();
    let mut kept = Vec::new();
    for record in records {
        let into = record
            .props
            .get(MERGED_INTO)
            .and_then(serde_json::Value::as_str)
            .and_then(model::NodeId::parse);
        match into {
            Some(into) => {
                kept.push(into.clone());
                found.push(into);
            }
            None => found.push(record.id.clone()),
        }
    }
    if !kept.is_empty() {
        prefetch(ctx, &kept, Selection::Object).await?;
    }
    Ok(found)
}

/// Queries: lookups by id, search, listings, and the catalogue and rule the graph follows.
#[Object]
impl CoreQuery {
    /// Fetches any object by its global id; null when there is none.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let id = decode(&id)?;
        let found = read_ahead_following_merges(ctx, vec![id]).await?;
        Node::load_many(ctx, &found).await.map(|mut n| n.pop())
    }

    /// Fetches the person, organisation, place or event an importer gave this key (entity
    /// keys are unique across the four); null when there is none.
    async fn entity(&self, ctx: &Context<'_>, key: String) -> async_graphql::Result<Option<Node>> {
        let ids: Vec<model::NodeId> = [
            Label::Person,
            Label::Organization,
            Label::Place,
            Label::Event,
        ]
        .into_iter()
        .map(|label| model::NodeId::new(label, &key))
        .collect();
        let found = read_ahead_following_merges(ctx, ids).await?;
        Ok(Node::load_many(ctx, &found).await?.into_iter().next())
    }

    /// Fetches the report an importer gave this key (or, without a key, this URL); null
    /// when there is none.
    async fn report(
        &self,
        ctx: &Context<'_>,
        key: String,
    ) -> async_graphql::Result<Option<Report>> {
        let id = model::NodeId::new(Label::Report, &key);
        prefetch(ctx, std::slice::from_ref(&id), Selection::Object).await?;
        let mut found =
            super::loaders::typed::<model::Report>(ctx, std::slice::from_ref(&id)).await?;
        Ok(found.pop().map(Report))
    }

    /// Fetches the claim an importer gave this key; null when there is none.
    async fn claim(&self, ctx: &Context<'_>, key: String) -> async_graphql::Result<Option<Claim>> {
        let id = model::NodeId::new(Label::Claim, &key);
        prefetch(ctx, std::slice::from_ref(&id), Selection::Object).await?;
        let mut found =
            super::loaders::typed::<model::Claim>(ctx, std::slice::from_ref(&id)).await?;
        Ok(found.pop().map(Claim))
    }

    /// Fetches objects by their global ids, in the same order; null for those there are not.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_PAGE_SIZE {
            return Err(async_graphql::Error::from(ApiError::BadUserInput(format!(
                "at most {MAX_PAGE_SIZE} ids at once"
            ))));
        }
        let ids = ids
            .iter()
            .map(decode)
            .collect::<async_graphql::Result<Vec<_>>>()?;
        prefetch(ctx, &ids, Selection::Object).await?;
        let records = super::loaders::records(ctx, &ids).await?;
        ids.iter()
            .map(|id| {
                records
                    .iter()
                    .find(|r| &r.id == id)
                    .map(|r| Node::from_record(r))
                    .transpose()
            })
            .collect()
    }

    /// Ranked text search over names, aliases, titles and claim statements: every word of
    /// `text` must match the start of a word.
    async fn search(
        &self,
        ctx: &Context<'_>,
        text: String,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<Node>> {
        if !(0..=MAX_PAGE_SIZE as i32).contains(&first) {
            return Err(async_graphql::Error::from(ApiError::BadPagination(
                format!("`first` must be between 0 and {MAX_PAGE_SIZE}"),
            )));
        }
        let graph = ctx.data_unchecked::<Graph>();
        let ids = graph
            .store()
            .search(&text, first as usize)
            .await
            .map_err(api_error)?;
        // A merged entity's names find the entity it was merged into, once.
        let mut found = read_ahead_following_merges(ctx, ids).await?;
        let mut seen = std::collections::HashSet::new();
        found.retain(|id| seen.insert(id.clone()));
        Node::load_many(ctx, &found).await
    }

    /// People, by name.
    async fn people(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Person>> {
        list(
            ctx,
            ListQuery::of(Label::Person, 0),
            PageArgs::new(first, after, last, before),
            Person,
        )
        .await
    }

    /// Organisations, by name, optionally of one kind.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        kind: Option<OrganizationKind>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Organization>> {
        let equals = kind
            .map(|k| {
                let kind: model::OrganizationKind = k.into();
                vec![(
                    "organization_kind",
                    serde_json::to_value(kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                )]
            })
            .unwrap_or_default();
        list(
            ctx,
            ListQuery {
                equals,
                ..ListQuery::of(Label::Organization, 0)
            },
            PageArgs::new(first, after, last, before),
            Organization,
        )
        .await
    }

    /// Places, by name.
    async fn places(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Place>> {
        list(
            ctx,
            ListQuery::of(Label::Place, 0),
            PageArgs::new(first, after, last, before),
            Place,
        )
        .await
    }

    /// Events, by title or by reported date (events with no date last), optionally only
    /// those with a status (now, or as of a day) or dated within a range.
    #[allow(clippy::too_many_arguments)]
    async fn events(
        &self,
        ctx: &Context<'_>,
        status: Option<ClaimStatus>,
        as_of: Option<Date>,
        from: Option<Date>,
        to: Option<Date>,
        #[graphql(default)] order_by: EventOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Event>> {
        let filter = ListQuery {
            status: status_filter(status, as_of)?,
            from: from.map(|d| d.0),
            to: to.map(|d| d.0),
            order: match order_by {
                EventOrder::Title => ListOrder::Name,
                EventOrder::Date => ListOrder::Date,
            },
            ..ListQuery::of(Label::Event, 0)
        };
        list(
            ctx,
            filter,
            PageArgs::new(first, after, last, before),
            Event,
        )
        .await
    }

    /// Reports, by title or by publication date (undated reports last), optionally only those
    /// published within a range.
    #[allow(clippy::too_many_arguments)]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        from: Option<Date>,
        to: Option<Date>,
        #[graphql(default)] order_by: ReportOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Report>> {
        let filter = ListQuery {
            from: from.map(|d| d.0),
            to: to.map(|d| d.0),
            order: match order_by {
                ReportOrder::Title => ListOrder::Name,
                ReportOrder::Published => ListOrder::Date,
            },
            ..ListQuery::of(Label::Report, 0)
        };
        list(
            ctx,
            filter,
            PageArgs::new(first, after, last, before),
            Report,
        )
        .await
    }

    /// Claims, by statement, optionally only those of one attribute or with a status (now,
    /// or as of a day).
    #[allow(clippy::too_many_arguments)]
    async fn claims(
        &self,
        ctx: &Context<'_>,
        attribute: Option<String>,
        status: Option<ClaimStatus>,
        as_of: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Claim>> {
        let filter = ListQuery {
            equals: attribute
                .map(|a| vec![("attribute", a)])
                .unwrap_or_default(),
            status: status_filter(status, as_of)?,
            ..ListQuery::of(Label::Claim, 0)
        };
        list(
            ctx,
            filter,
            PageArgs::new(first, after, last, before),
            Claim,
        )
        .await
    }

    /// The attributes a claim may have.
    async fn attributes(&self) -> Vec<Attribute> {
        CATALOGUE
            .iter()
            .map(|spec| Attribute {
                name: spec.name.to_string(),
                description: spec.description.to_string(),
                subject_types: spec
                    .subjects
                    .iter()
                    .map(|l| l.as_str().to_string())
                    .collect(),
                value_type: match spec.value {
                    ValueKind::None => "NONE".into(),
                    ValueKind::Entity(labels) => labels
                        .iter()
                        .map(|l| l.as_str())
                        .collect::<Vec<_>>()
                        .join("|"),
                    ValueKind::Text => "TEXT".into(),
                    ValueKind::Date => "DATE".into(),
                    ValueKind::Number => "NUMBER".into(),
                },
                functional: spec.functional,
            })
            .collect()
    }

    /// The rule that derives claim statuses.
    async fn status_rule(&self) -> StatusRule {
        StatusRule {
            version: RULE_VERSION.to_string(),
            text: crate::domain::status::RULE_TEXT.to_string(),
        }
    }
}

/// The status filter of a listing; `asOf` alone, with no status to match, is refused.
fn status_filter(
    status: Option<ClaimStatus>,
    as_of: Option<Date>,
) -> async_graphql::Result<Option<StatusFilter>> {
    match (status, as_of) {
        (None, Some(_)) => Err(async_graphql::Error::from(ApiError::BadUserInput(
            "`asOf` needs a `status` to match as of that day".into(),
        ))),
        (None, None) => Ok(None),
        (Some(status), as_of) => Ok(Some(StatusFilter {
            status: crate::domain::status::ClaimStatus::from(status)
                .as_str()
                .to_string(),
            as_of: as_of.map(|d| d.0),
        })),
    }
}

/// The orders events can be listed in.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventOrder {
    /// By title, case-insensitive.
    #[default]
    Title,
    /// By the day the event is reported to have taken place (its `occurredOn` claim's
    /// earliest day); events with no date come last.
    Date,
}

/// The orders reports can be listed in.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportOrder {
    /// By title, case-insensitive.
    #[default]
    Title,
    /// By publication date (its earliest day); undated reports come last.
    Published,
}

/// An attribute of the catalogue.
#[derive(SimpleObject)]
pub struct Attribute {
    /// The name claims use.
    name: String,
    /// What it means.
    description: String,
    /// The types a claim's subject may have.
    subject_types: Vec<String>,
    /// What value it takes: NONE, TEXT, DATE, NUMBER, or entity types joined by `|`.
    value_type: String,
    /// Whether it has at most one value at a time, so that differing values conflict.
    functional: bool,
}

/// The status rule, versioned.
#[derive(SimpleObject)]
pub struct StatusRule {
    /// Its version, as every explanation names it.
    version: String,
    /// The rule in words.
    text: String,
}
