//! Read plans: the shape of what a root field will read, handed to the store whole so that
//! it answers in one call (on Neo4j, one Cypher query) whatever the rows and the depth.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::Direction;
use crate::model::record::NodeRecord;
use crate::model::{NodeId, RelType};

/// One kind of link: the edges of `rel` in `direction`, optionally only those whose far end
/// is a claim of one attribute (an event's occurrence, its participants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hop {
    pub rel: RelType,
    pub direction: Direction,
    pub attribute: Option<&'static str>,
}

impl Hop {
    pub fn new(rel: RelType, direction: Direction) -> Self {
        Self {
            rel,
            direction,
            attribute: None,
        }
    }

    /// Only far ends that are claims of this attribute.
    pub fn claims_of(rel: RelType, direction: Direction, attribute: &'static str) -> Self {
        Self {
            rel,
            direction,
            attribute: Some(attribute),
        }
    }
}

/// One step of a plan: follow its hop from every node the parent step reached, then the
/// child steps from the nodes this one reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub hop: Hop,
    pub then: Vec<Step>,
}

impl Step {
    pub fn new(hop: Hop) -> Self {
        Self {
            hop,
            then: Vec::new(),
        }
    }

    /// The child step for this hop, created when absent, so that fields asking for the same
    /// hop share one step.
    pub fn child(&mut self, hop: Hop) -> &mut Step {
        child_of(&mut self.then, hop)
    }
}

/// The step for this hop in a list of sibling steps, created when absent.
pub fn child_of(steps: &mut Vec<Step>, hop: Hop) -> &mut Step {
    let at = match steps.iter().position(|s| s.hop == hop) {
        Some(at) => at,
        None => {
            steps.push(Step::new(hop));
            steps.len() - 1
        }
    };
    &mut steps[at]
}

/// A plan: the steps to follow from the roots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

/// A step with its place in the plan, as stores run them: numbered in pre-order (from 1),
/// each from the nodes its parent step reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatStep {
    pub number: usize,
    /// The number of the parent step; 0 for the roots.
    pub parent: usize,
    pub hop: Hop,
}

impl Plan {
    /// Every step, parents before children.
    pub fn flatten(&self) -> Vec<FlatStep> {
        fn walk(steps: &[Step], parent: usize, out: &mut Vec<FlatStep>) {
            for step in steps {
                let number = out.len() + 1;
                out.push(FlatStep {
                    number,
                    parent,
                    hop: step.hop,
                });
                walk(&step.then, number, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.steps, 0, &mut out);
        out
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// One node reached: the step that reached it and the node of the parent step it was
/// reached from (`None` for the roots, step 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Reached {
    pub step: usize,
    pub from: Option<NodeId>,
    pub id: NodeId,
}

/// What a plan reached, as the store returns it: every node once, and how each step
/// reached it. A node reached by several steps or from several parents is reached once per
/// (step, parent).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Subgraph {
    pub nodes: Vec<Arc<NodeRecord>>,
    pub reached: Vec<Reached>,
}

/// A subgraph read back into nodes and complete link lists. (Fx hashing: the keys are our
/// own ids, and these maps are built and probed for every node a request reads.)
#[derive(Clone, Debug, Default)]
pub struct Expanded {
    pub nodes: FxHashMap<NodeId, Arc<NodeRecord>>,
    /// For every node a step started from, the far ends of its links of the step's hop:
    /// the whole list, possibly empty.
    pub links: FxHashMap<(NodeId, Hop), Vec<NodeId>>,
}

impl Expanded {
    /// Reads a store's answer for `plan` from `roots` (the roots found are in the answer).
    pub fn from_subgraph(plan: &Plan, subgraph: Subgraph) -> Self {
        let flat = plan.flatten();
        let mut expanded = Expanded {
            nodes: subgraph
                .nodes
                .into_iter()
                .map(|node| (node.id.clone(), node))
                .collect(),
            links: FxHashMap::default(),
        };
        // The nodes each step reached, so that every node its children start from gets a
        // (possibly empty) link list.
        let mut reached_by: Vec<FxHashSet<NodeId>> = vec![FxHashSet::default(); flat.len() + 1];
        let mut far_ends: FxHashMap<(usize, NodeId), Vec<NodeId>> = FxHashMap::default();
        for reached in subgraph.reached {
            if reached.step > flat.len() || !expanded.nodes.contains_key(&reached.id) {
                continue;
            }
            if let Some(from) = reached.from {
                far_ends
                    .entry((reached.step, from))
                    .or_default()
                    .push(reached.id.clone());
            }
            reached_by[reached.step].insert(reached.id);
        }
        for step in &flat {
            for from in &reached_by[step.parent] {
                let ends = far_ends
                    .remove(&(step.number, from.clone()))
                    .unwrap_or_default();
                expanded
                    .links
                    .entry((from.clone(), step.hop))
                    .or_default()
                    .extend(ends);
            }
        }
        for ends in expanded.links.values_mut() {
            ends.sort();
            ends.dedup();
        }
        expanded
    }
}
