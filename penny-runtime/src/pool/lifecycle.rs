//! Worker lifecycle: starting workers, their exit, a worker's death, and the clean-up after
//! shutdown.
//!
//! # Invariants
//!
//! - `live` counts the workers started and neither exited nor found dead. A replacement for
//!   a dead worker takes over its count (and its index, deques included).
//! - The clean-up (cancelling what is still queued) runs once, after shutdown, when no
//!   worker runs: by the last worker to exit, or by `shut_down` after the joins if none is
//!   left. It pops every worker's deque as the owner, so it must not overlap any worker.
//!   Natively `shut_down` joins the threads, so the pool's drop returns after the clean-up;
//!   on wasm the joins return at once (the page's main thread may not block) and the last
//!   worker cleans up before it exits.
//! - On wasm a panic aborts the worker that raised it: its wasm traps and it never runs
//!   again. The panic hook (`crate::web::panic`) first records, in `deaths`, the slot of the
//!   task that panicked and its message. The thread that started the worker hears of the
//!   death (a message from the worker's JS) and calls [`Shared::recover`]: every slot still
//!   RUNNING under the dead worker's index is failed (the task that panicked with its
//!   message; tasks it was helping inside a join with a message saying so), then a
//!   replacement starts with the same index. Tasks queued on the dead worker's deques are
//!   stolen by the others meanwhile and owned by the replacement afterwards.

use super::spawn::Pending;
use super::Shared;
use crate::backend::WorkerJoin;
use crate::completion::Outcome;
use crate::lock::SpinLock;
use crate::owned::{self, Popped};
use crate::region::{self, PRIORITIES};
use crate::slot::NO_OWNER;
use crate::sync::{AtomicU32, Ordering::*};
use std::sync::Arc;

/// The lifecycle counters of a pool's workers (see the module docs).
pub(crate) struct Lives {
    live: AtomicU32,
    cleaned: AtomicU32,
    /// Per worker: `(slot index << 32 | generation, panic message)` of the task whose panic
    /// is killing the worker, written by the panic hook on that worker.
    deaths: Box<[SpinLock<Option<Death>>]>,
}

/// A dying worker's last word: `(slot index << 32 | generation, panic message)`.
type Death = (u64, String);

impl Lives {
    pub(super) fn new(workers: usize) -> Lives {
        Lives {
            live: AtomicU32::new(0),
            cleaned: AtomicU32::new(0),
            deaths: (0..workers).map(|_| SpinLock::new(None)).collect(),
        }
    }
}

/// What a task that was interrupted by its worker's death, without panicking itself, fails
/// with.
pub(crate) const INTERRUPTED: &str =
    "penny: this task was interrupted: its worker died while helping with another task that \
     panicked (on wasm a panic aborts the worker that raised it)";

impl Shared {
    /// An id for this pool, stable while it lives (the platform groups workers by it).
    pub(crate) fn id(&self) -> usize {
        self as *const Shared as usize
    }

    /// Starts worker `me`, counted in `live` from now on.
    pub(super) fn start_worker(this: &Arc<Shared>, me: u16) -> Result<WorkerJoin, String> {
        this.lives.live.fetch_add(1, SeqCst);
        let worker = this.clone();
        let started = this.backend.spawn_worker(
            this.id(),
            me as usize,
            this.worker_stack,
            Box::new(move || {
                // Counts the exit even if the loop unwinds (a scheduler bug), so a shutdown
                // still cleans up.
                struct Exit<'a>(&'a Shared);
                impl Drop for Exit<'_> {
                    fn drop(&mut self) {
                        self.0.worker_exited();
                    }
                }
                let _exit = Exit(&worker);
                worker.worker_main(me);
            }),
        );
        if started.is_err() {
            this.lives.live.fetch_sub(1, SeqCst);
        }
        started
    }

    /// A worker that was counted never started (its body never ran): like an exit.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn worker_never_started(&self) {
        self.worker_exited();
    }

    /// A worker left its loop (the pool shut down): the last one cleans up.
    fn worker_exited(&self) {
        // SeqCst with the shutdown store: the last worker out sees the flag (workers only
        // leave their loop after seeing it).
        if self.lives.live.fetch_sub(1, SeqCst) == 1 && self.is_shut_down() {
            self.clean_up();
        }
    }

    /// Shuts the pool down: workers leave their loops, then what is still queued is
    /// cancelled (by the last worker, or here once the joins show none is left).
    pub(super) fn shut_down(&self, joins: Vec<WorkerJoin>) {
        self.word(region::H_SHUTDOWN).store(1, SeqCst);
        self.work_epoch().notify_all(self.backend);
        self.bump_freed();
        // A worker that died (a scheduler bug: task panics are caught) must not stop the
        // cleanup below, or the tasks still queued would never complete: the first such
        // panic is raised again once everything is cancelled.
        let mut worker_panic = None;
        // Dropped by one of its own tasks: that worker can't wait for itself, nor for any
        // other (one may be helping in a join of this very task, which can't complete before
        // this drop returns). They leave their loops once their chunks return, and the last
        // worker out cleans up.
        let joins = if self.current_worker().is_some() {
            Vec::new()
        } else {
            joins
        };
        for join in joins {
            if let Err(panic) = join() {
                worker_panic.get_or_insert(panic);
            }
        }
        if self.lives.live.load(SeqCst) == 0 {
            self.clean_up();
        }
        if let Some(panic) = worker_panic {
            if !std::thread::panicking() {
                std::panic::resume_unwind(panic);
            }
        }
    }

    /// Cancels what waits for a slot, then everything still queued; once.
    fn clean_up(&self) {
        if self.lives.cleaned.swap(1, SeqCst) != 0 {
            return;
        }
        let pending: Vec<Pending> = {
            // The count changes with the queue, under its lock (see `drain_pending`).
            let mut queue = self.pending.lock();
            let all = queue.take_all();
            self.pending_len.fetch_sub(all.len() as u32, SeqCst);
            all
        };
        for entry in pending {
            owned::cancel_unslotted(entry.cell, |w, before| self.wake_cell(w, before));
        }
        let workers = self.layout.config.workers as usize;
        for p in 0..PRIORITIES {
            let mut popped = Vec::new();
            for w in 0..workers {
                while let Some(index) = self.deque(w, p).pop(&self.region) {
                    popped.push(index);
                }
            }
            while let Some(index) = self.injectors[p].pop(&self.region) {
                popped.push(index);
            }
            for index in popped {
                self.count(p, -1);
                if let Popped::Run(task) =
                    owned::claim(&self.region, &self.kinds, index, NO_OWNER - 1, || {
                        self.backend.yield_now()
                    })
                {
                    // A half's end may resume the task it was split from: end that too.
                    let mut next = Some(task);
                    while let Some(task) = next {
                        next = self.end(NO_OWNER - 1, task, Outcome::Cancelled, None, true);
                    }
                }
            }
        }
    }

    /// On the dying worker `me`, from the panic hook: the task at `at` (`index << 32 |
    /// generation`) panicked with `message`.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn record_death(&self, me: u16, at: u64, message: String) {
        if let Some(death) = self.lives.deaths.get(me as usize) {
            *death.lock() = Some((at, message));
        }
    }

    /// Fails every task that worker `me`, which died, was running: the one whose panic killed
    /// it with its message (from `deaths`), any it was helping inside a join with
    /// [`INTERRUPTED`]. Runs on the dying worker right after its trap (so a thread blocked in
    /// `join` on the pool's starting thread is woken), or on the starting thread.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn fail_tasks_of(&self, me: u16, why: &str) {
        let recorded = self
            .lives
            .deaths
            .get(me as usize)
            .and_then(|d| d.lock().take());
        let (at, message) = recorded.unwrap_or_else(|| {
            (
                u64::MAX,
                format!("penny: the worker running this task died: {why}"),
            )
        });
        for index in 0..self.layout.config.slots {
            let Some(task) = owned::adopt(&self.region, &self.kinds, index, me) else {
                continue;
            };
            let this_one = (task.index() as u64) << 32 | task.header().generation() as u64;
            let panic = if this_one == at {
                message.clone()
            } else {
                INTERRUPTED.to_owned()
            };
            // No task code runs here (not even `progress`: the state stopped mid-chunk); the
            // last published progress stands. A half's end may make the task it was split
            // from ready: queued for a live worker, which joins it.
            if let Some(resumed) = self.end(me, task, Outcome::Failed, Some(panic), false) {
                self.requeue_resumed(resumed);
            }
        }
    }

    /// Worker `me` died (its wasm trapped; `why` is what its JS saw): fails the tasks it was
    /// running and starts a replacement, unless the pool is shutting down.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn recover(this: &Arc<Shared>, me: u16, why: &str) -> Result<(), String> {
        // Usually done already, on the dying worker itself (`fail_tasks_of` from its JS):
        // then this finds nothing.
        this.fail_tasks_of(me, why);
        if this.is_shut_down() {
            this.worker_exited();
            return Ok(());
        }
        // The replacement takes over the dead worker's count.
        this.lives.live.fetch_sub(1, SeqCst);
        Shared::start_worker(this, me).map(drop)
    }
}
