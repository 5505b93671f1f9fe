//! Relay connections with keyset cursors: a cursor is an item's place in the list's order
//! (its sort key and id), so pages stay put when imports add items between two fetches.
//! `first`/`after` page forward, `last`/`before` backward; `pageInfo`, `totalCount`, and a
//! server-side maximum page size.

use async_graphql::connection::{
    Connection, ConnectionNameType, CursorType, DefaultConnectionName, DefaultEdgeName, Edge,
    EdgeNameType, EmptyFields, OpaqueCursor,
};
use async_graphql::{ObjectType, OutputType, SimpleObject};

use super::errors::ApiError;
use super::loaders::linked_typed;
use crate::model::record::StoredNode;
use crate::model::{NodeId, RelType};
use crate::store::{Direction, Position};

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// The part of a list one page covers: between two positions, the first or the last
/// `limit` items.
#[derive(Clone, Debug)]
pub struct Window {
    pub after: Option<Position>,
    pub before: Option<Position>,
    pub limit: usize,
    pub from_end: bool,
}

/// The four Relay arguments of a connection field.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }
}

fn size(name: &str, n: i32) -> async_graphql::Result<usize> {
    if (0..=MAX_PAGE_SIZE as i32).contains(&n) {
        Ok(n as usize)
    } else {
        Err(async_graphql::Error::from(ApiError::BadPagination(
            format!("`{name}` must be between 0 and {MAX_PAGE_SIZE}, not {n}"),
        )))
    }
}

fn position(cursor: &Option<String>) -> async_graphql::Result<Option<Position>> {
    cursor
        .as_deref()
        .map(|text| {
            OpaqueCursor::<Position>::decode_cursor(text)
                .map(|c| c.0)
                .map_err(|_| {
                    async_graphql::Error::from(ApiError::BadPagination(format!(
                        "`{text}` is not a cursor of this list"
                    )))
                })
        })
        .transpose()
}

/// Checks the arguments: `first` and `last` are not both given, sizes are within bounds,
/// cursors are this server's.
pub fn window(args: PageArgs) -> async_graphql::Result<Window> {
    let (limit, from_end) = match (args.first, args.last) {
        (Some(_), Some(_)) => {
            return Err(async_graphql::Error::from(ApiError::BadPagination(
                "give `first` or `last`, not both".into(),
            )))
        }
        (Some(first), None) => (size("first", first)?, false),
        (None, Some(last)) => (size("last", last)?, true),
        (None, None) => (
            DEFAULT_PAGE_SIZE,
            args.before.is_some() && args.after.is_none(),
        ),
    };
    Ok(Window {
        after: position(&args.after)?,
        before: position(&args.before)?,
        limit,
        from_end,
    })
}

/// The size of the whole list.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many items the whole list holds, over all pages.
    pub total_count: usize,
}

/// A page of `N`s.
pub type Page<N, E = EmptyFields, CN = DefaultConnectionName, EN = DefaultEdgeName> =
    Connection<OpaqueCursor<Position>, N, TotalCount, E, CN, EN>;

/// A page from the items of the window (at most `limit + 1` of them, in order: the one
/// beyond the limit only tells that there is more) and the size of the whole list.
pub fn page<N, E, CN, EN>(
    mut items: Vec<(Position, N, E)>,
    total: usize,
    window: &Window,
) -> Page<N, E, CN, EN>
where
    N: OutputType,
    E: ObjectType,
    CN: ConnectionNameType,
    EN: EdgeNameType,
{
    let more = items.len() > window.limit;
    if more {
        if window.from_end {
            items.drain(..items.len() - window.limit);
        } else {
            items.truncate(window.limit);
        }
    }
    let (has_previous, has_next) = if window.from_end {
        (more, window.before.is_some())
    } else {
        (window.after.is_some(), more)
    };
    let mut connection = Connection::with_additional_fields(
        has_previous,
        has_next,
        TotalCount { total_count: total },
    );
    connection.edges = items
        .into_iter()
        .map(|(at, node, extra)| Edge::with_additional_fields(OpaqueCursor(at), node, extra))
        .collect();
    connection
}

/// A page cut from a whole list held in memory, each item with its position.
pub fn page_of<N, E, CN, EN>(mut all: Vec<(Position, N, E)>, window: &Window) -> Page<N, E, CN, EN>
where
    N: OutputType,
    E: ObjectType,
    CN: ConnectionNameType,
    EN: EdgeNameType,
{
    let total = all.len();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let inside = |at: &Position| {
        window.after.as_ref().is_none_or(|after| at > after)
            && window.before.as_ref().is_none_or(|before| at < before)
    };
    let items: Vec<(Position, N, E)> = all.into_iter().filter(|(at, _, _)| inside(at)).collect();
    page_of_merged(items, total, window)
}

/// A page from nodes already inside the window, gathered from several listings (each of
/// which kept one beyond the limit): sorted, then cut to the page.
pub fn page_of_merged<N, E, CN, EN>(
    mut items: Vec<(Position, N, E)>,
    total: usize,
    window: &Window,
) -> Page<N, E, CN, EN>
where
    N: OutputType,
    E: ObjectType,
    CN: ConnectionNameType,
    EN: EdgeNameType,
{
    items.sort_by(|a, b| a.0.cmp(&b.0));
    // Keep one beyond the limit, on the side the page grows from, to tell there is more.
    if window.from_end {
        let keep = items.len().min(window.limit + 1);
        items.drain(..items.len() - keep);
    } else {
        items.truncate(window.limit + 1);
    }
    page(items, total, window)
}

/// The position of a linked node in a list that is in id order.
pub fn by_id(id: &NodeId) -> Position {
    Position {
        sort_key: String::new(),
        id: id.to_string(),
    }
}

/// A page of the nodes at the other end of `id`'s `rel` edges, in id order.
pub async fn linked_page<T: StoredNode, N: OutputType>(
    ctx: &async_graphql::Context<'_>,
    id: &NodeId,
    (rel, direction): (RelType, Direction),
    args: PageArgs,
    wrap: impl Fn(T) -> N,
) -> async_graphql::Result<Page<N>> {
    let window = window(args)?;
    let all = linked_typed::<T>(ctx, id, rel, direction).await?;
    Ok(page_of(
        all.into_iter()
            .map(|node| (by_id(node.id()), wrap(node), EmptyFields))
            .collect(),
        &window,
    ))
}
