//! Relay connections: `first`/`after` with opaque offset cursors, `pageInfo`, `totalCount`,
//! and a server-side maximum page size.

use async_graphql::connection::{
    Connection, ConnectionNameType, CursorType, DefaultConnectionName, DefaultEdgeName, Edge,
    EdgeNameType, EmptyFields, OpaqueCursor,
};
use async_graphql::{ObjectType, OutputType, SimpleObject};

use super::errors::{bad_input, code};
use super::loaders::linked_typed;
use crate::model::record::StoredNode;
use crate::model::{NodeId, RelType};
use crate::store::Direction;

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The furthest a cursor may point: far beyond any list, and within every store's range.
const MAX_OFFSET: usize = 1 << 40;

/// The part of a list one page covers.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub offset: usize,
    pub limit: usize,
}

/// Checks `first` and `after`.
pub fn window(first: Option<i32>, after: Option<String>) -> async_graphql::Result<Window> {
    let limit = match first {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => n as usize,
        Some(n) => {
            return Err(bad_input(
                format!("`first` must be between 0 and {MAX_PAGE_SIZE}, not {n}"),
                code::BAD_PAGINATION,
            ))
        }
    };
    let offset = match after {
        None => 0,
        Some(cursor) => match OpaqueCursor::<usize>::decode_cursor(&cursor) {
            Ok(position) if position.0 < MAX_OFFSET => position.0 + 1,
            _ => {
                return Err(bad_input(
                    format!("`{cursor}` is not a cursor of this list"),
                    code::BAD_PAGINATION,
                ))
            }
        },
    };
    Ok(Window { offset, limit })
}

/// The size of the whole list.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many items the whole list holds, over all pages.
    pub total_count: usize,
}

/// A page of `N`s.
pub type Page<N, E = EmptyFields, CN = DefaultConnectionName, EN = DefaultEdgeName> =
    Connection<OpaqueCursor<usize>, N, TotalCount, E, CN, EN>;

/// A page from the items of the window (already cut) and the size of the whole list.
pub fn page<N, E, CN, EN>(items: Vec<(N, E)>, total: usize, window: Window) -> Page<N, E, CN, EN>
where
    N: OutputType,
    E: ObjectType,
    CN: ConnectionNameType,
    EN: EdgeNameType,
{
    let end = window.offset + items.len();
    let mut connection = Connection::with_additional_fields(
        window.offset > 0 && total > 0,
        end < total,
        TotalCount { total_count: total },
    );
    connection.edges = items
        .into_iter()
        .enumerate()
        .map(|(i, (node, extra))| {
            Edge::with_additional_fields(OpaqueCursor(window.offset + i), node, extra)
        })
        .collect();
    connection
}

/// A page cut from a whole list held in memory.
pub fn page_of<N: OutputType>(all: Vec<N>, window: Window) -> Page<N> {
    let total = all.len();
    let items = all
        .into_iter()
        .skip(window.offset)
        .take(window.limit)
        .map(|n| (n, EmptyFields))
        .collect();
    page(items, total, window)
}

/// A page of the nodes at the other end of `id`'s `rel` edges, as GraphQL objects.
pub async fn linked_page<T: StoredNode, N: OutputType>(
    ctx: &async_graphql::Context<'_>,
    id: &NodeId,
    (rel, direction): (RelType, Direction),
    first: Option<i32>,
    after: Option<String>,
    wrap: impl Fn(T) -> N,
) -> async_graphql::Result<Page<N>> {
    let window = window(first, after)?;
    let all = linked_typed::<T>(ctx, id, rel, direction).await?;
    Ok(page_of(all.into_iter().map(wrap).collect(), window))
}
