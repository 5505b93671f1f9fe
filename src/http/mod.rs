//! The HTTP layer: the only module that knows axum. GraphQL over HTTP at `/graphql`
//! (`POST`, and `GET` for queries), GraphiQL for browsers at `GET /graphql`, subscriptions
//! over WebSocket at `/graphql/ws` (both protocols), liveness at `/healthz`, readiness at
//! `/readyz`, Prometheus metrics at `/metrics`.

mod graphiql;
mod graphql;
mod serve;
mod websocket;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, Method, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::TokenPolicy;
use crate::graphql::KgExecutor;
use crate::metrics::Metrics;

pub use serve::serve;

/// Which browser origins may call the API.
#[derive(Clone, Debug, Default)]
pub struct CorsSettings {
    /// Exact origins (`https://app.example.org`); none means no cross-origin calls.
    pub origins: Vec<String>,
    /// Whether those origins may send credentials.
    pub credentials: bool,
}

/// The transport's settings.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// How long one request may take before the server answers 408.
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// How long a WebSocket may wait before `connection_init`.
    pub ws_init_timeout: Duration,
    /// The largest request body.
    pub max_body_bytes: usize,
    /// The largest answer.
    pub max_response_bytes: u64,
    pub cors: CorsSettings,
    pub tokens: TokenPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            ws_init_timeout: Duration::from_secs(10),
            max_body_bytes: 32 * 1024 * 1024,
            max_response_bytes: 8 * 1024 * 1024,
            cors: CorsSettings::default(),
            tokens: TokenPolicy::new(&[], &[], true),
        }
    }
}

/// Whether the store answers: `/readyz` asks it, with a deadline.
pub trait Readiness: Send + Sync {
    fn check(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

/// What the HTTP layer serves: the schema, the store's readiness, the metrics.
#[derive(Clone)]
pub struct Backend {
    pub schema: KgExecutor,
    pub readiness: Arc<dyn Readiness>,
    pub metrics: Arc<Metrics>,
}

/// What every handler shares.
#[derive(Clone)]
struct AppState {
    schema: KgExecutor,
    settings: Arc<HttpSettings>,
    readiness: Arc<dyn Readiness>,
    metrics: Arc<Metrics>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// 200 when the store answers within two seconds, 503 otherwise; never the reason, which
/// is logged.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = tokio::time::timeout(Duration::from_secs(2), state.readiness.check())
        .await
        .unwrap_or(false);
    if ready {
        (StatusCode::OK, "ready")
    } else {
        tracing::warn!("not ready: the store does not answer");
        (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer")
    }
}

/// The Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

/// The request deadline's empty 408 as a GraphQL-shaped answer with a code, like every
/// other refusal.
async fn coded_timeout(response: Response<Body>) -> Response<Body> {
    if response.status() != StatusCode::REQUEST_TIMEOUT {
        return response;
    }
    tracing::warn!("a request ran past its deadline");
    graphql::error_response(
        StatusCode::REQUEST_TIMEOUT,
        crate::graphql::ApiError::Timeout,
    )
}

/// A panic anywhere in a request becomes a JSON 500 with a code; the server keeps serving.
fn panic_response(cause: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let cause = cause
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| cause.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(cause, "a request panicked");
    graphql::error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        crate::graphql::ApiError::Internal(cause.to_string()),
    )
}

fn cors_layer(settings: &CorsSettings) -> CorsLayer {
    let origins: Vec<HeaderValue> = settings
        .origins
        .iter()
        .filter_map(|origin| match HeaderValue::from_str(origin) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(origin, "not a valid origin; ignored");
                None
            }
        })
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            REQUEST_ID,
        ])
        .expose_headers([REQUEST_ID])
        .allow_credentials(settings.credentials)
        .max_age(Duration::from_secs(600))
}

/// The router, over what it serves.
pub fn router(backend: Backend, settings: HttpSettings) -> Router {
    let state = AppState {
        schema: backend.schema,
        settings: Arc::new(settings.clone()),
        readiness: backend.readiness,
        metrics: backend.metrics,
    };
    let trace = TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<Body>| {
        let id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            request_id = %id,
            method = %request.method(),
            path = %request.uri().path(),
            operation = tracing::field::Empty,
        )
    });
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/graphiql/{name}", get(graphiql::asset))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(axum::middleware::map_response(coded_timeout))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .layer(cors_layer(&settings.cors))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_json_500_with_a_code_and_no_cause() {
        let response = panic_response(Box::new("index out of bounds in /src/secret.rs"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
        assert!(!body.to_string().contains("secret"), "{body}");
    }
}
