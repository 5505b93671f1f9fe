//! The `Entity` interface: what people, organisations, places and events share, so that a
//! query over any of them (a path's nodes, a neighbourhood, search) is written once.

use std::borrow::Cow;

use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, Interface, OutputType, Positioned, ServerResult, Value};

use super::connection::Page;
use super::entity::{Event, Organization, Person, Place};
use super::provenance::Claim;

/// A person, organisation, place or event: what claims are about and link together.
// The lint reads the derive's repeated `ty = ...` as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(
        name = "id",
        ty = "async_graphql::ID",
        desc = "The global id: opaque, stable across restarts."
    ),
    field(
        name = "key",
        ty = "&str",
        desc = "The caller-supplied key the entity was imported with."
    ),
    field(name = "name", ty = "&str", desc = "The name (an event's title)."),
    field(
        name = "aliases",
        ty = "&[String]",
        desc = "Other names it is known by."
    ),
    field(
        name = "description",
        ty = "Option<&str>",
        desc = "A short description."
    ),
    field(
        name = "claims",
        ty = "Page<Claim>",
        desc = "Claims about it, optionally of one attribute (see `attributes`).",
        arg(name = "attribute", ty = "Option<String>"),
        arg(name = "first", ty = "Option<i32>"),
        arg(name = "after", ty = "Option<String>"),
        arg(name = "last", ty = "Option<i32>"),
        arg(name = "before", ty = "Option<String>")
    ),
    field(
        name = "mentions",
        ty = "Page<Claim>",
        desc = "Claims whose value it is (where it is the place, the employer, the spouse...).",
        arg(name = "attribute", ty = "Option<String>"),
        arg(name = "first", ty = "Option<i32>"),
        arg(name = "after", ty = "Option<String>"),
        arg(name = "last", ty = "Option<i32>"),
        arg(name = "before", ty = "Option<String>")
    )
)]
pub enum Entity {
    Person(Person),
    Organization(Organization),
    Place(Place),
    Event(Event),
}

/// Registers `Entity` as an interface that implements `Node` (GraphQL allows interfaces to
/// implement interfaces; the derive has no attribute for it). Only its type information is
/// used: nothing resolves to it.
pub struct EntityImplementsNode;

impl OutputType for EntityImplementsNode {
    fn type_name() -> Cow<'static, str> {
        Entity::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        let qualified = Entity::create_type_info(registry);
        registry.add_implements(&Entity::type_name(), "Node");
        qualified
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<async_graphql::parser::types::Field>,
    ) -> ServerResult<Value> {
        Ok(Value::Null)
    }
}
