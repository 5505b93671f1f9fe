//! The domain model in plain Rust: no GraphQL and no database types.
//!
//! World entities (people, organisations, places, events) carry only their identity; every
//! fact about them is a [`Claim`], and every claim is backed by at least one [`Assertion`]
//! made by a [`Report`] that cites its [`Source`]s. That is what makes any value answerable
//! with "according to whom?".

mod date;
mod ids;
mod nodes;
pub mod record;

pub use date::{DateParseError, DatePrecision, ReportedDate};
pub use ids::{Label, NodeId, RelType};
pub use nodes::*;
