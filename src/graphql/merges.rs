//! Entity resolution without silent merges: `possibleDuplicates` suggests, an importer
//! decides with `mergeEntities`, and `unmergeEntity` undoes it.

use async_graphql::{Context, Object, ID};
use serde_json::Value;

use super::entity::Node;
use super::entity_interface::Entity;
use super::errors::{api_error, ApiError};
use super::ids::encode;
use crate::domain::duplicates::{possible_duplicates, DuplicateGroup};
use crate::domain::Graph;
use crate::model::record::derived::{MERGED_AT, MERGED_INTO, MERGE_MOVED, MERGE_REASON};
use crate::model::record::NodeRecord;
use crate::model::NodeId;

/// The most groups one `possibleDuplicates` call returns.
pub const MAX_DUPLICATE_GROUPS: usize = 100;

fn as_entity(node: Node) -> Option<Entity> {
    match node {
        Node::Person(p) => Some(Entity::Person(p)),
        Node::Organization(o) => Some(Entity::Organization(o)),
        Node::Place(p) => Some(Entity::Place(p)),
        Node::Event(e) => Some(Entity::Event(e)),
        _ => None,
    }
}

fn entity_of(record: &NodeRecord) -> async_graphql::Result<Entity> {
    as_entity(Node::from_record(record)?).ok_or_else(|| {
        api_error(ApiError::Internal(format!(
            "{} is not an entity",
            record.id
        )))
    })
}

/// Entities of one kind whose names or aliases are the same once case, diacritics and
/// punctuation are set aside: candidates for `mergeEntities`, never merged automatically.
pub struct PossibleDuplicate {
    group: DuplicateGroup,
    entities: Vec<Entity>,
}

/// Entities of one kind whose names or aliases are the same once case, diacritics and
/// punctuation are set aside: candidates for `mergeEntities`, never merged automatically.
#[Object]
impl PossibleDuplicate {
    /// The names they share, normalised: lower case, without diacritics or punctuation.
    async fn matched_on(&self) -> &[String] {
        &self.group.matched_on
    }

    /// Each entity, with the names (as stored) that matched: the evidence for the
    /// suggestion.
    async fn candidates(&self) -> Vec<DuplicateCandidate<'_>> {
        self.entities
            .iter()
            .zip(&self.group.entities)
            .map(|(entity, (_, names))| DuplicateCandidate { entity, names })
            .collect()
    }
}

/// One entity of a possible duplicate.
pub struct DuplicateCandidate<'a> {
    entity: &'a Entity,
    names: &'a [String],
}

/// One entity of a possible duplicate, with the names that matched.
#[Object]
impl DuplicateCandidate<'_> {
    /// The entity.
    async fn entity(&self) -> &Entity {
        self.entity
    }

    /// Its name or aliases that matched, as stored.
    async fn matched_names(&self) -> &[String] {
        self.names
    }
}

/// A recorded merge: the merged entity's links were moved to the kept one, and its id and
/// key resolve to the kept one, until `unmergeEntity` undoes it.
pub struct EntityMerge {
    kept: Entity,
    merged: NodeRecord,
    rederived: Option<usize>,
}

impl EntityMerge {
    fn prop(&self, name: &str) -> Option<&str> {
        self.merged.props.get(name).and_then(Value::as_str)
    }
}

/// A recorded merge: the merged entity's links were moved to the kept one, and its id and
/// key resolve to the kept one, until `unmergeEntity` undoes it.
#[Object]
impl EntityMerge {
    /// The entity that was kept, with everything the merged one had.
    async fn kept(&self) -> &Entity {
        &self.kept
    }

    /// The merged entity's global id, which now resolves to the kept entity.
    async fn merged_id(&self) -> ID {
        encode(&self.merged.id)
    }

    /// The merged entity's key, which imports now resolve to the kept entity.
    async fn merged_key(&self) -> &str {
        self.merged.id.key()
    }

    /// The merged entity's name.
    async fn merged_name(&self) -> Option<&str> {
        self.prop("name")
    }

    /// Why it was merged, as given.
    async fn reason(&self) -> Option<&str> {
        self.prop(MERGE_REASON)
    }

    /// When it was merged (RFC 3339).
    async fn merged_at(&self) -> Option<&str> {
        self.prop(MERGED_AT)
    }

    /// How many links moved to the kept entity (claims it is the subject or value of,
    /// reports it published, sources affiliated with it or naming it, evidence).
    async fn moved_links(&self) -> usize {
        self.merged
            .props
            .get(MERGE_MOVED)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    /// How many claims' statuses were derived again by this call; null when the merge is
    /// read back rather than made or undone.
    async fn rederived_claims(&self) -> Option<usize> {
        self.rederived
    }
}

impl EntityMerge {
    /// The merge recorded on `merged` (a stored record), with the kept entity read.
    pub async fn load(
        ctx: &Context<'_>,
        merged: NodeRecord,
        rederived: Option<usize>,
    ) -> async_graphql::Result<Option<EntityMerge>> {
        let Some(kept) = merged
            .props
            .get(MERGED_INTO)
            .and_then(Value::as_str)
            .and_then(NodeId::parse)
        else {
            return Ok(None);
        };
        let graph = ctx.data_unchecked::<Graph>();
        let records = graph
            .records(std::slice::from_ref(&kept))
            .await
            .map_err(api_error)?;
        let Some(kept) = records.get(&kept) else {
            return Ok(None);
        };
        Ok(Some(EntityMerge {
            kept: entity_of(kept)?,
            merged,
            rederived,
        }))
    }
}

/// Finding possible duplicates and reading recorded merges.
#[derive(Default)]
pub struct MergeQuery;

#[Object]
impl MergeQuery {
    /// Groups of entities of one kind that share a name or alias once case, diacritics and
    /// punctuation are set aside, ordered by that name, each entity with the names that
    /// matched. Only suggestions: `mergeEntities` is the importer's decision. `after` is a
    /// group's first `matchedOn` name; at most 100 groups. Entities already merged are left
    /// out. Reads every entity's names (one store query).
    async fn possible_duplicates(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Vec<PossibleDuplicate>> {
        if !(0..=MAX_DUPLICATE_GROUPS as i32).contains(&first) {
            return Err(ApiError::BadPagination(format!(
                "`first` must be between 0 and {MAX_DUPLICATE_GROUPS}"
            ))
            .into());
        }
        let graph = ctx.data_unchecked::<Graph>();
        let names = graph.store().entity_names().await.map_err(api_error)?;
        let groups: Vec<DuplicateGroup> = possible_duplicates(&names)
            .into_iter()
            .filter(|g| after.as_ref().is_none_or(|a| g.matched_on[0] > *a))
            .take(first as usize)
            .collect();
        let ids: Vec<NodeId> = groups
            .iter()
            .flat_map(|g| g.entities.iter().map(|(id, _)| id.clone()))
            .collect();
        let records = graph.records(&ids).await.map_err(api_error)?;
        groups
            .into_iter()
            .map(|group| {
                let entities = group
                    .entities
                    .iter()
                    .map(|(id, _)| {
                        records
                            .get(id)
                            .ok_or_else(|| api_error(ApiError::Internal(format!("{id} vanished"))))
                            .and_then(|record| entity_of(record))
                    })
                    .collect::<async_graphql::Result<Vec<_>>>()?;
                Ok(PossibleDuplicate { group, entities })
            })
            .collect()
    }

    /// The recorded merge of the entity with this key: null when it was not merged.
    async fn entity_merge(
        &self,
        ctx: &Context<'_>,
        key: String,
    ) -> async_graphql::Result<Option<EntityMerge>> {
        let graph = ctx.data_unchecked::<Graph>();
        let ids: Vec<NodeId> = crate::domain::entity_candidates(&key).collect();
        let records = graph.records(&ids).await.map_err(api_error)?;
        match records
            .into_values()
            .find(|r| r.props.contains_key(MERGED_INTO))
        {
            Some(merged) => {
                EntityMerge::load(ctx, std::sync::Arc::unwrap_or_clone(merged), None).await
            }
            None => Ok(None),
        }
    }
}
