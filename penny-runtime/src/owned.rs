//! Slots and completion-cell references the caller owns, as values.
//!
//! The pool reads and writes a task's state (in its slot's payload, or out of line), and
//! completes a task's completion cell, only through the types here. Each one is made only where ownership is
//! established and is consumed by the step that gives it up:
//!
//! - [`Fresh`]: a slot popped from the free list and not yet published (the Treiber pop hands
//!   an index to one thread);
//! - [`Running`]: a slot whose claim CAS (QUEUED → RUNNING) this worker won, so no other
//!   worker runs it and no handle can cancel it before it is finished;
//! - [`CellRef`]: the one strong reference to a completion cell that a slot or a
//!   spawner-side queue entry holds (released when dropped).
//!
//! # Where a task's state lives
//!
//! In the slot's payload when it fits (`size <= payload bytes`, alignment at most
//! [`region::INLINE_ALIGN`]), otherwise out of line: [`Fresh::install`] allocates it from
//! the global allocator (on wasm, the shared memory) and records its address in the slot,
//! and whoever frees the slot frees it first ([`release_state`]). Zero-sized states need no
//! memory at all. A task's output never occupies the slot: `step` writes it into the
//! completion cell.
//!
//! So the `unsafe` calls into [`crate::kind`] and [`crate::completion`] below rest on
//! invariants these types carry, not on what their callers remember to do. The modules with
//! `unsafe` are this one, [`crate::region`], [`crate::kind`] and [`crate::completion`] (and
//! the wasm backend's parking intrinsics).

use crate::budget::{Meter, Phase};
use crate::completion::{self, CellHeader, Completion, Outcome, NO_SLOT};
use crate::kind::{self, Kind, Kinds, Writer};
use crate::park::CellState;
use crate::region::{self, Region};
use crate::slot::{self, Claim, Header, SlotState, NO_OWNER};
use crate::sync::{AtomicU32, Ordering::*};
use crate::task::MAX_TASK_ALIGN;
use crate::{Progress, Task};
use core::any::TypeId;
use std::alloc::Layout;
use std::sync::Arc;

/// One strong reference to a task's completion cell: the one its slot (or its entry in the
/// spawner-side queue) holds. Dropping it releases the reference.
pub(crate) struct CellRef {
    addr: u64,
    release: unsafe fn(*const CellHeader),
}

impl core::fmt::Debug for CellRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CellRef").field("addr", &self.addr).finish()
    }
}

impl CellRef {
    /// Takes over `cell`'s reference; `kind` must be `T`'s kind.
    pub(crate) fn new<T: Task>(cell: Arc<Completion<T::Output>>, kind: &Kind) -> CellRef {
        assert_eq!(
            kind.type_id,
            TypeId::of::<T>(),
            "penny: cell and kind disagree"
        );
        CellRef {
            addr: completion::into_addr(cell),
            release: kind.release,
        }
    }

    /// The cell's header.
    pub(crate) fn header(&self) -> &CellHeader {
        // SAFETY: `addr` came from `into_addr` and this value holds that reference until it
        // is dropped, so the cell outlives the borrow.
        unsafe { completion::cell_at(self.addr) }
    }

    /// Hands the reference to a slot: the address goes into the slot's completion word and
    /// is taken back by [`claim`].
    fn into_slot(self) -> u64 {
        let addr = self.addr;
        core::mem::forget(self);
        addr
    }

    /// Completes the cell and releases this reference.
    ///
    /// Every caller in this module is the cell's only completer: the owner of its RUNNING
    /// slot, the installer that won the cancel CAS of the QUEUED slot it has not queued yet,
    /// or the holder of a reference that never reached a slot (no handle can cancel such a
    /// task into completion, see [`cancel_unslotted`]).
    fn complete(
        self,
        outcome: Outcome,
        panic: Option<String>,
        progress: Option<Progress>,
        wake: impl FnOnce(&AtomicU32, CellState),
    ) {
        // SAFETY: see above: the callers are the only completer; for `Done`, the task's last
        // `step` wrote the output first.
        unsafe { self.header().complete(outcome, panic, progress, wake) };
    }
}

impl Drop for CellRef {
    fn drop(&mut self) {
        // SAFETY: this value holds one reference from `into_addr`, given up exactly once
        // here; `release` is the cell's kind's, so it drops the cell's real type.
        unsafe {
            (self.release)(core::ptr::with_exposed_provenance::<CellHeader>(
                self.addr as usize,
            ))
        }
    }
}

/// Completes, as cancelled, the cell of a task that never got a slot (it waited in the
/// spawner-side queue; the caller took its entry out of that queue, under the queue's lock).
pub(crate) fn cancel_unslotted(cell: CellRef, wake: impl FnOnce(&AtomicU32, CellState)) {
    // Handles complete a cell only after winning `cancel_queued` on its slot, or after taking
    // its entry out of the spawner-side queue (which is what the caller did, or a handle
    // cancelled it and holds no entry); with no slot recorded in the cell and the entry in
    // the caller's hands, this holder is the only completer.
    assert_eq!(
        cell.header().slot.load(SeqCst),
        NO_SLOT,
        "penny: cell already has a slot"
    );
    cell.complete(Outcome::Cancelled, None, None, wake);
}

/// A slot taken from the free list, not yet published: only this value touches it.
#[derive(Debug)]
pub(crate) struct Fresh {
    index: u32,
}

impl Fresh {
    /// Takes a free slot, if any.
    pub(crate) fn pop(r: &Region) -> Option<Fresh> {
        slot::pop_free(r).map(|index| Fresh { index })
    }

    /// Returns the slot to the free list unused.
    pub(crate) fn give_back(self, r: &Region) {
        slot::push_free(r, self.index);
    }

    /// Writes the task into the slot, records kind, budget, progress (read from the task by
    /// the spawner before it took the slot: no task code runs here, so nothing can unwind
    /// out of an unpublished slot) and cell, publishes it as QUEUED at `priority` and records
    /// the slot in the cell. Returns the slot index, for the caller to push to a queue, or
    /// `None` when a cancel raced with the install (see below): then the task is complete
    /// as cancelled and the slot is free again.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn install<F: FnOnce(*mut u8)>(
        self,
        r: &Region,
        kind_index: u32,
        kind: &Kind,
        priority: u8,
        write: Writer<F>,
        cell: CellRef,
        progress: Progress,
        yield_now: impl Fn(),
        wake: impl FnOnce(&AtomicU32, CellState),
    ) -> Option<u32> {
        let layout = r.layout();
        assert_eq!(
            write.type_id(),
            kind.type_id,
            "penny: writer and kind disagree"
        );
        // What `state_layout` and the allocation below rely on (the spawner checked it
        // already, with a message for the user: `Shared::kind_for`).
        assert!(
            kind.align <= MAX_TASK_ALIGN && kind.output_align <= MAX_TASK_ALIGN,
            "penny: task `{}` is aligned beyond MAX_TASK_ALIGN",
            kind.name
        );
        let off = layout.slot(self.index);
        let state = if stores_inline(r, kind) {
            state_at(r, self.index, kind)
        } else {
            let ptr = alloc_state(kind);
            r.u64(off + region::S_STATE)
                .store(ptr.expose_provenance() as u64, Relaxed);
            ptr
        };
        // SAFETY: `state` is this unpublished slot's state memory (only this value touches
        // it): the payload, which holds `kind.size` bytes at an alignment of at least
        // `kind.align` (`stores_inline`), or a fresh allocation of `kind`'s layout; the
        // writer holds a task of `kind`'s type (checked above).
        unsafe { write.write(state) };
        publish_progress(r, off, progress);
        r.u32(off + region::S_KIND).store(kind_index, Relaxed);
        let meter = Meter::fresh(kind.budget_hint.load(Relaxed));
        r.u32(off + region::S_BUDGET).store(meter.budget, Relaxed);
        r.u32(off + region::S_METER)
            .store(meter.phase as u32, Relaxed);
        r.u64(off + region::S_COMPLETION).store(cell.addr, Relaxed);
        let generation = Header(slot::header(r, self.index).load(Relaxed)).generation();
        slot::set_owned(
            r,
            self.index,
            Header::new(SlotState::Queued, priority, NO_OWNER, generation),
        );
        // Tell the handle where its task is. The index is in no queue yet, so the reference
        // is still ours here.
        cell.header()
            .slot
            .store((self.index as u64) << 32 | generation as u64, SeqCst);
        // A handle's `cancel` raises the flag, then reads `slot` (both SeqCst): it either
        // sees the slot just stored (and cancels the queued task itself) or this load sees
        // the flag. A task waiting for a slot is cancelled by taking it out of the
        // spawner-side queue, so the flag is only seen here when the cancel came while this
        // installer had already taken the task from that queue.
        if cell.header().cancel.load(SeqCst) != 0 {
            if slot::cancel_queued(r, self.index, generation) {
                cell.complete(Outcome::Cancelled, None, Some(progress), wake);
            } else {
                // The handle won the cancel and completes the cell.
                while !cell.header().is_complete() {
                    yield_now();
                }
                drop(cell);
            }
            release_state(r, self.index, kind);
            slot::free(r, self.index);
            return None;
        }
        // From now on the reference is the slot's.
        let _ = cell.into_slot();
        Some(self.index)
    }
}

/// Publishes a task's progress in its slot (offset `off`).
pub(crate) fn publish_progress(r: &Region, off: usize, progress: Progress) {
    let (done, total) = completion::encode_progress(progress);
    r.u64(off + region::S_PROGRESS_DONE).store(done, Release);
    r.u64(off + region::S_PROGRESS_TOTAL).store(total, Release);
}

/// What the worker that popped an index from a queue got.
#[derive(Debug)]
pub(crate) enum Popped<'k> {
    /// It runs the task.
    Run(Running<'k>),
    /// The task was cancelled while queued: the slot was freed (and the cell reference
    /// released) already.
    Reclaimed,
}

/// The worker that popped `index` from a queue takes it (see [`slot::claim`]).
///
/// A task cancelled while queued is completed by its canceller, which reads the final
/// progress from the slot after winning the cancel; so the popper frees the slot only once
/// the cell is complete (`yield_now` between checks: the canceller is a few instructions
/// away from it), or a handle could find the slot gone and the cell still holding the
/// progress from spawn.
pub(crate) fn claim<'k>(
    r: &Region,
    kinds: &'k Kinds,
    index: u32,
    worker: u16,
    yield_now: impl Fn(),
) -> Popped<'k> {
    let claim = slot::claim(r, index, worker);
    let off = r.layout().slot(index);
    // The claim's Acquire saw the installer's writes, made before it released QUEUED.
    let kind = kinds.get(r.u32(off + region::S_KIND).load(Relaxed));
    let addr = r.u64(off + region::S_COMPLETION).load(Relaxed);
    // The slot's reference to its cell passes to this worker: a queued index is popped by one
    // thread only, and the slot keeps no other use of the address.
    let cell = CellRef {
        addr,
        release: kind.release,
    };
    match claim {
        Claim::Run(header) => Popped::Run(Running {
            index,
            header,
            kind,
            state: state_at(r, index, kind),
            cell,
        }),
        Claim::Reclaim(_) => {
            // Cancelled while queued: the handle completes the cell; then drop our reference.
            while !cell.header().is_complete() {
                yield_now();
            }
            drop(cell);
            release_state(r, index, kind);
            slot::free(r, index);
            Popped::Reclaimed
        }
    }
}

/// Takes over slot `index` if a worker that died (`dead`) was running it: the dead worker's
/// claim passes to the caller, who must finish the task. Only for a worker that will never
/// run again (its wasm trapped), so nothing else can touch the slot: a running slot is
/// touched by its owner alone.
pub(crate) fn adopt<'k>(
    r: &Region,
    kinds: &'k Kinds,
    index: u32,
    dead: u16,
) -> Option<Running<'k>> {
    let header = Header(slot::header(r, index).load(Acquire));
    if header.state() != SlotState::Running || header.owner() != dead {
        return None;
    }
    let off = r.layout().slot(index);
    let kind = kinds.get(r.u32(off + region::S_KIND).load(Relaxed));
    let cell = CellRef {
        addr: r.u64(off + region::S_COMPLETION).load(Relaxed),
        release: kind.release,
    };
    Some(Running {
        index,
        header,
        kind,
        state: state_at(r, index, kind),
        cell,
    })
}

/// A slot this worker runs: it won the claim CAS, so it alone touches the task's state and
/// completes its cell until it gives the slot up ([`Running::requeue`] or
/// [`Running::finish`]).
#[derive(Debug)]
pub(crate) struct Running<'k> {
    index: u32,
    header: Header,
    kind: &'k Kind,
    /// The task's state: in the payload or out of line (see the module docs).
    state: *mut u8,
    cell: CellRef,
}

impl<'k> Running<'k> {
    /// The slot's index.
    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// The header as this worker set it (RUNNING, owned).
    pub(crate) fn header(&self) -> Header {
        self.header
    }

    /// The task's kind.
    pub(crate) fn kind(&self) -> &'k Kind {
        self.kind
    }

    /// The task's budget meter, as stored in its slot (by the installer, or by the worker
    /// that last requeued it; the claim's Acquire saw either).
    pub(crate) fn meter(&self, r: &Region) -> Meter {
        let off = r.layout().slot(self.index);
        Meter {
            budget: r.u32(off + region::S_BUDGET).load(Relaxed),
            phase: Phase::from_word(r.u32(off + region::S_METER).load(Relaxed)),
        }
    }

    /// The task's completion cell (for the cancel flag).
    pub(crate) fn cell(&self) -> &CellHeader {
        self.cell.header()
    }

    /// Runs one chunk of at most `budget` iterations; true when the task finished (its
    /// output is in the cell, unless it is a split `half`: that cell is its root's, see
    /// `kind::step`).
    pub(crate) fn step(&mut self, budget: u32, half: bool) -> bool {
        let cell = if half { 0 } else { self.cell.addr };
        // SAFETY: this worker owns the RUNNING slot, so it alone touches the task's state,
        // which `state` points to (set at the claim from the slot, sized and aligned for
        // `kind` by `Fresh::install`), and `kind` is the kind it was installed with; the slot
        // holds a reference to the cell at `self.cell.addr`, whose only completer is this
        // worker while it owns the slot (a half passes none).
        unsafe { kind::step(self.kind, self.state, budget, cell) }
    }

    /// The task's progress, read from its state. This runs the task's `progress`, which may
    /// panic: the caller catches it.
    pub(crate) fn progress(&self) -> Progress {
        // SAFETY: this worker owns the slot, so nobody writes the state meanwhile; it holds a
        // task of `kind` (a panicking step may leave it half-updated, but it is plain data).
        unsafe { kind::progress(self.kind, self.state) }
    }

    /// Publishes the task's progress in its slot (runs the task's `progress`, which may
    /// panic: the caller catches it).
    pub(crate) fn publish_progress(&self, r: &Region) {
        publish_progress(r, r.layout().slot(self.index), self.progress());
    }

    /// The progress last published in the slot.
    pub(crate) fn published_progress(&self, r: &Region) -> Progress {
        let off = r.layout().slot(self.index);
        completion::decode_progress(
            r.u64(off + region::S_PROGRESS_DONE).load(Relaxed),
            r.u64(off + region::S_PROGRESS_TOTAL).load(Relaxed),
        )
    }

    /// Puts the task back to QUEUED with its budget `meter` stored in the slot (it travels
    /// with the task); the caller pushes the index to a queue. The slot keeps its cell
    /// reference.
    pub(crate) fn requeue(self, r: &Region, meter: Meter) -> u32 {
        self.store_meter(r, meter);
        slot::set_owned(
            r,
            self.index,
            self.header.with_state(SlotState::Queued, NO_OWNER),
        );
        let _ = self.cell.into_slot();
        self.index
    }

    /// Ends the task with `outcome` (`Done` after a `step` returned true, `Failed`,
    /// `Cancelled`):
    /// frees the task's state and slot and completes the cell. `progress` is the final
    /// progress the caller read from the task (`None` when that read panicked: the last
    /// published progress stands). Runs no task code, so it cannot unwind.
    /// `freed` runs between freeing the slot and completing the cell (the simulation's
    /// choice point there).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finish(
        self,
        r: &Region,
        outcome: Outcome,
        panic: Option<String>,
        progress: Option<Progress>,
        freed: impl FnOnce(),
        wake: impl FnOnce(&AtomicU32, CellState),
    ) {
        let progress = progress.unwrap_or_else(|| self.published_progress(r));
        // For DONE, the last `step` wrote the output into the cell already.
        // The final progress reaches the cell before the slot is freed (a handle that finds
        // the slot gone reads the cell's).
        #[cfg(not(penny_regress = "finding5"))]
        self.cell.header().store_progress(progress);
        slot::set_owned(
            r,
            self.index,
            self.header.with_state(outcome.into(), NO_OWNER),
        );
        release_state(r, self.index, self.kind);
        // Free the slot before completing, so a joiner that wakes sees it free.
        slot::free(r, self.index);
        freed();
        // Test-only switch: finding 5 (the final progress stored after the slot was freed).
        #[cfg(penny_regress = "finding5")]
        self.cell.header().store_progress(progress);
        self.cell.complete(outcome, panic, None, wake);
    }
}

impl<'k> Running<'k> {
    // ---- splits (see `pool::split` for the protocol) ---------------------------------------

    /// Where the task stands with its halves (runs the task's generated `split_state`).
    pub(crate) fn split_state(&self) -> crate::SplitState {
        // SAFETY: this worker owns the slot, so nobody writes the state meanwhile; it holds a
        // task of `kind`.
        unsafe { (self.kind.split_state)(self.state) }
    }

    /// Sets or clears the split bit in the slot's header (this worker owns the slot).
    pub(crate) fn set_split(&mut self, r: &Region, split: bool) {
        self.header = self.header.with_split(split);
        slot::set_owned(r, self.index, self.header);
    }

    /// Splits the task into a fresh slot with its own reference to the task's cell, not
    /// published yet: the caller reads its progress, links it, then [`Half::publish`]es it.
    /// `None` (nothing changed) when no slot is free or the task can't split.
    /// The half starts with `meter`, the task's budget meter as it is now.
    pub(crate) fn split_off(
        &mut self,
        r: &Region,
        min_iterations: u64,
        meter: Meter,
    ) -> Option<Half<'k>> {
        let fresh = Fresh::pop(r)?;
        let off = r.layout().slot(fresh.index);
        let kind = self.kind;
        let (state, allocated) = if stores_inline(r, kind) {
            (state_at(r, fresh.index, kind), false)
        } else {
            (alloc_state(kind), true)
        };
        /// Gives the slot (and the state's allocation) back when `split` declines or panics.
        struct Unused<'r, 'k> {
            r: &'r Region,
            kind: &'k Kind,
            fresh: Option<Fresh>,
            allocated: Option<*mut u8>,
        }
        impl Drop for Unused<'_, '_> {
            fn drop(&mut self) {
                if let Some(state) = self.allocated {
                    // SAFETY: allocated by `alloc_state` with this kind's layout; `split`
                    // declined or unwound, so it holds no value anyone reads (plain data).
                    unsafe { std::alloc::dealloc(state, state_layout(self.kind)) };
                }
                if let Some(fresh) = self.fresh.take() {
                    fresh.give_back(self.r);
                }
            }
        }
        let mut unused = Unused {
            r,
            kind,
            fresh: Some(fresh),
            allocated: allocated.then_some(state),
        };
        // SAFETY: this worker owns the RUNNING slot whose state `self.state` is (a task of
        // `kind`); `state` is memory for a task of `kind` that only this call can reach (the
        // unpublished fresh slot's payload, or a fresh allocation of `kind`'s layout).
        let split = unsafe { (kind.split)(self.state, min_iterations, state) };
        if !split {
            return None;
        }
        let fresh = unused.fresh.take().expect("taken once");
        unused.allocated = None;
        if allocated {
            r.u64(off + region::S_STATE)
                .store(state.expose_provenance() as u64, Relaxed);
        }
        // SAFETY: this value holds a reference to the cell (the slot's), so it is alive; the
        // address came from `into_addr`, whose provenance it exposed.
        unsafe {
            (kind.retain)(core::ptr::with_exposed_provenance::<CellHeader>(
                self.cell.addr as usize,
            ))
        };
        let kind_index = r
            .u32(r.layout().slot(self.index) + region::S_KIND)
            .load(Relaxed);
        r.u32(off + region::S_KIND).store(kind_index, Relaxed);
        r.u32(off + region::S_BUDGET).store(meter.budget, Relaxed);
        r.u32(off + region::S_METER)
            .store(meter.phase as u32, Relaxed);
        r.u64(off + region::S_PROGRESS_DONE).store(0, Relaxed);
        r.u64(off + region::S_PROGRESS_TOTAL)
            .store(completion::NO_TOTAL, Relaxed);
        r.u64(off + region::S_COMPLETION)
            .store(self.cell.addr, Relaxed);
        Some(Half {
            index: fresh.index,
            kind,
            state,
            priority: self.header.priority(),
        })
    }

    /// Joins the finished half in slot `half` (WAITING, split from this task) into this task:
    /// runs the task's generated `join` (which may panic: the caller catches it).
    pub(crate) fn join_half(&mut self, r: &Region, half: u32) {
        let state = state_at(r, half, self.kind);
        // SAFETY: this worker owns this task's slot; the half's slot is WAITING, which only
        // the task it was split from (this one, whose owner this worker is) ends, so nobody
        // writes it; both hold tasks of `kind` (a half is installed with its parent's kind),
        // in distinct slots.
        unsafe { (self.kind.join)(self.state, state) }
    }

    /// Stores the task's budget meter in its slot, where whoever runs it next reads it.
    pub(crate) fn store_meter(&self, r: &Region, meter: Meter) {
        let off = r.layout().slot(self.index);
        r.u32(off + region::S_BUDGET).store(meter.budget, Relaxed);
        r.u32(off + region::S_METER)
            .store(meter.phase as u32, Relaxed);
    }

    /// Parks the task: WAITING, in no queue, keeping its cell reference in the slot. Taken
    /// back by [`take_parked`] (by whoever the split protocol makes its next owner) or freed
    /// by [`free_half`].
    pub(crate) fn park(self, r: &Region) -> u32 {
        slot::set_owned(
            r,
            self.index,
            self.header.with_state(SlotState::Waiting, NO_OWNER),
        );
        let _ = self.cell.into_slot();
        self.index
    }
}

/// A half just split off, in a slot not published yet (only this value touches it).
#[derive(Debug)]
pub(crate) struct Half<'k> {
    index: u32,
    kind: &'k Kind,
    state: *mut u8,
    priority: u8,
}

impl Half<'_> {
    /// The half's slot index.
    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// The half's progress (task code: may panic; the caller catches it and publishes the
    /// half all the same, since its parent gave its iterations up already).
    pub(crate) fn progress(&self) -> Progress {
        // SAFETY: the slot is unpublished, only this value touches it; it holds a task of
        // `kind` (written by `split_off`).
        unsafe { kind::progress(self.kind, self.state) }
    }

    /// Publishes the half as QUEUED at its parent's priority; the caller pushes the index.
    pub(crate) fn publish(self, r: &Region) -> u32 {
        let generation = Header(slot::header(r, self.index).load(Relaxed)).generation();
        slot::set_owned(
            r,
            self.index,
            Header::new(SlotState::Queued, self.priority, NO_OWNER, generation),
        );
        self.index
    }
}

/// Takes over the WAITING slot `index` as its runner. The split protocol makes the caller
/// its only owner: the one that brought the task's count of unfinished halves to zero.
pub(crate) fn take_parked<'k>(r: &Region, kinds: &'k Kinds, index: u32, me: u16) -> Running<'k> {
    let header = Header(slot::header(r, index).load(Acquire));
    assert_eq!(
        header.state(),
        SlotState::Waiting,
        "penny: resumed a task that is not parked"
    );
    let header = header.with_state(SlotState::Running, me);
    slot::set_owned(r, index, header);
    let off = r.layout().slot(index);
    let kind = kinds.get(r.u32(off + region::S_KIND).load(Relaxed));
    Running {
        index,
        header,
        kind,
        state: state_at(r, index, kind),
        cell: CellRef {
            addr: r.u64(off + region::S_COMPLETION).load(Relaxed),
            release: kind.release,
        },
    }
}

/// Queues the parked task in slot `index` again (QUEUED; the caller pushes the index): the
/// caller is its only owner, as for [`take_parked`].
pub(crate) fn requeue_parked(r: &Region, index: u32) {
    let header = Header(slot::header(r, index).load(Acquire));
    assert_eq!(
        header.state(),
        SlotState::Waiting,
        "penny: requeued a task that is not parked"
    );
    slot::set_owned(r, index, header.with_state(SlotState::Queued, NO_OWNER));
}

/// Frees the WAITING half in slot `index`: its cell reference, its state, its slot. The
/// caller is the owner of the task it was split from, which alone ends its halves.
pub(crate) fn free_half(r: &Region, kinds: &Kinds, index: u32) {
    let header = Header(slot::header(r, index).load(Acquire));
    assert_eq!(
        header.state(),
        SlotState::Waiting,
        "penny: freed a half that is not parked"
    );
    let off = r.layout().slot(index);
    let kind = kinds.get(r.u32(off + region::S_KIND).load(Relaxed));
    drop(CellRef {
        addr: r.u64(off + region::S_COMPLETION).load(Relaxed),
        release: kind.release,
    });
    release_state(r, index, kind);
    slot::free(r, index);
}

/// A task that never got a slot, run to its end by the worker that joins it (see
/// `pool::join`): that worker took its entry out of the spawner-side queue, so it alone
/// touches the state (in an allocation of its own) and completes the cell.
#[derive(Debug)]
pub(crate) struct Inline<'k> {
    kind: &'k Kind,
    state: *mut u8,
    cell: CellRef,
}

impl<'k> Inline<'k> {
    /// Writes the task `write` holds (of `kind`) into memory of its own.
    pub(crate) fn new<F: FnOnce(*mut u8)>(kind: &'k Kind, write: Writer<F>, cell: CellRef) -> Self {
        assert_eq!(
            write.type_id(),
            kind.type_id,
            "penny: writer and kind disagree"
        );
        assert!(
            kind.align <= MAX_TASK_ALIGN,
            "penny: task aligned beyond MAX_TASK_ALIGN"
        );
        let state = if kind.size == 0 {
            core::ptr::without_provenance_mut(kind.align)
        } else {
            alloc_state(kind)
        };
        // SAFETY: `state` is memory of `kind`'s layout that only this value owns; the writer
        // holds a task of `kind`'s type (checked above).
        unsafe { write.write(state) };
        Inline { kind, state, cell }
    }

    /// The task's completion cell (for the cancel flag).
    pub(crate) fn cell(&self) -> &CellHeader {
        self.cell.header()
    }

    /// Runs one chunk; true when the task finished (its output is in the cell).
    pub(crate) fn step(&mut self, budget: u32) -> bool {
        // SAFETY: this value owns the state (of `kind`) and the cell's only completer
        // reference: nobody else can reach the task once its queue entry was taken.
        unsafe { kind::step(self.kind, self.state, budget, self.cell.addr) }
    }

    /// The task's progress (task code: may panic).
    pub(crate) fn progress(&self) -> Progress {
        // SAFETY: as in `step`; nobody writes the state meanwhile.
        unsafe { kind::progress(self.kind, self.state) }
    }

    /// Ends the task: completes the cell with `outcome` and frees the state.
    pub(crate) fn finish(
        self,
        outcome: Outcome,
        panic: Option<String>,
        progress: Option<Progress>,
        wake: impl FnOnce(&AtomicU32, CellState),
    ) {
        if self.kind.size != 0 {
            // SAFETY: `state` came from `alloc` with this layout in `new`, freed once here.
            unsafe { std::alloc::dealloc(self.state, state_layout(self.kind)) };
        }
        let Inline { cell, .. } = self;
        cell.complete(outcome, panic, progress, wake);
    }
}

/// Whether a task of `kind` is stored in the slot's payload (see the module docs).
fn stores_inline(r: &Region, kind: &Kind) -> bool {
    kind.size == 0
        || (kind.size <= r.layout().config.payload_bytes as usize
            && kind.align <= region::INLINE_ALIGN)
}

/// Memory for an out-of-line state of `kind` (not zero-sized: zero-sized states live
/// nowhere), uninitialised; freed with `dealloc(ptr, state_layout(kind))`.
fn alloc_state(kind: &Kind) -> *mut u8 {
    debug_assert_ne!(kind.size, 0, "penny: zero-sized states are never allocated");
    let layout = state_layout(kind);
    // SAFETY: every caller allocates for a state that isn't zero-sized (inline when it is),
    // so `layout` has a non-zero size, and `state_layout` checked its alignment.
    let ptr = unsafe { std::alloc::alloc(layout) };
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    ptr
}

/// The layout of an out-of-line state of `kind`.
fn state_layout(kind: &Kind) -> Layout {
    Layout::from_size_align(kind.size, kind.align).expect("a task type's layout is valid")
}

/// Where the state of the task of `kind` in slot `index` is: a dangling, aligned pointer
/// for a zero-sized state, the payload, or the out-of-line address the slot records.
fn state_at(r: &Region, index: u32, kind: &Kind) -> *mut u8 {
    let off = r.layout().slot(index);
    if kind.size == 0 {
        return core::ptr::without_provenance_mut(kind.align);
    }
    match r.u64(off + region::S_STATE).load(Relaxed) {
        0 => r.bytes(off + r.layout().payload_off, kind.size),
        addr => core::ptr::with_exposed_provenance_mut(addr as usize),
    }
}

/// Frees the out-of-line state of the task of `kind` in slot `index`, if it has one. Called
/// by whoever frees the slot, just before: the owner of a finished task, the popper of a
/// cancelled one, the installer whose install was cancelled.
fn release_state(r: &Region, index: u32, kind: &Kind) {
    let word = r.u64(r.layout().slot(index) + region::S_STATE);
    let addr = word.load(Relaxed);
    if addr == 0 {
        return;
    }
    word.store(0, Relaxed);
    let ptr = core::ptr::with_exposed_provenance_mut::<u8>(addr as usize);
    // SAFETY: a non-zero state word holds the address `Fresh::install` got from `alloc` with
    // `state_layout(kind)` (the slot still holds a task of `kind`), and it is freed once:
    // only the one party that frees the slot gets here, and it clears the word.
    unsafe { std::alloc::dealloc(ptr, state_layout(kind)) }
}

/// A handle cancels its task if it is still queued in slot `index` at `generation`; on a
/// win it completes `cell` (the task's) as cancelled and returns true. The worker that pops
/// the index then only frees the slot, once the cell is complete (see [`claim`]).
pub(crate) fn cancel_queued(
    r: &Region,
    index: u32,
    generation: u32,
    cell: &CellHeader,
    wake: impl FnOnce(&AtomicU32, CellState),
) -> bool {
    // The handle read `(index, generation)` from its cell after the installer stored the
    // cell's address in the slot, so the slot holds this cell's address, or a later task's
    // (and then the generation moved on and the CAS below fails anyway). Checked before the
    // CAS: after it, the slot may already be freed and reused.
    let off = r.layout().slot(index);
    let addr = r.u64(off + region::S_COMPLETION).load(Acquire);
    if addr != cell as *const CellHeader as usize as u64
        || !slot::cancel_queued(r, index, generation)
    {
        return false;
    }
    // The task can no longer run, and the popper frees the slot only after the cell is
    // complete: the progress read here is final (read after the CAS, since a task may have
    // run and been requeued between an earlier read and the CAS, its header unchanged).
    let progress = completion::decode_progress(
        r.u64(off + region::S_PROGRESS_DONE).load(Acquire),
        r.u64(off + region::S_PROGRESS_TOTAL).load(Acquire),
    );
    // SAFETY: the slot held this cell (checked above) and this call won the QUEUED(generation)
    // -> CANCELLED CAS, which makes it the cell's only completer: no worker will run the
    // task, and the popper only frees the slot.
    unsafe { cell.complete(Outcome::Cancelled, None, Some(progress), wake) };
    true
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::region::{Config, Layout};
    use crate::Step;

    #[derive(Clone, Copy)]
    #[repr(align(8192))]
    struct OverAligned(u64);
    impl Task for OverAligned {
        type Output = u64;
        fn step(&mut self, _: u32) -> Step<u64> {
            Step::Done(self.0)
        }
        fn progress(&self) -> Progress {
            Progress::default()
        }
    }

    /// Finding 10: the SAFETY comment on the task's memory names `Fresh::install` as the
    /// place its size and alignment were checked; install checks what the allocation and
    /// `step` rely on (alignment within `MAX_TASK_ALIGN`) itself, before writing anything.
    /// (Originally the output area: install checked only the payload; outputs now go to the
    /// completion cell.)
    #[test]
    #[should_panic(expected = "aligned beyond MAX_TASK_ALIGN")]
    fn install_refuses_what_it_cannot_place() {
        let r = Region::new(Layout::new(Config {
            slots: 1,
            workers: 1,
            payload_bytes: 16,
            deque_cap: 1,
            injector_cap: 1,
        }));
        slot::init_free_list(&r);
        let kinds = Kinds::new();
        let (index, kind) = kinds.index_of::<OverAligned>();
        let cell =
            CellRef::new::<OverAligned>(Arc::new(Completion::new(Progress::default())), kind);
        let fresh = Fresh::pop(&r).unwrap();
        let _ = fresh.install(
            &r,
            index,
            kind,
            1,
            kind::writer_in_place(OverAligned(1)),
            cell,
            Progress::default(),
            || {},
            |_, _| {},
        );
    }
}
