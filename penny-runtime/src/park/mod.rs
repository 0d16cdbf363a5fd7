#![doc = include_str!("README.md")]
// Under loom only the models use this module, not the pool.
#![cfg_attr(loom, allow(dead_code))]

use crate::backend::Backend;
use crate::sync::{AtomicU32, Ordering::*};

#[cfg(all(test, loom))]
mod loom_tests;

/// Between a handshake's `SeqCst` store (or read-modify-write) and its `SeqCst` load of
/// another word. The C++ memory model (Rust's) puts every `SeqCst` operation in one total
/// order, which is what the handshakes need, so outside loom this is nothing. Loom models
/// `SeqCst` loads and stores only as acquire/release, but `SeqCst` fences fully; under loom
/// this is such a fence, so the models see the order the real program has.
#[inline(always)]
fn store_load_order() {
    #[cfg(loom)]
    crate::sync::fence(SeqCst);
}

/// A counter of events that threads park on until it moves (the work epoch, the freed
/// epoch), with the number of threads parked on it or about to park (protocols 1 and 2).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Epoch<'a> {
    word: &'a AtomicU32,
    sleepers: &'a AtomicU32,
}

impl<'a> Epoch<'a> {
    pub(crate) fn new(word: &'a AtomicU32, sleepers: &'a AtomicU32) -> Self {
        Epoch { word, sleepers }
    }

    /// The epoch now (SeqCst: a waiter that polls before parking reads it first, then checks
    /// for work).
    pub(crate) fn current(&self) -> u32 {
        self.word.load(SeqCst)
    }

    /// Whether the epoch moved past `seen`: one relaxed load, for polling while spinning.
    pub(crate) fn moved(&self, seen: u32) -> bool {
        self.word.load(Relaxed) != seen
    }

    /// Waiter: parks until the epoch moves, unless `ready` says there is something to do.
    /// `ready` must read (SeqCst) what notifiers make true before they call
    /// [`notify_one`](Self::notify_one) / [`notify_all`](Self::notify_all). May return
    /// spuriously: callers re-check and loop.
    pub(crate) fn sleep_unless(&self, backend: &dyn Backend, ready: impl FnOnce() -> bool) {
        self.sleepers.fetch_add(1, SeqCst);
        store_load_order();
        let seen = self.word.load(SeqCst);
        if !ready() {
            backend.wait(self.word, seen);
        }
        self.sleepers.fetch_sub(1, SeqCst);
    }

    /// Notifier, after making something ready (SeqCst): moves the epoch and wakes one
    /// parked thread, if any.
    pub(crate) fn notify_one(&self, backend: &dyn Backend) {
        self.word.fetch_add(1, SeqCst);
        store_load_order();
        if self.sleepers.load(SeqCst) != 0 {
            backend.wake_one(self.word);
        }
    }

    /// Notifier, after making something ready (SeqCst): moves the epoch and wakes every
    /// parked thread, if any.
    pub(crate) fn notify_all(&self, backend: &dyn Backend) {
        self.word.fetch_add(1, SeqCst);
        store_load_order();
        if self.sleepers.load(SeqCst) != 0 {
            backend.wake_all(self.word);
        }
    }
}

/// The values of a completion cell's `state` word (protocols 3 and 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum CellState {
    /// The task has not ended; nobody blocks in `join`.
    Pending = 0,
    /// The task has not ended; a thread outside the pool blocks in `join` on this word.
    PendingJoiner = 1,
    /// The result is there.
    Complete = 2,
    /// The task has not ended; a worker joining it from inside a task waits on its pool's
    /// work epoch (and helps with other work meanwhile).
    PendingHelper = 3,
}

impl CellState {
    /// The state a `state` word holds.
    pub(crate) fn of(word: u32) -> CellState {
        match word {
            0 => CellState::Pending,
            1 => CellState::PendingJoiner,
            2 => CellState::Complete,
            3 => CellState::PendingHelper,
            other => unreachable!("penny: corrupt completion state {other}"),
        }
    }
}

/// Whether a cell's `state` word says complete (Acquire: what the completer wrote before
/// [`release`] is visible after).
pub(crate) fn is_complete(state: &AtomicU32) -> bool {
    state.load(Acquire) == CellState::Complete as u32
}

/// Joiner outside the pool (protocol 3): blocks until the cell is complete.
pub(crate) fn wait_complete(state: &AtomicU32, backend: &dyn Backend) {
    let (pending, joiner) = (CellState::Pending as u32, CellState::PendingJoiner as u32);
    loop {
        match CellState::of(state.load(Acquire)) {
            CellState::Complete => return,
            CellState::Pending => {
                let _ = state.compare_exchange(pending, joiner, AcqRel, Acquire);
            }
            CellState::PendingJoiner => backend.wait(state, joiner),
            CellState::PendingHelper => unreachable!("penny: a handle is joined once"),
        }
    }
}

/// Helping joiner (protocol 4): flags the cell so that its completer moves `work`, then
/// parks on `work` unless the cell is complete or `ready` (there is work to help with).
pub(crate) fn sleep_helping(
    state: &AtomicU32,
    work: Epoch<'_>,
    backend: &dyn Backend,
    ready: impl FnOnce() -> bool,
) {
    let (pending, helper) = (CellState::Pending as u32, CellState::PendingHelper as u32);
    if let Err(now) = state.compare_exchange(pending, helper, SeqCst, SeqCst) {
        if CellState::of(now) == CellState::Complete {
            return;
        }
    }
    work.sleep_unless(backend, || {
        state.load(SeqCst) == CellState::Complete as u32 || ready()
    });
}

/// Completer (protocols 3 and 4): marks the cell complete, publishing what was written
/// before; returns the state before, for [`wake_waiters`].
pub(crate) fn release(state: &AtomicU32) -> CellState {
    CellState::of(state.swap(CellState::Complete as u32, SeqCst))
}

/// Completer, after [`release`]: wakes whoever the state before says waits. `work` is the
/// epoch of the pool the task ran on (a helping joiner is a worker of that pool).
pub(crate) fn wake_waiters(
    before: CellState,
    state: &AtomicU32,
    work: Epoch<'_>,
    backend: &dyn Backend,
) {
    match before {
        CellState::PendingJoiner => backend.wake_all(state),
        CellState::PendingHelper => work.notify_all(backend),
        CellState::Pending | CellState::Complete => {}
    }
}
