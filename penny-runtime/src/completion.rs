//! The completion cell: where a task's result goes when it ends, and what its handle reads.
//!
//! One cell per spawned task, allocated by the spawner (on wasm in the shared memory); the
//! handle holds one `Arc` reference, the task's slot (or its entry in the spawner-side queue)
//! holds another until the task ends. A slot records the cell's address and the cell records
//! the slot (`slot index << 32 | generation`), so the handle can read live progress and
//! cancel a queued task.
//!
//! # Invariants
//!
//! - **One completer.** Exactly one party completes a cell: the worker that owns the task's
//!   RUNNING slot; the handle that won the cancel CAS of its QUEUED slot; the installer that
//!   won that CAS on a slot it had not queued yet; or whoever took the task's entry out of
//!   the spawner-side queue. Those are mutually exclusive by the slot's state machine
//!   (`crate::slot`) and the queue's lock, so [`CellHeader::complete`] runs once per cell.
//! - **Publication.** The completer writes the output (a task's `step` writes it in place,
//!   see `crate::kind`), the panic message, the outcome and the final progress, then
//!   swaps [`CellState::Complete`] into `state` (SeqCst). Readers load `state` (Acquire or
//!   SeqCst) and read the rest only after seeing `Complete`.
//! - **Final progress before the slot goes.** The completer stores the final progress
//!   before it frees the slot ([`CellHeader::store_progress`]): a handle that finds the slot's
//!   generation moved on reads the cell's progress, never the one from spawn again.
//! - **Waking.** The `state` word is a parking word: how joiners wait on it and how the
//!   completer wakes them is protocols 3 and 4 of `crate::park` (its README). An async waiter stores its waker under the mutex,
//!   then raises `has_waker` and re-reads `state` (both SeqCst); the completer swaps `state`
//!   and then reads `has_waker` (SeqCst): one of the two sees the other.

use crate::lock::SpinLock;
use crate::park::{self, CellState};
use crate::sync::{AtomicU32, AtomicU64, Ordering::*};
use crate::Progress;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::task::Waker;
use std::sync::Arc;

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Outcome {
    /// It returned; the output is in the cell.
    Done = 1,
    /// It was cancelled (by its handle, or because the pool was dropped).
    Cancelled = 2,
    /// Its code panicked; the message is in the cell.
    Failed = 3,
}

impl Outcome {
    fn of(word: u32) -> Outcome {
        match word {
            1 => Outcome::Done,
            2 => Outcome::Cancelled,
            3 => Outcome::Failed,
            other => unreachable!("penny: corrupt outcome {other}"),
        }
    }
}

/// The type-independent part of a completion cell (the first field of every
/// [`Completion`], so a pointer to one is a pointer to the other).
#[repr(C)]
pub(crate) struct CellHeader {
    /// A [`CellState`]; the word joiners park on (see `crate::park`).
    pub state: AtomicU32,
    /// An [`Outcome`], valid once complete (0 before).
    outcome: AtomicU32,
    /// Set by `cancel()`; workers check it at every chunk boundary.
    pub cancel: AtomicU32,
    /// `slot index << 32 | generation` once the task got a slot, [`NO_SLOT`] before.
    pub slot: AtomicU64,
    /// Progress before the task got a slot, and final progress once it ended.
    progress_done: AtomicU64,
    progress_total: AtomicU64,
    pub waker: SpinLock<Option<Waker>>,
    /// Set (SeqCst) once a waker was stored, so a completer with no async waiter skips the
    /// lock.
    pub has_waker: AtomicU32,
    /// The panic message of a failed task; written by the completer before `state` is
    /// released as complete, read only after.
    panic: UnsafeCell<Option<String>>,
    /// The leases on the buffer views the task holds, given back by the completer before
    /// the result is published.
    leases: SpinLock<Vec<crate::buffer::TaskLease>>,
}

/// The `slot` word of a cell whose task has no slot (yet).
pub(crate) const NO_SLOT: u64 = u64::MAX;
/// A progress total word meaning "unknown".
pub(crate) const NO_TOTAL: u64 = u64::MAX;

/// A completion cell for outputs of type `O`.
#[repr(C)]
pub(crate) struct Completion<O> {
    pub header: CellHeader,
    output: UnsafeCell<MaybeUninit<O>>,
}

// SAFETY: `output` and `panic` are written once by the single completer before `state` is
// swapped to complete (SeqCst), and read only after a load (Acquire or stronger) sees it.
unsafe impl<O: Send> Sync for Completion<O> {}
// SAFETY: as above; `O: Send`.
unsafe impl<O: Send> Send for Completion<O> {}

impl<O> core::fmt::Debug for Completion<O> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Completion")
            .field("state", &CellState::of(self.header.state.load(Relaxed)))
            .finish()
    }
}

/// A progress as the two words slots and cells store.
pub(crate) fn encode_progress(p: Progress) -> (u64, u64) {
    (p.done, p.total.unwrap_or(NO_TOTAL))
}

/// The progress two stored words mean.
pub(crate) fn decode_progress(done: u64, total: u64) -> Progress {
    Progress {
        done,
        total: (total != NO_TOTAL).then_some(total),
    }
}

impl<O: Copy + Send + 'static> Completion<O> {
    pub(crate) fn new(initial: Progress) -> Completion<O> {
        let (done, total) = encode_progress(initial);
        Completion {
            header: CellHeader {
                state: AtomicU32::new(CellState::Pending as u32),
                outcome: AtomicU32::new(0),
                cancel: AtomicU32::new(0),
                slot: AtomicU64::new(NO_SLOT),
                progress_done: AtomicU64::new(done),
                progress_total: AtomicU64::new(total),
                waker: SpinLock::new(None),
                has_waker: AtomicU32::new(0),
                panic: UnsafeCell::new(None),
                leases: SpinLock::new(Vec::new()),
            },
            output: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The result, once [`CellHeader::is_complete`].
    pub(crate) fn result(&self) -> Result<O, crate::TaskError> {
        let outcome = self
            .header
            .outcome()
            .expect("penny: result read before completion");
        match outcome {
            // SAFETY: outcome Done means the task's `step` wrote the output before the cell
            // was completed, and `outcome()` saw the completion with Acquire; `O: Copy`.
            Outcome::Done => Ok(unsafe { (*self.output.get()).assume_init() }),
            Outcome::Failed => Err(crate::TaskError::Panicked(
                // SAFETY: written before the completion was released, never written after.
                unsafe { (*self.header.panic.get()).clone() }.unwrap_or_default(),
            )),
            Outcome::Cancelled => Err(crate::TaskError::Cancelled),
        }
    }

    /// Writes the output of the task into the cell at `cell`.
    ///
    /// # Safety
    /// `cell` points to a live `Completion<O>` (its header) that is not complete yet, and the
    /// caller is its only completer.
    pub(crate) unsafe fn write_output(cell: *const CellHeader, output: O) {
        // SAFETY: `CellHeader` is the first field of the `repr(C)` `Completion<O>`, so the
        // pointer is one to the whole cell; the caller is its only completer and nobody
        // reads `output` before the completer releases the completion.
        unsafe {
            let cell = &*cell.cast::<Completion<O>>();
            (*cell.output.get()).write(output);
        }
    }

    /// Drops the strong reference to the cell at `cell` that [`into_addr`] made.
    ///
    /// # Safety
    /// `cell` came from [`into_addr`] of an `Arc<Completion<O>>` whose reference the caller
    /// gives up.
    pub(crate) unsafe fn release(cell: *const CellHeader) {
        // SAFETY: guaranteed by the caller.
        unsafe { Arc::decrement_strong_count(cell.cast::<Completion<O>>()) }
    }

    /// Takes one more strong reference to the cell (released by [`Completion::release`]).
    ///
    /// # Safety
    /// `cell` came from [`into_addr`] of an `Arc<Completion<O>>` that is alive for the call
    /// (the caller holds a reference).
    pub(crate) unsafe fn retain(cell: *const CellHeader) {
        // SAFETY: guaranteed by the caller.
        unsafe { Arc::increment_strong_count(cell.cast::<Completion<O>>()) }
    }
}

impl CellHeader {
    /// Keeps `leases` until the task ends.
    pub(crate) fn keep_leases(&self, leases: Vec<crate::buffer::TaskLease>) {
        if !leases.is_empty() {
            *self.leases.lock() = leases;
        }
    }

    /// Stores a task's final progress. The completer calls it before it frees the task's
    /// slot: a handle that finds the slot gone reads this progress, so it never sees the one
    /// from spawn again.
    pub(crate) fn store_progress(&self, p: Progress) {
        let (done, total) = encode_progress(p);
        self.progress_done.store(done, Release);
        self.progress_total.store(total, Release);
    }

    /// The progress stored in the cell: the one from spawn, or the final one once the
    /// completer stored it.
    pub(crate) fn progress(&self) -> Progress {
        decode_progress(
            self.progress_done.load(Acquire),
            self.progress_total.load(Acquire),
        )
    }

    /// Whether the result is there (Acquire).
    pub(crate) fn is_complete(&self) -> bool {
        park::is_complete(&self.state)
    }

    /// How the task ended, once complete (Acquire).
    pub(crate) fn outcome(&self) -> Option<Outcome> {
        self.is_complete()
            .then(|| Outcome::of(self.outcome.load(Relaxed)))
    }

    /// Stores the result and wakes whoever waits: `wake(state word, previous state)` runs
    /// when the previous state was `PendingJoiner` (wake the threads parked on the word) or
    /// `PendingHelper` (bump and wake the pool's work epoch).
    ///
    /// # Safety
    /// The caller is the one and only completer of this cell (see the module docs), and for
    /// [`Outcome::Done`] the task's `step` wrote the output first.
    pub(crate) unsafe fn complete(
        &self,
        outcome: Outcome,
        panic: Option<String>,
        final_progress: Option<Progress>,
        wake: impl FnOnce(&AtomicU32, CellState),
    ) {
        if let Some(p) = final_progress {
            self.store_progress(p);
        }
        // SAFETY: the caller is the only completer and nobody reads `panic` before the
        // completion is released.
        unsafe { *self.panic.get() = panic };
        // The task holds its buffers no more: whoever sees the result may use them.
        drop(core::mem::take(&mut *self.leases.lock()));
        self.outcome.store(outcome as u32, Relaxed);
        // SeqCst (in `release`), paired with `poll`'s SeqCst store of `has_waker` and load of
        // `state`: either the load of `has_waker` below sees the flag, or that load sees the
        // completion.
        let before = park::release(&self.state);
        assert_ne!(before, CellState::Complete, "penny: a task completed twice");
        if before != CellState::Pending {
            wake(&self.state, before);
        }
        if self.has_waker.load(SeqCst) != 0 {
            let waker = self.waker.lock().take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// Turns an `Arc` cell into the address stored in a slot (one strong reference).
pub(crate) fn into_addr<O>(cell: Arc<Completion<O>>) -> u64 {
    Arc::into_raw(cell).expose_provenance() as u64
}

/// The cell header at an address stored in a slot.
///
/// # Safety
/// `addr` came from [`into_addr`] and that reference has not been released yet.
pub(crate) unsafe fn cell_at<'a>(addr: u64) -> &'a CellHeader {
    // SAFETY: guaranteed by the caller; the header is the first field of the `repr(C)` cell.
    unsafe { &*core::ptr::with_exposed_provenance::<CellHeader>(addr as usize) }
}
