//! The read engine: a root field reads its whole selection ahead (async-graphql's look-ahead),
//! turns it into a store [`Plan`] and asks the store once; nested resolvers then read the
//! request's [`Snapshot`] and return without awaiting anything. What no plan covers (status
//! explanations, mutation results, subscriptions) falls back to the per-request loaders.

use std::sync::{Arc, RwLock};

use async_graphql::{Context, SelectionField};
use rustc_hash::FxHashMap;

use super::errors::api_error;
use super::loaders::Loaders;
use crate::domain::attributes::{OCCURRED, PARTICIPANT, POSITION};
use crate::domain::Graph;
use crate::model::record::NodeRecord;
use crate::model::{Label, NodeId, RelType};
use crate::store::plan::child_of;
use crate::store::{Direction, Expanded, Hop, Page, Plan, Step, Subgraph};

/// The most selection fields one plan looks at. Fragments that spread each other can make a
/// small query name millions of fields; past this the plan stops growing and what it left
/// out is read through the loaders.
const MAX_PLANNED_FIELDS: usize = 10_000;

const ENTITIES: [Label; 4] = [
    Label::Person,
    Label::Organization,
    Label::Place,
    Label::Event,
];

/// What one request has read ahead: nodes by id, and complete link lists.
#[derive(Default)]
pub struct Snapshot {
    nodes: FxHashMap<NodeId, Arc<NodeRecord>>,
    links: FxHashMap<(NodeId, Hop), Vec<NodeId>>,
}

/// What one request owns: its snapshot and its loaders. Nothing is shared between
/// requests, so one request's batches never wait for another's.
pub struct RequestReads {
    snapshot: RwLock<Snapshot>,
    pub(super) loaders: Loaders,
}

impl RequestReads {
    /// A request's own, empty.
    pub fn new(graph: Graph) -> Self {
        Self {
            snapshot: RwLock::new(Snapshot::default()),
            loaders: Loaders::new(graph),
        }
    }

    /// The records of these ids the snapshot holds, in order: `None` where it holds none.
    pub fn records(&self, ids: &[NodeId]) -> Vec<Option<Arc<NodeRecord>>> {
        match self.snapshot.read() {
            Ok(snapshot) => ids
                .iter()
                .map(|id| snapshot.nodes.get(id).cloned())
                .collect(),
            Err(_) => vec![None; ids.len()],
        }
    }

    /// The far ends of `id`'s links of this hop, when a plan read them.
    pub fn links(&self, id: &NodeId, hop: Hop) -> Option<Vec<NodeId>> {
        let snapshot = self.snapshot.read().ok()?;
        snapshot.links.get(&(id.clone(), hop)).cloned()
    }

    fn absorb(&self, expanded: Expanded) {
        if let Ok(mut snapshot) = self.snapshot.write() {
            // Most requests read ahead once, into an empty snapshot.
            if snapshot.nodes.is_empty() {
                snapshot.nodes = expanded.nodes;
            } else {
                snapshot.nodes.extend(expanded.nodes);
            }
            if snapshot.links.is_empty() {
                snapshot.links = expanded.links;
            } else {
                snapshot.links.extend(expanded.links);
            }
        }
    }

    fn absorb_records(&self, records: impl IntoIterator<Item = Arc<NodeRecord>>) {
        if let Ok(mut snapshot) = self.snapshot.write() {
            for record in records {
                snapshot.nodes.insert(record.id.clone(), record);
            }
        }
    }
}

/// Keeps the records a root field's store call returned with its answer (a path's, a
/// neighbourhood's), so that what it returns resolves without another call per object.
pub fn remember(ctx: &Context<'_>, records: Vec<Arc<NodeRecord>>) {
    reads(ctx).absorb_records(records);
}

/// Runs a plan a root field built for its fixed shape (a timeline, an attribution chain)
/// with one store call, keeps what it read for the request's resolvers, and returns it.
pub async fn read_plan(
    ctx: &Context<'_>,
    roots: &[NodeId],
    plan: &Plan,
) -> async_graphql::Result<Subgraph> {
    let graph = ctx.data_unchecked::<Graph>();
    let subgraph = graph.store().expand(roots, plan).await.map_err(api_error)?;
    reads(ctx).absorb(Expanded::from_subgraph(plan, subgraph.clone()));
    Ok(subgraph)
}

pub fn reads<'a>(ctx: &Context<'a>) -> &'a RequestReads {
    ctx.data_unchecked::<RequestReads>()
}

/// Reads the roots and what the current root field's selection will ask of them, with one
/// store call. (A listing hands its plan to the listing's own call instead: [`keep_page`].)
pub async fn prefetch(
    ctx: &Context<'_>,
    roots: &[NodeId],
    selection: Selection,
) -> async_graphql::Result<()> {
    let reads = reads(ctx);
    let mut labels: Vec<Label> = roots.iter().map(NodeId::label).collect();
    labels.sort();
    labels.dedup();
    let plan = plan(ctx, &labels, selection);
    if roots.is_empty() {
        return Ok(());
    }
    let graph = ctx.data_unchecked::<Graph>();
    let subgraph = graph
        .store()
        .expand(roots, &plan)
        .await
        .map_err(api_error)?;
    reads.absorb(Expanded::from_subgraph(&plan, subgraph));
    Ok(())
}

/// The plan of what the current root field's selection will ask of roots with these labels.
pub fn plan(ctx: &Context<'_>, labels: &[Label], selection: Selection) -> Plan {
    let mut plan = Plan::default();
    let mut budget = MAX_PLANNED_FIELDS;
    let field = ctx.field();
    match selection {
        Selection::Object => {
            plan_object(labels, field.selection_set(), &mut plan.steps, &mut budget)
        }
        Selection::Connection => plan_connection(labels, field, &mut plan.steps, &mut budget),
    }
    plan
}

/// Keeps a listing's page and what its plan read ahead from it (in the same store call),
/// for the request's resolvers.
pub fn keep_page(ctx: &Context<'_>, plan: &Plan, page: &mut Page) {
    let reads = reads(ctx);
    if plan.is_empty() {
        reads.absorb_records(page.records.iter().cloned().map(Arc::new));
    } else {
        // The read-ahead holds the page's nodes too, as its roots.
        let read_ahead = std::mem::take(&mut page.read_ahead);
        reads.absorb(Expanded::from_subgraph(plan, read_ahead));
    }
}

/// How the root field's type holds its roots.
pub enum Selection {
    /// The field is a node, or a list of nodes.
    Object,
    /// The field is a connection of nodes (`edges { node }` and `nodes`).
    Connection,
}

fn plan_connection(
    labels: &[Label],
    field: SelectionField<'_>,
    steps: &mut Vec<Step>,
    budget: &mut usize,
) {
    for sub in field.selection_set() {
        match sub.name() {
            "edges" => {
                for edge in sub.selection_set() {
                    if edge.name() == "node" {
                        plan_object(labels, edge.selection_set(), steps, budget);
                    }
                }
            }
            "nodes" => plan_object(labels, sub.selection_set(), steps, budget),
            _ => {}
        }
    }
}

/// Adds the steps that the fields selected on nodes of these labels will follow.
fn plan_object<'a>(
    labels: &[Label],
    fields: impl Iterator<Item = SelectionField<'a>>,
    steps: &mut Vec<Step>,
    budget: &mut usize,
) {
    use Direction::{In, Out};
    use RelType::*;
    for field in fields {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        for &label in labels {
            let name = field.name();
            // (hop, what the hop reaches, whether the field is a connection)
            let occurrence = Hop::claims_of(Subject, In, OCCURRED);
            let hop: Option<(Hop, &[Label], bool)> = match (label, name) {
                (l, "claims") if l.is_entity() => {
                    Some((Hop::new(Subject, In), &[Label::Claim], true))
                }
                (l, "mentions") if l.is_entity() => {
                    Some((Hop::new(Value, In), &[Label::Claim], true))
                }
                (Label::Organization, "reports") => {
                    Some((Hop::new(PublishedBy, In), &[Label::Report], true))
                }
                (Label::Event, "occurrence") => Some((occurrence, &[Label::Claim], false)),
                // `status` reads the event's own stored timeline; the explanation derives it
                // from the occurrence claim.
                (Label::Event, "statusExplanation") => Some((occurrence, &[], false)),
                (Label::Claim, "subject") => Some((Hop::new(Subject, Out), &Label::ALL, false)),
                (Label::Claim, "assertions") => {
                    Some((Hop::new(About, In), &[Label::Assertion], true))
                }
                (Label::Claim, "conflictsWith") => {
                    Some((Hop::new(ConflictsWith, Out), &[Label::Claim], false))
                }
                (Label::Claim, "refines") => Some((Hop::new(Refines, Out), &[Label::Claim], false)),
                (Label::Claim, "refinedBy") => {
                    Some((Hop::new(Refines, In), &[Label::Claim], false))
                }
                (Label::Assertion, "report") => {
                    Some((Hop::new(MadeIn, Out), &[Label::Report], false))
                }
                (Label::Assertion, "claim") => Some((Hop::new(About, Out), &[Label::Claim], false)),
                (Label::Assertion, "sources") => {
                    Some((Hop::new(Cites, Out), &[Label::Source], false))
                }
                (Label::Report, "publisher") => {
                    Some((Hop::new(PublishedBy, Out), &[Label::Organization], false))
                }
                (Label::Report, "relays") => Some((Hop::new(Relays, Out), &[Label::Report], false)),
                (Label::Report, "relayedBy") => {
                    Some((Hop::new(Relays, In), &[Label::Report], true))
                }
                (Label::Report, "assertions") => {
                    Some((Hop::new(MadeIn, In), &[Label::Assertion], true))
                }
                (Label::Source, "affiliation") => {
                    Some((Hop::new(AffiliatedWith, Out), &[Label::Organization], false))
                }
                (Label::Source, "person") => Some((Hop::new(Names, Out), &[Label::Person], false)),
                (Label::Source, "citedBy") => {
                    Some((Hop::new(Cites, In), &[Label::Assertion], true))
                }
                _ => None,
            };
            if let Some((hop, reached, connection)) = hop {
                let step = child_of(steps, hop);
                if connection {
                    plan_connection(reached, field, &mut step.then, budget);
                } else {
                    plan_object(reached, field.selection_set(), &mut step.then, budget);
                }
                continue;
            }
            match (label, name) {
                (Label::Person, "positions") => {
                    let step = child_of(steps, Hop::claims_of(Subject, In, POSITION));
                    for sub in field.selection_set() {
                        match sub.name() {
                            "claim" => plan_object(
                                &[Label::Claim],
                                sub.selection_set(),
                                &mut step.then,
                                budget,
                            ),
                            "organization" => {
                                let organization = step.child(Hop::new(Value, Out));
                                plan_object(
                                    &[Label::Organization],
                                    sub.selection_set(),
                                    &mut organization.then,
                                    budget,
                                );
                            }
                            _ => {}
                        }
                    }
                }
                (Label::Event, "participants") => {
                    let step = child_of(steps, Hop::claims_of(Subject, In, PARTICIPANT));
                    for sub in field.selection_set() {
                        let edge_fields: Vec<SelectionField<'_>> = match sub.name() {
                            "edges" => sub.selection_set().collect(),
                            "nodes" => {
                                let participant = step.child(Hop::new(Value, Out));
                                plan_object(
                                    &ENTITIES,
                                    sub.selection_set(),
                                    &mut participant.then,
                                    budget,
                                );
                                Vec::new()
                            }
                            _ => Vec::new(),
                        };
                        for edge in edge_fields {
                            match edge.name() {
                                "claim" => plan_object(
                                    &[Label::Claim],
                                    edge.selection_set(),
                                    &mut step.then,
                                    budget,
                                ),
                                "node" => {
                                    let participant = step.child(Hop::new(Value, Out));
                                    plan_object(
                                        &ENTITIES,
                                        edge.selection_set(),
                                        &mut participant.then,
                                        budget,
                                    );
                                }
                                _ => {}
                            }
                        }
                    }
                }
                (Label::Claim, "value") => {
                    for sub in field.selection_set() {
                        if sub.name() == "entity" {
                            let value = child_of(steps, Hop::new(Value, Out));
                            plan_object(&Label::ALL, sub.selection_set(), &mut value.then, budget);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
