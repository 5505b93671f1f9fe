//! Possible duplicates: entities of one kind whose names or aliases are the same once
//! case, diacritics and punctuation are set aside. Only ever suggested; merging is an
//! importer's decision (`Importer::merge_entities`).

use std::collections::BTreeMap;

use crate::model::{Label, NodeId};
use crate::store::search::words;
use crate::store::EntityNames;

/// Entities that share one or more normalised names.
#[derive(Clone, Debug, PartialEq)]
pub struct DuplicateGroup {
    /// The normalised names they share, in order.
    pub matched_on: Vec<String>,
    /// Each entity with its names (name or alias, as stored) that matched, in id order.
    pub entities: Vec<(NodeId, Vec<String>)>,
}

/// A name as duplicates are matched: its words, lower case, without diacritics, the way
/// search matches them ("Amir-Saeid Iravani" and "amir saeid iravani" are one).
pub fn normalise(name: &str) -> String {
    words(name).join(" ")
}

/// The groups of entities that share a normalised name, ordered by that name; entities that
/// share several names form one group.
pub fn possible_duplicates(names: &[EntityNames]) -> Vec<DuplicateGroup> {
    // (kind, normalised name) -> entity -> the stored names that normalise to it.
    let mut by_name: BTreeMap<(Label, String), BTreeMap<NodeId, Vec<String>>> = BTreeMap::new();
    for entity in names {
        for name in std::iter::once(&entity.name).chain(&entity.aliases) {
            let key = normalise(name);
            if key.is_empty() {
                continue;
            }
            let found = by_name
                .entry((entity.id.label(), key))
                .or_default()
                .entry(entity.id.clone())
                .or_default();
            if !found.contains(name) {
                found.push(name.clone());
            }
        }
    }
    let mut groups: BTreeMap<Vec<NodeId>, DuplicateGroup> = BTreeMap::new();
    for ((_, key), entities) in by_name {
        if entities.len() < 2 {
            continue;
        }
        let ids: Vec<NodeId> = entities.keys().cloned().collect();
        let group = groups.entry(ids).or_insert_with(|| DuplicateGroup {
            matched_on: Vec::new(),
            entities: entities.keys().map(|id| (id.clone(), Vec::new())).collect(),
        });
        group.matched_on.push(key);
        for (slot, (_, matched)) in group.entities.iter_mut().zip(entities) {
            for name in matched {
                if !slot.1.contains(&name) {
                    slot.1.push(name);
                }
            }
        }
    }
    let mut groups: Vec<DuplicateGroup> = groups.into_values().collect();
    groups.sort_by(|a, b| a.matched_on.cmp(&b.matched_on));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(label: Label, key: &str, name: &str, aliases: &[&str]) -> EntityNames {
        EntityNames {
            id: NodeId::new(label, key),
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn names_match_across_case_diacritics_and_punctuation_within_one_kind() {
        let names = [
            named(Label::Person, "musk", "Elon Musk", &[]),
            named(Label::Person, "e-musk", "ELON  MUSK.", &["Musk"]),
            named(Label::Person, "iravani", "Amir Saeid Iravani", &[]),
            named(Label::Person, "iravani-2", "Amir-Saeid Iraváni", &[]),
            named(Label::Organization, "musk-org", "Elon Musk", &[]),
            named(Label::Person, "someone", "Someone Else", &[]),
        ];
        let groups = possible_duplicates(&names);
        assert_eq!(groups.len(), 2, "{groups:#?}");
        assert_eq!(groups[0].matched_on, ["amir saeid iravani"]);
        assert_eq!(
            groups[0].entities[1],
            (
                NodeId::new(Label::Person, "iravani-2"),
                vec!["Amir-Saeid Iraváni".to_string()]
            )
        );
        // The organisation of the same name is another kind: not a duplicate.
        assert_eq!(groups[1].matched_on, ["elon musk"]);
        let ids: Vec<&str> = groups[1].entities.iter().map(|(id, _)| id.key()).collect();
        assert_eq!(ids, ["e-musk", "musk"]);
    }

    #[test]
    fn entities_sharing_several_names_form_one_group() {
        let names = [
            named(Label::Place, "ny", "New York", &["NYC"]),
            named(Label::Place, "nyc", "New York City", &["New York", "nyc"]),
        ];
        let groups = possible_duplicates(&names);
        assert_eq!(groups.len(), 1, "{groups:#?}");
        assert_eq!(groups[0].matched_on, ["new york", "nyc"]);
        assert_eq!(groups[0].entities[1].1, ["New York", "nyc"]);
    }
}
