//! The import mutation's input types, converted to the import core's one input format, and
//! its result.

use async_graphql::{
    Context, Enum, ErrorExtensions, InputObject, Object, OneofObject, SimpleObject, ID,
};

use super::entity::OrganizationKind;
use super::errors::ApiError;
use super::ids::encode;
use super::loaders::typed;
use super::provenance::{Report, ReportKind, Stance};
use crate::import::{input, ImportOutcome, InputError};
use crate::model;

/// Which kind of entity an `EntityInput` introduces.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::import::input::EntityType")]
pub enum EntityType {
    /// A person.
    Person,
    /// An organisation.
    Organization,
    /// A place.
    Place,
    /// An event.
    Event,
}

/// One report with everything it says, imported all or nothing.
#[derive(InputObject)]
#[graphql(name = "ReportInput")]
pub struct ReportInputObject {
    /// The report's natural key; the URL when omitted. Importing the same key again with
    /// the same content changes nothing; with other content it is refused.
    key: Option<String>,
    /// The headline or title.
    title: String,
    /// Where it can be read.
    url: Option<String>,
    /// The form it takes.
    kind: ReportKind,
    /// Key of the publishing organisation.
    publisher: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, `FROM/TO` or `FROM/..`.
    published_at: Option<String>,
    /// Why you inferred `publishedAt`, when no source states it: the date is then shown
    /// as inferred, with this reasoning.
    published_at_inferred: Option<String>,
    /// Keys of the reports this one relays.
    #[graphql(default)]
    relays: Vec<String>,
    /// Entities this report introduces; existing ones are referred to by key.
    #[graphql(default)]
    entities: Vec<EntityInputObject>,
    /// Whom the report cites.
    #[graphql(default)]
    sources: Vec<SourceInputObject>,
    /// Claims this report introduces; existing ones are referred to by key.
    #[graphql(default)]
    claims: Vec<ClaimInputObject>,
    /// What the report says about each claim.
    assertions: Vec<AssertionInputObject>,
}

/// A person, organisation, place or event a report introduces.
#[derive(InputObject)]
#[graphql(name = "EntityInput")]
pub struct EntityInputObject {
    /// Unique across people, organisations, places and events.
    key: String,
    /// Which kind of entity.
    #[graphql(name = "type")]
    entity_type: EntityType,
    /// The name; an event's title.
    name: String,
    /// Other names.
    #[graphql(default)]
    aliases: Vec<String>,
    /// A short description.
    description: Option<String>,
    /// Only for organisations.
    organization_kind: Option<OrganizationKind>,
}

/// A source a report cites.
#[derive(InputObject)]
#[graphql(name = "SourceInput")]
pub struct SourceInputObject {
    /// Unique within the report.
    key: String,
    /// The report's words for the source: "two Iranian officials".
    description: String,
    /// How many people the description stands for; 1 when omitted.
    #[graphql(default = 1)]
    count: i32,
    /// Whether the source is unnamed.
    anonymous: bool,
    /// Key of the organisation the source belongs to.
    affiliation: Option<String>,
    /// Key of the person, for a named source.
    person: Option<String>,
}

/// A claim's value: exactly one of these.
#[derive(OneofObject)]
#[graphql(name = "ClaimValueInput")]
pub enum ClaimValueInputObject {
    /// An entity key.
    Entity(String),
    /// A text value.
    Text(String),
    /// A date, as in `publishedAt`.
    Date(String),
    /// A number.
    Number(f64),
}

/// A claim a report introduces.
#[derive(InputObject)]
#[graphql(name = "ClaimInput")]
pub struct ClaimInputObject {
    /// Unique across claims; other reports refer to the claim by it.
    key: String,
    /// The proposition in words.
    statement: String,
    /// Key of the entity it is about.
    subject: String,
    /// An attribute of the catalogue (see `attributes`).
    attribute: String,
    /// The value, unless the attribute takes none.
    value: Option<ClaimValueInputObject>,
    /// Why you inferred the value, when the source does not state it as given: the value
    /// is then shown as inferred, with this reasoning.
    value_inferred: Option<String>,
    /// A qualifier of the value, such as a position's title.
    qualifier: Option<String>,
    /// From when the claim holds.
    valid_from: Option<String>,
    /// Until when the claim holds.
    valid_to: Option<String>,
}

/// What a report says about one claim.
#[derive(InputObject)]
#[graphql(name = "AssertionInput")]
pub struct AssertionInputObject {
    /// Unique within the report; the position in the list when omitted.
    key: Option<String>,
    /// Key of the claim: introduced by this report or already stored.
    claim: String,
    /// Whether it asserts, confirms, denies, disputes or retracts the claim.
    stance: Stance,
    /// The words used.
    quote: Option<String>,
    /// When it was said, if not at the report's publication.
    made_at: Option<String>,
    /// Keys of this report's sources that it cites.
    #[graphql(default)]
    cites: Vec<String>,
}

impl From<ReportInputObject> for input::ReportInput {
    fn from(o: ReportInputObject) -> Self {
        input::ReportInput {
            key: o.key,
            title: o.title,
            url: o.url,
            kind: o.kind.into(),
            publisher: o.publisher,
            published_at: o.published_at,
            published_at_inferred: o.published_at_inferred,
            relays: o.relays,
            entities: o.entities.into_iter().map(Into::into).collect(),
            sources: o.sources.into_iter().map(Into::into).collect(),
            claims: o.claims.into_iter().map(Into::into).collect(),
            assertions: o.assertions.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<EntityInputObject> for input::EntityInput {
    fn from(o: EntityInputObject) -> Self {
        input::EntityInput {
            key: o.key,
            entity_type: o.entity_type.into(),
            name: o.name,
            aliases: o.aliases,
            description: o.description,
            organization_kind: o.organization_kind.map(Into::into),
        }
    }
}

impl From<SourceInputObject> for input::SourceInput {
    fn from(o: SourceInputObject) -> Self {
        input::SourceInput {
            key: o.key,
            description: o.description,
            // A negative count becomes 0, which validation refuses with the input path.
            count: u32::try_from(o.count).unwrap_or(0),
            anonymous: o.anonymous,
            affiliation: o.affiliation,
            person: o.person,
        }
    }
}

impl From<ClaimInputObject> for input::ClaimInput {
    fn from(o: ClaimInputObject) -> Self {
        input::ClaimInput {
            key: o.key,
            statement: o.statement,
            subject: o.subject,
            attribute: o.attribute,
            value: o.value.map(|v| match v {
                ClaimValueInputObject::Entity(key) => input::ClaimValueInput::Entity(key),
                ClaimValueInputObject::Text(text) => input::ClaimValueInput::Text(text),
                ClaimValueInputObject::Date(date) => input::ClaimValueInput::Date(date),
                ClaimValueInputObject::Number(n) => input::ClaimValueInput::Number(n),
            }),
            value_inferred: o.value_inferred,
            qualifier: o.qualifier,
            valid_from: o.valid_from,
            valid_to: o.valid_to,
        }
    }
}

impl From<AssertionInputObject> for input::AssertionInput {
    fn from(o: AssertionInputObject) -> Self {
        input::AssertionInput {
            key: o.key,
            claim: o.claim,
            stance: o.stance.into(),
            quote: o.quote,
            made_at: o.made_at,
            cites: o.cites,
        }
    }
}

/// An input error as a GraphQL error: `extensions.code` and `extensions.inputPath`.
pub fn input_error(error: &InputError) -> async_graphql::Error {
    ApiError::Input(error.clone()).extend()
}

/// What became of one report of an import.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcomeStatus {
    /// Imported now.
    Created,
    /// Imported before with the same content; nothing was written.
    AlreadyPresent,
    /// Refused, with its errors; nothing of it was written.
    Rejected,
}

/// One report of an import and what became of it.
pub struct ReportOutcome {
    /// Its position in the input.
    pub index: usize,
    /// Its key (or URL), as given.
    pub key: Option<String>,
    pub status: ReportOutcomeStatus,
    /// The stored report, unless rejected.
    pub report: Option<model::NodeId>,
    pub errors: Vec<InputError>,
}

/// What became of one report of an import.
#[Object]
impl ReportOutcome {
    /// The report's position in the input, from 0.
    async fn index(&self) -> usize {
        self.index
    }

    /// The report's key (or URL), as given.
    async fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Created, already present, or rejected.
    async fn status(&self) -> ReportOutcomeStatus {
        self.status
    }

    /// The stored report; null when rejected.
    async fn report(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Report>> {
        let Some(id) = &self.report else {
            return Ok(None);
        };
        let mut found = typed::<model::Report>(ctx, std::slice::from_ref(id)).await?;
        Ok(found.pop().map(Report))
    }

    /// Why it was rejected: one error per problem.
    async fn errors(&self) -> Vec<ImportError> {
        self.errors.iter().map(ImportError::from).collect()
    }
}

/// One problem with an input, as `extensions` would give it.
#[derive(SimpleObject)]
pub struct ImportError {
    /// A stable code: `REQUIRED`, `INVALID_VALUE`, `DUPLICATE_KEY`, `UNKNOWN_REFERENCE`,
    /// `WRONG_TYPE`, `UNKNOWN_ATTRIBUTE`, `UNASSERTED_CLAIM` or `REPORT_CONFLICT`.
    code: String,
    /// What is wrong, in words.
    message: String,
    /// Where in the input: field names, and list indexes in decimal.
    input_path: Vec<String>,
}

impl From<&InputError> for ImportError {
    fn from(error: &InputError) -> Self {
        Self {
            code: error.code.as_str().to_string(),
            message: error.message.clone(),
            input_path: error.path.iter().map(ToString::to_string).collect(),
        }
    }
}

/// What an import did.
pub struct ImportResult {
    pub outcome: ImportOutcome,
    pub outcomes: Vec<ReportOutcome>,
}

impl ImportResult {
    /// The result of an import that applied `accepted` (input indexes, in the order of
    /// `outcome.reports`) and refused `rejected`.
    pub fn new(
        inputs: &[crate::import::ReportInput],
        outcome: ImportOutcome,
        accepted: &[usize],
        rejected: &std::collections::BTreeMap<usize, Vec<InputError>>,
    ) -> Self {
        let key = |index: usize| {
            inputs[index]
                .key
                .clone()
                .or_else(|| inputs[index].url.clone())
        };
        let mut outcomes: Vec<ReportOutcome> = accepted
            .iter()
            .zip(&outcome.reports)
            .map(|(&index, id)| ReportOutcome {
                index,
                key: key(index),
                status: if outcome.created.contains(id) {
                    ReportOutcomeStatus::Created
                } else {
                    ReportOutcomeStatus::AlreadyPresent
                },
                report: Some(id.clone()),
                errors: Vec::new(),
            })
            .collect();
        outcomes.extend(rejected.iter().map(|(&index, errors)| ReportOutcome {
            index,
            key: key(index),
            status: ReportOutcomeStatus::Rejected,
            report: None,
            errors: errors.clone(),
        }));
        outcomes.sort_by_key(|o| o.index);
        Self { outcome, outcomes }
    }

    /// How many reports the import created.
    pub fn reports_created(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.status == ReportOutcomeStatus::Created)
            .count()
    }
}

/// What an import did.
#[Object]
impl ImportResult {
    /// The imported reports, in input order (the rejected ones left out).
    async fn reports(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Report>> {
        let reports = typed::<model::Report>(ctx, &self.outcome.reports).await?;
        Ok(reports.into_iter().map(Report).collect())
    }

    /// Each report of the input and what became of it, in input order.
    async fn outcomes(&self) -> &[ReportOutcome] {
        &self.outcomes
    }

    /// Ids of the nodes this import created.
    async fn created_ids(&self) -> Vec<ID> {
        self.outcome.created.iter().map(encode).collect()
    }

    /// Ids of the nodes of the input that already existed and were left as they were.
    async fn existing_ids(&self) -> Vec<ID> {
        self.outcome.existing.iter().map(encode).collect()
    }

    /// How many nodes this import created.
    async fn created_count(&self) -> usize {
        self.outcome.created.len()
    }

    /// How many nodes of the input already existed.
    async fn existing_count(&self) -> usize {
        self.outcome.existing.len()
    }

    /// True when the import changed nothing: every report had been imported before.
    async fn already_imported(&self) -> bool {
        self.outcome.created.is_empty()
    }
}
