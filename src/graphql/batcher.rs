//! A batch loader that gathers keys by turns of the request task rather than by a timer.
//!
//! async-graphql resolves the fields of a list's items as sibling futures of one task, so
//! siblings register their keys over a few polls of that task. The first caller of a batch
//! leads it: it yields its task, turn after turn, until a few turns in a row bring no new
//! caller, then runs one load for all of them. A timer (as in async-graphql's DataLoader)
//! splits batches whenever polling a long list outlasts it, and so does a fixed number of
//! turns: a long list can need more polls than that to reach every sibling (a poll of a
//! task's children may end early, and waiters woken from another thread land in later
//! polls). Both made store calls grow with rows.
//!
//! Batches are also kept apart by group (the field path, from the caller), so that a load
//! from another field never joins a batch by the luck of timing: the number of loads a
//! request makes then depends on the shape of the query alone.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// How many turns in a row must bring no new caller before a leader closes its batch.
const QUIET_TURNS: usize = 3;
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
    done: Notify,
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
            done: Notify::new(),
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
        let (id, leads) = {
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
            });
            batch.keys.extend(keys.iter().cloned());
            batch.waiters += 1;
            (id, batch.waiters == 1)
        };
        if leads {
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
            self.close_and_run(group, id);
        }
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.state();
                let finished = state.batches.get_mut(&id).and_then(|batch| {
                    let outcome = batch.outcome.clone()?;
                    batch.waiters -= 1;
                    Some((outcome, batch.waiters == 0))
                });
                if let Some((outcome, last)) = finished {
                    if last {
                        state.batches.remove(&id);
                    }
                    let values = outcome?;
                    return Ok(keys
                        .into_iter()
                        .filter_map(|k| values.get(&k).cloned().map(|v| (k, v)))
                        .collect());
                }
            }
            notified.await;
        }
    }

    /// How many callers have joined batch `id`.
    fn callers(&self, id: u64) -> usize {
        self.state()
            .batches
            .get(&id)
            .map_or(0, |batch| batch.waiters)
    }

    /// Stops the batch taking keys and loads it in its own task, so that a caller that goes
    /// away cannot leave the others waiting.
    fn close_and_run(self: &Arc<Self>, group: &str, id: u64) {
        let mut keys = {
            let mut state = self.state();
            if state.open.get(group) == Some(&id) {
                state.open.remove(group);
            }
            state
                .batches
                .get_mut(&id)
                .map(|batch| std::mem::take(&mut batch.keys))
                .unwrap_or_default()
        };
        let mut seen = std::collections::HashSet::new();
        keys.retain(|k| seen.insert(k.clone()));
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let outcome = this.loader.load(&keys).await.map(Arc::new);
            if let Some(batch) = this.state().batches.get_mut(&id) {
                batch.outcome = Some(outcome);
            }
            this.done.notify_waiters();
        });
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
