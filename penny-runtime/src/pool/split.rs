//! Splitting a running loop across idle workers (`#[penny::split]`), and joining the halves
//! without blocking a worker.
//!
//! # When a task splits (lazy binary splitting)
//!
//! After a chunk that yielded, a worker offers its task a split when the pool has more than
//! one worker, this worker's own deque at the task's priority is empty (a half it split off
//! before and nobody stole holds further splits back) and nothing more urgent is queued:
//! [`Task::split`](crate::Task::split)
//! gives the upper part of the loop's remaining range, at least one chunk's worth of
//! iterations (the task's budget), to a half in a fresh slot, pushed to this worker's deque
//! where thieves find it. A task whose halves were not stolen meets them again in its own
//! deque. No slot free: no split.
//!
//! # Joining
//!
//! Every task in a split has a [`Link`] (one per slot). `pending` counts its halves that have
//! not finished, plus one while the task itself has not reached its join.
//!
//! - A task that reaches the end of its part ([`SplitState::Joining`]) parks: its slot becomes
//!   WAITING *before* it takes its one off `pending`, so whoever brings `pending` to zero
//!   finds it parked. If that is the task itself, it carries on at once.
//! - A half that ends parks too (WAITING: its state waits to be joined), records a failure
//!   or cancellation in its parent's link, and takes one off the parent's `pending`; if that
//!   was the last, it resumes the parent on this worker: the last half to finish combines.
//! - A resumed task joins its halves, latest first ([`Task::join`](crate::Task::join): each
//!   half covers the iterations right after the part joined so far), frees their slots and
//!   goes on past the loop; or, if a half failed or the task is ending, frees them and ends
//!   with that outcome. A task never ends while it has halves (a cancel or a panic waits for
//!   them), and a handle cannot cancel it while queued (the split bit in its header): the
//!   halves hold references to its cell and count down its link.
//!
//! # Progress through the one handle
//!
//! The handle reads the root task's slot. Once a task is in a split, it adds what its own
//! progress gained since its last publication to the root's `done` word (`fetch_add`)
//! instead of storing it; a half starts from what its progress read when it was split. When a
//! task joins a half, what the half added becomes the task's own (its progress now counts
//! those iterations), so nothing is counted twice.

use super::worker::panic_message;
use super::Shared;
use crate::budget::Meter;
use crate::completion::Outcome;
use crate::lock::SpinLock;
use crate::owned::{self, Running};
use crate::region;
use crate::sync::{AtomicU32, Ordering::*};
use crate::{Progress, SplitState};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A line in the simulation's trace (nothing elsewhere).
fn trace(line: impl FnOnce() -> String) {
    #[cfg(test)]
    crate::backend::sim::trace(line);
    #[cfg(not(test))]
    let _ = line;
}

/// The split bookkeeping of one slot (see the module docs).
pub(crate) struct Link {
    /// Unfinished halves, plus one while the task has not reached its join.
    pending: AtomicU32,
    data: SpinLock<LinkData>,
}

#[derive(Default)]
struct LinkData {
    /// Whether the slot's task is in a split (the rest is meaningful only then).
    active: bool,
    /// For a half: the slot it was split from.
    parent: Option<u32>,
    /// The slot whose handle the user holds.
    root: u32,
    /// Halves split off and not joined yet, in the order they were split.
    halves: Vec<u32>,
    /// Whether the task reached its join (it took its one off `pending`).
    arrived: bool,
    /// How the task ends once its halves are done, when it can't go on: a half failed or
    /// was cancelled, or the task itself was cancelled or panicked.
    ending: Option<(Outcome, Option<String>)>,
    /// Progress `done` this task has added to the root's word (the root: its own stores
    /// before the split too).
    published: u64,
    /// For a half: its progress `done` when it was split off.
    initial: u64,
}

impl Link {
    pub(super) fn new() -> Link {
        Link {
            pending: AtomicU32::new(0),
            data: SpinLock::new(LinkData::default()),
        }
    }

    /// Puts the slot's task into a split (`data` is this link's, locked): split from `parent`
    /// (none for the root), its progress so far `published` (a half's counts from there);
    /// the task itself is the one pending arrival. Keeps the halves list's allocation.
    fn start(&self, data: &mut LinkData, parent: Option<u32>, root: u32, published: u64) {
        let mut halves = core::mem::take(&mut data.halves);
        halves.clear();
        *data = LinkData {
            active: true,
            parent,
            root,
            halves,
            published,
            initial: if parent.is_some() { published } else { 0 },
            ..LinkData::default()
        };
        self.pending.store(1, Relaxed);
    }
}

impl Shared {
    fn link(&self, index: u32) -> &Link {
        &self.links[index as usize]
    }

    /// Whether the task in slot `index` is in a split.
    pub(super) fn in_split(&self, index: u32) -> bool {
        self.link(index).data.lock().active
    }

    /// Whether the task in slot `index` has halves it hasn't joined yet.
    pub(super) fn has_halves(&self, index: u32) -> bool {
        !self.link(index).data.lock().halves.is_empty()
    }

    /// Whether the task in slot `index` is a split half (split from another task).
    pub(super) fn is_half(&self, index: u32) -> bool {
        let data = self.link(index).data.lock();
        data.active && data.parent.is_some()
    }

    /// Offers `task` a split after a chunk that yielded (see the module docs). Task code runs
    /// here (`split`, and `progress` of the half): the caller catches panics.
    /// `meter`: the task's budget meter as it is now (the half starts with it); each part
    /// keeps at least its budget's worth of iterations.
    pub(super) fn offer_split(&self, me: u16, task: &mut Running<'_>, meter: Meter) {
        let priority = task.header().priority() as usize;
        // Lazy binary splitting: split only when this worker's own deque at the task's
        // priority is empty (a half it split off earlier and nobody took stops it), and
        // nothing more urgent waits anywhere.
        if self.layout.config.workers < 2
            || self.queued().load(Relaxed) & self.more_urgent_mask(priority) != 0
            || self.deque(me as usize, priority).len(&self.region) != 0
            || !self.room_for_a_half()
            || task.split_state() != SplitState::Splittable
        {
            return;
        }
        // Each part keeps at least half a chunk's iterations: a split costs a few
        // microseconds, a chunk is a time slice.
        let min_iterations = u64::from(meter.budget / 2).max(1);
        let Some(half) = task.split_off(&self.region, min_iterations, meter) else {
            // The task declined after a free slot was taken for its half: the slot went back
            // to the free list, where a spawner waiting for one must learn of it. (A `split`
            // that panics gives it back too; the worker calls `slot_freed` then.)
            self.slot_freed();
            return;
        };
        if !task.kind().splits.load(Relaxed) {
            task.kind().splits.store(true, Relaxed);
        }
        let index = task.index();
        let half_index = half.index();
        // The half's starting progress; its parent gave its iterations up already, so the half
        // is published even if this panics (the task then fails once the half is done).
        let initial = catch_unwind(AssertUnwindSafe(|| half.progress().done))
            .map_err(|payload| drop(panic_message(payload)));
        let root = {
            let mut data = self.link(index).data.lock();
            if !data.active {
                let published = task.published_progress(&self.region).done;
                self.link(index).start(&mut data, None, index, published);
            }
            data.halves.push(half_index);
            if initial.is_err() {
                data.ending.get_or_insert((
                    Outcome::Failed,
                    Some("penny: a task's `progress` panicked while it split".to_owned()),
                ));
            }
            data.root
        };
        self.link(index).pending.fetch_add(1, Relaxed);
        {
            let link = self.link(half_index);
            link.start(
                &mut link.data.lock(),
                Some(index),
                root,
                initial.unwrap_or(0),
            );
        }
        task.set_split(&self.region, true);
        trace(|| format!("slot {index} split: half in slot {half_index}"));
        // The link above is written before the half is published (its Release store), and
        // whoever claims it does so with Acquire.
        let half = half.publish(&self.region);
        self.count(priority, 1);
        if let Err(half) = self.deque(me as usize, priority).push(&self.region, half) {
            self.inject(priority, half);
        }
        self.notify_work();
    }

    /// Whether a half may take a slot now: not while a task waits in the spawner-side queue
    /// for one, and, on pools of 4 slots or more, not the last free one. A half that finished
    /// keeps its slot until its root joins it at the loop's end, so halves taking every free
    /// slot would leave a spawn (an urgent one too) waiting for the whole loop.
    fn room_for_a_half(&self) -> bool {
        let reserve = u32::from(self.layout.config.slots >= 4);
        self.pending_len.load(Relaxed) == 0
            && self.region.u32(region::H_FREE_COUNT).load(Relaxed) > reserve
    }

    /// Publishes the progress of a task in a split: what it gained since its last
    /// publication goes to the root's word (see the module docs).
    pub(super) fn publish_split_progress(&self, task: &Running<'_>, progress: Progress) {
        let mut data = self.link(task.index()).data.lock();
        let off = self.layout.slot(data.root);
        let gained = progress.done.saturating_sub(data.published);
        data.published += gained;
        if gained != 0 {
            self.region
                .u64(off + region::S_PROGRESS_DONE)
                .fetch_add(gained, Release);
        }
        if data.parent.is_none() {
            let (_, total) = crate::completion::encode_progress(progress);
            self.region
                .u64(off + region::S_PROGRESS_TOTAL)
                .store(total, Release);
        }
    }

    /// `task` reached its join, or must end while it has halves (then `ending` says how).
    /// Returns the task when its halves are all done and the caller keeps running it (it
    /// then calls [`Shared::join_halves`]); `None` when it parked (the last half resumes it).
    pub(super) fn arrive<'k>(
        &'k self,
        me: u16,
        task: Running<'k>,
        ending: Option<(Outcome, Option<String>)>,
    ) -> Option<Running<'k>> {
        let index = task.index();
        let link = self.link(index);
        {
            let mut data = link.data.lock();
            if let Some(ending) = ending {
                data.ending.get_or_insert(ending);
            }
            if data.arrived {
                // Resumed by its last half (or it arrived before and is ending now).
                return Some(task);
            }
            data.arrived = true;
        }
        // Parked before the count goes down: whoever brings it to zero finds it WAITING.
        let index = task.park(&self.region);
        let before = link.pending.fetch_sub(1, AcqRel);
        trace(|| format!("slot {index} arrives at its join ({} left)", before - 1));
        if before == 1 {
            return Some(owned::take_parked(&self.region, &self.kinds, index, me));
        }
        None
    }

    /// Whether the task in slot `index` was parked at its join and resumed (every half
    /// done): it joins them before anything else.
    pub(super) fn resumed_at_join(&self, index: u32) -> bool {
        let data = self.link(index).data.lock();
        data.active && data.arrived
    }

    /// [`Shared::join_halves`] for a resumed task, catching a panic in `join`: how the task
    /// must end, if it must.
    pub(super) fn join_resumed(&self, task: &mut Running<'_>) -> Option<(Outcome, Option<String>)> {
        match catch_unwind(AssertUnwindSafe(|| self.join_halves(task))) {
            Ok(Ok(())) => None,
            Ok(Err(ending)) => Some(ending),
            Err(payload) => Some((Outcome::Failed, Some(panic_message(payload)))),
        }
    }

    /// A resumed task (every half done) joins its halves, latest first, and frees them.
    /// `Err` with how the task must end when a half failed or was cancelled, or the task is
    /// ending. Task code runs here (`join`): the caller catches panics, after which the
    /// remaining halves are still in the link (see [`Shared::end`]).
    pub(super) fn join_halves(
        &self,
        task: &mut Running<'_>,
    ) -> Result<(), (Outcome, Option<String>)> {
        let index = task.index();
        let ending = self.link(index).data.lock().ending.take();
        loop {
            let Some(half) = self.link(index).data.lock().halves.pop() else {
                break;
            };
            trace(|| format!("slot {index} joins its half in slot {half}"));
            if ending.is_none() {
                // If this panics, the half is off the list: free it all the same.
                struct FreeOnUnwind<'a>(&'a Shared, u32);
                impl Drop for FreeOnUnwind<'_> {
                    fn drop(&mut self) {
                        self.0.free_half(self.1);
                    }
                }
                let guard = FreeOnUnwind(self, half);
                task.join_half(&self.region, half);
                core::mem::forget(guard);
                let gained = {
                    let h = self.link(half).data.lock();
                    h.published - h.initial
                };
                self.link(index).data.lock().published += gained;
            }
            self.free_half(half);
        }
        task.set_split(&self.region, false);
        let mut data = self.link(index).data.lock();
        data.arrived = false;
        if data.parent.is_none() {
            // A root with every half joined: out of the split, its slot word is its own again
            // (it stores its progress: what it holds now includes the halves' iterations).
            // One that must end stays marked until `end` has read that.
            data.active = ending.is_some();
        } else {
            self.link(index).pending.store(1, Relaxed);
        }
        match ending {
            Some(ending) => Err(ending),
            None => Ok(()),
        }
    }

    fn free_half(&self, half: u32) {
        let mut data = self.link(half).data.lock();
        debug_assert!(
            data.halves.is_empty(),
            "penny: freed a half that has halves"
        );
        data.active = false;
        drop(data);
        owned::free_half(&self.region, &self.kinds, half);
        self.slot_freed();
    }

    /// Ends `task` with `outcome`, minding splits: a task with halves parks until they are
    /// done (and ends then, with `outcome` or a half's failure); a half parks for its parent
    /// and resumes it if it was the last; any other task finishes. Returns a task the caller
    /// runs next: the parent this half resumed, or this task once its halves are done.
    ///
    /// `code`: whether task code may run here (the final `progress`); not for a dead
    /// worker's tasks, whose state stopped mid-chunk.
    pub(super) fn end<'k>(
        &'k self,
        me: u16,
        task: Running<'k>,
        outcome: Outcome,
        panic: Option<String>,
        code: bool,
    ) -> Option<Running<'k>> {
        let index = task.index();
        let (has_halves, parent) = {
            let data = self.link(index).data.lock();
            (
                data.active && !data.halves.is_empty(),
                data.parent.filter(|_| data.active),
            )
        };
        if has_halves {
            let mut task = self.arrive(me, task, Some((outcome, panic)))?;
            // Every half is done and an ending is recorded, so this frees them (no task code).
            let (outcome, panic) = match self.join_halves(&mut task) {
                Err(ending) => ending,
                Ok(()) => unreachable!("penny: a task ending with halves recorded no ending"),
            };
            return self.end(me, task, outcome, panic, code);
        }
        let Some(parent) = parent else {
            // A root that ends out of a split (cancelled, failed): its own progress leaves
            // out what its halves did, so the published one (theirs included) stands.
            let was_split = core::mem::replace(&mut self.link(index).data.lock().active, false);
            if code && !was_split {
                self.finish(task, outcome, panic);
            } else {
                self.finish_without_code(task, outcome, panic);
            }
            return None;
        };
        if outcome != Outcome::Done {
            self.link(parent)
                .data
                .lock()
                .ending
                .get_or_insert((outcome, panic));
        }
        task.park(&self.region);
        let before = self.link(parent).pending.fetch_sub(1, AcqRel);
        trace(|| {
            format!(
                "half in slot {index} ends ({outcome:?}); slot {parent}: {} left",
                before - 1
            )
        });
        if before == 1 {
            return Some(owned::take_parked(&self.region, &self.kinds, parent, me));
        }
        None
    }

    /// Where a task ended by something other than its worker (the clean-up after shutdown,
    /// a dead worker's tasks) resumes a parent its end made ready: queued, for a worker (or
    /// the clean-up's next pass) to pick up.
    pub(super) fn requeue_resumed(&self, task: Running<'_>) {
        let priority = task.header().priority() as usize;
        let index = task.park(&self.region);
        owned::requeue_parked(&self.region, index);
        self.count(priority, 1);
        self.inject(priority, index);
        self.notify_work();
    }
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
