//! [`TaskHandle`]: the spawner's view of one task.

use crate::completion::{Completion, Outcome, NO_SLOT};
use crate::park::{self, CellState};
use crate::pool::Shared;
use crate::priority::{Priority, TaskError, TaskStatus};
use crate::slot::SlotState;
use crate::sync::Ordering::*;
use crate::Progress;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::Arc;

/// The handle of a spawned task: wait for its output ([`join`](Self::join) or `.await`),
/// cancel it, read its progress and status.
///
/// Dropping a handle detaches the task: it still runs to completion.
#[must_use = "dropping a TaskHandle detaches the task; call .join() or .await to get its output"]
pub struct TaskHandle<T> {
    shared: Arc<Shared>,
    cell: Arc<Completion<T>>,
}

impl<T> core::fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TaskHandle")
            .field("cell", &self.cell)
            .finish()
    }
}

impl<T: Copy + Send + 'static> TaskHandle<T> {
    pub(crate) fn new(shared: Arc<Shared>, cell: Arc<Completion<T>>) -> Self {
        TaskHandle { shared, cell }
    }

    /// Blocks until the task ends and returns its output, or why there is none.
    ///
    /// Called from inside a task of the same pool (on one of its workers), it does not block
    /// the worker: the worker runs other ready work until this task ends, so a task can
    /// spawn children and join them even on a one-worker pool (see `pool::join`).
    ///
    /// Native only in spirit: on the web's main thread blocking is not allowed; `.await` the
    /// handle instead.
    pub fn join(self) -> Result<T, TaskError> {
        if let Some(me) = self.shared.current_worker() {
            self.shared.help_join(me, &self.cell.header);
            return self.cell.result();
        }
        // Short tasks finish within microseconds: spin a little before parking.
        // Poll after every pause (~30 ns each on x86), about 25 µs in all.
        for _ in 0..self.shared.spins.join {
            if self.cell.header.is_complete() {
                return self.cell.result();
            }
            core::hint::spin_loop();
        }
        park::wait_complete(&self.cell.header.state, self.shared.backend);
        self.cell.result()
    }

    /// Asks the task to stop: a queued task is cancelled at once, a running one at its next
    /// chunk boundary. Its result becomes `Err(TaskError::Cancelled)` unless it already
    /// finished. A task still waiting for a slot gives up its place at once; one that holds a
    /// slot (queued on a worker, or preempted) gives the slot back when a worker next takes
    /// it off its queue, which workers busy with tasks at least as urgent don't do until one
    /// of those ends.
    pub fn cancel(&self) {
        self.shared.cancel(&self.cell.header);
    }

    /// A handle that can only cancel this task, and can be cloned and sent to other threads:
    /// `join` takes the `TaskHandle`, so a thread blocked in it can't also offer a cancel
    /// button; give that button a `CancelHandle` (tokio's `abort_handle`). It keeps working
    /// after the `TaskHandle` is joined or dropped (a no-op once the task ended).
    pub fn cancel_handle(&self) -> CancelHandle<T> {
        CancelHandle {
            shared: Arc::clone(&self.shared),
            cell: Arc::clone(&self.cell),
        }
    }

    /// How far the task got, as published by its worker after each chunk.
    pub fn progress(&self) -> Progress {
        let h = &self.cell.header;
        if !h.is_complete() {
            let at = h.slot.load(Acquire);
            if at != NO_SLOT {
                if let Some((_, progress)) = self.shared.slot_progress((at >> 32) as u32, at as u32)
                {
                    return progress;
                }
            }
        }
        h.progress()
    }

    /// Where the task is now.
    pub fn status(&self) -> TaskStatus {
        let h = &self.cell.header;
        if let Some(outcome) = h.outcome() {
            return match outcome {
                Outcome::Done => TaskStatus::Done,
                Outcome::Failed => TaskStatus::Failed,
                Outcome::Cancelled => TaskStatus::Cancelled,
            };
        }
        let at = h.slot.load(Acquire);
        if at == NO_SLOT {
            return TaskStatus::Queued;
        }
        match self.shared.slot_header((at >> 32) as u32, at as u32) {
            // A queued task with halves split off is running: its halves are.
            Some(header)
                if matches!(header.state(), SlotState::Queued | SlotState::Cancelled)
                    && !header.split() =>
            {
                TaskStatus::Queued
            }
            // Running, or finishing right now (the slot was freed, the cell is being filled),
            // or parked at its split loop's join while its halves run.
            _ => TaskStatus::Running,
        }
    }

    /// Whether the task ended (its result is ready).
    pub fn is_finished(&self) -> bool {
        self.cell.header.is_complete()
    }

    /// The priority the task was spawned with, while it holds a slot.
    pub fn priority(&self) -> Option<Priority> {
        let at = self.cell.header.slot.load(Acquire);
        if at == NO_SLOT || self.cell.header.is_complete() {
            return None;
        }
        self.shared
            .slot_header((at >> 32) as u32, at as u32)
            .map(|h| Priority::from_index(h.priority()))
    }
}

/// Cancels one task: from [`TaskHandle::cancel_handle`]. Cheap to clone (two reference
/// counts); `Send + Sync`.
pub struct CancelHandle<T> {
    shared: Arc<Shared>,
    cell: Arc<Completion<T>>,
}

impl<T> Clone for CancelHandle<T> {
    fn clone(&self) -> Self {
        CancelHandle {
            shared: Arc::clone(&self.shared),
            cell: Arc::clone(&self.cell),
        }
    }
}

impl<T> core::fmt::Debug for CancelHandle<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CancelHandle")
            .field("cell", &self.cell)
            .finish()
    }
}

impl<T: Copy + Send + 'static> CancelHandle<T> {
    /// Same as [`TaskHandle::cancel`].
    pub fn cancel(&self) {
        self.shared.cancel(&self.cell.header);
    }

    /// Whether the task ended (done, failed or cancelled).
    pub fn is_finished(&self) -> bool {
        self.cell.header.is_complete()
    }
}

impl<T: Copy + Send + 'static> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let h = &self.cell.header;
        if h.is_complete() {
            return Poll::Ready(self.cell.result());
        }
        {
            let mut waker = h.waker.lock();
            match &mut *waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
        }
        // The completer stores COMPLETE, then reads `has_waker` (both SeqCst): after raising
        // the flag, re-check, so one of the two sides sees the other.
        h.has_waker.store(1, SeqCst);
        if h.state.load(SeqCst) == CellState::Complete as u32 {
            return Poll::Ready(self.cell.result());
        }
        Poll::Pending
    }
}
