//! The GraphQL API: the only module that knows async-graphql. It turns requests into
//! batched domain calls and domain results into typed, documented GraphQL objects.

mod analysis;
mod answers;
mod batcher;
mod connection;
mod cost;
mod entity;
mod entity_interface;
mod errors;
mod executor;
mod explanation;
mod ids;
mod import;
mod loaders;
mod merges;
mod mutation;
mod prefetch;
mod provenance;
mod query;
mod root_order;
mod scalars;
mod subscription;
mod walks;

use std::sync::Arc;

use async_graphql::Schema;

pub use cost::QueryLimits;
pub use errors::{ApiError, Bound};
pub use executor::KgExecutor;
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;
pub use walks::WalkLimits;

use crate::domain::Graph;
use crate::import::Importer;
use crate::metrics::Metrics;

/// The executable schema; requests run through [`KgExecutor`], which wraps it.
type KgSchema = Schema<Query, Mutation, Subscription>;

/// What resolvers share: the graph, the importer, and the bounds on queries and walks.
pub struct Services {
    pub graph: Graph,
    pub importer: Arc<Importer>,
    pub walk_limits: WalkLimits,
    pub query_limits: QueryLimits,
    pub metrics: Arc<Metrics>,
    /// How many bytes (of their JSON) of query answers are kept to be given again while the
    /// graph is unchanged; 0 keeps none.
    pub answer_cache_bytes: u64,
}

/// Builds the schema over these services, and what runs requests on it.
pub fn schema(services: Services) -> KgExecutor {
    let schema = Schema::build(Query::default(), Mutation, Subscription)
        .register_output_type::<entity_interface::EntityImplementsNode>()
        .data(services.walk_limits)
        .data(services.graph.clone())
        .data(services.importer)
        .data(Arc::clone(&services.metrics))
        .finish();
    let cost = cost::CostLimits::new(cost::Shapes::from_sdl(&sdl()), services.query_limits);
    KgExecutor::new(
        schema,
        services.graph,
        cost,
        services.metrics,
        services.answer_cache_bytes,
    )
}

/// The schema's SDL, as committed in `schema/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation, Subscription)
        .register_output_type::<entity_interface::EntityImplementsNode>()
        .finish()
        .sdl()
}
