//! The HTTP layer: the only module that knows axum. GraphiQL at `GET /graphql`, queries at
//! `POST /graphql`, subscriptions over WebSocket at `/graphql/ws`, liveness at `/healthz`.

use std::future::Future;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse, GraphQLSubscription};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::graphql::KgSchema;

/// How long one HTTP request may take before the server answers 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request body accepted (a bulk import of many reports fits; 413 beyond).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("kg")
            .finish(),
    )
}

async fn graphql(State(schema): State<KgSchema>, request: GraphQLRequest) -> GraphQLResponse {
    schema.execute(request.into_inner()).await.into()
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// The router, over a schema.
pub fn router(schema: KgSchema) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route_service("/graphql/ws", GraphQLSubscription::new(schema.clone()))
        .route("/healthz", get(healthz))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(schema)
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    schema: KgSchema,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(schema))
        .with_graceful_shutdown(shutdown)
        .await
}
