//! The API's one error type. Every error a client sees carries `extensions.code`; a fault
//! below the API (a store outage, a bug) reaches the client as a generic message and a
//! stable code, and its cause goes to the log with the request's span (request id and
//! operation). Masking is a property of [`ApiError`], not of each call site.

use std::sync::Arc;

use async_graphql::{ErrorExtensions, Response, ServerError, Value};

use crate::auth::Access;
use crate::domain::DomainError;
use crate::import::{InputError, PathSegment};
use crate::store::StoreError;

/// The codes of `extensions.code` besides the import ones.
pub mod code {
    /// An id that this server did not issue.
    pub const BAD_ID: &str = "BAD_ID";
    /// A `first` outside 0..=100 or a cursor this server did not issue.
    pub const BAD_PAGINATION: &str = "BAD_PAGINATION";
    /// An HTTP request that is not a GraphQL request: not JSON, no query, a wrong type.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// An argument with a value the server does not accept.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// The query does not parse or does not fit the schema.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The store cannot be reached or did not answer in time; retrying may succeed.
    pub const STORE_UNAVAILABLE: &str = "STORE_UNAVAILABLE";
    /// A fault of the server; the log has its cause.
    pub const INTERNAL: &str = "INTERNAL";
    /// A request over one of the bounds the server enforces; `extensions.bound` names it
    /// and `extensions.limit` gives it.
    pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";
    /// A write without a valid token.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// A token that does not allow what was asked.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// The request ran past the server's deadline; what it started was stopped.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// A subscriber fell behind and missed events; subscribe again and catch up by query.
    pub const SUBSCRIPTION_LAGGED: &str = "SUBSCRIPTION_LAGGED";
}

/// A bound on a whole query, counted before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    MaxCost,
    MaxDepth,
    MaxAliases,
    MaxFields,
    MaxDirectives,
    MaxResponseBytes,
    MaxQueryBytes,
}

impl Bound {
    /// The bound's name in `extensions.bound`, as in README's table.
    pub fn name(self) -> &'static str {
        match self {
            Bound::MaxCost => "maxCost",
            Bound::MaxDepth => "maxDepth",
            Bound::MaxAliases => "maxAliases",
            Bound::MaxFields => "maxFields",
            Bound::MaxDirectives => "maxDirectives",
            Bound::MaxResponseBytes => "maxResponseBytes",
            Bound::MaxQueryBytes => "maxQueryBytes",
        }
    }
}

/// Every error the API gives a client. Deliberately not `Display`: async-graphql turns any
/// `Display` into an error without a code, so the conversion here is the only one.
#[derive(Debug)]
pub enum ApiError {
    /// An HTTP request that is not a well-formed GraphQL request.
    BadRequest(String),
    /// An id this server did not issue.
    BadId(String),
    /// A page size or cursor out of bounds.
    BadPagination(String),
    /// An argument value the server does not accept.
    BadUserInput(String),
    /// A malformed import input, at its path.
    Input(InputError),
    /// An argument over a bound of the server (hops, depth, paths, nodes, listings).
    OverBound {
        argument: String,
        bound: &'static str,
        limit: u64,
    },
    /// A query over a bound counted before it runs.
    QueryTooLarge {
        bound: Bound,
        limit: u64,
        value: u64,
    },
    /// A request without a valid token where one is needed.
    Unauthenticated,
    /// A read token on a write.
    Forbidden,
    /// A subscriber that fell behind by this many events; its subscription ends.
    Lagged(u64),
    /// The request ran past its deadline.
    Timeout,
    /// The store is out of reach; the cause is logged, never shown.
    StoreUnavailable(String),
    /// A fault of the server; the cause is logged, never shown.
    Internal(String),
}

impl ApiError {
    /// The stable code of `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => code::BAD_REQUEST,
            ApiError::BadId(_) => code::BAD_ID,
            ApiError::BadPagination(_) => code::BAD_PAGINATION,
            ApiError::BadUserInput(_) => code::BAD_USER_INPUT,
            ApiError::Input(error) => error.code.as_str(),
            ApiError::OverBound { .. } | ApiError::QueryTooLarge { .. } => code::LIMIT_EXCEEDED,
            ApiError::Unauthenticated => code::UNAUTHENTICATED,
            ApiError::Forbidden => code::FORBIDDEN,
            ApiError::Lagged(_) => code::SUBSCRIPTION_LAGGED,
            ApiError::Timeout => code::TIMEOUT,
            ApiError::StoreUnavailable(_) => code::STORE_UNAVAILABLE,
            ApiError::Internal(_) => code::INTERNAL,
        }
    }

    /// What the client reads: never a host, path, query text or driver message.
    pub fn message(&self) -> String {
        match self {
            ApiError::BadId(id) => format!("`{id}` is not an id of this server"),
            ApiError::BadRequest(message)
            | ApiError::BadPagination(message)
            | ApiError::BadUserInput(message) => message.clone(),
            ApiError::Input(error) => {
                let dotted: Vec<String> = error.path.iter().map(ToString::to_string).collect();
                format!("{}: {}", dotted.join("."), error.message)
            }
            ApiError::OverBound {
                argument,
                bound,
                limit,
            } => format!("`{argument}` is over the server's bound `{bound}` of {limit}"),
            ApiError::QueryTooLarge {
                bound,
                limit,
                value,
            } => format!(
                "the query is over the server's bound `{}` of {limit} (it measures {value})",
                bound.name()
            ),
            ApiError::Unauthenticated => {
                "this needs a token: send `Authorization: Bearer <token>`".into()
            }
            ApiError::Forbidden => "this token may read but not write".into(),
            ApiError::Lagged(missed) => format!(
                "this subscriber fell behind and missed {missed} events; the subscription ends: \
                 subscribe again and query what changed"
            ),
            ApiError::StoreUnavailable(_) => {
                "the store is unavailable; retrying later may succeed".into()
            }
            ApiError::Timeout => {
                "the request ran past the server's deadline and was stopped".into()
            }
            ApiError::Internal(_) => "internal error; the server's log has its cause".into(),
        }
    }

    fn set_extensions(&self, e: &mut async_graphql::ErrorExtensionValues) {
        e.set("code", self.code());
        match self {
            ApiError::Input(error) => e.set("inputPath", Value::List(input_path(&error.path))),
            ApiError::OverBound {
                argument,
                bound,
                limit,
            } => {
                e.set("bound", *bound);
                e.set("limit", *limit);
                e.set("inputPath", vec![Value::from(argument.clone())]);
            }
            ApiError::QueryTooLarge {
                bound,
                limit,
                value,
            } => {
                e.set("bound", bound.name());
                e.set("limit", *limit);
                e.set("value", *value);
            }
            _ => {}
        }
    }

    /// The error as async-graphql's request-level error (outside any resolver).
    pub fn into_server_error(self) -> ServerError {
        let mut error = ServerError::new(self.message(), None);
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        self.set_extensions(&mut extensions);
        error.extensions = Some(extensions);
        error
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        self.set_extensions(&mut extensions);
        let mut error = async_graphql::Error::new(self.message());
        error.extensions = Some(extensions);
        error
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        error.extend()
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        Arc::new(error).into()
    }
}

impl From<Arc<DomainError>> for ApiError {
    /// The one place faults below the API are logged and masked (the batch loader shares
    /// one failure among the fields that waited on it, hence the `Arc`).
    fn from(error: Arc<DomainError>) -> Self {
        let cause = error.to_string();
        match &*error {
            DomainError::Store(StoreError::Unavailable(_)) => {
                tracing::warn!(cause, "the store is unavailable");
                ApiError::StoreUnavailable(cause)
            }
            _ => {
                tracing::error!(cause, "request failed below the API");
                ApiError::Internal(cause)
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        DomainError::from(error).into()
    }
}

impl From<crate::model::record::DecodeError> for ApiError {
    fn from(error: crate::model::record::DecodeError) -> Self {
        DomainError::from(error).into()
    }
}

impl From<InputError> for ApiError {
    fn from(error: InputError) -> Self {
        ApiError::Input(error)
    }
}

/// An input path as `inputPath` segments: names as strings, list indexes as numbers.
fn input_path(path: &[PathSegment]) -> Vec<Value> {
    path.iter()
        .map(|segment| match segment {
            PathSegment::Field(name) => Value::from(*name),
            PathSegment::Index(index) => Value::from(*index as u64),
        })
        .collect()
}

/// Gives every error without a code one, and masks those that come from no [`ApiError`]:
/// a value that does not fit an argument's type (an unknown enum value, say) gets
/// `INVALID_VALUE` and the argument's `inputPath`, as the import's own checks do; a document
/// nested deeper than the parser takes gets `LIMIT_EXCEEDED` (`maxNesting`); one that
/// fails to parse as a scalar, or a null where a value is needed, gets `BAD_USER_INPUT`; other errors outside any field
/// (parsing, validation) get `GRAPHQL_VALIDATION_FAILED`; anything else is a fault, logged
/// and shown as `INTERNAL` with a generic message.
pub fn give_default_codes(response: &mut Response) {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if let Some(path) = invalid_argument_path(&error.message) {
            extensions.set("code", Value::from(INVALID_VALUE));
            extensions.set("inputPath", Value::List(path));
        } else if let Some(limit) = nesting_limit(&error.message) {
            extensions.set("code", Value::from(code::LIMIT_EXCEEDED));
            extensions.set("bound", Value::from("maxNesting"));
            extensions.set("limit", Value::from(limit));
        } else if error.message.starts_with("Failed to parse \"")
            || error.message.starts_with("Expected input type \"")
        {
            extensions.set("code", Value::from(code::BAD_USER_INPUT));
        } else if error.path.is_empty() {
            extensions.set("code", Value::from(code::GRAPHQL_VALIDATION_FAILED));
        } else {
            let masked = ApiError::Internal(error.message.clone());
            tracing::error!(cause = %error.message, "resolver error without a code");
            error.message = masked.message();
            extensions.set("code", Value::from(masked.code()));
        }
    }
}

/// The limit in async-graphql's refusal of a document nested deeper than its parser takes
/// (selection sets and fragments within one another), which comes before the cost count.
fn nesting_limit(message: &str) -> Option<u64> {
    let rest = message.strip_prefix("The recursion depth of the query cannot be greater than `")?;
    rest.split('`').next()?.parse().ok()
}

/// The code the import's own checks give a value of the wrong form.
const INVALID_VALUE: &str = "INVALID_VALUE";

/// The input path in async-graphql's message for a value that does not fit an argument
/// (`Invalid value for argument "input.assertions.0.stance", enumeration type ...`), as
/// `inputPath` segments: names as strings, list indexes as numbers. The message format is
/// async-graphql's; `tests/api/importing.rs` pins it.
fn invalid_argument_path(message: &str) -> Option<Vec<Value>> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    let (path, _) = rest.split_once('"')?;
    Some(
        path.split('.')
            .map(|segment| match segment.parse::<u64>() {
                Ok(index) => Value::from(index),
                Err(_) => Value::from(segment),
            })
            .collect(),
    )
}

/// Any error the API knows, as a GraphQL error with its code (for `map_err`).
pub fn api_error(error: impl Into<ApiError>) -> async_graphql::Error {
    error.into().extend()
}

/// Mutations need write access: the HTTP and WebSocket layers put the request's [`Access`]
/// in its data. Execution in-process (tests, the seed) puts none and is trusted.
pub struct WriteAccess;

impl async_graphql::Guard for WriteAccess {
    async fn check(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<()> {
        match ctx.data_opt::<Access>() {
            None | Some(Access::Write) => Ok(()),
            Some(Access::Read) => Err(ApiError::Forbidden.into()),
            Some(Access::Anonymous) => Err(ApiError::Unauthenticated.into()),
        }
    }
}
