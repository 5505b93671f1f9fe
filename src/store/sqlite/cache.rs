//! Decoded nodes, and the links a read-ahead followed from them, kept between reads, so that
//! a page read again (the first page of a listing, the people on it, who reported it) is
//! neither fetched and decoded from JSON nor looked up in the edge indexes again.
//!
//! The cache holds the nodes of one version of the database: every batch bumps a count of
//! writes in its own transaction, and a read uses the cache only when its transaction sees
//! the count the cache was filled at. So a read never mixes nodes from before a write with
//! links from after it. A read that sees a newer count starts a new, empty cache for it; one
//! that sees an older count (it began before the last write) goes without.

use std::sync::{Arc, Mutex};

use quick_cache::sync::Cache;
use quick_cache::Weighter;

use crate::model::record::NodeRecord;
use crate::model::NodeId;
use crate::store::plan::Hop;

/// Default bound on what the cache holds, in bytes of stored JSON.
pub const DEFAULT_CACHE_BYTES: u64 = 16 << 20;

/// The share of the bound that links take: a node's links are a few ids, its JSON hundreds
/// of bytes, so a quarter holds the links of many more nodes than the rest holds nodes.
const LINK_SHARE: u64 = 4;

/// A node as cached: the shared record and the size of its stored JSON, its weight.
#[derive(Clone)]
pub(super) struct Cached {
    pub record: Arc<NodeRecord>,
    pub stored_bytes: u64,
}

#[derive(Clone)]
struct StoredBytes;

impl Weighter<NodeId, Cached> for StoredBytes {
    fn weight(&self, _: &NodeId, value: &Cached) -> u64 {
        // An entry's own bookkeeping counts too, so that many small nodes are bounded.
        value.stored_bytes + 64
    }
}

/// The far ends of one kind of link from one node, in no particular order.
pub(super) type FarEnds = Arc<[NodeId]>;

#[derive(Clone)]
struct IdBytes;

impl Weighter<(NodeId, Hop), FarEnds> for IdBytes {
    fn weight(&self, _: &(NodeId, Hop), ends: &FarEnds) -> u64 {
        // An id is a shared pointer to text of about 24 bytes (often shared with the nodes).
        64 + 48 * ends.len() as u64
    }
}

/// The nodes, and the links followed from them, as of one count of writes.
pub(super) struct Generation {
    version: u64,
    nodes: Cache<NodeId, Cached, StoredBytes>,
    links: Cache<(NodeId, Hop), FarEnds, IdBytes>,
}

impl Generation {
    pub fn get(&self, id: &NodeId) -> Option<Arc<NodeRecord>> {
        self.nodes.get(id).map(|cached| cached.record)
    }

    pub fn insert(&self, record: Arc<NodeRecord>, stored_bytes: usize) {
        let id = record.id.clone();
        let stored_bytes = stored_bytes as u64;
        self.nodes.insert(
            id,
            Cached {
                record,
                stored_bytes,
            },
        );
    }

    /// The far ends of `hop` from `near`, when known (possibly none).
    pub fn links(&self, near: &NodeId, hop: Hop) -> Option<FarEnds> {
        self.links.get(&(near.clone(), hop))
    }

    pub fn insert_links(&self, near: NodeId, hop: Hop, ends: FarEnds) {
        self.links.insert((near, hop), ends);
    }
}

/// The cache: the generation of the newest count of writes seen.
pub(super) struct NodeCache {
    bytes: u64,
    current: Mutex<Option<Arc<Generation>>>,
}

impl NodeCache {
    /// A cache of at most `bytes` of stored JSON; 0 turns it off.
    pub fn new(bytes: u64) -> Self {
        Self {
            bytes,
            current: Mutex::new(None),
        }
    }

    /// The generation for a read whose transaction sees `version` (the count of writes),
    /// when it may use one.
    pub fn at(&self, version: u64) -> Option<Arc<Generation>> {
        if self.bytes == 0 {
            return None;
        }
        let mut current = self.current.lock().ok()?;
        match current.as_ref() {
            Some(generation) if generation.version == version => Some(Arc::clone(generation)),
            Some(generation) if generation.version > version => None,
            _ => {
                // Sized for a few pages at first; it grows up to the byte bound.
                let links = self.bytes / LINK_SHARE;
                let generation = Arc::new(Generation {
                    version,
                    nodes: Cache::with_weighter(1024, self.bytes - links, StoredBytes),
                    links: Cache::with_weighter(1024, links, IdBytes),
                });
                *current = Some(Arc::clone(&generation));
                Some(generation)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Label;

    fn record(key: &str) -> Arc<NodeRecord> {
        Arc::new(NodeRecord {
            id: NodeId::new(Label::Person, key),
            props: Default::default(),
        })
    }

    #[test]
    fn a_generation_serves_only_reads_of_its_own_version() {
        let cache = NodeCache::new(1 << 20);
        let first = cache.at(3).expect("a first generation");
        first.insert(record("a"), 10);
        let id = NodeId::new(Label::Person, "a");
        assert!(cache.at(3).and_then(|g| g.get(&id)).is_some());
        // A write made version 4: its readers start afresh, and late readers of 3 go
        // without (they must not see, nor fill, version 4's cache).
        let second = cache.at(4).expect("a new generation");
        assert!(second.get(&id).is_none());
        assert!(cache.at(3).is_none());
        assert!(cache.at(4).is_some());
    }

    #[test]
    fn a_cache_of_no_bytes_is_off() {
        assert!(NodeCache::new(0).at(1).is_none());
    }

    #[test]
    fn the_cache_holds_no_more_than_its_bytes() {
        let cache = NodeCache::new(10_000);
        let generation = cache.at(1).expect("a generation");
        for i in 0..1000 {
            generation.insert(record(&i.to_string()), 1000);
        }
        let kept = (0..1000)
            .filter(|i| {
                generation
                    .get(&NodeId::new(Label::Person, &i.to_string()))
                    .is_some()
            })
            .count();
        assert!(kept <= 10, "{kept} entries of about 1 KB in 10 KB");
    }

    #[test]
    fn links_hold_no_more_than_their_share_of_the_bytes() {
        use crate::model::RelType;
        use crate::store::Direction;
        let cache = NodeCache::new(40_000);
        let generation = cache.at(1).expect("a generation");
        let hop = Hop::new(RelType::Relays, Direction::Out);
        let ends: FarEnds = (0..20)
            .map(|i| NodeId::new(Label::Report, &i.to_string()))
            .collect();
        // Each entry weighs 64 + 48 * 20 = 1,024 bytes, against a share of 10,000.
        for i in 0..1000 {
            generation.insert_links(
                NodeId::new(Label::Person, &i.to_string()),
                hop,
                Arc::clone(&ends),
            );
        }
        let kept = (0..1000)
            .filter(|i| {
                generation
                    .links(&NodeId::new(Label::Person, &i.to_string()), hop)
                    .is_some()
            })
            .count();
        assert!((1..=10).contains(&kept), "{kept} entries of 1 KB in 10 KB");
    }
}
