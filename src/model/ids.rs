//! Node identity: every node is `Label:key`, where the key is natural (caller-supplied for
//! entities and claims, derived from the report key for what a report owns).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Stance;

/// The kinds of node in the graph. Also the only labels the stores ever write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Label {
    Person,
    Organization,
    Place,
    Event,
    Report,
    Assertion,
    Source,
    Claim,
}

impl Label {
    pub const ALL: [Label; 8] = [
        Label::Person,
        Label::Organization,
        Label::Place,
        Label::Event,
        Label::Report,
        Label::Assertion,
        Label::Source,
        Label::Claim,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Label::Person => "Person",
            Label::Organization => "Organization",
            Label::Place => "Place",
            Label::Event => "Event",
            Label::Report => "Report",
            Label::Assertion => "Assertion",
            Label::Source => "Source",
            Label::Claim => "Claim",
        }
    }

    pub fn parse(text: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|label| label.as_str() == text)
    }

    /// People, organisations, places and events: what claims are about.
    pub fn is_entity(self) -> bool {
        matches!(
            self,
            Label::Person | Label::Organization | Label::Place | Label::Event
        )
    }
}

/// The relationship types of the graph: the allow-list every store writes and reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RelType {
    /// Report -> Organization that published it.
    PublishedBy,
    /// Report -> Report it relays (passes on).
    Relays,
    /// Assertion -> Report that makes it.
    MadeIn,
    /// Assertion -> Claim it is about.
    About,
    /// Assertion -> Source it cites.
    Cites,
    /// Source -> Organization it is affiliated with.
    AffiliatedWith,
    /// Source -> Person it names.
    Names,
    /// Claim -> entity the claim is about.
    Subject,
    /// Claim -> entity that is the claim's value.
    Value,
    /// Claim -> Claim with an incompatible value for the same subject and attribute.
    ConflictsWith,
    /// Claim -> Claim whose value it makes more precise.
    Refines,
    /// Organization -> Claim it asserted, as a report's publisher or as the affiliation of a
    /// source the report cites for it: an evidence edge, derived at import so that paths can
    /// walk who-said-what like any other link. One type per stance.
    Asserted,
    /// Organization -> Claim it confirmed (an evidence edge).
    Confirmed,
    /// Organization -> Claim it denied (an evidence edge).
    Denied,
    /// Organization -> Claim it disputed (an evidence edge).
    Disputed,
    /// Organization -> Claim it retracted (an evidence edge).
    Retracted,
}

impl RelType {
    /// The evidence edges, one per stance.
    pub const EVIDENCE: [RelType; 5] = [
        RelType::Asserted,
        RelType::Confirmed,
        RelType::Denied,
        RelType::Disputed,
        RelType::Retracted,
    ];

    pub const ALL: [RelType; 16] = [
        RelType::PublishedBy,
        RelType::Relays,
        RelType::MadeIn,
        RelType::About,
        RelType::Cites,
        RelType::AffiliatedWith,
        RelType::Names,
        RelType::Subject,
        RelType::Value,
        RelType::ConflictsWith,
        RelType::Refines,
        RelType::Asserted,
        RelType::Confirmed,
        RelType::Denied,
        RelType::Disputed,
        RelType::Retracted,
    ];

    /// The evidence edge of an organisation that took this stance on a claim.
    pub fn evidence(stance: Stance) -> RelType {
        match stance {
            Stance::Asserts => RelType::Asserted,
            Stance::Confirms => RelType::Confirmed,
            Stance::Denies => RelType::Denied,
            Stance::Disputes => RelType::Disputed,
            Stance::Retracts => RelType::Retracted,
        }
    }

    /// The stance an evidence edge records; `None` for every other edge.
    pub fn evidence_stance(self) -> Option<Stance> {
        match self {
            RelType::Asserted => Some(Stance::Asserts),
            RelType::Confirmed => Some(Stance::Confirms),
            RelType::Denied => Some(Stance::Denies),
            RelType::Disputed => Some(Stance::Disputes),
            RelType::Retracted => Some(Stance::Retracts),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RelType::PublishedBy => "PUBLISHED_BY",
            RelType::Relays => "RELAYS",
            RelType::MadeIn => "MADE_IN",
            RelType::About => "ABOUT",
            RelType::Cites => "CITES",
            RelType::AffiliatedWith => "AFFILIATED_WITH",
            RelType::Names => "NAMES",
            RelType::Subject => "SUBJECT",
            RelType::Value => "VALUE",
            RelType::ConflictsWith => "CONFLICTS_WITH",
            RelType::Refines => "REFINES",
            RelType::Asserted => "ASSERTED",
            RelType::Confirmed => "CONFIRMED",
            RelType::Denied => "DENIED",
            RelType::Disputed => "DISPUTED",
            RelType::Retracted => "RETRACTED",
        }
    }

    pub fn parse(text: &str) -> Option<RelType> {
        RelType::ALL.into_iter().find(|rel| rel.as_str() == text)
    }
}

/// A node's identity: its label and its natural key, written `Label:key`. Ids are cloned
/// wherever reads are grouped and linked, so the key is shared, never copied.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeId {
    label: Label,
    key: Arc<str>,
}

impl NodeId {
    pub fn new(label: Label, key: &str) -> Self {
        NodeId {
            label,
            key: Arc::from(key),
        }
    }

    /// Parses `Label:key`, refusing unknown labels and empty keys.
    pub fn parse(text: &str) -> Option<Self> {
        let (label, key) = text.split_once(':')?;
        let label = Label::parse(label)?;
        (!key.is_empty()).then(|| NodeId::new(label, key))
    }

    pub fn label(&self) -> Label {
        self.label
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The order of the ids' texts (`Label:key`), without writing them out: no label is a
    /// prefix of another, so the labels' names decide first, then the keys.
    pub fn cmp_as_text(&self, other: &NodeId) -> std::cmp::Ordering {
        (self.label.as_str(), &*self.key).cmp(&(other.label.as_str(), &*other.key))
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.label.as_str(), self.key)
    }
}

impl TryFrom<String> for NodeId {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        NodeId::parse(&text).ok_or_else(|| format!("`{text}` is not a node id"))
    }
}

impl From<NodeId> for String {
    fn from(id: NodeId) -> Self {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_as_their_texts_do() {
        let keys = ["a", "ab", "b", "a-b", "a:b", "Z", "é"];
        let ids: Vec<NodeId> = Label::ALL
            .iter()
            .flat_map(|label| keys.iter().map(|key| NodeId::new(*label, key)))
            .collect();
        for a in &ids {
            for b in &ids {
                assert_eq!(
                    a.cmp_as_text(b),
                    a.to_string().cmp(&b.to_string()),
                    "{a} and {b}"
                );
            }
        }
    }
}
