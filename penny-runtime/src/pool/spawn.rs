//! Spawning: slot allocation, the spawner-side queue and `try_spawn`.
//!
//! # Backpressure
//!
//! `spawn` takes a slot from the free list. When none is free, the task waits in a bounded
//! spawner-side queue (`queue` in the builder); a worker that frees a slot moves the oldest
//! of the most urgent waiting tasks into it (one queue per priority, [`PendingQueue`]). When
//! that queue is full too, `spawn` parks until a slot frees.
//! `try_spawn` never waits: it hands the task back. Either way no task is lost and memory is
//! bounded by `slots + queue` tasks spawned from outside the pool.
//!
//! A spawn from inside a task (on a worker thread of this pool) never blocks its worker:
//! when the queue is full the task goes in anyway. On wasm no spawn blocks (a browser's main
//! thread may not wait on an atomic, and JS spawns must return at once): the queue takes
//! every task and grows. So what tasks spawn is not bounded: the
//! queue, and memory with it, grows with what tasks spawn faster than slots free up.
//!
//! Cancelling a task that waits in the spawner-side queue takes its entry out of the queue
//! and completes it at once (so it no longer holds a place there, and blocked spawners are
//! woken); `drain_pending` takes entries under the same lock, so exactly one of the two gets
//! each entry, and an installer that got it re-checks the cancel flag after recording the
//! slot in the cell (see `owned::Fresh::install`).

use super::Shared;
use crate::completion::{CellHeader, Completion};
use crate::handle::TaskHandle;
use crate::kind::{self, Kind, Writer};
use crate::owned::{self, CellRef, Fresh};
use crate::priority::{Priority, TrySpawnError};
use crate::sync::Ordering::*;
use crate::task::MAX_TASK_ALIGN;
use crate::{Progress, Task};
use std::collections::VecDeque;
use std::sync::Arc;

/// A task waiting in the spawner-side queue for a slot.
pub(super) struct Pending {
    pub(super) kind_index: u32,
    pub(super) priority: Priority,
    pub(super) cell: CellRef,
    pub(super) write: Writer,
    /// The task's progress, read once at spawn.
    pub(super) progress: Progress,
}

/// The spawner-side queue: one first-in-first-out queue per priority, so a slot that frees
/// goes to the most urgent waiting task (the promise of [`Priority`]: workers take the most
/// urgent queued task first, and a task waiting here is queued too).
#[derive(Default)]
pub(super) struct PendingQueue([VecDeque<Pending>; crate::region::PRIORITIES]);

impl PendingQueue {
    /// How many tasks wait, all priorities together.
    pub(super) fn len(&self) -> usize {
        self.0.iter().map(VecDeque::len).sum()
    }

    pub(super) fn push_back(&mut self, entry: Pending) {
        self.0[entry.priority.index()].push_back(entry);
    }

    /// The oldest of the most urgent waiting tasks.
    pub(super) fn pop_most_urgent(&mut self) -> Option<Pending> {
        self.0.iter_mut().find_map(VecDeque::pop_front)
    }

    /// Takes out the entry of the task whose cell is `cell`, if it waits here.
    fn take(&mut self, cell: *const CellHeader) -> Option<Pending> {
        self.0.iter_mut().find_map(|queue| {
            let at = queue
                .iter()
                .position(|e| core::ptr::eq(e.cell.header(), cell))?;
            queue.remove(at)
        })
    }

    /// Takes out every entry.
    pub(super) fn take_all(&mut self) -> Vec<Pending> {
        self.0
            .iter_mut()
            .flat_map(|queue| queue.drain(..))
            .collect()
    }
}

impl Shared {
    // ---- spawning -------------------------------------------------------------------------

    fn kind_for<T: Task>(&self) -> (u32, &Kind) {
        let (index, kind) = self.kinds.index_of::<T>();
        for (what, align) in [("task", kind.align), ("output of task", kind.output_align)] {
            if align > MAX_TASK_ALIGN {
                panic!(
                    "penny: the {what} `{}` needs alignment {align}, but a pool accepts task \
                     states and outputs aligned to at most {MAX_TASK_ALIGN} bytes \
                     (MAX_TASK_ALIGN; no builder option changes that): lower the type's \
                     alignment",
                    kind.name,
                );
            }
        }
        (index, kind)
    }

    /// The completion cell of a new task: the handle's side, and the slot's reference.
    ///
    /// Takes the leases on the buffer views `task` holds (kept in the cell until the task
    /// ends); when one is refused, takes none and returns why.
    fn new_cell<T: Task>(
        this: &Arc<Shared>,
        task: &T,
        progress: Progress,
        kind: &Kind,
    ) -> Result<(TaskHandle<T::Output>, CellRef), String> {
        let cell = Arc::new(Completion::new(progress));
        let holder = Arc::as_ptr(&cell) as usize;
        cell.header
            .keep_leases(crate::buffer::take_all(task, holder)?);
        let handle = TaskHandle::new(this.clone(), cell.clone());
        Ok((handle, CellRef::new::<T>(cell, kind)))
    }

    pub(super) fn spawn<T: Task>(
        &self,
        this: &Arc<Shared>,
        task: T,
        priority: Priority,
    ) -> TaskHandle<T::Output> {
        // A refused lease panics here, before a slot is taken.
        self.spawn_checked(this, task, priority, false)
            .unwrap_or_else(|message| panic!("{message}"))
    }

    /// `spawn`, but a refused view lease is an `Err` with the reason (nothing taken), and a
    /// task spawned `cancelled` ends as cancelled at once without taking a slot or running
    /// (JS: a spawn whose `AbortSignal` was aborted already, which must not race a worker).
    pub(super) fn spawn_checked<T: Task>(
        &self,
        this: &Arc<Shared>,
        task: T,
        priority: Priority,
        cancelled: bool,
    ) -> Result<TaskHandle<T::Output>, String> {
        // The task's own code runs here, on the spawner's thread, before anything is taken:
        // a panic in it reaches the caller and leaks nothing.
        let progress = task.progress();
        let (kind_index, kind) = self.kind_for::<T>();
        let (handle, cell) = Self::new_cell::<T>(this, &task, progress, kind)?;
        if cancelled {
            owned::cancel_unslotted(cell, |w, before| self.wake_cell(w, before));
            return Ok(handle);
        }
        Ok(self.spawn_cell(task, priority, progress, kind_index, kind, handle, cell))
    }

    /// The rest of `spawn_checked`: a slot for the task with its cell made.
    #[allow(clippy::too_many_arguments)]
    fn spawn_cell<T: Task>(
        &self,
        task: T,
        priority: Priority,
        progress: Progress,
        kind_index: u32,
        kind: &Kind,
        handle: TaskHandle<T::Output>,
        cell: CellRef,
    ) -> TaskHandle<T::Output> {
        if self.pending_len.load(SeqCst) == 0 {
            if let Some(fresh) = Fresh::pop(&self.region) {
                self.install(
                    fresh,
                    kind_index,
                    kind,
                    priority,
                    cell,
                    kind::writer_in_place(task),
                    progress,
                );
                return handle;
            }
        }
        let mut entry = Pending {
            kind_index,
            priority,
            cell,
            write: kind::writer(task),
            progress,
        };
        let cap = self.pending_cap;
        loop {
            {
                let mut queue = self.pending.lock();
                // A worker (a task spawning) never waits: past the cap, the queue grows.
                // Neither does any spawner where the backend says spawners may not park
                // (wasm; see the module docs).
                if queue.len() < cap || !self.spawners_may_park || self.current_worker().is_some() {
                    queue.push_back(entry);
                    self.pending_len.fetch_add(1, SeqCst);
                    drop(queue);
                    self.drain_pending();
                    return handle;
                }
            }
            // Queue full: wait for room (a freed slot drains the queue; a cancel removes an
            // entry), or for a free slot while nothing waits in the queue (with `queue(0)`
            // there is never room: a slot freed between our `Fresh::pop` and the epoch read
            // would otherwise leave us parked with a slot free): protocol 2 of `crate::park`.
            self.freed_epoch().sleep_unless(self.backend, || {
                let waiting = self.pending_len.load(SeqCst) as usize;
                waiting < cap || (waiting == 0 && crate::slot::any_free(&self.region))
            });
            // Keep the entry for the next round (it was not moved into the queue).
            entry = match self.take_back(entry) {
                Some(entry) => entry,
                None => return handle,
            };
        }
    }

    /// Used by `spawn`'s wait loop: if a slot is free now, installs `entry` directly.
    fn take_back(&self, entry: Pending) -> Option<Pending> {
        if self.pending_len.load(SeqCst) == 0 {
            if let Some(fresh) = Fresh::pop(&self.region) {
                self.install_pending(fresh, entry);
                return None;
            }
        }
        Some(entry)
    }

    pub(super) fn try_spawn<T: Task>(
        &self,
        this: &Arc<Shared>,
        task: T,
        priority: Priority,
    ) -> Result<TaskHandle<T::Output>, TrySpawnError<T>> {
        // As in `spawn`: the task's code runs before a slot is taken.
        let progress = task.progress();
        let (kind_index, kind) = self.kind_for::<T>();
        if self.pending_len.load(SeqCst) != 0 {
            return Err(TrySpawnError::Full(task));
        }
        let Some(fresh) = Fresh::pop(&self.region) else {
            return Err(TrySpawnError::Full(task));
        };
        // The leases are taken once there is a slot (a full pool hands the task back with
        // none taken); a refused one gives the slot back before it panics.
        let (handle, cell) = match Self::new_cell::<T>(this, &task, progress, kind) {
            Ok(made) => made,
            Err(message) => {
                fresh.give_back(&self.region);
                self.slot_freed();
                panic!("{message}");
            }
        };
        self.install(
            fresh,
            kind_index,
            kind,
            priority,
            cell,
            kind::writer_in_place(task),
            progress,
        );
        Ok(handle)
    }

    /// Fills `fresh` and queues it.
    #[allow(clippy::too_many_arguments)]
    fn install<F: FnOnce(*mut u8)>(
        &self,
        fresh: Fresh,
        kind_index: u32,
        kind: &Kind,
        priority: Priority,
        cell: CellRef,
        write: Writer<F>,
        progress: Progress,
    ) {
        if cell.header().cancel.load(SeqCst) != 0 {
            // Cancelled while waiting for a slot: it never runs.
            // (Only `drain_pending` meets this; its loop goes on with the freed slot.)
            owned::cancel_unslotted(cell, |w, before| self.wake_cell(w, before));
            fresh.give_back(&self.region);
            self.bump_freed();
            return;
        }
        let installed = fresh.install(
            &self.region,
            kind_index,
            kind,
            priority.index() as u8,
            write,
            cell,
            progress,
            || self.backend.yield_now(),
            |w, before| self.wake_cell(w, before),
        );
        let Some(index) = installed else {
            // Cancelled during the install: the slot is free again.
            self.bump_freed();
            return;
        };
        self.count(priority.index(), 1);
        self.inject(priority.index(), index);
        self.notify_work();
    }

    /// Pushes `index` to the injector of priority `p`. The injector has room for twice the
    /// slots, so it is never full of queued tasks; a push can only find its cell still held
    /// by a consumer that claimed it and has not released it yet (a thread descheduled between
    /// two instructions), so it retries until that consumer moves on.
    pub(super) fn inject(&self, p: usize, mut index: u32) {
        while let Err(back) = self.injectors[p].push(&self.region, index) {
            index = back;
            self.backend.yield_now();
        }
    }

    fn install_pending(&self, fresh: Fresh, entry: Pending) {
        let Pending {
            kind_index,
            priority,
            cell,
            write,
            progress,
        } = entry;
        self.install(
            fresh,
            kind_index,
            self.kinds.get(kind_index),
            priority,
            cell,
            write,
            progress,
        );
    }

    /// `TaskHandle::cancel` of a task that has no slot yet: if it waits in the spawner-side
    /// queue, takes it out and completes it as cancelled right away, and wakes spawners
    /// blocked on the queue's capacity. Returns false when the entry is not there: an
    /// installer took it (and sees the cancel flag after recording the slot), or it ended.
    pub(crate) fn cancel_waiting(&self, cell: &CellHeader) -> bool {
        let Some(entry) = self.take_waiting(cell) else {
            return false;
        };
        owned::cancel_unslotted(entry.cell, |w, before| self.wake_cell(w, before));
        true
    }

    /// Takes the entry of the task whose cell is `cell` out of the spawner-side queue, if it
    /// is there, and wakes spawners blocked on the queue's capacity.
    pub(super) fn take_waiting(&self, cell: &CellHeader) -> Option<Pending> {
        let addr = cell as *const CellHeader;
        let entry = {
            // The count changes under the queue's lock, with the queue (see `drain_pending`).
            let mut queue = self.pending.lock();
            let entry = queue.take(addr)?;
            self.pending_len.fetch_sub(1, SeqCst);
            entry
        };
        self.bump_freed();
        Some(entry)
    }

    /// Moves tasks from the spawner-side queue into free slots while both exist.
    ///
    /// `pending_len` changes only under the queue's lock, with the queue, so it is the
    /// queue's length whenever nobody holds the lock. A drainer that took a slot and then
    /// found the queue empty (another took the entry) gives the slot back and looks again:
    /// a spawner may have queued an entry meanwhile and, finding no slot free (this drainer
    /// held it), left it to the slot's holder. Returning at once would strand that entry
    /// beside a free slot, with nothing running that would ever drain it.
    pub(super) fn drain_pending(&self) {
        while self.pending_len.load(SeqCst) != 0 {
            let Some(fresh) = Fresh::pop(&self.region) else {
                return;
            };
            let entry = {
                let mut queue = self.pending.lock();
                let entry = queue.pop_most_urgent();
                if entry.is_some() {
                    self.pending_len.fetch_sub(1, SeqCst);
                }
                entry
            };
            let Some(entry) = entry else {
                fresh.give_back(&self.region);
                continue;
            };
            self.install_pending(fresh, entry);
            self.bump_freed();
        }
    }

    /// A slot went back to the free list: feed the spawner-side queue, wake blocked spawners.
    pub(super) fn slot_freed(&self) {
        if self.pending_len.load(SeqCst) != 0 {
            self.drain_pending();
        }
        self.bump_freed();
    }

    /// After room was made in the spawner-side queue (or a slot freed): wakes blocked
    /// spawners.
    pub(super) fn bump_freed(&self) {
        self.freed_epoch().notify_all(self.backend);
    }
}
