//! The order of a root object's fields in the answer.
//!
//! `Query` is a merged object, and async-graphql answers a merged object part by part, so
//! `{ zeta: statusRule { version } events { totalCount } alpha: statusRule { version } }`
//! would come back as zeta, alpha, events. The spec has an answer's fields in the order the
//! selection set asks for them; this puts the root's back in that order.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection};
use async_graphql::{Name, Value};

/// The response keys of the operation's root selection set, in the query's order
/// (fragments spread where they stand, each key once).
pub(super) fn response_keys(document: &ExecutableDocument, operation: Option<&str>) -> Vec<Name> {
    let definition = match (&document.operations, operation) {
        (DocumentOperations::Single(definition), _) => definition,
        (DocumentOperations::Multiple(definitions), Some(name)) => match definitions.get(name) {
            Some(definition) => definition,
            None => return Vec::new(),
        },
        (DocumentOperations::Multiple(definitions), None) if definitions.len() == 1 => {
            match definitions.values().next() {
                Some(definition) => definition,
                None => return Vec::new(),
            }
        }
        (DocumentOperations::Multiple(_), None) => return Vec::new(),
    };
    let mut keys = Vec::new();
    collect(
        document,
        &definition.node.selection_set.node.items,
        &mut keys,
        0,
    );
    keys
}

/// Fragments nest at most this deep here; validation refuses cycles later, and deeper
/// nesting only loses the order, never a field.
const MAX_FRAGMENT_NESTING: usize = 16;

fn collect(
    document: &ExecutableDocument,
    selections: &[async_graphql::Positioned<Selection>],
    keys: &mut Vec<Name>,
    nesting: usize,
) {
    for selection in selections {
        match &selection.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.clone();
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            Selection::InlineFragment(fragment) if nesting < MAX_FRAGMENT_NESTING => collect(
                document,
                &fragment.node.selection_set.node.items,
                keys,
                nesting + 1,
            ),
            Selection::FragmentSpread(spread) if nesting < MAX_FRAGMENT_NESTING => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(
                        document,
                        &fragment.node.selection_set.node.items,
                        keys,
                        nesting + 1,
                    );
                }
            }
            _ => {}
        }
    }
}

/// Puts the fields of `data` (the root object) in the order of `keys`; fields `keys` does
/// not name keep their place after them.
pub(super) fn reorder(data: &mut Value, keys: &[Name]) {
    let Value::Object(fields) = data else {
        return;
    };
    if keys.len() < 2 {
        return;
    }
    let mut rest = std::mem::take(fields);
    for key in keys {
        if let Some(value) = rest.shift_remove(key) {
            fields.insert(key.clone(), value);
        }
    }
    fields.extend(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn keys(query: &str, operation: Option<&str>) -> Vec<String> {
        let document = parse_query(query).expect("a valid query");
        response_keys(&document, operation)
            .iter()
            .map(|k| k.to_string())
            .collect()
    }

    #[test]
    fn keys_follow_the_query_through_aliases_and_fragments() {
        let query = "query A { b: events { totalCount } ...F c: statusRule { version } }
                     query B { x: attributes { name } }
                     fragment F on Query { a: people { totalCount } ... on Query { b: events { totalCount } d: places { totalCount } } }";
        assert_eq!(keys(query, Some("A")), ["b", "a", "d", "c"]);
        assert_eq!(keys(query, Some("B")), ["x"]);
        assert!(keys(query, None).is_empty(), "two operations and no name");
        assert!(keys(query, Some("C")).is_empty());
    }

    #[test]
    fn reorder_puts_named_fields_first_in_order_and_keeps_the_rest() {
        let mut data =
            Value::from_json(serde_json::json!({"c": 1, "a": 2, "z": 3, "b": 4})).expect("json");
        let order: Vec<Name> = ["a", "b", "c"].into_iter().map(Name::new).collect();
        reorder(&mut data, &order);
        let Value::Object(fields) = data else {
            panic!("an object")
        };
        let got: Vec<&str> = fields.keys().map(|k| k.as_str()).collect();
        assert_eq!(got, ["a", "b", "c", "z"]);
    }
}
