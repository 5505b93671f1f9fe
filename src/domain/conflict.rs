//! Conflict detection: which claims on the same subject and attribute cannot both be true.
//!
//! Only functional attributes (at most one value at a time) conflict. Two entity values do
//! not conflict when one contains the other through `partOf`: "the ambassador's residence
//! in New York" refines "a secret location in New York" (whose value is New York), since a
//! residence is a place in New York that the first report chose not to name. Claims with
//! different valid times describe different times and do not conflict.

use std::collections::{BTreeMap, BTreeSet};

use super::attributes::attribute;
use crate::model::{Claim, ClaimValue, NodeId};

/// How one claim stands to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Both can be true.
    Compatible,
    /// They cannot both be true.
    Conflicts,
    /// The first is a more precise form of the second.
    Refines,
    /// The second is a more precise form of the first.
    RefinedBy,
}

/// The places or bodies each entity lies within, through `partOf`, transitively.
pub type Containment = BTreeMap<NodeId, BTreeSet<NodeId>>;

/// How claim `a` stands to claim `b`.
pub fn relate(a: &Claim, b: &Claim, containment: &Containment) -> Relation {
    if a.id == b.id || a.subject != b.subject || a.attribute != b.attribute {
        return Relation::Compatible;
    }
    if !attribute(&a.attribute).is_some_and(|spec| spec.functional) {
        return Relation::Compatible;
    }
    if a.valid_from != b.valid_from || a.valid_to != b.valid_to {
        return Relation::Compatible;
    }
    if a.value == b.value {
        return Relation::Compatible;
    }
    let within = |inner: &NodeId, outer: &NodeId| {
        containment
            .get(inner)
            .is_some_and(|outers| outers.contains(outer))
    };
    match (&a.value, &b.value) {
        (ClaimValue::Entity(x), ClaimValue::Entity(y)) if within(x, y) => Relation::Refines,
        (ClaimValue::Entity(x), ClaimValue::Entity(y)) if within(y, x) => Relation::RefinedBy,
        _ => Relation::Conflicts,
    }
}

/// Closes direct `partOf` links into the full containment of each entity.
pub fn containment(direct: &BTreeMap<NodeId, BTreeSet<NodeId>>) -> Containment {
    let mut closed = Containment::new();
    for start in direct.keys() {
        let mut seen = BTreeSet::new();
        let mut frontier: Vec<&NodeId> = vec![start];
        while let Some(node) = frontier.pop() {
            for outer in direct.get(node).into_iter().flatten() {
                if seen.insert(outer.clone()) {
                    frontier.push(outer);
                }
            }
        }
        closed.insert(start.clone(), seen);
    }
    closed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Label;

    fn claim(key: &str, attribute: &str, value: ClaimValue) -> Claim {
        Claim {
            id: NodeId::new(Label::Claim, key),
            statement: key.into(),
            subject: NodeId::new(Label::Event, "meeting"),
            attribute: attribute.into(),
            value,
            value_inferred: None,
            qualifier: None,
            valid_from: None,
            valid_to: None,
        }
    }

    fn entity(label: Label, key: &str) -> ClaimValue {
        ClaimValue::Entity(NodeId::new(label, key))
    }

    #[test]
    fn different_initiators_conflict() {
        let iran = claim("a", "initiator", entity(Label::Organization, "iran"));
        let musk = claim("b", "initiator", entity(Label::Person, "musk"));
        assert_eq!(
            relate(&iran, &musk, &Containment::new()),
            Relation::Conflicts
        );
    }

    #[test]
    fn a_place_within_another_refines_it() {
        let direct = BTreeMap::from([
            (
                NodeId::new(Label::Place, "residence"),
                BTreeSet::from([NodeId::new(Label::Place, "new-york")]),
            ),
            (
                NodeId::new(Label::Place, "new-york"),
                BTreeSet::from([NodeId::new(Label::Place, "usa")]),
            ),
        ]);
        let closed = containment(&direct);
        let residence = claim("a", "location", entity(Label::Place, "residence"));
        let city = claim("b", "location", entity(Label::Place, "new-york"));
        let country = claim("c", "location", entity(Label::Place, "usa"));
        assert_eq!(relate(&residence, &city, &closed), Relation::Refines);
        assert_eq!(relate(&country, &residence, &closed), Relation::RefinedBy);
    }

    #[test]
    fn many_valued_attributes_and_other_times_never_conflict() {
        let a = claim("a", "topic", ClaimValue::Text("tensions".into()));
        let b = claim("b", "topic", ClaimValue::Text("sanctions".into()));
        assert_eq!(relate(&a, &b, &Containment::new()), Relation::Compatible);
        let mut then = claim("c", "duration", ClaimValue::Text("an hour".into()));
        let now = claim("d", "duration", ClaimValue::Text("two hours".into()));
        then.valid_from = Some("2023".parse().unwrap());
        assert_eq!(
            relate(&then, &now, &Containment::new()),
            Relation::Compatible
        );
    }
}
