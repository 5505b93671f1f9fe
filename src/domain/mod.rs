//! Domain rules, in plain Rust above the store: the attribute catalogue, status derivation,
//! conflict detection, and the batched reads that gather their inputs. Written once for
//! every store, and never inside a resolver.

pub mod attributes;
pub mod conflict;
pub mod duplicates;
mod graph;
pub mod materialise;
pub mod provenance;
pub mod status;
#[cfg(test)]
mod status_tests;
mod summary;
pub mod timeline;

pub use graph::{entity_candidates, Graph};

use crate::model::record::DecodeError;
use crate::store::StoreError;

/// A failure below the request: the store failed or returned something undecodable.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl DomainError {
    /// Whether another kg process's import committed between this write's reads and its
    /// write, so that deriving it again may succeed.
    pub fn is_stale(&self) -> bool {
        matches!(self, DomainError::Store(StoreError::Stale))
    }
}
