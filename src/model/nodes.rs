//! The node types. Relationships between them (who published a report, what an assertion
//! is about, whom it cites) are edges of [`RelType`](super::RelType), not fields.

use serde::{Deserialize, Serialize};

use super::{NodeId, ReportedDate};

/// What kind of body an organisation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganizationKind {
    NewsOutlet,
    Government,
    GovernmentBody,
    DiplomaticMission,
    InternationalOrganization,
    Company,
    Nonprofit,
    University,
    Other,
}

/// A person, organisation, place or event: what claims are about.
///
/// Only identity lives here (names, a short description); everything said about an entity
/// is a [`Claim`], so that it carries its provenance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub id: NodeId,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Only for organisations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_kind: Option<OrganizationKind>,
}

/// The form a report takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportKind {
    Article,
    WireStory,
    Broadcast,
    OfficialStatement,
    /// A court filing, a register entry, a signed record: evidence rather than testimony.
    PrimaryDocument,
    /// A reference work or an official record (a ministry's website, a Wikidata item): the
    /// background knowledge a story relies on without stating it.
    Reference,
}

/// An article, broadcast or statement that asserts things.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: NodeId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub kind: ReportKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<ReportedDate>,
    /// Why the importer inferred `published_at`, when no source states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at_inferred: Option<String>,
    /// Digest of the import input; a re-import with another digest is refused.
    pub content_digest: String,
}

/// What an assertion does to its claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Stance {
    Asserts,
    Confirms,
    Denies,
    Disputes,
    Retracts,
}

impl Stance {
    /// Asserting and confirming both support a claim.
    pub fn supports(self) -> bool {
        matches!(self, Stance::Asserts | Stance::Confirms)
    }
}

/// One report's act of saying something about one claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assertion {
    pub id: NodeId,
    pub stance: Stance,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// When it was said; the report's publication date when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<ReportedDate>,
}

/// Whom a report cites, as the report describes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: NodeId,
    pub description: String,
    pub count: u32,
    pub anonymous: bool,
}

/// The value a claim gives its attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "value_kind", content = "value", rename_all = "snake_case")]
pub enum ClaimValue {
    /// The claim has no value beyond its attribute (e.g. "the meeting took place").
    None,
    Entity(NodeId),
    Text(String),
    Date(ReportedDate),
    Number(f64),
}

/// A proposition about a subject: "Musk and Iravani met", "the meeting lasted more than an
/// hour", "Iravani is Iran's ambassador to the UN".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub id: NodeId,
    pub statement: String,
    pub subject: NodeId,
    pub attribute: String,
    #[serde(flatten)]
    pub value: ClaimValue,
    /// Why the importer inferred the value from what the source says, when the source does
    /// not state it as such ("on Monday" in a report of 17 November is 11 November).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_inferred: Option<String>,
    /// A qualifier of the value, such as the title of a position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<ReportedDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<ReportedDate>,
}
