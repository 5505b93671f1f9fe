//! People, organisations, places and events, and the `Node` interface.

use async_graphql::connection::{ConnectionNameType, EdgeNameType};
use async_graphql::{Context, Enum, Interface, Object, OutputType, SimpleObject, ID};

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::EmptyFields;

use super::connection::{by_id, linked_page, page_of, window, Page, PageArgs};
use super::errors::api_error;
use super::explanation::{status_of, stored_status, ClaimStatus, StatusExplanation};
use super::ids::encode;
use super::loaders::{linked_claims, linked_typed, record, records, typed};
use super::provenance::{Assertion, Claim, Report, Source};
use super::scalars::{Date, FuzzyDate};
use crate::domain::attributes::{OCCURRED, PARTICIPANT, POSITION};
use crate::domain::timeline::StatusTimeline;
use crate::model::record::derived::SORT_DATE;
use crate::model::record::{NodeRecord, StoredNode};
use crate::model::{self, ClaimValue, Label, NodeId, RelType};
use crate::store::Direction;

/// An object with a global id, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The global id: opaque, stable across restarts."
))]
pub enum Node {
    Person(Person),
    Organization(Organization),
    Place(Place),
    Event(Event),
    Report(Report),
    Assertion(Assertion),
    Source(Source),
    Claim(Claim),
}

impl Node {
    /// The GraphQL object for a stored node.
    pub fn from_record(record: &NodeRecord) -> async_graphql::Result<Node> {
        let decode = |e: model::record::DecodeError| api_error(e);
        Ok(match record.label() {
            Label::Person => {
                Node::Person(Person(model::Entity::from_record(record).map_err(decode)?))
            }
            Label::Organization => Node::Organization(Organization(
                model::Entity::from_record(record).map_err(decode)?,
            )),
            Label::Place => Node::Place(Place(model::Entity::from_record(record).map_err(decode)?)),
            Label::Event => Node::Event(Event(model::Entity::from_record(record).map_err(decode)?)),
            Label::Report => {
                Node::Report(Report(model::Report::from_record(record).map_err(decode)?))
            }
            Label::Assertion => Node::Assertion(Assertion(
                model::Assertion::from_record(record).map_err(decode)?,
            )),
            Label::Source => {
                Node::Source(Source(model::Source::from_record(record).map_err(decode)?))
            }
            Label::Claim => Node::Claim(Claim(model::Claim::from_record(record).map_err(decode)?)),
        })
    }

    /// The nodes of these ids, in order; unknown ids are left out.
    pub async fn load_many(ctx: &Context<'_>, ids: &[NodeId]) -> async_graphql::Result<Vec<Node>> {
        records(ctx, ids)
            .await?
            .iter()
            .map(|r| Node::from_record(r))
            .collect()
    }

    pub async fn load(ctx: &Context<'_>, id: &NodeId) -> async_graphql::Result<Option<Node>> {
        record(ctx, id)
            .await?
            .map(|r| Node::from_record(&r))
            .transpose()
    }
}

/// Claims linked to an entity (as subject, or as value), optionally of one attribute, paged.
pub async fn claims_linked(
    ctx: &Context<'_>,
    entity: &NodeId,
    rel: RelType,
    attribute: Option<String>,
    args: PageArgs,
) -> async_graphql::Result<Page<Claim>> {
    let window = window(args)?;
    let claims = linked_typed::<model::Claim>(ctx, entity, rel, Direction::In)
        .await?
        .into_iter()
        .filter(|c| attribute.as_ref().is_none_or(|a| &c.attribute == a))
        .map(|c| (by_id(&c.id), Claim(c), EmptyFields))
        .collect();
    Ok(page_of(claims, &window))
}

/// What kind of body an organisation is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::model::OrganizationKind")]
pub enum OrganizationKind {
    /// A newspaper, agency or broadcaster.
    NewsOutlet,
    /// A state's government as a whole.
    Government,
    /// A ministry, department or agency of a government.
    GovernmentBody,
    /// An embassy or a permanent mission.
    DiplomaticMission,
    /// A body of states, such as the United Nations.
    InternationalOrganization,
    /// A business.
    Company,
    /// A foundation or other non-profit body.
    Nonprofit,
    /// A university or college.
    University,
    /// Anything else.
    Other,
}

/// A position a person holds in an organisation, with the claim that says so.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Position {
    /// The position's title, as reported.
    title: Option<String>,
    /// From when, if reported.
    valid_from: Option<FuzzyDate>,
    /// Until when, if reported.
    valid_to: Option<FuzzyDate>,
    /// The claim behind this position: ask it "according to whom?".
    claim: Claim,
    #[graphql(skip)]
    organization_id: Option<NodeId>,
}

#[async_graphql::ComplexObject]
impl Position {
    /// The organisation.
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organization>> {
        let Some(id) = &self.organization_id else {
            return Ok(None);
        };
        Ok(typed::<model::Entity>(ctx, std::slice::from_ref(id))
            .await?
            .pop()
            .map(Organization))
    }
}

/// An entity type: its struct and the fields every entity shares, written once.
macro_rules! entity_object {
    ($ty:ident, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        pub struct $ty(pub model::Entity);

        impl $ty {
            fn node_id(&self) -> &NodeId {
                &self.0.id
            }
        }

        #[doc = $doc]
        #[Object]
        impl $ty {
            /// The global id.
            pub async fn id(&self) -> ID {
                encode(self.node_id())
            }

            /// The caller-supplied key the entity was imported with.
            pub async fn key(&self) -> &str {
                self.node_id().key()
            }

            /// The name (an event's title).
            pub async fn name(&self) -> &str {
                &self.0.name
            }

            /// Other names it is known by.
            pub async fn aliases(&self) -> &[String] {
                &self.0.aliases
            }

            /// A short description.
            pub async fn description(&self) -> Option<&str> {
                self.0.description.as_deref()
            }

            /// Claims about it, optionally of one attribute (see `attributes`).
            pub async fn claims(
                &self,
                ctx: &Context<'_>,
                attribute: Option<String>,
                first: Option<i32>,
                after: Option<String>,
                last: Option<i32>,
                before: Option<String>,
            ) -> async_graphql::Result<Page<Claim>> {
                claims_linked(ctx, self.node_id(), RelType::Subject, attribute, PageArgs::new(first, after, last, before)).await
            }

            /// Claims whose value it is (where it is the place, the employer, the spouse...).
            pub async fn mentions(
                &self,
                ctx: &Context<'_>,
                attribute: Option<String>,
                first: Option<i32>,
                after: Option<String>,
                last: Option<i32>,
                before: Option<String>,
            ) -> async_graphql::Result<Page<Claim>> {
                claims_linked(ctx, self.node_id(), RelType::Value, attribute, PageArgs::new(first, after, last, before)).await
            }

            $($extra)*
        }
    };
}

entity_object!(Person, "A person as the news reports them.", {
    /// Positions the person holds or held, each with its claim.
    async fn positions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Position>> {
        let subject_of = (RelType::Subject, Direction::In);
        let claims = linked_claims(ctx, &self.0.id, subject_of, POSITION).await?;
        Ok(claims
            .into_iter()
            .map(|c| Position {
                title: c.qualifier.clone(),
                valid_from: c.valid_from.as_ref().map(Into::into),
                valid_to: c.valid_to.as_ref().map(Into::into),
                organization_id: match &c.value {
                    ClaimValue::Entity(id) => Some(id.clone()),
                    _ => None,
                },
                claim: Claim(c),
            })
            .collect())
    }
});

entity_object!(
    Organization,
    "A news outlet, government body, mission, company or other organisation.",
    {
        /// What kind of organisation it is.
        async fn kind(&self) -> Option<OrganizationKind> {
            self.0.organization_kind.map(Into::into)
        }

        /// Reports it published.
        async fn reports(
            &self,
            ctx: &Context<'_>,
            first: Option<i32>,
            after: Option<String>,
            last: Option<i32>,
            before: Option<String>,
        ) -> async_graphql::Result<Page<Report>> {
            let published_by = (RelType::PublishedBy, Direction::In);
            linked_page(
                ctx,
                &self.0.id,
                published_by,
                PageArgs::new(first, after, last, before),
                Report,
            )
            .await
        }
    }
);

entity_object!(Place, "A place.", {});

entity_object!(
    Event,
    "Something that happened, or is reported to have happened.",
    {
        /// The event's title (the same as `name`).
        async fn title(&self) -> &str {
            &self.0.name
        }

        /// The claim that the event took place, from which its status comes.
        async fn occurrence(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Claim>> {
            occurrence(ctx, &self.0.id).await
        }

        /// Whether the event took place, as the evidence stands (optionally as of a day): the
        /// status of its occurrence claim, `UNREPORTED` when there is none.
        async fn status(
            &self,
            ctx: &Context<'_>,
            as_of: Option<Date>,
        ) -> async_graphql::Result<ClaimStatus> {
            // The event carries its occurrence claim's timeline, stored at import.
            let stored = record(ctx, &self.0.id)
                .await?
                .and_then(|r| StatusTimeline::from_props(&r.props))
                .filter(StatusTimeline::is_current);
            if let Some(timeline) = stored {
                return Ok(timeline.at(as_of.map(|d| d.0)).into());
            }
            Ok(match occurrence(ctx, &self.0.id).await? {
                Some(claim) => stored_status(ctx, &claim.0.id, as_of).await?,
                None => ClaimStatus::Unreported,
            })
        }

        /// The day the event is reported to have taken place (the earliest its `occurredOn`
        /// claims allow), when one is.
        async fn date(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Date>> {
            Ok(record(ctx, &self.0.id).await?.and_then(|r| {
                r.props
                    .get(SORT_DATE)
                    .and_then(|v| v.as_str())
                    .and_then(|d| d.parse().ok())
                    .map(Date)
            }))
        }

        /// Why the event has its status: the explanation of its occurrence claim.
        async fn status_explanation(
            &self,
            ctx: &Context<'_>,
            as_of: Option<Date>,
        ) -> async_graphql::Result<Option<StatusExplanation>> {
            match occurrence(ctx, &self.0.id).await? {
                Some(claim) => Ok(Some(StatusExplanation(
                    status_of(ctx, &claim.0.id, as_of).await?,
                ))),
                None => Ok(None),
            }
        }

        /// Who took part, each edge with the claim that says so.
        async fn participants(
            &self,
            ctx: &Context<'_>,
            first: Option<i32>,
            after: Option<String>,
            last: Option<i32>,
            before: Option<String>,
        ) -> async_graphql::Result<
            Page<Node, ParticipationEvidence, ParticipantConnectionName, ParticipantEdgeName>,
        > {
            let window = window(PageArgs::new(first, after, last, before))?;
            let subject_of = (RelType::Subject, Direction::In);
            let claims = linked_claims(ctx, &self.0.id, subject_of, PARTICIPANT).await?;
            let ids: Vec<NodeId> = claims
                .iter()
                .filter_map(|c| match &c.value {
                    ClaimValue::Entity(id) => Some(id.clone()),
                    _ => None,
                })
                .collect();
            let nodes: HashMap<NodeId, Arc<NodeRecord>> = records(ctx, &ids)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
            let mut items = Vec::new();
            for claim in claims {
                let ClaimValue::Entity(id) = &claim.value else {
                    continue;
                };
                if let Some(record) = nodes.get(id) {
                    items.push((
                        by_id(&claim.id),
                        Node::from_record(record)?,
                        ParticipationEvidence {
                            claim: Claim(claim),
                        },
                    ));
                }
            }
            Ok(page_of(items, &window))
        }
    }
);

async fn occurrence(ctx: &Context<'_>, event: &NodeId) -> async_graphql::Result<Option<Claim>> {
    let subject_of = (RelType::Subject, Direction::In);
    let claims = linked_claims(ctx, event, subject_of, OCCURRED).await?;
    Ok(claims.into_iter().next().map(Claim))
}

/// The evidence on a participation edge.
#[derive(SimpleObject)]
pub struct ParticipationEvidence {
    /// The claim that this participant took part.
    claim: Claim,
}

/// Names the participants connection.
pub struct ParticipantConnectionName;

impl ConnectionNameType for ParticipantConnectionName {
    fn type_name<T: OutputType>() -> String {
        "ParticipantConnection".into()
    }
}

/// Names the participants connection's edges.
pub struct ParticipantEdgeName;

impl EdgeNameType for ParticipantEdgeName {
    fn type_name<T: OutputType>() -> String {
        "ParticipantEdge".into()
    }
}
