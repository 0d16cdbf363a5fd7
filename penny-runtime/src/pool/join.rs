//! Joining from inside a task: the joining worker helps instead of blocking.
//!
//! A task that spawns a child and joins it would block its worker, and on `workers(1)`
//! nothing else could run the child. So [`TaskHandle::join`](crate::TaskHandle::join) on a
//! worker thread of the handle's own pool never blocks that worker:
//!
//! - **Help.** It finds ready work as an idle worker would (its own deque first, LIFO, so a
//!   child it just spawned comes first; then the injectors by priority; then steals) and
//!   runs it in help mode: after every chunk that yields, if the joined task has completed,
//!   the helped task is requeued (as if preempted) and the join returns.
//! - **Target without a slot.** When every slot is held (for instance by tasks that are
//!   themselves joining), the target may still wait in the spawner-side queue. The joiner
//!   takes its entry out of that queue and runs it to its end itself, in an allocation of
//!   its own ([`crate::owned::Inline`]), stepping more urgent work in between: a chain of
//!   joins never deadlocks on slots. It does so before it helps with other ready tasks.
//! - **Stack.** A helped task that joins in turn nests its own helping join on this
//!   worker's stack: at most once per task in a slot (each runs on one worker at a time).
//!   With every slot held by joining parents on one worker that is as deep as there are
//!   slots, which is why a worker's default stack grows with them
//!   ([`PoolBuilder::stack_size`](crate::PoolBuilder::stack_size)). A chain deeper than the
//!   slots goes on through the target-without-a-slot path, one more level per task, with no
//!   bound of its own: a join that finds less than a quarter of the stack left panics (its
//!   task fails, and with it the joins above) instead of overflowing the stack, which would
//!   abort the process (native) or write past the stack (wasm's shadow stack has no guard).
//! - **Nothing to run.** The joiner flags the cell `PendingHelper` and parks on the work
//!   epoch (as an idle worker, so new work wakes it too); the completer of a
//!   `PendingHelper` cell bumps the epoch and wakes every parked worker
//!   ([`Shared::wake_cell`]): protocol 4 of `crate::park`.
//! - **Budget timing.** Time a chunk spends in a helping join is not counted against that
//!   chunk's measurement: a thread-local total of helped time, which every join sets (not
//!   adds to) on exit, so nested joins are counted once.
//!
//! Joins from other threads, or for another pool's tasks, block as usual.

use super::spawn::Pending;
use super::Shared;
use crate::budget::Meter;
use crate::completion::{CellHeader, Outcome, NO_SLOT};
use crate::owned::Inline;
use crate::park::{self, CellState};
use crate::sync::{AtomicU32, Ordering::*};
use core::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Which pool's worker, if any, the current thread is.
#[derive(Clone, Copy)]
struct Current {
    shared: *const Shared,
    me: u16,
}

thread_local! {
    static CURRENT: Cell<Option<Current>> = const { Cell::new(None) };
    /// Nanoseconds this thread spent in helping joins, in all (see the module docs).
    static HELPED_NS: Cell<u64> = const { Cell::new(0) };
    /// The slot (`index << 32 | generation`) of the task this worker is running, innermost
    /// first when a join helps: what a panic hook reports (see `pool::lifecycle`).
    static RUNNING: Cell<u64> = const { Cell::new(u64::MAX) };
}

thread_local! {
    /// The lowest stack address at which a join on this worker may still nest more work on
    /// its stack; 0 where no limit is known (see [`mark_stack`]).
    static STACK_FLOOR: Cell<usize> = const { Cell::new(0) };
}

/// An address in the caller's frame: how deep the stack is here (it grows down, natively
/// and in wasm's shadow stack alike).
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0u8;
    core::hint::black_box(&marker) as *const u8 as usize
}

/// Called first thing on a worker thread whose stack holds `bytes`: a join that finds less
/// than a quarter of them left (at least 64 KiB, at most half) fails its task instead of
/// nesting more work on the stack (see the module docs, "Stack").
pub(crate) fn mark_stack(bytes: usize) {
    let reserve = (bytes / 4).max(64 << 10).min(bytes / 2);
    STACK_FLOOR.with(|f| f.set(stack_address().saturating_sub(bytes - reserve)));
}

/// Records the task a worker runs for as long as it lives; restores the outer one after.
pub(super) struct RunningScope(u64);

impl RunningScope {
    pub(super) fn enter(index: u32, generation: u32) -> RunningScope {
        RunningScope(RUNNING.with(|r| r.replace((index as u64) << 32 | generation as u64)))
    }
}

impl Drop for RunningScope {
    fn drop(&mut self) {
        RUNNING.with(|r| r.set(self.0));
    }
}

/// On a pool worker whose wasm just trapped (its JS calls this right after): fails the tasks
/// the worker was running, so that whoever waits for them (a blocking `join` on the very
/// thread that would recover the worker, say) learns at once, and releases the pool
/// reference the abandoned worker loop held. Returns whether this thread was a worker.
#[cfg(target_arch = "wasm32")]
pub(crate) fn after_trap(why: &str) -> bool {
    let Some(current) = CURRENT.with(Cell::take) else {
        return false;
    };
    // SAFETY: `current.shared` points into the `Arc<Shared>` that this worker's body closure
    // owned one strong count of (`Shared::start_worker`); the trap abandoned the closure's
    // frame without dropping it, so that count is still held and the pool is alive.
    let shared = unsafe { &*current.shared };
    shared.fail_tasks_of(current.me, why);
    // SAFETY: as above: the abandoned frame will never run or drop its `Arc` (this thread's
    // stack is freed next), so releasing its one count here is the drop that never happened.
    // `current.shared` is that `Arc`'s pointer (`worker_main` runs on `&*arc`).
    unsafe { std::sync::Arc::decrement_strong_count(current.shared) };
    true
}

/// From a panic hook: if this thread is a pool worker, records in its pool that the task it
/// runs panicked with `message` (on wasm the panic then aborts the worker; the thread that
/// started it fails that task, see `pool::lifecycle`). Returns whether it was a worker.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn record_panic(message: String) -> bool {
    let Some(current) = CURRENT.with(Cell::get) else {
        return false;
    };
    // SAFETY: `CURRENT` is set by a `WorkerThread` guard that lives inside `worker_main`,
    // which borrows the pool's `Shared` for the whole time; a hook running on this thread
    // runs within that time, so the pointer is live.
    let shared = unsafe { &*current.shared };
    shared.record_death(current.me, RUNNING.with(Cell::get), message);
    true
}

/// Marks the current thread as worker `me` of `shared` while alive.
pub(super) struct WorkerThread(());

impl WorkerThread {
    pub(super) fn enter(shared: &Shared, me: u16) -> WorkerThread {
        CURRENT.with(|c| {
            c.set(Some(Current {
                shared: shared as *const Shared,
                me,
            }))
        });
        WorkerThread(())
    }
}

impl Drop for WorkerThread {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(None));
    }
}

/// The total time this thread spent helping in joins.
pub(super) fn helped_ns() -> u64 {
    HELPED_NS.with(Cell::get)
}

impl Shared {
    /// The index of the current thread if it is one of this pool's workers.
    pub(crate) fn current_worker(&self) -> Option<u16> {
        CURRENT
            .with(Cell::get)
            .filter(|c| core::ptr::eq(c.shared, self))
            .map(|c| c.me)
    }

    /// Wakes whoever waits on a cell that was just completed, given its state before
    /// (protocols 3 and 4 of `crate::park`).
    pub(crate) fn wake_cell(&self, word: &AtomicU32, before: CellState) {
        park::wake_waiters(before, word, self.work_epoch(), self.backend);
    }

    /// `join` on worker `me` of this pool: runs other work until `target` is complete.
    pub(crate) fn help_join(&self, me: u16, target: &CellHeader) {
        // A chain of tasks each joining the next, deeper than there are slots, nests on this
        // stack without end: fail the task that would nest too deep (its parent's join
        // returns the panic) rather than overflow the stack, which aborts the process.
        let floor = STACK_FLOOR.with(Cell::get);
        if floor != 0 && stack_address() < floor {
            panic!(
                "penny: joins nested too deep on one worker's stack (a chain of tasks, each \
                 joining the next, deeper than the pool has slots, runs on the joining \
                 worker's stack): give the pool more `slots` and `stack_size`, or join fewer \
                 levels"
            );
        }
        let started = self.backend.now_nanos();
        let helped_before = helped_ns();
        let mut rng = 0x2545_F491u32 ^ (me as u32).wrapping_mul(0x9E37_79B9) | 1;
        while !target.is_complete() {
            self.point();
            // The target itself first, when it waits for a slot: running it needs nothing
            // else, while a ready task helped instead may join in turn and nest on this
            // stack (see the module docs).
            if target.slot.load(SeqCst) == NO_SLOT {
                if let Some(entry) = self.take_waiting(target) {
                    self.run_inline(me, entry, &mut rng);
                    continue;
                }
            }
            if let Some(index) = self.find_task(me as usize, &mut rng) {
                self.run(me, index, Some(target));
                continue;
            }
            self.park_helping(target);
        }
        if let (Some(started), Some(ended)) = (started, self.backend.now_nanos()) {
            HELPED_NS.with(|h| h.set(helped_before + ended.saturating_sub(started)));
        }
    }

    /// Parks the joining worker on the work epoch until new work arrives or `target`
    /// completes (protocol 4 of `crate::park`).
    fn park_helping(&self, target: &CellHeader) {
        park::sleep_helping(&target.state, self.work_epoch(), self.backend, || {
            self.queued().load(SeqCst) != 0
                || (target.slot.load(SeqCst) == NO_SLOT && self.pending_len.load(SeqCst) != 0)
        });
    }

    /// Runs a task taken out of the spawner-side queue by the worker joining it, to its end.
    /// Between its chunks, work more urgent than it runs first.
    fn run_inline(&self, me: u16, entry: Pending, rng: &mut u32) {
        let Pending {
            kind_index,
            priority,
            cell,
            write,
            progress: _,
        } = entry;
        let kind = self.kinds.get(kind_index);
        let mut task = Inline::new(kind, write, cell);
        let _holder = crate::buffer::Holder::enter(task.cell() as *const CellHeader as usize);
        let mut meter = Meter::fresh(kind.budget_hint.load(Relaxed));
        let mut since = None;
        let more_urgent = self.more_urgent_mask(priority.index());
        loop {
            self.point();
            // More urgent work first (it would preempt this task if it had a slot). Its time
            // is not this task's: the next chunk is timed from after it.
            while self.queued().load(Relaxed) & more_urgent != 0 {
                let Some(index) = self.find_task(me as usize, rng) else {
                    break;
                };
                let started = self.backend.now_nanos();
                self.run(me, index, None);
                if let (Some(s), Some(e), Some(then)) = (started, self.backend.now_nanos(), since) {
                    since = Some(then + e.saturating_sub(s));
                }
            }
            if task.cell().cancel.load(Relaxed) != 0 || self.is_shut_down() {
                let progress = catch_unwind(AssertUnwindSafe(|| task.progress())).ok();
                return task.finish(Outcome::Cancelled, None, progress, |w, b| {
                    self.wake_cell(w, b)
                });
            }
            let budget = meter.next_budget();
            let helped_before = helped_ns();
            let stepped = catch_unwind(AssertUnwindSafe(|| {
                let done = task.step(budget);
                if !done {
                    task.cell().store_progress(task.progress());
                }
                done
            }));
            match stepped {
                Err(payload) => {
                    let message = super::worker::panic_message(payload);
                    return task.finish(Outcome::Failed, Some(message), None, |w, b| {
                        self.wake_cell(w, b)
                    });
                }
                Ok(true) => {
                    let (outcome, panic, progress) =
                        match catch_unwind(AssertUnwindSafe(|| task.progress())) {
                            Ok(p) => (Outcome::Done, None, Some(p)),
                            Err(payload) => (
                                Outcome::Failed,
                                Some(super::worker::panic_message(payload)),
                                None,
                            ),
                        };
                    return task.finish(outcome, panic, progress, |w, b| self.wake_cell(w, b));
                }
                Ok(false) => {}
            }
            let now = self.backend.now_nanos();
            let helped = helped_ns() - helped_before;
            let elapsed = since
                .zip(now)
                .map(|(then, now): (u64, u64)| now.saturating_sub(then).saturating_sub(helped));
            meter.after_chunk(budget, elapsed, self.time_slice_ns, now.is_some());
            since = now;
        }
    }
}
