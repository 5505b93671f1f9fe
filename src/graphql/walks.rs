//! For analysts: paths and neighbourhoods whose every hop rests on a claim, with the
//! bounds the server enforces on them.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::entity::Node;
use super::errors::{api_error, ApiError};
use super::explanation::ClaimStatus;
use super::ids::decode;
use super::loaders::typed;
use super::prefetch::remember;
use super::provenance::Claim;
use super::scalars::Date;
use crate::domain::attributes::attribute;
use crate::domain::status;
use crate::domain::Graph;
use crate::model::record::NodeRecord;
use crate::model::{self, Label, NodeId, RelType};
use crate::store::{Direction, Hop, NeighbourhoodQuery, PathQuery, WalkFilter, WalkHop, WalkPath};

/// The bounds on walks, each configurable (`kg serve --help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkLimits {
    /// The most hops a path may have.
    pub max_hops: usize,
    /// The deepest neighbourhood.
    pub max_depth: usize,
    /// The most paths one `paths` returns.
    pub max_paths: usize,
    /// The most entities a path query or a neighbourhood returns.
    pub max_nodes: usize,
}

impl Default for WalkLimits {
    fn default() -> Self {
        Self {
            max_hops: 6,
            max_depth: 3,
            max_paths: 10,
            max_nodes: 500,
        }
    }
}

/// What a walk may step through.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PathThrough {
    /// Claims linking their subject and their (entity) value: "Musk took part in the
    /// meeting", "the mission is part of the ministry".
    Claims,
    /// Who said what: an organisation that asserted, confirmed, denied, disputed or
    /// retracted a claim (as a report's publisher, or as a cited source's affiliation) is
    /// linked to the claim's subject and value.
    Evidence,
}

/// How an edge reads along the path that uses it.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EdgeDirection {
    /// The path goes from the edge's `from` to its `to`.
    Forward,
    /// The path goes from the edge's `to` to its `from`.
    Backward,
}

/// One edge between two entities, resting on a claim: a claim edge (subject to value) or
/// an evidence edge (an organisation to what it spoke on).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PathEdge {
    /// For a claim edge, the claim's attribute (`participant`, `partOf`, ...); for an
    /// evidence edge, the stance taken (`ASSERTS`, `CONFIRMS`, `DENIES`, `DISPUTES`,
    /// `RETRACTS`); in an attribution chain, the relationship (`ABOUT`, `MADE_IN`, ...).
    kind: String,
    /// Whether it is an evidence edge (or, in an attribution chain, a provenance edge).
    evidence: bool,
    /// How the path (or the walk from a neighbourhood's centre) reads the edge.
    direction: EdgeDirection,
    #[graphql(skip)]
    from: NodeId,
    #[graphql(skip)]
    to: NodeId,
    #[graphql(skip)]
    claim: NodeId,
}

#[async_graphql::ComplexObject]
impl PathEdge {
    /// Where the edge starts: a claim's subject, or the organisation that spoke.
    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Node>> {
        Node::load(ctx, &self.from).await
    }

    /// Where the edge ends: a claim's value, or the entity the claim spoken on is about.
    async fn to(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Node>> {
        Node::load(ctx, &self.to).await
    }

    /// The claim the edge rests on, with its status, explanation and assertions.
    async fn claim(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Claim>> {
        Ok(
            typed::<model::Claim>(ctx, std::slice::from_ref(&self.claim))
                .await?
                .pop()
                .map(Claim),
        )
    }
}

impl PathEdge {
    /// A provenance edge of an attribution chain: `near` reached `far` by `hop` from the
    /// chain's claim outwards; the edge reads in the relationship's own direction.
    pub(super) fn provenance(near: &NodeId, far: &NodeId, hop: Hop, claim: &NodeId) -> Self {
        let forward = hop.direction == Direction::Out;
        let (from, to) = if forward {
            (near.clone(), far.clone())
        } else {
            (far.clone(), near.clone())
        };
        Self {
            kind: hop.rel.as_str().to_string(),
            evidence: true,
            direction: if forward {
                EdgeDirection::Forward
            } else {
                EdgeDirection::Backward
            },
            from,
            to,
            claim: claim.clone(),
        }
    }

    /// The edge a hop stands for, read in its natural direction. A claim edge's kind is its
    /// claim's attribute, looked up in the records the walk returned with its answer.
    fn of(hop: &WalkHop, attributes: &Attributes<'_>) -> Self {
        let (speaker_first, stance) = match (
            hop.from_link.evidence_stance(),
            hop.to_link.evidence_stance(),
        ) {
            (Some(stance), _) => (Some(true), Some(stance)),
            (None, Some(stance)) => (Some(false), Some(stance)),
            (None, None) => (None, None),
        };
        let forward = match speaker_first {
            Some(first) => first,
            None => hop.from_link == RelType::Subject,
        };
        let kind = match stance {
            Some(stance) => stance_name(stance),
            None => attributes.get(&hop.claim).copied().unwrap_or_default(),
        };
        let (from, to) = if forward {
            (hop.from.clone(), hop.to.clone())
        } else {
            (hop.to.clone(), hop.from.clone())
        };
        Self {
            kind: kind.to_string(),
            evidence: stance.is_some(),
            direction: if forward {
                EdgeDirection::Forward
            } else {
                EdgeDirection::Backward
            },
            from,
            to,
            claim: hop.claim.clone(),
        }
    }

    /// The edges of these hops, then the records they rest on kept for the request.
    fn of_hops<'h>(
        ctx: &Context<'_>,
        hops: impl IntoIterator<Item = &'h WalkHop>,
        records: Vec<Arc<NodeRecord>>,
    ) -> Vec<Self> {
        let attributes: Attributes<'_> = records
            .iter()
            .filter_map(|r| Some((&r.id, r.props.get("attribute")?.as_str()?)))
            .collect();
        let edges = hops
            .into_iter()
            .map(|hop| Self::of(hop, &attributes))
            .collect();
        // The walk read the records its answer shows: no further store call.
        remember(ctx, records);
        edges
    }
}

/// Claims' attributes by their ids.
type Attributes<'r> = HashMap<&'r NodeId, &'r str>;

fn stance_name(stance: model::Stance) -> &'static str {
    match stance {
        model::Stance::Asserts => "ASSERTS",
        model::Stance::Confirms => "CONFIRMS",
        model::Stance::Denies => "DENIES",
        model::Stance::Disputes => "DISPUTES",
        model::Stance::Retracts => "RETRACTS",
    }
}

/// A path between two entities: `nodes[i]` and `nodes[i + 1]` are joined by `edges[i]`.
#[derive(SimpleObject)]
pub struct Path {
    /// How many edges it has.
    length: usize,
    /// The entities along it, from the start to the end.
    nodes: Vec<Node>,
    /// The edges along it, each resting on a claim.
    edges: Vec<PathEdge>,
}

/// Entities and the edges between them, ready for a graph-drawing library.
#[derive(SimpleObject)]
pub struct Subgraph {
    /// The entities, nearest first.
    nodes: Vec<Node>,
    /// The edges between them, each resting on a claim.
    edges: Vec<PathEdge>,
    /// Whether more entities were within reach than the request's `first`.
    truncated: bool,
}

impl Subgraph {
    /// A whole subgraph: nothing was cut.
    pub(super) fn of(nodes: Vec<Node>, edges: Vec<PathEdge>) -> Self {
        Self {
            nodes,
            edges,
            truncated: false,
        }
    }
}

/// The arguments that choose what a walk may rest on.
struct WalkArgs {
    through: Option<Vec<PathThrough>>,
    attributes: Option<Vec<String>>,
    min_status: Option<ClaimStatus>,
    as_of: Option<Date>,
}

impl WalkArgs {
    /// The filter, or the error naming the argument at fault.
    fn filter(self) -> async_graphql::Result<WalkFilter> {
        let through = self.through.unwrap_or_else(|| vec![PathThrough::Claims]);
        if through.is_empty() {
            return Err(async_graphql::Error::from(ApiError::BadUserInput(
                "`through` needs CLAIMS, EVIDENCE or both".into(),
            )));
        }
        if let Some(unknown) = self
            .attributes
            .iter()
            .flatten()
            .find(|a| attribute(a).is_none())
        {
            return Err(async_graphql::Error::from(ApiError::BadUserInput(format!(
                "`{unknown}` is not in the attribute catalogue (see `attributes`)"
            ))));
        }
        // As of a day, claims not yet reported that day are not yet there to walk.
        let minimum = self
            .min_status
            .map(status::ClaimStatus::from)
            .or(self.as_of.map(|_| status::ClaimStatus::Denied));
        let statuses = minimum
            .filter(|min| min.support() > 0)
            .map(|min| min.at_least().into_iter().map(|s| s.as_str()).collect());
        Ok(WalkFilter {
            claims: through.contains(&PathThrough::Claims),
            evidence: through.contains(&PathThrough::Evidence),
            attributes: self.attributes,
            statuses,
            as_of: self.as_of.map(|d| d.0),
        })
    }
}

/// An entity's id from an argument, or the error saying what is wrong with it.
fn entity_id(id: &ID, argument: &str) -> async_graphql::Result<NodeId> {
    let id = decode(id)?;
    match id.label() {
        Label::Person | Label::Organization | Label::Place | Label::Event => Ok(id),
        other => Err(async_graphql::Error::from(ApiError::BadUserInput(format!(
            "`{argument}` must be an entity (a person, organisation, place or event), not a {}",
            other.as_str()
        )))),
    }
}

/// A count argument within 1..=bound, its default when absent.
fn bounded(
    value: Option<i32>,
    default: usize,
    argument: &str,
    bound: &'static str,
    limit: usize,
) -> async_graphql::Result<usize> {
    let Some(value) = value else {
        return Ok(default.min(limit));
    };
    if value < 1 {
        return Err(async_graphql::Error::from(ApiError::BadUserInput(format!(
            "`{argument}` must be at least 1"
        ))));
    }
    let value = value as usize;
    if value > limit {
        return Err(async_graphql::Error::from(ApiError::OverBound {
            argument: String::from(argument),
            bound,
            limit: limit as u64,
        }));
    }
    Ok(value)
}

async fn path_object(
    ctx: &Context<'_>,
    path: &WalkPath,
    edges: Vec<PathEdge>,
) -> async_graphql::Result<Path> {
    let mut ids: Vec<NodeId> = path.first().map(|h| h.from.clone()).into_iter().collect();
    ids.extend(path.iter().map(|h| h.to.clone()));
    Ok(Path {
        length: path.len(),
        nodes: Node::load_many(ctx, &ids).await?,
        edges,
    })
}

/// Root fields for analysts.
#[derive(Default)]
pub struct WalkQuery;

#[Object]
impl WalkQuery {
    /// The shortest path between two entities whose every edge rests on a claim that the
    /// filters admit; null when there is none within `maxHops`. Ties are broken by the ids
    /// along the paths, the same on every store.
    #[allow(clippy::too_many_arguments)]
    async fn shortest_path(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entity the path starts from.")] from: ID,
        #[graphql(desc = "The entity the path ends at.")] to: ID,
        #[graphql(desc = "The most edges (default and bound: the server's `maxHops`, 6).")]
        max_hops: Option<i32>,
        #[graphql(desc = "Claim edges, evidence edges, or both (default: claims).")]
        through: Option<Vec<PathThrough>>,
        #[graphql(desc = "Only claims of these attributes.")] attributes: Option<Vec<String>>,
        #[graphql(
            desc = "Only claims at least this well supported: CONFIRMED > CORROBORATED > REPORTED > DISPUTED > DENIED > RETRACTED, UNREPORTED."
        )]
        min_status: Option<ClaimStatus>,
        #[graphql(
            desc = "Statuses as of this day; claims not yet reported that day are left out."
        )]
        as_of: Option<Date>,
    ) -> async_graphql::Result<Option<Path>> {
        let args = WalkArgs {
            through,
            attributes,
            min_status,
            as_of,
        };
        let mut found = self
            .find_paths(ctx, (&from, &to), max_hops, Some(1), args)
            .await?;
        Ok(if found.is_empty() {
            None
        } else {
            Some(found.remove(0))
        })
    }

    /// The `first` shortest simple paths between two entities (no entity or claim twice),
    /// shortest first, ties broken by the ids along them, the same on every store.
    #[allow(clippy::too_many_arguments)]
    async fn paths(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entity the path starts from.")] from: ID,
        #[graphql(desc = "The entity the path ends at.")] to: ID,
        #[graphql(desc = "The most edges a path may have (default and bound: 6).")]
        max_hops: Option<i32>,
        #[graphql(desc = "How many paths (default 3; bound: the server's `paths`, 10).")]
        first: Option<i32>,
        #[graphql(desc = "Claim edges, evidence edges, or both (default: claims).")]
        through: Option<Vec<PathThrough>>,
        #[graphql(desc = "Only claims of these attributes.")] attributes: Option<Vec<String>>,
        #[graphql(desc = "Only claims at least this well supported.")] min_status: Option<
            ClaimStatus,
        >,
        #[graphql(
            desc = "Statuses as of this day; claims not yet reported that day are left out."
        )]
        as_of: Option<Date>,
    ) -> async_graphql::Result<Vec<Path>> {
        let args = WalkArgs {
            through,
            attributes,
            min_status,
            as_of,
        };
        self.find_paths(ctx, (&from, &to), max_hops, first, args)
            .await
    }

    /// The entities within `depth` edges of one, and the edges between them: the nearest
    /// `first` (default 100; bound: the server's `nodes`, 500), then by id.
    #[allow(clippy::too_many_arguments)]
    async fn neighborhood(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entity at the centre.")] id: ID,
        #[graphql(desc = "How many edges out (default 1; bound: the server's `depth`, 3).")]
        depth: Option<i32>,
        #[graphql(desc = "How many entities at most, the centre included.")] first: Option<i32>,
        #[graphql(desc = "Claim edges, evidence edges, or both (default: claims).")]
        through: Option<Vec<PathThrough>>,
        #[graphql(desc = "Only claims of these attributes.")] attributes: Option<Vec<String>>,
        #[graphql(desc = "Only claims at least this well supported.")] min_status: Option<
            ClaimStatus,
        >,
        #[graphql(
            desc = "Statuses as of this day; claims not yet reported that day are left out."
        )]
        as_of: Option<Date>,
    ) -> async_graphql::Result<Subgraph> {
        let limits = ctx.data_unchecked::<WalkLimits>();
        let centre = entity_id(&id, "id")?;
        let depth = bounded(depth, 1, "depth", "depth", limits.max_depth)?;
        let max_nodes = bounded(first, 100, "first", "nodes", limits.max_nodes)?;
        let filter = WalkArgs {
            through,
            attributes,
            min_status,
            as_of,
        }
        .filter()?;
        let graph = ctx.data_unchecked::<Graph>();
        let found = graph
            .store()
            .neighbourhood(&NeighbourhoodQuery {
                centre,
                depth,
                filter,
                max_nodes,
            })
            .await
            .map_err(api_error)?;
        let ids: Vec<NodeId> = found.nodes.iter().map(|(id, _)| id.clone()).collect();
        let edges = PathEdge::of_hops(ctx, &found.hops, found.records);
        Ok(Subgraph {
            nodes: Node::load_many(ctx, &ids).await?,
            edges,
            truncated: found.truncated,
        })
    }
}

impl WalkQuery {
    async fn find_paths(
        &self,
        ctx: &Context<'_>,
        (from, to): (&ID, &ID),
        max_hops: Option<i32>,
        first: Option<i32>,
        args: WalkArgs,
    ) -> async_graphql::Result<Vec<Path>> {
        let limits = ctx.data_unchecked::<WalkLimits>();
        let max_hops = bounded(
            max_hops,
            limits.max_hops,
            "maxHops",
            "maxHops",
            limits.max_hops,
        )?;
        let limit = bounded(first, 3, "first", "paths", limits.max_paths)?;
        let from = entity_id(from, "from")?;
        let to = entity_id(to, "to")?;
        if from == to {
            return Err(async_graphql::Error::from(ApiError::BadUserInput(
                "`from` and `to` are the same entity".into(),
            )));
        }
        let filter = args.filter()?;
        let graph = ctx.data_unchecked::<Graph>();
        let found = graph
            .store()
            .paths(&PathQuery {
                from,
                to,
                max_hops,
                filter,
                limit,
            })
            .await
            .map_err(api_error)?;
        let mut edges =
            PathEdge::of_hops(ctx, found.paths.iter().flatten(), found.records).into_iter();
        let mut paths = Vec::with_capacity(found.paths.len());
        for path in &found.paths {
            let path_edges = edges.by_ref().take(path.len()).collect();
            paths.push(path_object(ctx, path, path_edges).await?);
        }
        Ok(paths)
    }
}
