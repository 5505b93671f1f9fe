//! GraphQL over HTTP, as the GraphQL-over-HTTP specification asks: `POST` with a JSON body
//! (`application/json` only, so that a cross-site form cannot post), `GET` with the query
//! in the URL for queries (never mutations), the answer's media type chosen by `Accept`,
//! and every failure a GraphQL-shaped JSON error with a code.

use async_graphql::parser::types::OperationType;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Map, Value};
use tracing::Instrument;

use super::AppState;
use crate::auth::{bearer, Access, Refusal};
use crate::graphql::ApiError;

/// The media types of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// `application/graphql-response+json`: request errors get a 4xx status.
    GraphqlResponse,
    /// `application/json`: always 200 once the request is well formed.
    Json,
}

impl Format {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Format::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        })
    }
}

/// The format `Accept` asks for, in the client's order; `application/json` when it names
/// none (or anything); `None` when it names only types this server cannot give.
fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Format::Json);
    };
    let mut wildcard = false;
    for range in accept.split(',') {
        let media = range.split(';').next().unwrap_or_default().trim();
        match media.to_ascii_lowercase().as_str() {
            "application/graphql-response+json" => return Some(Format::GraphqlResponse),
            "application/json" => return Some(Format::Json),
            "*/*" | "application/*" => wildcard = true,
            _ => {}
        }
    }
    (wildcard || accept.trim().is_empty()).then_some(Format::Json)
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/html"))
}

/// A request refused before GraphQL runs, as a GraphQL-shaped JSON answer.
pub(super) fn error_response(status: StatusCode, error: ApiError) -> Response<Body> {
    request_error(status, Format::Json, error)
}

fn request_error(status: StatusCode, format: Format, error: ApiError) -> Response<Body> {
    let body = serde_json::json!({ "errors": [error.into_server_error()] });
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, format.content_type());
    response
}

/// What the request's token allows.
fn access(state: &AppState, headers: &HeaderMap) -> Result<Access, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer);
    state.settings.tokens.access(token)
}

/// 401, with the scheme the client should use.
fn refused(refusal: Refusal) -> Response<Body> {
    match refusal {
        Refusal::Unauthenticated => {
            let mut response = error_response(StatusCode::UNAUTHORIZED, ApiError::Unauthenticated);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// The GraphQL request in a JSON object: `query` a string, `variables` and `extensions`
/// objects or null, `operationName` a string or null.
fn graphql_request(body: Value) -> Result<async_graphql::Request, String> {
    let Value::Object(mut fields) = body else {
        return Err("the body must be a JSON object (batches are not accepted)".into());
    };
    let query = match fields.remove("query") {
        Some(Value::String(query)) if !query.trim().is_empty() => query,
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err("the request has no `query`".into())
        }
        Some(_) => return Err("`query` must be a string".into()),
    };
    let object = |fields: &mut Map<String, Value>, name: &str| match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(Value::Object(map))),
        Some(_) => Err(format!("`{name}` must be an object")),
    };
    let variables = object(&mut fields, "variables")?;
    let extensions = object(&mut fields, "extensions")?;
    let operation = match fields.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => return Err("`operationName` must be a string".into()),
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(variables) = variables {
        request = request.variables(async_graphql::Variables::from_json(variables));
    }
    if let Some(Value::Object(extensions)) = extensions {
        for (name, value) in extensions {
            if let Ok(value) = async_graphql::Value::from_json(value) {
                request.extensions.insert(name, value);
            }
        }
    }
    if let Some(operation) = operation {
        request = request.operation_name(operation);
    }
    Ok(request)
}

/// The operation a request would run is a mutation (for `GET`, which must not write).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    document
        .operations
        .iter()
        .find(|(name, _)| match &request.operation_name {
            Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
            None => true,
        })
        .is_some_and(|(_, operation)| operation.node.ty == OperationType::Mutation)
}

async fn execute(
    state: &AppState,
    format: Format,
    access: Access,
    request: async_graphql::Request,
) -> Response<Body> {
    if let Some(name) = &request.operation_name {
        tracing::Span::current().record("operation", name.as_str());
    }
    let response = match execute_apart(state, request.data(access)).await {
        Ok(response) => response,
        Err(failure) => return failure,
    };
    // A response without data is a request error (it did not parse, validate or fit the
    // bounds): the new media type says so with 400 and leaves `data` out.
    let refused_before_running = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // Serialised straight from the response, whose objects keep the order of the query's
    // fields (a `serde_json::Value` would sort them by name).
    let refused = refused_before_running && format == Format::GraphqlResponse;
    let serialised = if refused {
        serde_json::to_string(&RefusedBody {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_string(&response)
    };
    let body = match serialised {
        Ok(body) => body,
        Err(error) => {
            let error = ApiError::Internal(error.to_string());
            tracing::error!(?error, "an answer did not serialise");
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, error);
        }
    };
    let status = if refused {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let limit = state.settings.max_response_bytes;
    if body.len() as u64 > limit {
        let error = ApiError::QueryTooLarge {
            bound: crate::graphql::Bound::MaxResponseBytes,
            limit,
            value: body.len() as u64,
        };
        return request_error(StatusCode::OK, format, error);
    }
    let mut answer = (status, body).into_response();
    answer
        .headers_mut()
        .insert(header::CONTENT_TYPE, format.content_type());
    answer
}

/// A request refused before it ran, in the new media type: no `data` member at all.
#[derive(serde::Serialize)]
struct RefusedBody<'a> {
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// Runs a request on a task of its own, so that the request deadline (tower's timeout, which
/// only fires when the handler's task is polled) holds even while execution is busy on a
/// CPU, and stops the work when the deadline drops the handler. A panic in the task becomes
/// a JSON 500.
async fn execute_apart(
    state: &AppState,
    request: async_graphql::Request,
) -> Result<async_graphql::Response, Response<Body>> {
    let schema = state.schema.clone();
    let task = tokio::spawn(
        async move { schema.execute(request).await }.instrument(tracing::Span::current()),
    );
    let task = AbortOnDrop(task);
    match task.await {
        Ok(response) => Ok(response),
        Err(error) => {
            tracing::error!(%error, "a request's execution failed");
            Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ApiError::Internal(error.to_string()),
            ))
        }
    }
}

/// A task that is aborted when whoever awaits it gives up.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// 406: `Accept` names only types this server cannot give.
fn not_acceptable() -> Response<Body> {
    request_error(
        StatusCode::NOT_ACCEPTABLE,
        Format::Json,
        ApiError::BadRequest(
            "this server answers application/graphql-response+json or application/json".into(),
        ),
    )
}

/// `POST /graphql`: a JSON body, never a form.
pub(super) async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let format = match negotiate(&headers) {
        Some(format) => format,
        None => return not_acceptable(),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if !matches!(
        content_type.as_deref(),
        Some("application/json" | "application/graphql-response+json")
    ) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format,
            ApiError::BadRequest(String::from(
                "a GraphQL POST must have `Content-Type: application/json`",
            )),
        );
    }
    let access = match access(&state, &headers) {
        Ok(access) => access,
        Err(refusal) => return refused(refusal),
    };
    let request = serde_json::from_slice::<Value>(&body)
        .map_err(|e| format!("the body is not JSON: {e}"))
        .and_then(graphql_request);
    match request {
        Ok(request) => execute(&state, format, access, request).await,
        Err(message) => request_error(
            StatusCode::BAD_REQUEST,
            format,
            ApiError::BadRequest(String::from(&message)),
        ),
    }
}

/// `GET /graphql`: a query in the URL runs (a mutation is refused with 405); without one,
/// a browser asking for HTML gets GraphiQL.
pub(super) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(parameters): RawQuery,
) -> Response<Body> {
    let parameters: Vec<(String, String)> = parameters
        .as_deref()
        .map(|p| form_urlencoded::parse(p.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let has_query = parameters.iter().any(|(name, _)| name == "query");
    if !has_query && accepts_html(&headers) {
        return super::graphiql::page().into_response();
    }
    let format = match negotiate(&headers) {
        Some(format) => format,
        None => return not_acceptable(),
    };
    let access = match access(&state, &headers) {
        Ok(access) => access,
        Err(refusal) => return refused(refusal),
    };
    let mut body = Map::new();
    for (name, value) in parameters {
        let value = match name.as_str() {
            "variables" | "extensions" => match serde_json::from_str::<Value>(&value) {
                Ok(parsed) => parsed,
                Err(_) => {
                    let message = format!("`{name}` must be a JSON object");
                    return request_error(
                        StatusCode::BAD_REQUEST,
                        format,
                        ApiError::BadRequest(String::from(&message)),
                    );
                }
            },
            _ => Value::String(value),
        };
        body.insert(name, value);
    }
    let request = match graphql_request(Value::Object(body)) {
        Ok(request) => request,
        Err(message) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                format,
                ApiError::BadRequest(String::from(&message)),
            )
        }
    };
    if is_mutation(&request) {
        let mut refused = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            format,
            ApiError::BadRequest(String::from("mutations are only accepted by POST")),
        );
        refused
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return refused;
    }
    execute(&state, format, access, request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_answer_follows_accept_in_the_clients_order() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Format::Json));
        assert_eq!(negotiate(&accept("application/json")), Some(Format::Json));
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(Format::GraphqlResponse)
        );
        assert_eq!(negotiate(&accept("*/*")), Some(Format::Json));
        assert_eq!(negotiate(&accept("text/html")), None);
    }

    #[test]
    fn a_request_body_is_checked_field_by_field() {
        assert!(graphql_request(serde_json::json!({ "query": "{ __typename }" })).is_ok());
        assert!(
            graphql_request(serde_json::json!({ "query": "{ a }", "variables": null })).is_ok()
        );
        assert!(graphql_request(serde_json::json!({})).is_err());
        assert!(graphql_request(serde_json::json!({ "query": 1 })).is_err());
        assert!(
            graphql_request(serde_json::json!({ "query": "{ a }", "variables": "x" })).is_err()
        );
        assert!(graphql_request(serde_json::json!([{ "query": "{ a }" }])).is_err());
    }

    #[test]
    fn the_selected_operation_decides_whether_a_get_would_write() {
        let named = |query: &str, name: Option<&str>| {
            let mut request = async_graphql::Request::new(query);
            if let Some(name) = name {
                request = request.operation_name(name);
            }
            is_mutation(&request)
        };
        assert!(named("mutation { a }", None));
        assert!(!named("{ a }", None));
        assert!(named("query Q { a } mutation M { b }", Some("M")));
        assert!(!named("query Q { a } mutation M { b }", Some("Q")));
    }
}
