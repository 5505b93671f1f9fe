//! A batch loader that gathers keys by turns of the request task rather than by a timer.
//!
//! async-graphql resolves the fields of a list's items as sibling futures of one task, so
//! siblings register their keys over a few polls of that task. The first caller of a batch
//! leads it: it yields its task, turn after turn, until a few turns in a row bring no new
//! caller, then loads the batch itself, inside the request task, and wakes the others
//! there. A timer (as in async-graphql's DataLoader) splits batches whenever polling a long
//! list outlasts it; a load finishing on another thread wakes its waiters a few at a time,
//! so the next stage's siblings trickle in and split too. Both made store calls grow with
//! rows.
//!
//! Batches are also kept apart by group (the field path, from the caller), so that a load
//! from another field never joins a batch by the luck of timing: the number of loads a
//! request makes then depends on the shape of the query alone.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// How many turns in a row must bring no new caller before a leader closes its batch.
/// Deeply nested lists need several: with 4, one query in four split a batch; from 8 up,
/// none in 20 runs, on an idle machine or a loaded one. 16 leaves a margin at the cost of a
/// few microseconds of task polls.
const QUIET_TURNS: usize = 16;
/// The most turns a leader waits, however busy the task.
const MAX_TURNS: usize = 256;

/// One batched read.
pub trait BatchLoad: Send + Sync + 'static {
    type Key: Clone + Eq + Hash + Send + Sync + 'static;
    type Value: Clone + Send + Sync + 'static;
    type Error: Clone + Send + Sync + 'static;

    fn load(
        &self,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, Self::Error>> + Send;
}

type Outcome<L> =
    Result<Arc<HashMap<<L as BatchLoad>::Key, <L as BatchLoad>::Value>>, <L as BatchLoad>::Error>;

struct Batch<L: BatchLoad> {
    keys: Vec<L::Key>,
    waiters: usize,
    outcome: Option<Outcome<L>>,
    done: Arc<Notify>,
}

struct State<L: BatchLoad> {
    /// The batch that new keys of each group join.
    open: HashMap<String, u64>,
    next: u64,
    batches: HashMap<u64, Batch<L>>,
}

/// Batches loads of `L` across concurrent callers.
pub struct Batcher<L: BatchLoad> {
    loader: L,
    state: Mutex<State<L>>,
}

/// Loads a batch whose leader went away (its request was cancelled) before the load
/// finished, so that its other callers are answered all the same.
struct LeaderGuard<L: BatchLoad> {
    batcher: Arc<Batcher<L>>,
    group: String,
    id: u64,
    /// The batch's keys once closed.
    keys: Option<Vec<L::Key>>,
    loaded: bool,
}

impl<L: BatchLoad> Drop for LeaderGuard<L> {
    fn drop(&mut self) {
        if self.loaded {
            return;
        }
        let keys = match self.keys.take() {
            Some(keys) => keys,
            None => self.batcher.close(&self.group, self.id),
        };
        let (batcher, id) = (Arc::clone(&self.batcher), self.id);
        tokio::spawn(async move { batcher.run(id, &keys).await });
    }
}

/// Leaves the batch when a caller goes away before taking its outcome, so that batches of
/// cancelled requests are not kept.
struct WaiterGuard<L: BatchLoad> {
    batcher: Arc<Batcher<L>>,
    id: u64,
    collected: bool,
}

impl<L: BatchLoad> Drop for WaiterGuard<L> {
    fn drop(&mut self) {
        if self.collected {
            return;
        }
        let mut state = self.batcher.state();
        if let Some(batch) = state.batches.get_mut(&self.id) {
            batch.waiters -= 1;
            if batch.waiters == 0 && batch.outcome.is_some() {
                state.batches.remove(&self.id);
            }
        }
    }
}

impl<L: BatchLoad> Batcher<L> {
    pub fn new(loader: L) -> Arc<Self> {
        Arc::new(Self {
            loader,
            state: Mutex::new(State {
                open: HashMap::new(),
                next: 0,
                batches: HashMap::new(),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State<L>> {
        // The state is only ever left consistent, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The values of these keys, loaded with those of the group's other callers; keys
    /// without a value are left out.
    pub async fn load_many(
        self: &Arc<Self>,
        group: &str,
        keys: impl IntoIterator<Item = L::Key>,
    ) -> Result<HashMap<L::Key, L::Value>, L::Error> {
        let keys: Vec<L::Key> = keys.into_iter().collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let (id, leads, done) = {
            let mut state = self.state();
            let next = state.next;
            let id = *state.open.entry(group.to_string()).or_insert(next);
            if id == next {
                state.next += 1;
            }
            let batch = state.batches.entry(id).or_insert_with(|| Batch {
                keys: Vec::new(),
                waiters: 0,
                outcome: None,
                done: Arc::new(Notify::new()),
            });
            batch.keys.extend(keys.iter().cloned());
            batch.waiters += 1;
            (id, batch.waiters == 1, Arc::clone(&batch.done))
        };
        let mut waiter = WaiterGuard {
            batcher: Arc::clone(self),
            id,
            collected: false,
        };
        if leads {
            let mut guard = LeaderGuard {
                batcher: Arc::clone(self),
                group: group.to_string(),
                id,
                keys: None,
                loaded: false,
            };
            self.gather(id).await;
            let keys = guard.keys.insert(self.close(group, id));
            self.run(id, keys).await;
            guard.loaded = true;
        }
        loop {
            let notified = done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(outcome) = self.take_outcome(id) {
                waiter.collected = true;
                let values = outcome?;
                return Ok(keys
                    .into_iter()
                    .filter_map(|k| values.get(&k).cloned().map(|v| (k, v)))
                    .collect());
            }
            notified.await;
        }
    }

    /// Yields until a few turns in a row bring no new caller to batch `id`.
    async fn gather(&self, id: u64) {
        let mut callers = self.callers(id);
        let mut quiet = 0;
        for _ in 0..MAX_TURNS {
            tokio::task::yield_now().await;
            let now = self.callers(id);
            quiet = if now == callers { quiet + 1 } else { 0 };
            callers = now;
            if quiet == QUIET_TURNS {
                break;
            }
        }
    }

    /// How many callers have joined batch `id`.
    fn callers(&self, id: u64) -> usize {
        self.state()
            .batches
            .get(&id)
            .map_or(0, |batch| batch.waiters)
    }

    /// Stops batch `id` taking keys and returns them, each once.
    fn close(&self, group: &str, id: u64) -> Vec<L::Key> {
        let mut state = self.state();
        if state.open.get(group) == Some(&id) {
            state.open.remove(group);
        }
        let mut keys = state
            .batches
            .get_mut(&id)
            .map(|batch| std::mem::take(&mut batch.keys))
            .unwrap_or_default();
        let mut seen = HashSet::new();
        keys.retain(|k| seen.insert(k.clone()));
        keys
    }

    /// Loads batch `id` and wakes its callers; drops it if they have all gone away.
    async fn run(&self, id: u64, keys: &[L::Key]) {
        let outcome = self.loader.load(keys).await.map(Arc::new);
        let done = {
            let mut state = self.state();
            match state.batches.get_mut(&id) {
                Some(batch) if batch.waiters == 0 => {
                    state.batches.remove(&id);
                    None
                }
                Some(batch) => {
                    batch.outcome = Some(outcome);
                    Some(Arc::clone(&batch.done))
                }
                None => None,
            }
        };
        if let Some(done) = done {
            done.notify_waiters();
        }
    }

    /// The outcome of batch `id` once loaded; the last caller to take it drops the batch.
    fn take_outcome(&self, id: u64) -> Option<Outcome<L>> {
        let mut state = self.state();
        let batch = state.batches.get_mut(&id)?;
        let outcome = batch.outcome.clone()?;
        batch.waiters -= 1;
        if batch.waiters == 0 {
            state.batches.remove(&id);
        }
        Some(outcome)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Squares(AtomicUsize);

    impl BatchLoad for Squares {
        type Key = u32;
        type Value = u32;
        type Error = String;

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(keys
                .iter()
                .filter(|k| **k != 0)
                .map(|k| (*k, k * k))
                .collect())
        }
    }

    #[tokio::test]
    async fn sibling_loads_share_one_batch() {
        let batcher = Batcher::new(Squares(AtomicUsize::new(0)));
        let loads = (0..500u32).map(|k| {
            let batcher = Arc::clone(&batcher);
            async move { batcher.load_many("squares", [k]).await }
        });
        let results = futures_util::future::join_all(loads).await;
        assert_eq!(batcher.loader.0.load(Ordering::SeqCst), 1);
        assert_eq!(results[7].as_ref().unwrap()[&7], 49);
        assert!(
            results[0].as_ref().unwrap().is_empty(),
            "keys without a value are left out"
        );
        assert!(
            batcher.state().batches.is_empty(),
            "finished batches are dropped"
        );
    }

    #[tokio::test]
    async fn later_loads_start_a_new_batch() {
        let batcher = Batcher::new(Squares(AtomicUsize::new(0)));
        batcher.load_many("squares", [2]).await.unwrap();
        batcher.load_many("squares", [3]).await.unwrap();
        assert_eq!(batcher.loader.0.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_cancelled_leader_still_answers_the_others() {
        let batcher = Batcher::new(Squares(AtomicUsize::new(0)));
        let leader = {
            let batcher = Arc::clone(&batcher);
            tokio::spawn(async move { batcher.load_many("squares", [2]).await })
        };
        // Let the leader open the batch, then join it and cancel the leader.
        tokio::task::yield_now().await;
        let follower = {
            let batcher = Arc::clone(&batcher);
            tokio::spawn(async move { batcher.load_many("squares", [3]).await })
        };
        tokio::task::yield_now().await;
        leader.abort();
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), follower)
            .await
            .expect("the follower is answered")
            .unwrap()
            .unwrap();
        assert_eq!(answer[&3], 9);
    }

    #[tokio::test]
    async fn cancelled_callers_leave_no_batch_behind() {
        let batcher = Batcher::new(Squares(AtomicUsize::new(0)));
        let callers: Vec<_> = (1..=20u32)
            .map(|k| {
                let batcher = Arc::clone(&batcher);
                tokio::spawn(async move { batcher.load_many("squares", [k]).await })
            })
            .collect();
        tokio::task::yield_now().await;
        for caller in &callers {
            caller.abort();
        }
        for caller in callers {
            let _ = caller.await;
        }
        // A later load runs and finishes; nothing of the cancelled batch is kept.
        batcher.load_many("squares", [7]).await.unwrap();
        for _ in 0..100 {
            if batcher.state().batches.is_empty() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(batcher.state().batches.is_empty());
    }

    #[tokio::test]
    async fn groups_never_share_a_batch() {
        let batcher = Batcher::new(Squares(AtomicUsize::new(0)));
        let loads = (1..=10u32).map(|k| {
            let batcher = Arc::clone(&batcher);
            let group = if k % 2 == 0 { "even" } else { "odd" };
            async move { batcher.load_many(group, [k]).await }
        });
        futures_util::future::join_all(loads).await;
        assert_eq!(batcher.loader.0.load(Ordering::SeqCst), 2);
    }
}
