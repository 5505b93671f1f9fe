//! What a query may cost, counted on its parsed document before anything else runs.
//!
//! async-graphql's own complexity counts fields, not page sizes, and walks a fragment once
//! per spread, so a 1 KB document of fragments that each spread the previous one twice
//! expands to millions of fields. Here every fragment is measured once and remembered, so
//! the count is linear in the document however far it fans out, and a list field costs its
//! page size times its children:
//! - a field with `first` or `last` multiplies its children by that number (or by the
//!   argument's default, or by the connection default when it has none);
//! - `nodes(ids:)` multiplies by the number of ids;
//! - any other list of objects is assumed to hold [`ASSUMED_LIST_SIZE`] items, except the
//!   lists of a page object itself (a connection's `edges` and `nodes`, a subgraph's),
//!   which the page size bounds.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, FragmentDefinition, Selection, SelectionSet, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{Name, Request, ServerError, Value, Variables};

use super::connection::DEFAULT_PAGE_SIZE;
use super::errors::{ApiError, Bound};

/// How many items a list without a page size is assumed to hold.
pub const ASSUMED_LIST_SIZE: u64 = 5;

/// The bounds on one query, each refused before execution with `LIMIT_EXCEEDED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// The most a query may cost: one per field, times the page sizes above it.
    pub max_cost: u64,
    /// The deepest nesting of fields, fragments expanded.
    pub max_depth: u64,
    /// The most aliases, fragments expanded.
    pub max_aliases: u64,
    /// The most fields, fragments expanded (page sizes not counted).
    pub max_fields: u64,
    /// The most directives on one field.
    pub max_directives: u64,
    /// The longest query document, in bytes (variables not counted): refused before it is
    /// parsed.
    pub max_query_bytes: u64,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_cost: 250_000,
            max_depth: 16,
            max_aliases: 100,
            max_fields: 2_000,
            max_directives: 4,
            max_query_bytes: 100_000,
        }
    }
}

/// The measure of one selection, fragments expanded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub cost: u64,
    pub fields: u64,
    pub aliases: u64,
    pub depth: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.cost = self.cost.saturating_add(other.cost);
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
    }
}

/// What the cost model needs to know of one field of the schema.
#[derive(Clone, Debug)]
struct FieldShape {
    /// The named type under any list and non-null wrappers.
    type_name: String,
    list: bool,
    /// The default page size when the field takes `first`/`last`.
    page_default: Option<u64>,
}

/// Every object and interface field's shape, read from the schema's SDL.
#[derive(Debug, Default)]
pub struct Shapes {
    fields: HashMap<String, HashMap<String, FieldShape>>,
}

impl Shapes {
    /// Reads the shapes of a schema's SDL.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut fields = HashMap::new();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return Self::default();
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = ty.node;
            let definitions = match ty.kind {
                TypeKind::Object(object) => object.fields,
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            let shapes = definitions
                .into_iter()
                .map(|field| {
                    let field = field.node;
                    let page_default = field
                        .arguments
                        .iter()
                        .find(|a| matches!(a.node.name.node.as_str(), "first" | "last"))
                        .map(|a| {
                            a.node
                                .default_value
                                .as_ref()
                                .and_then(|v| count(&v.node))
                                .unwrap_or(DEFAULT_PAGE_SIZE as u64)
                        });
                    let (type_name, list) = named_type(&field.ty.node.base);
                    let shape = FieldShape {
                        type_name,
                        list,
                        page_default,
                    };
                    (field.name.node.to_string(), shape)
                })
                .collect();
            fields.insert(ty.name.node.to_string(), shapes);
        }
        Self { fields }
    }

    fn field(&self, type_name: &str, field: &str) -> Option<&FieldShape> {
        self.fields.get(type_name)?.get(field)
    }
}

fn named_type(base: &BaseType) -> (String, bool) {
    match base {
        BaseType::Named(name) => (name.to_string(), false),
        BaseType::List(inner) => (named_type(&inner.base).0, true),
    }
}

fn count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::List(items) => Some(items.len() as u64),
        _ => None,
    }
}

/// Measures a document: the largest of its operations, fragments expanded once each.
/// A field with more directives than allowed is refused at once.
pub fn measure(
    shapes: &Shapes,
    document: &ExecutableDocument,
    variables: &Variables,
    limits: &QueryLimits,
) -> Result<Tally, ApiError> {
    let mut measure = Measure {
        shapes,
        document,
        variables,
        limits,
        fragments: HashMap::new(),
        open: HashSet::new(),
    };
    let mut largest = Tally::default();
    for (_, operation) in document.operations.iter() {
        let root = match operation.node.ty {
            async_graphql::parser::types::OperationType::Query => "Query",
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            async_graphql::parser::types::OperationType::Subscription => "Subscription",
        };
        let tally = measure.selection_set(&operation.node.selection_set.node, root, false)?;
        largest = Tally {
            cost: largest.cost.max(tally.cost),
            fields: largest.fields.max(tally.fields),
            aliases: largest.aliases.max(tally.aliases),
            depth: largest.depth.max(tally.depth),
        };
    }
    Ok(largest)
}

/// Refuses a tally over any limit, naming the first one it exceeds.
pub fn check(tally: &Tally, limits: &QueryLimits) -> Result<(), ApiError> {
    let checks = [
        (Bound::MaxDepth, tally.depth, limits.max_depth),
        (Bound::MaxAliases, tally.aliases, limits.max_aliases),
        (Bound::MaxFields, tally.fields, limits.max_fields),
        (Bound::MaxCost, tally.cost, limits.max_cost),
    ];
    for (bound, value, limit) in checks {
        if value > limit {
            return Err(ApiError::QueryTooLarge {
                bound,
                limit,
                value,
            });
        }
    }
    Ok(())
}

struct Measure<'a> {
    shapes: &'a Shapes,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    limits: &'a QueryLimits,
    /// Fragments already measured, by name and by whether they sit directly in a page.
    fragments: HashMap<(Name, bool), Tally>,
    /// Fragments being measured: a spread of one of these is a cycle, which validation
    /// refuses later; it counts nothing here.
    open: HashSet<(Name, bool)>,
}

impl Measure<'_> {
    fn selection_set(
        &mut self,
        set: &SelectionSet,
        type_name: &str,
        in_page: bool,
    ) -> Result<Tally, ApiError> {
        let mut tally = Tally::default();
        for selection in &set.items {
            let part = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let directives = field.directives.len() as u64;
                    if directives > self.limits.max_directives {
                        return Err(ApiError::QueryTooLarge {
                            bound: Bound::MaxDirectives,
                            limit: self.limits.max_directives,
                            value: directives,
                        });
                    }
                    let shape = self
                        .shapes
                        .field(type_name, field.name.node.as_str())
                        .cloned();
                    let children = match &shape {
                        Some(shape) if !field.selection_set.node.items.is_empty() => self
                            .selection_set(
                                &field.selection_set.node,
                                &shape.type_name,
                                // A page object (a connection) holds the page in its lists;
                                // a paged list holds items, whose own lists are theirs.
                                shape.page_default.is_some() && !shape.list,
                            )?,
                        _ => Tally::default(),
                    };
                    let multiplier = match &shape {
                        Some(shape) => self.multiplier(field, shape, in_page),
                        None => 1,
                    };
                    Tally {
                        cost: children.cost.saturating_mul(multiplier).saturating_add(1),
                        fields: children.fields.saturating_add(1),
                        aliases: children
                            .aliases
                            .saturating_add(u64::from(field.alias.is_some())),
                        depth: children.depth + 1,
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.clone();
                    match self.document.fragments.get(&name) {
                        Some(fragment) => self.fragment(name, &fragment.node, in_page)?,
                        None => Tally::default(),
                    }
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let on = inline
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.to_string())
                        .unwrap_or_else(|| type_name.to_string());
                    self.selection_set(&inline.selection_set.node, &on, in_page)?
                }
            };
            tally.add(part);
        }
        Ok(tally)
    }

    fn fragment(
        &mut self,
        name: Name,
        fragment: &FragmentDefinition,
        in_page: bool,
    ) -> Result<Tally, ApiError> {
        let key = (name, in_page);
        if let Some(tally) = self.fragments.get(&key) {
            return Ok(*tally);
        }
        if !self.open.insert(key.clone()) {
            return Ok(Tally::default());
        }
        let on = fragment.type_condition.node.on.node.to_string();
        let tally = self.selection_set(&fragment.selection_set.node, &on, in_page)?;
        self.open.remove(&key);
        self.fragments.insert(key, tally);
        Ok(tally)
    }

    /// How many times a field's children are produced.
    fn multiplier(
        &self,
        field: &async_graphql::parser::types::Field,
        shape: &FieldShape,
        in_page: bool,
    ) -> u64 {
        let argument = |name: &str| {
            field
                .arguments
                .iter()
                .find(|(n, _)| n.node.as_str() == name)
                .and_then(|(_, value)| {
                    let value = value.node.clone().into_const_with(|variable| {
                        self.variables.get(&variable).cloned().ok_or(())
                    });
                    value.ok()
                })
                .and_then(|value| count(&value))
        };
        if let Some(default) = shape.page_default {
            return argument("first")
                .or_else(|| argument("last"))
                .unwrap_or(default)
                .max(1);
        }
        if let Some(ids) = argument("ids") {
            return ids.max(1);
        }
        if shape.list && !in_page {
            ASSUMED_LIST_SIZE
        } else {
            1
        }
    }
}

/// Refuses a document over the query limits before async-graphql checks, validates or
/// executes it, all of which would expand its fragments.
pub struct CostLimits {
    shapes: Shapes,
    limits: QueryLimits,
}

impl CostLimits {
    pub fn new(shapes: Shapes, limits: QueryLimits) -> Self {
        Self { shapes, limits }
    }

    /// Refuses a document over the bounds before async-graphql sees it: its own checks
    /// after parsing (nesting, directives) walk a fragment once per spread, so a document
    /// must be measured first. The document parsed here is kept on the request and not
    /// parsed again.
    pub fn check(&self, request: &mut Request) -> Result<(), ServerError> {
        let length = request.query.len() as u64;
        if length > self.limits.max_query_bytes {
            return Err(ApiError::QueryTooLarge {
                bound: Bound::MaxQueryBytes,
                limit: self.limits.max_query_bytes,
                value: length,
            }
            .into_server_error());
        }
        let variables = request.variables.clone();
        let document = request.parsed_query()?;
        let tally = measure(&self.shapes, document, &variables, &self.limits)
            .map_err(ApiError::into_server_error)?;
        check(&tally, &self.limits).map_err(ApiError::into_server_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = "
        type Query { claims(first: Int, last: Int): ClaimConnection! nodes(ids: [ID!]!): [Node]! search(text: String!, first: Int! = 10): [Node!]! }
        type ClaimConnection { edges: [ClaimEdge!]! totalCount: Int! }
        type ClaimEdge { node: Claim! }
        type Claim implements Node { id: ID! status: String! conflictsWith: [Claim!]! claims(first: Int): ClaimConnection! }
        interface Node { id: ID! }
    ";

    fn tally(query: &str, variables: serde_json::Value) -> Result<Tally, ApiError> {
        let document = async_graphql::parser::parse_query(query).expect("the test query parses");
        let variables = Variables::from_json(variables);
        measure(
            &Shapes::from_sdl(SDL),
            &document,
            &variables,
            &QueryLimits::default(),
        )
    }

    #[test]
    fn a_page_multiplies_its_children_by_its_size_and_its_edges_are_not_counted_twice() {
        let t = tally(
            "{ claims(first: 50) { edges { node { id status } } } }",
            serde_json::json!({}),
        )
        .unwrap();
        // claims 1 + 50 x (edges 1 + node 1 + id 1 + status 1)
        assert_eq!(t.cost, 1 + 50 * 4);
        assert_eq!((t.fields, t.depth, t.aliases), (5, 4, 0));
        let default = tally("{ claims { totalCount } }", serde_json::json!({})).unwrap();
        assert_eq!(default.cost, 1 + DEFAULT_PAGE_SIZE as u64);
        let by_variable = tally(
            "query ($n: Int) { claims(last: $n) { totalCount } }",
            serde_json::json!({ "n": 7 }),
        )
        .unwrap();
        assert_eq!(by_variable.cost, 1 + 7);
    }

    #[test]
    fn lists_without_a_page_are_assumed_and_ids_are_counted() {
        let t = tally(
            "{ search(text: \"x\") { id ... on Claim { conflictsWith { id } } } }",
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(t.cost, 1 + 10 * (1 + 1 + ASSUMED_LIST_SIZE));
        let ids = tally(
            "{ nodes(ids: [\"a\", \"b\", \"c\"]) { id } }",
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(ids.cost, 1 + 3);
    }

    #[test]
    fn fragments_that_fan_out_are_counted_without_being_expanded() {
        let mut query = String::from("fragment F0 on Query { __typename }\n");
        for level in 1..=40 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{p} ...F{p} }}\n",
                p = level - 1
            ));
        }
        query.push_str("{ ...F40 }");
        let t = tally(&query, serde_json::json!({})).unwrap();
        assert_eq!(t.fields, 1 << 40);
        let refused = check(&t, &QueryLimits::default()).unwrap_err();
        assert!(matches!(
            refused,
            ApiError::QueryTooLarge {
                bound: Bound::MaxFields,
                ..
            }
        ));
    }

    #[test]
    fn nested_pages_multiply_and_saturate_rather_than_overflow() {
        let mut query = String::from("{ claims(first: 100) { edges { node { ");
        for _ in 0..12 {
            query.push_str("claims(first: 100) { edges { node { ");
        }
        query.push_str("id");
        query.push_str(&" } } }".repeat(13));
        query.push_str(" }");
        let t = tally(&query, serde_json::json!({})).unwrap();
        assert_eq!(t.cost, u64::MAX);
        let refused = check(&t, &QueryLimits::default()).unwrap_err();
        assert!(matches!(
            refused,
            ApiError::QueryTooLarge {
                bound: Bound::MaxDepth,
                ..
            }
        ));
    }

    #[test]
    fn a_cycle_of_fragments_counts_nothing_and_does_not_loop() {
        let t = tally(
            "fragment A on Query { ...B } fragment B on Query { ...A __typename } { ...A }",
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(t.fields, 1);
    }
}
