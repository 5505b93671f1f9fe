//! Reports, assertions, sources and claims: who said what, citing whom.

use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::connection::{linked_page, Page, PageArgs};
use super::entity::{Node, Organization, Person};
use super::explanation::{status_of, stored_status, ClaimStatus, StatusExplanation};
use super::ids::encode;
use super::loaders::{linked, linked_typed};
use super::scalars::{Date, FuzzyDate};
use crate::model::{self, ClaimValue, Label, NodeId, RelType};
use crate::store::Direction;

/// The form a report takes.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::model::ReportKind")]
pub enum ReportKind {
    /// A newspaper or web article.
    Article,
    /// A news agency's wire story.
    WireStory,
    /// A television or radio broadcast.
    Broadcast,
    /// A statement issued by an organisation on its own behalf.
    OfficialStatement,
    /// A court filing, register entry or signed record: evidence rather than testimony.
    PrimaryDocument,
    /// A reference work or official record (a ministry's website, a Wikidata item): the
    /// background knowledge a story relies on without stating it.
    Reference,
}

/// What an assertion does to its claim.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::model::Stance")]
pub enum Stance {
    /// States the claim.
    Asserts,
    /// States the claim as verified.
    Confirms,
    /// States that the claim is false.
    Denies,
    /// Questions the claim without denying it outright.
    Disputes,
    /// Withdraws an earlier assertion by the same publisher.
    Retracts,
}

/// An article, broadcast or official statement that asserts things.
pub struct Report(pub model::Report);

/// An article, broadcast or official statement that asserts things.
#[Object]
impl Report {
    /// The global id.
    pub async fn id(&self) -> ID {
        encode(&self.0.id)
    }

    /// The report's natural key: a caller-supplied key or its URL.
    async fn key(&self) -> &str {
        self.0.id.key()
    }

    /// The headline or title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Where it can be read, when known.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// The form it takes.
    async fn kind(&self) -> ReportKind {
        self.0.kind.into()
    }

    /// When it was published, as precisely as known; `inferred` when no source states it.
    async fn published_at(&self) -> Option<FuzzyDate> {
        let date = self.0.published_at.as_ref()?;
        Some(match &self.0.published_at_inferred {
            Some(reasoning) => FuzzyDate::inferred_from(date, reasoning),
            None => date.into(),
        })
    }

    /// Who published it, when known.
    async fn publisher(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organization>> {
        let publishers =
            linked_typed::<model::Entity>(ctx, &self.0.id, RelType::PublishedBy, Direction::Out)
                .await?;
        Ok(publishers.into_iter().next().map(Organization))
    }

    /// Reports this one relays: the chain its attributions go back along.
    async fn relays(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Report>> {
        let reports =
            linked_typed::<model::Report>(ctx, &self.0.id, RelType::Relays, Direction::Out).await?;
        Ok(reports.into_iter().map(Report).collect())
    }

    /// Reports that relay this one.
    async fn relayed_by(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Report>> {
        let relayed_by = (RelType::Relays, Direction::In);
        linked_page(
            ctx,
            &self.0.id,
            relayed_by,
            PageArgs::new(first, after, last, before),
            Report,
        )
        .await
    }

    /// What the report asserts, confirms, denies, disputes or retracts.
    async fn assertions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Assertion>> {
        let links = (RelType::MadeIn, Direction::In);
        linked_page(
            ctx,
            &self.0.id,
            links,
            PageArgs::new(first, after, last, before),
            Assertion,
        )
        .await
    }
}

/// One report's act of saying something about one claim.
pub struct Assertion(pub model::Assertion);

/// One report's act of saying something about one claim.
#[Object]
impl Assertion {
    /// The global id.
    pub async fn id(&self) -> ID {
        encode(&self.0.id)
    }

    /// Whether it asserts, confirms, denies, disputes or retracts the claim.
    async fn stance(&self) -> Stance {
        self.0.stance.into()
    }

    /// The words used, when quoted ("categorically denied").
    async fn quote(&self) -> Option<&str> {
        self.0.quote.as_deref()
    }

    /// When it was said, when that differs from the report's publication.
    async fn made_at(&self) -> Option<FuzzyDate> {
        self.0.made_at.as_ref().map(Into::into)
    }

    /// The report that makes it.
    async fn report(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Report>> {
        let reports =
            linked_typed::<model::Report>(ctx, &self.0.id, RelType::MadeIn, Direction::Out).await?;
        Ok(reports.into_iter().next().map(Report))
    }

    /// The claim it is about.
    async fn claim(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Claim>> {
        let claims =
            linked_typed::<model::Claim>(ctx, &self.0.id, RelType::About, Direction::Out).await?;
        Ok(claims.into_iter().next().map(Claim))
    }

    /// The sources it cites; empty when the report speaks for itself.
    async fn sources(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Source>> {
        let sources =
            linked_typed::<model::Source>(ctx, &self.0.id, RelType::Cites, Direction::Out).await?;
        Ok(sources.into_iter().map(Source).collect())
    }
}

/// Whom a report cites, as the report describes them: "a U.S. official", "two Iranian
/// officials".
pub struct Source(pub model::Source);

/// Whom a report cites, as the report describes them.
#[Object]
impl Source {
    /// The global id.
    pub async fn id(&self) -> ID {
        encode(&self.0.id)
    }

    /// The report's own words for the source.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// How many people the description stands for ("two Iranian officials": 2).
    async fn count(&self) -> u32 {
        self.0.count
    }

    /// Whether the source is unnamed.
    async fn anonymous(&self) -> bool {
        self.0.anonymous
    }

    /// The organisation or government the source belongs to, when stated.
    async fn affiliation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organization>> {
        let orgs =
            linked_typed::<model::Entity>(ctx, &self.0.id, RelType::AffiliatedWith, Direction::Out)
                .await?;
        Ok(orgs.into_iter().next().map(Organization))
    }

    /// The person, for a named source.
    async fn person(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Person>> {
        let people =
            linked_typed::<model::Entity>(ctx, &self.0.id, RelType::Names, Direction::Out).await?;
        Ok(people.into_iter().next().map(Person))
    }

    /// The assertions that cite it.
    async fn cited_by(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Assertion>> {
        let cited_by = (RelType::Cites, Direction::In);
        linked_page(
            ctx,
            &self.0.id,
            cited_by,
            PageArgs::new(first, after, last, before),
            Assertion,
        )
        .await
    }
}

/// The value a claim gives its attribute: one of these fields is set, or none.
#[derive(SimpleObject)]
#[graphql(complex, name = "ClaimValue")]
pub struct ClaimValueObject {
    /// A text value.
    text: Option<String>,
    /// A date value.
    date: Option<FuzzyDate>,
    /// A number value.
    number: Option<f64>,
    /// Whether the importer inferred the value from what the source says rather than the
    /// source stating it as given.
    inferred: bool,
    /// Why the importer inferred it; null when the source states it.
    reasoning: Option<String>,
    #[graphql(skip)]
    entity_id: Option<NodeId>,
}

#[async_graphql::ComplexObject]
impl ClaimValueObject {
    /// An entity value (a person, organisation, place or event).
    async fn entity(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Node>> {
        match &self.entity_id {
            Some(id) => Node::load(ctx, id).await,
            None => Ok(None),
        }
    }
}

/// A proposition about a subject ("Musk and Iravani met"), with the assertions for and
/// against it and a derived status.
pub struct Claim(pub model::Claim);

/// A proposition about a subject, with the assertions for and against it and a derived status.
#[Object]
impl Claim {
    /// The global id.
    pub async fn id(&self) -> ID {
        encode(&self.0.id)
    }

    /// The caller-supplied key the claim was imported with.
    async fn key(&self) -> &str {
        self.0.id.key()
    }

    /// The proposition in words.
    async fn statement(&self) -> &str {
        &self.0.statement
    }

    /// What the claim says about its subject (see `attributes`).
    async fn attribute(&self) -> &str {
        &self.0.attribute
    }

    /// The entity the claim is about.
    async fn subject(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Node>> {
        Node::load(ctx, &self.0.subject).await
    }

    /// The value it gives the attribute; null when the attribute takes none.
    async fn value(&self) -> Option<ClaimValueObject> {
        let reasoning = self.0.value_inferred.clone();
        let empty = ClaimValueObject {
            text: None,
            date: None,
            number: None,
            inferred: reasoning.is_some(),
            reasoning: reasoning.clone(),
            entity_id: None,
        };
        match &self.0.value {
            ClaimValue::None => None,
            ClaimValue::Text(text) => Some(ClaimValueObject {
                text: Some(text.clone()),
                ..empty
            }),
            ClaimValue::Date(date) => Some(ClaimValueObject {
                date: Some(match &reasoning {
                    Some(reasoning) => FuzzyDate::inferred_from(date, reasoning),
                    None => date.into(),
                }),
                ..empty
            }),
            ClaimValue::Number(n) => Some(ClaimValueObject {
                number: Some(*n),
                ..empty
            }),
            ClaimValue::Entity(id) => Some(ClaimValueObject {
                entity_id: Some(id.clone()),
                ..empty
            }),
        }
    }

    /// A qualifier of the value, such as a position's title or a secret location.
    async fn qualifier(&self) -> Option<&str> {
        self.0.qualifier.as_deref()
    }

    /// From when the claim holds, if it says.
    async fn valid_from(&self) -> Option<FuzzyDate> {
        self.0.valid_from.as_ref().map(Into::into)
    }

    /// Until when the claim holds, if it says.
    async fn valid_to(&self) -> Option<FuzzyDate> {
        self.0.valid_to.as_ref().map(Into::into)
    }

    /// The status derived from the evidence, counting only assertions that may have been
    /// made by `asOf` when given.
    async fn status(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
    ) -> async_graphql::Result<ClaimStatus> {
        stored_status(ctx, &self.0.id, as_of).await
    }

    /// Why the claim has its status: the rule that matched and the evidence it used.
    async fn status_explanation(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
    ) -> async_graphql::Result<StatusExplanation> {
        Ok(StatusExplanation(status_of(ctx, &self.0.id, as_of).await?))
    }

    /// The assertions about this claim, for and against.
    async fn assertions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<Assertion>> {
        let links = (RelType::About, Direction::In);
        linked_page(
            ctx,
            &self.0.id,
            links,
            PageArgs::new(first, after, last, before),
            Assertion,
        )
        .await
    }

    /// Claims on the same subject and attribute whose values cannot also be true.
    async fn conflicts_with(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Claim>> {
        claims_linked(ctx, &self.0.id, RelType::ConflictsWith, Direction::Out).await
    }

    /// Claims this one makes more precise ("the ambassador's residence in New York" refines
    /// "a secret location in New York").
    async fn refines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Claim>> {
        claims_linked(ctx, &self.0.id, RelType::Refines, Direction::Out).await
    }

    /// Claims that make this one more precise.
    async fn refined_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Claim>> {
        claims_linked(ctx, &self.0.id, RelType::Refines, Direction::In).await
    }
}

async fn claims_linked(
    ctx: &Context<'_>,
    id: &NodeId,
    rel: RelType,
    direction: Direction,
) -> async_graphql::Result<Vec<Claim>> {
    let ids: Vec<NodeId> = linked(ctx, id, rel, direction)
        .await?
        .into_iter()
        .filter(|id| id.label() == Label::Claim)
        .collect();
    Ok(super::loaders::typed::<model::Claim>(ctx, &ids)
        .await?
        .into_iter()
        .map(Claim)
        .collect())
}
