//! The worker loop: finding a task, running it chunk by chunk, preemption, idling and
//! parking.
//!
//! # How a worker finds work
//!
//! For each priority from `UserBlocking` down to `Background`, skipping priorities whose
//! queued counter is zero: pop its own deque (LIFO), then the injector (taking a small batch
//! into its deque so idle workers can steal it), then steal (FIFO) from the other workers'
//! deques. With nothing anywhere it polls the work-epoch word (after every pause, ~30 µs in
//! all), yields a few times, then parks on that word.
//!
//! # Preemption
//!
//! Before every chunk (the first one too) a worker does one relaxed load of the queued word:
//! if a more urgent priority has queued work, the task goes back (QUEUED) to the worker's
//! deque and the worker picks the urgent task. The preempted task keeps its budget (in its slot) and is
//! taken back by this worker or stolen by an idle one.

use super::counters::{COUNT_BITS, COUNT_MASK};
use super::join::{helped_ns, RunningScope, WorkerThread};
use super::Shared;
use crate::budget::Phase;
use crate::completion::{CellHeader, Outcome};
use crate::deque::Steal;
use crate::owned::{self, Popped, Running};
use crate::region::PRIORITIES;
use crate::sync::Ordering::*;
use crate::SplitState;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

const INJECT_BATCH: u64 = 8;

impl Shared {
    // ---- workers --------------------------------------------------------------------------

    pub(super) fn worker_main(&self, me: u16) {
        let _current = WorkerThread::enter(self, me);
        let mut rng = 0x9E37_79B9u32 ^ (me as u32).wrapping_mul(0x85EB_CA6B) | 1;
        loop {
            if self.is_shut_down() {
                return;
            }
            self.point();
            if let Some(index) = self.find_task(me as usize, &mut rng) {
                self.run(me, index, None);
                continue;
            }
            if !self.idle() {
                return;
            }
        }
    }

    /// Spins briefly, then parks (protocol 1 of `crate::park`). Returns false on shutdown.
    fn idle(&self) -> bool {
        // Every push of work is followed by a bump of the work epoch (`notify_work`), so an
        // idle worker polls the epoch word alone, after every pause (~30 ns on current x86),
        // and notices a spawn within tens of nanoseconds. It stays off the header line that
        // spawners update (free list, queued counters) while they spawn. SeqCst: either the
        // queued load below sees a count raised before it, or that push's epoch bump comes
        // after this epoch load.
        let epoch = self.work_epoch();
        let seen = epoch.current();
        if self.queued().load(SeqCst) != 0 || self.is_shut_down() {
            return !self.is_shut_down();
        }
        let (spins, yields) = (self.spins.idle, self.spins.idle_yields);
        for spin in 0..spins + yields {
            if epoch.moved(seen) {
                return !self.is_shut_down();
            }
            if spin < spins {
                core::hint::spin_loop();
            } else {
                self.backend.yield_now();
            }
        }
        epoch.sleep_unless(self.backend, || {
            self.queued().load(SeqCst) != 0 || self.is_shut_down()
        });
        !self.is_shut_down()
    }

    pub(super) fn find_task(&self, me: usize, rng: &mut u32) -> Option<u32> {
        let queued = self.queued().load(Relaxed);
        if queued == 0 {
            return None;
        }
        let workers = self.layout.config.workers as usize;
        for p in 0..PRIORITIES {
            let waiting = queued >> (COUNT_BITS * p as u32) & COUNT_MASK;
            if waiting == 0 {
                continue;
            }
            let own = self.deque(me, p);
            if let Some(index) = own.pop(&self.region) {
                self.count(p, -1);
                return Some(index);
            }
            if let Some(index) = self.injectors[p].pop(&self.region) {
                self.count(p, -1);
                // Take a few more so idle workers can steal them from us.
                let batch = (waiting / (workers as u64 + 1)).min(INJECT_BATCH);
                for _ in 0..batch {
                    let Some(more) = self.injectors[p].pop(&self.region) else {
                        break;
                    };
                    if let Err(more) = own.push(&self.region, more) {
                        self.inject(p, more);
                        break;
                    }
                }
                return Some(index);
            }
            *rng ^= *rng << 13;
            *rng ^= *rng >> 17;
            *rng ^= *rng << 5;
            let start = *rng as usize;
            for k in 0..workers {
                let victim = (start + k) % workers;
                if victim == me {
                    continue;
                }
                let deque = self.deque(victim, p);
                loop {
                    match deque.steal(&self.region) {
                        Steal::Success(index) => {
                            self.count(p, -1);
                            return Some(index);
                        }
                        Steal::Empty => break,
                        Steal::Retry => core::hint::spin_loop(),
                    }
                }
            }
        }
        None
    }

    /// The bits of the queued word for priorities more urgent than `priority`.
    pub(super) fn more_urgent_mask(&self, priority: usize) -> u64 {
        (1u64 << (COUNT_BITS * priority as u32)) - 1
    }

    /// Runs the task in slot `index` (just popped by this worker) until it ends or is
    /// preempted; in help mode (`until`: the cell a join on this worker waits for), also
    /// requeues it after a chunk once that cell is complete. A task whose end resumed
    /// another (the last half of a split resumes its parent) runs that one next.
    pub(super) fn run(&self, me: u16, index: u32, until: Option<&CellHeader>) {
        let mut next = match owned::claim(&self.region, &self.kinds, index, me, || {
            self.backend.yield_now()
        }) {
            Popped::Run(task) => Some(task),
            Popped::Reclaimed => {
                // Cancelled while queued: the handle completed the cell, the slot is free.
                self.slot_freed();
                return;
            }
        };
        while let Some(task) = next {
            next = self.drive(me, task, until);
        }
    }

    /// Steps `task` chunk by chunk (see [`Shared::run`]); returns a task to run next.
    fn drive<'k>(
        &'k self,
        me: u16,
        mut task: Running<'k>,
        until: Option<&CellHeader>,
    ) -> Option<Running<'k>> {
        let _running = RunningScope::enter(task.index(), task.header().generation());
        // The views this task's code opens recognise its buffer leases.
        let _holder = crate::buffer::Holder::enter(task.cell() as *const CellHeader as usize);
        let kind = task.kind();
        let priority = task.header().priority() as usize;
        // See `crate::budget` for the timing rules: a fresh task's first chunk is untimed (a
        // task that finishes in it never reads the clock); any other run reads the clock
        // before its first chunk; every chunk that yields is followed by one clock read.
        // A split half stays one for as long as it lives (a root is never one).
        let half = self.is_half(task.index());
        let mut meter = task.meter(&self.region);
        let mut since = if meter.times_first_chunk_of_run() {
            self.backend.now_nanos()
        } else {
            None
        };
        if self.resumed_at_join(task.index()) {
            // Its last half resumed it: join the halves first, or end as recorded.
            if let Some((outcome, panic)) = self.join_resumed(&mut task) {
                return self.end(me, task, outcome, panic, true);
            }
        }
        loop {
            self.point();
            if task.cell().cancel.load(Relaxed) != 0 || self.is_shut_down() {
                return self.end(me, task, Outcome::Cancelled, None, true);
            }
            // Preemption, before every chunk (the first too: more urgent work may have come
            // since this task was found): one relaxed load; any queued work more urgent than
            // ours? In help mode, also: has the joined task completed?
            let more_urgent = self.queued().load(Relaxed) & self.more_urgent_mask(priority);
            if more_urgent != 0 || until.is_some_and(CellHeader::is_complete) {
                if let Some(hint) = meter.hint() {
                    kind.budget_hint.store(hint, Relaxed);
                }
                let index = task.requeue(&self.region, meter);
                self.count(priority, 1);
                if let Err(index) = self.deque(me as usize, priority).push(&self.region, index) {
                    self.inject(priority, index);
                }
                self.notify_work();
                return None;
            }
            let mut budget = meter.next_budget();
            if meter.phase == Phase::Fresh && kind.splits.load(Relaxed) {
                // A kind that splits: a one-iteration first chunk reaches the split loop at
                // once, so idle workers get a half after microseconds instead of a chunk.
                budget = 1;
            }
            let helped_before = helped_ns();
            // The task's code: `step`, and `progress` after a chunk that yielded; around a
            // split loop also `split_state`, `split` and `join`. A panic in any fails this
            // task only.
            let stepped = catch_unwind(AssertUnwindSafe(|| {
                let done = task.step(budget, half);
                if done {
                    return (true, SplitState::Sequential);
                }
                let split = task.split_state();
                self.publish(&task);
                (false, split)
            }));
            let (done, split) = match stepped {
                Ok(stepped) => stepped,
                Err(payload) => {
                    let message = panic_message(payload);
                    return self.end(me, task, Outcome::Failed, Some(message), true);
                }
            };
            if done {
                if let Some(hint) = meter.hint() {
                    if hint != kind.budget_hint.load(Relaxed) {
                        kind.budget_hint.store(hint, Relaxed);
                    }
                }
                if self.in_split(task.index()) {
                    // Only a task with no halves and split from none gets here (a root past
                    // its join): a half that returns, or a root that returns while its halves
                    // run, broke the contract (a half's output was not written: see `step`).
                    let message = if half {
                        "penny: a split half returned from its task; `step` must stop a half \
                         at the end of its split loop (`SplitState::HalfDone`)"
                    } else {
                        "penny: a task returned while halves split from it still ran; `step` \
                         must stop at the end of its split loop (`SplitState::Joining`) and \
                         join them first"
                    };
                    return self.end(me, task, Outcome::Failed, Some(message.to_owned()), true);
                }
                return self.end(me, task, Outcome::Done, None, true);
            }
            match split {
                SplitState::Sequential | SplitState::Starting | SplitState::Splittable => {}
                SplitState::HalfDone if half => {
                    return self.end(me, task, Outcome::Done, None, true)
                }
                SplitState::HalfDone => {
                    // Ending it as done would publish an output nobody wrote.
                    let message = "penny: `split_state` returned `HalfDone` for a task that is \
                                   not a split half (a hand-written `Task` broke its contract)";
                    return self.end(me, task, Outcome::Failed, Some(message.to_owned()), true);
                }
                SplitState::Joining if !self.has_halves(task.index()) => {
                    // No halves to wait for (a task never split, or a half that split no
                    // further, or whose halves it joined already): parking would wait for
                    // ever, and a half would be resumed at once and say `Joining` again.
                    let message = "penny: `split_state` returned `Joining` for a task with no \
                                   halves (a hand-written `Task` broke its contract)";
                    return self.end(me, task, Outcome::Failed, Some(message.to_owned()), true);
                }
                SplitState::Joining => {
                    // Parks until its halves are done, or carries on now that they are; its
                    // budget meter stays with it (whoever resumes it reads it from the slot).
                    task.store_meter(&self.region, meter);
                    task = self.arrive(me, task, None)?;
                    if let Some((outcome, panic)) = self.join_resumed(&mut task) {
                        return self.end(me, task, outcome, panic, true);
                    }
                    // The parked time was not this task's: restart the clock.
                    since = self.backend.now_nanos();
                    continue;
                }
            }
            let now = self.backend.now_nanos();
            // Time this chunk spent helping in a join is not its own.
            let helped = helped_ns() - helped_before;
            let elapsed = since
                .zip(now)
                .map(|(then, now)| now.saturating_sub(then).saturating_sub(helped));
            meter.after_chunk(budget, elapsed, self.time_slice_ns, now.is_some());
            if split == SplitState::Starting {
                meter.reprobe();
            }
            since = now;
            // Between chunks of a split loop: a half for an idle worker? (Task code: `split`
            // and the half's `progress`.) The half starts with the meter as it is now.
            let offered = catch_unwind(AssertUnwindSafe(|| self.offer_split(me, &mut task, meter)));
            if let Err(payload) = offered {
                // A panicking `split` gave back the slot it had taken for the half.
                self.slot_freed();
                let message = panic_message(payload);
                return self.end(me, task, Outcome::Failed, Some(message), true);
            }
        }
    }

    /// Publishes `task`'s progress after a chunk that yielded (task code: may panic).
    fn publish(&self, task: &Running<'_>) {
        if self.in_split(task.index()) {
            self.publish_split_progress(task, task.progress());
        } else {
            task.publish_progress(&self.region);
        }
    }

    /// Ends `task` with `outcome`. Reads its final progress first (task code: a panic there
    /// turns `Done` into `Failed`; a cancelled or failed task keeps its outcome and its last
    /// published progress). Only for a task not in a split: see [`Shared::end`].
    pub(super) fn finish(&self, task: Running<'_>, outcome: Outcome, panic: Option<String>) {
        let (mut outcome, mut panic) = (outcome, panic);
        let progress = match catch_unwind(AssertUnwindSafe(|| task.progress())) {
            Ok(progress) => Some(progress),
            Err(payload) => {
                let message = panic_message(payload);
                if outcome == Outcome::Done {
                    (outcome, panic) = (Outcome::Failed, Some(message));
                }
                None
            }
        };
        self.finish_with(task, outcome, panic, progress);
    }

    /// Ends `task` with `outcome` without running its code (its worker died mid-chunk): the
    /// last published progress stands.
    pub(super) fn finish_without_code(
        &self,
        task: Running<'_>,
        outcome: Outcome,
        panic: Option<String>,
    ) {
        self.finish_with(task, outcome, panic, None);
    }

    /// Frees the slot and completes the cell (`progress`: the final one, `None` to keep the
    /// last published); then tells waiting spawners a slot is free.
    fn finish_with(
        &self,
        task: Running<'_>,
        outcome: Outcome,
        panic: Option<String>,
        progress: Option<crate::Progress>,
    ) {
        task.finish(
            &self.region,
            outcome,
            panic,
            progress,
            || self.point(),
            |w, before| self.wake_cell(w, before),
        );
        self.slot_freed();
    }
}

/// The message of a task's panic. The payload is the task's value and its `Drop` is task
/// code too, so it is dropped under `catch_unwind`; if that drop panics as well, the second
/// payload is leaked rather than dropped (a payload whose drop panics again would never end).
pub(super) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let message = payload_text(&*payload);
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        core::mem::forget(again);
    }
    message
}

/// The text of a panic payload: its `&str` or `String`, as `TaskError::Panicked` carries it.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a task panicked with a non-string payload".to_owned()
    }
}
