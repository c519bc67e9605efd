//! Many schedules at once: a min-heap of each schedule's next tick, so the daemon asks one
//! question ("when do I wake next?") and, on waking, gets every fire that is due across all
//! schedules, in time order. Each fire costs O(log n) heap work plus one `next_after`. The
//! timetable holds no clock: the caller passes `now`, so tests drive it with a manual clock and
//! the daemon with the system clock. It never fires the same (key, instant) twice.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::Debug;

use chrono::{DateTime, Utc};

use crate::schedule::Schedule;

/// Fires and skips returned by [`Timetable::take_due`], each as (key, scheduled instant),
/// ordered by instant then key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimetableDue<K> {
    /// Ticks to run now.
    pub fire: Vec<(K, DateTime<Utc>)>,
    /// Missed ticks the schedules' misfire policies chose not to run; record them.
    pub skipped: Vec<(K, DateTime<Utc>)>,
}

impl<K> Default for TimetableDue<K> {
    fn default() -> Self {
        TimetableDue {
            fire: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

#[derive(Debug)]
struct Slot<K> {
    key: K,
    schedule: Schedule,
    /// Scheduled instant of the last tick fired or skipped (or the insertion time).
    last: DateTime<Utc>,
    /// Identifies this entry's heap item; items of replaced or removed entries are stale.
    generation: u64,
}

/// A set of schedules keyed by `K` (a flow name, a (flow, schedule-index) pair, …).
#[derive(Debug)]
pub struct Timetable<K> {
    /// The latest `now` seen (construction time or the last `take_due`).
    now: DateTime<Utc>,
    /// Key → index in `slots`.
    index: BTreeMap<K, usize>,
    /// The schedules; `None` marks a free slot (listed in `free`).
    slots: Vec<Option<Slot<K>>>,
    free: Vec<usize>,
    /// (next tick, slot, generation): small and key-free, so heap work never compares or
    /// touches keys. Invariant after every `&mut self` method: the top item, if any, is live —
    /// so `next_wake(&self)` can simply peek.
    heap: BinaryHeap<Reverse<(DateTime<Utc>, usize, u64)>>,
    next_generation: u64,
}

impl<K: Clone + Ord + Debug> Timetable<K> {
    /// An empty timetable at `now`: schedules inserted without a `last` start after `now`.
    pub fn new(now: DateTime<Utc>) -> Timetable<K> {
        Timetable {
            now,
            index: BTreeMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            next_generation: 0,
        }
    }

    /// The latest `now` the timetable has seen.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Adds or replaces the schedule under `key`. `last` is the scheduled instant of the last
    /// tick recorded for it (from the run store); ticks after it that are already past are
    /// handled by the misfire policy at the next [`Timetable::take_due`]. `None` (never ran):
    /// the first tick is the first one after the timetable's `now`. Returns the replaced
    /// schedule.
    pub fn insert(
        &mut self,
        key: K,
        schedule: Schedule,
        last: Option<DateTime<Utc>>,
    ) -> Option<Schedule> {
        let last = last.unwrap_or(self.now);
        let generation = self.next_generation;
        self.next_generation += 1;
        let next = schedule.next_after(last);
        let fresh = Slot {
            key: key.clone(),
            schedule,
            last,
            generation,
        };
        let (slot, old) = match self.index.get(&key) {
            Some(&slot) => (slot, self.slots[slot].replace(fresh)),
            None => {
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.slots[slot] = Some(fresh);
                        slot
                    }
                    None => {
                        self.slots.push(Some(fresh));
                        self.slots.len() - 1
                    }
                };
                self.index.insert(key, slot);
                (slot, None)
            }
        };
        if let Some(at) = next {
            self.heap.push(Reverse((at, slot, generation)));
        }
        self.tidy();
        old.map(|e| e.schedule)
    }

    /// Removes the schedule under `key`, returning it.
    pub fn remove(&mut self, key: &K) -> Option<Schedule> {
        let slot = self.index.remove(key)?;
        let old = self.slots[slot].take();
        self.free.push(slot);
        self.tidy();
        old.map(|e| e.schedule)
    }

    fn slot(&self, key: &K) -> Option<&Slot<K>> {
        self.slots[*self.index.get(key)?].as_ref()
    }

    /// The schedule under `key`.
    pub fn get(&self, key: &K) -> Option<&Schedule> {
        self.slot(key).map(|e| &e.schedule)
    }

    /// The scheduled instant of the last tick fired or skipped under `key` (or the time it was
    /// inserted without a `last`).
    pub fn last(&self, key: &K) -> Option<DateTime<Utc>> {
        self.slot(key).map(|e| e.last)
    }

    /// How many schedules the timetable holds.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when the timetable holds no schedule.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The earliest pending tick across all schedules: when the daemon should next call
    /// [`Timetable::take_due`]. `None` when no schedule will ever fire again.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Every tick to run at `now` across all schedules, ordered by instant then key; each
    /// schedule advances past `now`. Missed ticks that the misfire policies skip are dropped:
    /// a daemon that records skips uses [`Timetable::take_due`] instead.
    pub fn pop_due(&mut self, now: DateTime<Utc>) -> Vec<(K, DateTime<Utc>)> {
        self.take_due(now).fire
    }

    /// Every tick due at `now` across all schedules — to run (`fire`) and, for missed ticks the
    /// misfire policies do not run, to record (`skipped`) — each ordered by instant then key.
    /// Each schedule advances past `now`; a later call never returns the same tick again.
    pub fn take_due(&mut self, now: DateTime<Utc>) -> TimetableDue<K> {
        if now > self.now {
            self.now = now;
        }
        let mut out = TimetableDue::default();
        while let Some(Reverse((at, _, _))) = self.heap.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, slot, generation))) = self.heap.pop() else {
                break;
            };
            let Some(entry) = self.slots[slot].as_mut() else {
                continue; // removed
            };
            if entry.generation != generation {
                continue; // replaced
            }
            let after_at = entry.schedule.next_after(at);
            let next = if after_at.is_none_or(|t| t > now) {
                // The common case, a daemon on time: one due tick, no lists to build.
                match entry.schedule.fires_alone(at, now) {
                    true => out.fire.push((entry.key.clone(), at)),
                    false => out.skipped.push((entry.key.clone(), at)),
                }
                entry.last = at;
                after_at
            } else {
                let (due, next) = entry.schedule.due_from(Some(at), now);
                if let Some(latest) = due.latest() {
                    entry.last = latest;
                }
                let key = &entry.key;
                out.fire
                    .extend(due.fire.into_iter().map(|t| (key.clone(), t)));
                out.skipped
                    .extend(due.skipped.into_iter().map(|t| (key.clone(), t)));
                next
            };
            if let Some(next) = next {
                self.heap.push(Reverse((next, slot, generation)));
            }
        }
        out.fire.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        out.skipped.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        self.tidy();
        out
    }

    fn live(&self, slot: usize, generation: u64) -> bool {
        self.slots[slot]
            .as_ref()
            .is_some_and(|e| e.generation == generation)
    }

    /// Drops stale items from the top of the heap (keeping `next_wake` exact), and rebuilds the
    /// heap when stale items outnumber live ones (many replacements).
    fn tidy(&mut self) {
        if self.heap.len() > 2 * self.index.len() + 64 {
            let items = std::mem::take(&mut self.heap).into_vec();
            let live: Vec<_> = items
                .into_iter()
                .filter(|Reverse((_, slot, generation))| self.live(*slot, *generation))
                .collect();
            self.heap = BinaryHeap::from(live);
        }
        while let Some(Reverse((_, slot, generation))) = self.heap.peek() {
            if self.live(*slot, *generation) {
                break;
            }
            self.heap.pop();
        }
    }
}
