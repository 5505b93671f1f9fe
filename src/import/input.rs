//! The one input format for a report, as importers write it (JSON in `data/seed/`, or the
//! `importReport` mutation, which converts to this).
//!
//! Entities, sources and claims are given caller-supplied keys, so that other reports and
//! re-imports refer to the same node. Keys are unique per kind of node; an entity key is
//! unique across people, organisations, places and events.

use serde::{Deserialize, Serialize};

use crate::model::{OrganizationKind, ReportKind, Stance};

/// One report with everything it says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportInput {
    /// The report's natural key; the URL when omitted.
    #[serde(default)]
    pub key: Option<String>,
    pub title: String,
    #[serde(default)]
    pub url: Option<String>,
    pub kind: ReportKind,
    /// Key of the publishing organisation, when known.
    #[serde(default)]
    pub publisher: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, `FROM/TO` or `FROM/..`.
    #[serde(default)]
    pub published_at: Option<String>,
    /// Why the importer inferred `publishedAt`, when no source states it; marks the date
    /// as inferred rather than stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at_inferred: Option<String>,
    /// Keys of the reports this one relays.
    #[serde(default)]
    pub relays: Vec<String>,
    /// Entities this report introduces (existing ones may simply be referred to by key).
    #[serde(default)]
    pub entities: Vec<EntityInput>,
    #[serde(default)]
    pub sources: Vec<SourceInput>,
    /// Claims this report introduces (existing ones may simply be referred to by key).
    #[serde(default)]
    pub claims: Vec<ClaimInput>,
    pub assertions: Vec<AssertionInput>,
}

/// Which kind of entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityType {
    Person,
    Organization,
    Place,
    Event,
}

/// A person, organisation, place or event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntityInput {
    pub key: String,
    #[serde(rename = "type")]
    pub entity_type: EntityType,
    /// The name; an event's title.
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Only for organisations.
    #[serde(default)]
    pub organization_kind: Option<OrganizationKind>,
}

/// Whom the report cites.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceInput {
    /// Unique within the report.
    pub key: String,
    pub description: String,
    #[serde(default = "one")]
    pub count: u32,
    pub anonymous: bool,
    /// Key of the organisation the source belongs to, when stated.
    #[serde(default)]
    pub affiliation: Option<String>,
    /// Key of the person, for a named source.
    #[serde(default)]
    pub person: Option<String>,
}

fn one() -> u32 {
    1
}

/// A claim's value: exactly one of these, or none for attributes that take none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum ClaimValueInput {
    /// An entity key.
    Entity(String),
    Text(String),
    /// A date as in `publishedAt`.
    Date(String),
    Number(f64),
}

/// A proposition about a subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimInput {
    pub key: String,
    pub statement: String,
    /// An entity key.
    pub subject: String,
    /// An attribute of the catalogue.
    pub attribute: String,
    #[serde(default)]
    pub value: Option<ClaimValueInput>,
    /// Why the importer inferred the value, when the source does not state it as given;
    /// marks the value as inferred rather than stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_inferred: Option<String>,
    #[serde(default)]
    pub qualifier: Option<String>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
}

/// The report's act of saying something about one claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssertionInput {
    /// Unique within the report; the position in the list when omitted.
    #[serde(default)]
    pub key: Option<String>,
    /// A claim key: introduced by this report or already stored.
    pub claim: String,
    pub stance: Stance,
    #[serde(default)]
    pub quote: Option<String>,
    /// When it was said, if not the report's publication date.
    #[serde(default)]
    pub made_at: Option<String>,
    /// Keys of this report's sources that it cites.
    #[serde(default)]
    pub cites: Vec<String>,
}

/// An entity merge as a line of a file (`{"mergeEntities": {"keep": .., "merge": ..}}`):
/// what `kg export` writes where a merge came among the reports, by the entities' keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeLine {
    pub merge_entities: MergeKeys,
}

/// The entities of a merge, by key, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeKeys {
    pub keep: String,
    pub merge: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One line of an import file: a report, or an entity merge.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    Report(Box<ReportInput>),
    Merge(MergeKeys),
}

impl Line {
    /// Reads a line: a merge when it has `mergeEntities`, a report otherwise.
    pub fn parse(value: serde_json::Value) -> Result<Line, String> {
        if value.get("mergeEntities").is_some() {
            let line: MergeLine = serde_json::from_value(value).map_err(|e| e.to_string())?;
            return Ok(Line::Merge(line.merge_entities));
        }
        serde_json::from_value(value)
            .map(|report| Line::Report(Box::new(report)))
            .map_err(|e| e.to_string())
    }
}
