//! The property-graph form every store reads and writes.
//!
//! A node is its id plus a flat map of properties (strings, numbers, booleans and lists of
//! strings only, so that each maps onto a Neo4j property and onto SQLite JSON alike). The
//! typed model converts to and from it here, once, for both stores.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// Separates the names in a node's primary search text: not a word character, so every
/// tokenizer splits on it, and never typed into a name.
pub const NAME_SEPARATOR: char = '\u{1f}';

use super::{Assertion, Claim, Entity, Label, NodeId, RelType, Report, Source};

/// A node's properties, `id` included.
pub type Props = Map<String, Value>;

/// The properties an import derives and stores beside what it was given, which listings
/// filter and sort on. Named once here, for the domain that writes them and the stores
/// that query them.
pub mod derived {
    /// A claim's (or an event's occurrence's) status with everything counted.
    pub const STATUS: &str = "status";
    /// The rule version that derived the status.
    pub const STATUS_RULE: &str = "status_rule";
    /// The status timeline: `DAY=STATUS` entries in day order, the first with no day.
    pub const STATUS_TIMELINE: &str = "status_timeline";
    /// The day events and reports are sorted by, `YYYY-MM-DD`: an event's reported date,
    /// a report's publication (the earliest day each allows).
    pub const SORT_DATE: &str = "sort_date";
    /// How well a claim is supported with everything counted (its independent asserting
    /// chains), as text that sorts the best supported first: see `support_rank`.
    pub const SUPPORT_RANK: &str = "support_rank";
    /// A report's input in canonical form (see `import::canonical`), as imported: what
    /// `kg export` writes back.
    pub const INPUT: &str = "input";
    /// Where a report came in the order of imports: the store's import version at its
    /// commit times 1,000,000, plus its index in its batch. Export follows it, so that
    /// every report comes after those it refers to.
    pub const IMPORT_ORDER: &str = "import_order";
    /// On an entity merged into another: the kept entity's id. Its key resolves there.
    pub const MERGED_INTO: &str = "merged_into";
    /// Why it was merged, as the merge was asked for.
    pub const MERGE_REASON: &str = "merge_reason";
    /// When it was merged (RFC 3339).
    pub const MERGED_AT: &str = "merged_at";
    /// The edges the merge moved to the kept entity, as they were (`[from, rel, to]` JSON),
    /// so that it can be undone.
    pub const MERGE_MOVED: &str = "merge_moved";
    /// The moved edges the kept entity already had, which undoing the merge leaves.
    pub const MERGE_SHARED: &str = "merge_shared";
    /// Where the merge came in the order of imports (as [`IMPORT_ORDER`]), for export.
    pub const MERGE_ORDER: &str = "merge_order";
    /// Every property a merge sets on the merged entity.
    pub const MERGE_PROPS: [&str; 6] = [
        MERGED_INTO,
        MERGE_REASON,
        MERGED_AT,
        MERGE_MOVED,
        MERGE_SHARED,
        MERGE_ORDER,
    ];
}

/// The stored [`derived::SUPPORT_RANK`] of a claim with this many independent asserting
/// chains: ten digits, fewer for more support, so that an ascending listing puts the best
/// supported first.
pub fn support_rank(support: usize) -> String {
    format!("{:010}", MAX_SUPPORT.saturating_sub(support))
}

/// The support a [`support_rank`] stands for.
pub fn support_of_rank(rank: &str) -> Option<usize> {
    rank.parse::<usize>()
        .ok()
        .map(|r| MAX_SUPPORT.saturating_sub(r))
}

const MAX_SUPPORT: usize = 1_000_000_000;

/// A node as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRecord {
    pub id: NodeId,
    pub props: Props,
}

impl NodeRecord {
    pub fn label(&self) -> Label {
        self.id.label()
    }

    /// Sets the properties `update` names, as a store applies a batch's updates: a null
    /// removes the property, any other value replaces it whole.
    pub fn patch(&mut self, update: &Props) {
        for (name, value) in update {
            match value {
                Value::Null => self.props.remove(name),
                value => self.props.insert(name.clone(), value.clone()),
            };
        }
    }

    /// The texts search matches on: names, aliases, titles and statements first (each
    /// ended by [`NAME_SEPARATOR`], so that ranking can tell an exact name from a longer
    /// text containing it), descriptions second.
    pub fn search_texts(&self) -> (String, String) {
        let primary: Vec<&str> = ["name", "title", "statement"]
            .iter()
            .filter_map(|field| self.props.get(*field).and_then(Value::as_str))
            .chain(
                self.props
                    .get("aliases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            )
            .collect();
        let secondary = self
            .props
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let separator = format!(" {NAME_SEPARATOR} ");
        (primary.join(&separator), secondary.to_string())
    }

    /// The value sorted on when listing: name, title or statement.
    pub fn sort_text(&self) -> String {
        ["name", "title", "statement", "description"]
            .iter()
            .find_map(|field| self.props.get(*field).and_then(Value::as_str))
            .unwrap_or_default()
            .to_lowercase()
    }
}

/// A directed relationship as stored. At most one per (from, rel, to).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeRecord {
    pub from: NodeId,
    pub rel: RelType,
    pub to: NodeId,
}

/// A stored record that does not decode as the type asked for: a bug or a foreign write.
#[derive(Debug, thiserror::Error)]
#[error("node {id} does not decode as {expected}: {reason}")]
pub struct DecodeError {
    pub id: String,
    pub expected: &'static str,
    pub reason: String,
}

/// A model type that is stored as one node.
pub trait StoredNode: Serialize + DeserializeOwned {
    const TYPE_NAME: &'static str;

    fn id(&self) -> &NodeId;

    fn to_record(&self) -> NodeRecord {
        let props = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // Every implementor is a struct, which serialises to an object.
            _ => Map::new(),
        };
        NodeRecord {
            id: self.id().clone(),
            props: props.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        }
    }

    fn from_record(record: &NodeRecord) -> Result<Self, DecodeError> {
        Self::deserialize(&record.props).map_err(|e| DecodeError {
            id: record.id.to_string(),
            expected: Self::TYPE_NAME,
            reason: e.to_string(),
        })
    }
}

macro_rules! stored_node {
    ($($ty:ident),*) => {$(
        impl StoredNode for $ty {
            const TYPE_NAME: &'static str = stringify!($ty);
            fn id(&self) -> &NodeId {
                &self.id
            }
        }
    )*};
}

stored_node!(Entity, Report, Assertion, Source, Claim);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClaimValue, ReportedDate};

    #[test]
    fn a_claim_round_trips_through_flat_properties() {
        let claim = Claim {
            id: NodeId::new(Label::Claim, "meeting-place"),
            statement: "The meeting took place in New York".into(),
            subject: NodeId::new(Label::Event, "meeting"),
            attribute: "location".into(),
            value: ClaimValue::Entity(NodeId::new(Label::Place, "new-york")),
            value_inferred: Some("the only place the report names".into()),
            qualifier: None,
            valid_from: Some("2024-11".parse::<ReportedDate>().unwrap()),
            valid_to: None,
        };
        let record = claim.to_record();
        assert!(record.props.values().all(|v| !v.is_object()), "{record:?}");
        assert_eq!(record.props["value"], "Place:new-york");
        assert_eq!(Claim::from_record(&record).unwrap(), claim);
    }

    #[test]
    fn a_record_of_another_type_is_a_decode_error() {
        let claim = Claim {
            id: NodeId::new(Label::Claim, "c"),
            statement: "s".into(),
            subject: NodeId::new(Label::Event, "e"),
            attribute: "occurred".into(),
            value: ClaimValue::None,
            value_inferred: None,
            qualifier: None,
            valid_from: None,
            valid_to: None,
        };
        let error = Report::from_record(&claim.to_record()).unwrap_err();
        assert!(error.to_string().contains("Report"), "{error}");
    }
}
