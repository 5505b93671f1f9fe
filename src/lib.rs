//! kg: a GraphQL knowledge-graph server for people, officials, organisations and events as
//! the news reports them, and for who said what about them.
//!
//! See ARCHITECTURE.md for the module map and its invariants.

pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod import;
pub mod metrics;
pub mod model;
pub mod store;
