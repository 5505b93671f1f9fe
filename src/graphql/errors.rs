//! Error codes. Every error a client sees carries `extensions.code`: resolvers set specific
//! codes, and [`CodeDefaults`] gives the rest (parse and validation errors raised by
//! async-graphql itself) a code too.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{ErrorExtensions, Response, Value};

use crate::domain::DomainError;
use crate::store::StoreError;

/// The codes of `extensions.code` besides the import ones.
pub mod code {
    /// An id that this server did not issue.
    pub const BAD_ID: &str = "BAD_ID";
    /// A `first` outside 0..=100 or a cursor this server did not issue.
    pub const BAD_PAGINATION: &str = "BAD_PAGINATION";
    /// An argument with a value the server does not accept.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// The query does not parse or does not fit the schema.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The store cannot be reached or did not answer in time; retrying may succeed.
    pub const STORE_UNAVAILABLE: &str = "STORE_UNAVAILABLE";
    /// A fault of the server.
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
    /// A request over one of the bounds the server enforces (hops, depth, paths, nodes);
    /// `extensions.bound` names it and `extensions.limit` gives it.
    pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";
}

/// A domain failure as a GraphQL error: store outages are told apart from bugs.
pub fn domain_error(error: &DomainError) -> async_graphql::Error {
    let code = match error {
        DomainError::Store(StoreError::Unavailable(_)) => code::STORE_UNAVAILABLE,
        _ => code::INTERNAL,
    };
    tracing::warn!(%error, code, "request failed below the API");
    async_graphql::Error::new(error.to_string()).extend_with(|_, e| e.set("code", code))
}

/// A request refused before it runs, for asking more than a bound allows.
pub fn limit_exceeded(argument: &str, bound: &str, limit: usize) -> async_graphql::Error {
    let (argument, bound) = (argument.to_string(), bound.to_string());
    async_graphql::Error::new(format!(
        "`{argument}` is over the server's bound `{bound}` of {limit}"
    ))
    .extend_with(move |_, e| {
        e.set("code", code::LIMIT_EXCEEDED);
        e.set("bound", bound.clone());
        e.set("limit", limit as u64);
        e.set("inputPath", vec![Value::from(argument.clone())]);
    })
}

/// A store failure as a GraphQL error, with its code.
pub fn store_error(error: StoreError) -> async_graphql::Error {
    domain_error(&DomainError::from(error))
}

pub fn bad_input(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, e| e.set("code", code))
}

/// Gives every error without a code one: a value that does not fit an argument's type (an
/// unknown enum value, say) gets `INVALID_VALUE` and the argument's `inputPath`, as the
/// import's own checks do; other validation errors (no path) get
/// `GRAPHQL_VALIDATION_FAILED`, others `INTERNAL_SERVER_ERROR`.
pub struct CodeDefaults;

impl ExtensionFactory for CodeDefaults {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CodeDefaultsExtension)
    }
}

struct CodeDefaultsExtension;

#[async_trait::async_trait]
impl Extension for CodeDefaultsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
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
            } else if error.path.is_empty() {
                extensions.set("code", Value::from(code::GRAPHQL_VALIDATION_FAILED));
            } else {
                extensions.set("code", Value::from(code::INTERNAL));
            }
        }
        response
    }
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
