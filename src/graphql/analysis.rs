//! For analysts: an entity's timeline, the contested claims, and a claim's attribution
//! chain. Each reads a fixed shape with one store call (a plan), or a listing and the
//! evidence of what it lists.

use std::collections::HashMap;

use async_graphql::connection::EmptyFields;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::connection::{page_of, page_of_merged, window, Page, PageArgs};
use super::entity::{Event, Node};
use super::errors::{api_error, ApiError};
use super::explanation::ClaimStatus;
use super::ids::decode;
use super::loaders::typed;
use super::prefetch::read_plan;
use super::provenance::{Assertion, Claim};
use super::scalars::{Date, FuzzyDate};
use super::walks::{PathEdge, Subgraph};
use crate::domain::attributes::{OCCURRED_ON, PARTICIPANT};
use crate::domain::provenance::status_inputs;
use crate::domain::status::{self, derive_status};
use crate::domain::Graph;
use crate::model::record::{support_rank, NodeRecord, StoredNode};
use crate::model::{self, ClaimValue, Label, NodeId, RelType, ReportedDate};
use crate::store::{Direction, Hop, ListOrder, ListQuery, Plan, Position, StatusFilter, Step};

/// The most contested claims `contested` ranks; over it, the request is refused.
const MAX_CONTESTED: usize = 10_000;

/// What a timeline entry is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TimelineKind {
    /// An event the entity takes part in.
    Event,
    /// An assertion about the entity (of a claim it is the subject or the value of).
    Assertion,
}

/// One entry of an entity's timeline.
#[derive(SimpleObject)]
pub struct TimelineEntry {
    /// When: an event's reported day, an assertion's day (else its report's publication),
    /// as precisely as known: a range when imprecise, `inferred` when the importer worked
    /// it out. Null when undated (such entries come last).
    date: Option<FuzzyDate>,
    /// What the entry is.
    kind: TimelineKind,
    /// The event, for an event entry.
    event: Option<Event>,
    /// The assertion, for an assertion entry.
    assertion: Option<Assertion>,
    /// The claim that places the entity there: its participation in the event, or the
    /// claim asserted.
    claim: Option<Claim>,
}

/// A claim that is disputed or denied, with who asserts it and who denies it.
#[derive(SimpleObject)]
pub struct ContestedClaim {
    /// The claim.
    claim: Claim,
    /// Its status (as of the day asked): `DISPUTED` or `DENIED`.
    status: ClaimStatus,
    /// How many independent chains assert it.
    support: usize,
    /// Who the asserting chains go back to, in words.
    asserted_by: Vec<String>,
    /// The denials and disputes counted against it (its own, and those of the occurrence
    /// of the event it presupposes).
    denied_by: Vec<Assertion>,
}

/// Where an entry sorts: by its earliest day (undated last), events before assertions on
/// the same day, then by id.
fn timeline_position(date: Option<&ReportedDate>, kind: TimelineKind, id: &NodeId) -> Position {
    let day = date.map_or_else(|| "~".to_string(), |d| d.earliest().to_string());
    let rank = match kind {
        TimelineKind::Event => 0,
        TimelineKind::Assertion => 1,
    };
    Position {
        sort_key: format!("{day}|{rank}"),
        id: id.to_string(),
    }
}

/// Whether a date may fall within `from`..=`to`.
fn overlaps(date: Option<&ReportedDate>, from: Option<Date>, to: Option<Date>) -> bool {
    let Some(date) = date else {
        return from.is_none() && to.is_none();
    };
    let starts_in_time = to.is_none_or(|to| date.earliest() <= to.0);
    let ends_in_time = from.is_none_or(|from| date.latest().is_none_or(|last| last >= from.0));
    starts_in_time && ends_in_time
}

/// What a timeline reads from an entity, in one plan.
fn timeline_plan() -> Plan {
    let mut plan = Plan::default();
    let mut events = Step::new(Hop::new(RelType::Subject, Direction::Out));
    events.child(Hop::claims_of(RelType::Subject, Direction::In, OCCURRED_ON));
    let mut participations = Step::new(Hop::claims_of(RelType::Value, Direction::In, PARTICIPANT));
    participations.then.push(events);
    plan.steps.push(participations);
    for rel in [RelType::Subject, RelType::Value] {
        let mut claims = Step::new(Hop::new(rel, Direction::In));
        claims
            .child(Hop::new(RelType::About, Direction::In))
            .child(Hop::new(RelType::MadeIn, Direction::Out));
        plan.steps.push(claims);
    }
    plan
}

/// What an attribution chain reads from a claim, in one plan.
fn attribution_plan() -> Plan {
    let mut assertions = Step::new(Hop::new(RelType::About, Direction::In));
    let reports = assertions.child(Hop::new(RelType::MadeIn, Direction::Out));
    reports.child(Hop::new(RelType::PublishedBy, Direction::Out));
    reports.child(Hop::new(RelType::Relays, Direction::In));
    let relayed = reports.child(Hop::new(RelType::Relays, Direction::Out));
    relayed.child(Hop::new(RelType::PublishedBy, Direction::Out));
    relayed.child(Hop::new(RelType::Relays, Direction::Out));
    let sources = assertions.child(Hop::new(RelType::Cites, Direction::Out));
    sources.child(Hop::new(RelType::AffiliatedWith, Direction::Out));
    sources.child(Hop::new(RelType::Names, Direction::Out));
    Plan {
        steps: vec![assertions],
    }
}

fn decoded<T: StoredNode>(record: &NodeRecord) -> async_graphql::Result<T> {
    T::from_record(record).map_err(api_error)
}

/// Root fields for analysts: timelines, contested claims, attribution chains.
#[derive(Default)]
pub struct AnalysisQuery;

#[Object]
impl AnalysisQuery {
    /// What happened to an entity, in time order: the events it takes part in and the
    /// assertions about it, each dated as precisely as known (imprecise dates sort by their
    /// earliest day); undated entries come last.
    #[allow(clippy::too_many_arguments)]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person, organisation, place or event.")] entity: ID,
        #[graphql(desc = "Only entries that may fall on or after this day.")] from: Option<Date>,
        #[graphql(desc = "Only entries that may fall on or before this day.")] to: Option<Date>,
        #[graphql(desc = "Page size.")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end.")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Page<TimelineEntry>> {
        let window = window(PageArgs::new(first, after, last, before))?;
        let entity = decode(&entity)?;
        if !matches!(
            entity.label(),
            Label::Person | Label::Organization | Label::Place | Label::Event
        ) {
            return Err(async_graphql::Error::from(ApiError::BadUserInput(
                "`entity` must be a person, organisation, place or event".into(),
            )));
        }
        let plan = timeline_plan();
        let subgraph = read_plan(ctx, std::slice::from_ref(&entity), &plan).await?;
        let records: HashMap<&NodeId, &NodeRecord> =
            subgraph.nodes.iter().map(|n| (&n.id, &**n)).collect();
        let flat = plan.flatten();
        let step_of = |number: usize| flat.iter().find(|s| s.number == number);
        let number_of = |hop: Hop| flat.iter().find(|s| s.hop == hop).map(|s| s.number);
        // The steps reaching the events and their dates (see `timeline_plan`).
        let events_step = number_of(Hop::new(RelType::Subject, Direction::Out));
        let dates_step = number_of(Hop::claims_of(RelType::Subject, Direction::In, OCCURRED_ON));
        let mut entries = Vec::new();
        // Events are reached from participation claims, their dates from the events.
        // The earliest date any claim gives each event, with why, when the importer inferred it.
        let mut dates: HashMap<&NodeId, (ReportedDate, Option<String>)> = HashMap::new();
        for reached in subgraph
            .reached
            .iter()
            .filter(|r| Some(r.step) == dates_step)
        {
            let (Some(event), Some(record)) = (&reached.from, records.get(&reached.id)) else {
                continue;
            };
            let claim: model::Claim = decoded(record)?;
            if let ClaimValue::Date(date) = claim.value {
                let earlier = dates
                    .get(event)
                    .is_none_or(|(d, _)| date.earliest() < d.earliest());
                if earlier {
                    dates.insert(event, (date, claim.value_inferred));
                }
            }
        }
        for reached in subgraph
            .reached
            .iter()
            .filter(|r| Some(r.step) == events_step)
        {
            let (Some(participation), Some(record)) = (&reached.from, records.get(&reached.id))
            else {
                continue;
            };
            let dated = dates.get(&reached.id);
            let date = dated.map(|(date, _)| date);
            if !overlaps(date, from, to) {
                continue;
            }
            let claim = records
                .get(participation)
                .map(|r| decoded::<model::Claim>(r))
                .transpose()?;
            entries.push((
                timeline_position(date, TimelineKind::Event, &reached.id),
                TimelineEntry {
                    date: dated.map(|(date, inferred)| match inferred.as_deref() {
                        Some(reasoning) => FuzzyDate::inferred_from(date, reasoning),
                        None => date.into(),
                    }),
                    kind: TimelineKind::Event,
                    event: Some(Event(decoded(record)?)),
                    assertion: None,
                    claim: claim.map(Claim),
                },
                EmptyFields,
            ));
        }
        // Assertions: each About step, then its MadeIn child, numbered right after it.
        let mut seen = std::collections::HashSet::new();
        for reached in &subgraph.reached {
            let Some(step) = step_of(reached.step) else {
                continue;
            };
            if step.hop.rel != RelType::About || !seen.insert(reached.id.clone()) {
                continue;
            }
            let Some(record) = records.get(&reached.id) else {
                continue;
            };
            let assertion: model::Assertion = decoded(record)?;
            let report = subgraph
                .reached
                .iter()
                .find(|r| r.step == reached.step + 1 && r.from.as_ref() == Some(&reached.id))
                .and_then(|r| records.get(&r.id))
                .map(|r| decoded::<model::Report>(r))
                .transpose()?;
            let (date, inferred) = match (&assertion.made_at, &report) {
                (Some(day), _) => (Some(day.clone()), None),
                (None, Some(report)) => (
                    report.published_at.clone(),
                    report.published_at_inferred.clone(),
                ),
                (None, None) => (None, None),
            };
            if !overlaps(date.as_ref(), from, to) {
                continue;
            }
            let claim = reached
                .from
                .as_ref()
                .and_then(|c| records.get(c))
                .map(|r| decoded::<model::Claim>(r))
                .transpose()?;
            let shown = date.as_ref().map(|d| match inferred.as_deref() {
                Some(reasoning) => FuzzyDate::inferred_from(d, reasoning),
                None => d.into(),
            });
            entries.push((
                timeline_position(date.as_ref(), TimelineKind::Assertion, &reached.id),
                TimelineEntry {
                    date: shown,
                    kind: TimelineKind::Assertion,
                    event: None,
                    assertion: Some(Assertion(assertion)),
                    claim: claim.map(Claim),
                },
                EmptyFields,
            ));
        }
        Ok(page_of(entries, &window))
    }

    /// The claims that are disputed or denied (as of a day), the most supported first
    /// (by independent asserting chains, then by id), each with who asserts and who
    /// denies it.
    async fn contested(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Statuses as of this day; now when absent.")] as_of: Option<Date>,
        #[graphql(desc = "Page size.")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end.")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Page<ContestedClaim>> {
        let window = window(PageArgs::new(first, after, last, before))?;
        let graph = ctx.data_unchecked::<Graph>();
        let mut ids = Vec::new();
        let mut total = 0;
        let mut ranked: HashMap<NodeId, Position> = HashMap::new();
        for contested in [status::ClaimStatus::Disputed, status::ClaimStatus::Denied] {
            let status = Some(StatusFilter {
                status: contested.as_str().to_string(),
                as_of: as_of.map(|d| d.0),
            });
            // Now, the stored support ranks them: each listing gives the window's claims
            // only. As of a day, the support of that day is derived for all of them.
            let query = match as_of {
                None => ListQuery {
                    status,
                    order: ListOrder::Support,
                    after: window.after.clone(),
                    before: window.before.clone(),
                    from_end: window.from_end,
                    limit: window.limit + 1,
                    count: super::query::asks_total(ctx),
                    ..ListQuery::of(Label::Claim, 0)
                },
                Some(_) => ListQuery {
                    status,
                    ..ListQuery::of(Label::Claim, MAX_CONTESTED + 1)
                },
            };
            let page = graph.store().list(&query).await.map_err(api_error)?;
            total += page.total.unwrap_or_default();
            for record in page.records {
                if as_of.is_none() {
                    // The listing's own key, so that cursors continue where it stopped.
                    ranked.insert(record.id.clone(), Position::of(&record, ListOrder::Support));
                }
                ids.push(record.id);
            }
        }
        if as_of.is_some() && ids.len() > MAX_CONTESTED {
            return Err(async_graphql::Error::from(ApiError::OverBound {
                argument: "contested".into(),
                bound: "contestedClaims",
                limit: MAX_CONTESTED as u64,
            }));
        }
        let inputs = status_inputs(graph, &ids).await.map_err(api_error)?;
        let claims: HashMap<NodeId, model::Claim> = typed::<model::Claim>(ctx, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        let mut verdicts = Vec::new();
        let mut denials = Vec::new();
        for id in &ids {
            let (Some(inputs), Some(claim)) = (inputs.get(id), claims.get(id)) else {
                continue;
            };
            let verdict = derive_status(inputs, as_of.map(|d| d.0));
            denials.extend(verdict.denials.iter().cloned());
            verdicts.push((claim.clone(), verdict));
        }
        let denying: HashMap<NodeId, model::Assertion> = typed::<model::Assertion>(ctx, &denials)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        let items = verdicts
            .into_iter()
            .map(|(claim, verdict)| {
                let support = verdict.chains.len();
                let position = ranked.remove(&claim.id).unwrap_or_else(|| Position {
                    sort_key: support_rank(support),
                    id: claim.id.to_string(),
                });
                let contested = ContestedClaim {
                    status: verdict.status.into(),
                    support,
                    asserted_by: verdict.chains.iter().map(|c| c.origin.clone()).collect(),
                    denied_by: verdict
                        .denials
                        .iter()
                        .filter_map(|d| denying.get(d).cloned().map(Assertion))
                        .collect(),
                    claim: Claim(claim),
                };
                (position, contested, EmptyFields)
            })
            .collect();
        Ok(match as_of {
            None => page_of_merged(items, total, &window),
            Some(_) => page_of(items, &window),
        })
    }

    /// Where a claim comes from: its assertions, the reports that make them and their
    /// publishers, the reports those relay (two levels) and those relaying them, the
    /// sources cited and whom they are affiliated with or name. Edges read in their own direction; `kind` names the
    /// relationship (`ABOUT`, `MADE_IN`, `PUBLISHED_BY`, `RELAYS`, `CITES`,
    /// `AFFILIATED_WITH`, `NAMES`). Null when there is no such claim.
    async fn attribution_chain(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The claim.")] claim: ID,
    ) -> async_graphql::Result<Option<Subgraph>> {
        let claim = decode(&claim)?;
        if claim.label() != Label::Claim {
            return Err(async_graphql::Error::from(ApiError::BadUserInput(
                "`claim` must be a claim".into(),
            )));
        }
        let plan = attribution_plan();
        let subgraph = read_plan(ctx, std::slice::from_ref(&claim), &plan).await?;
        if !subgraph.nodes.iter().any(|n| n.id == claim) {
            return Ok(None);
        }
        let flat = plan.flatten();
        let mut order: HashMap<&NodeId, usize> = HashMap::from([(&claim, 0)]);
        let mut edges = Vec::new();
        for reached in &subgraph.reached {
            let (Some(from), Some(step)) = (
                &reached.from,
                flat.iter().find(|s| s.number == reached.step),
            ) else {
                continue;
            };
            order.entry(&reached.id).or_insert(reached.step);
            edges.push(PathEdge::provenance(from, &reached.id, step.hop, &claim));
        }
        let mut ids: Vec<&NodeId> = order.keys().copied().collect();
        ids.sort_by(|a, b| order[a].cmp(&order[b]).then_with(|| a.cmp(b)));
        let ids: Vec<NodeId> = ids.into_iter().cloned().collect();
        Ok(Some(Subgraph::of(Node::load_many(ctx, &ids).await?, edges)))
    }
}
