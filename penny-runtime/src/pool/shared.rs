//! `Shared`: the state the workers and handles share, the handle-side queries and
//! cancellation, and shutdown.

use super::spawn::PendingQueue;
use crate::backend::{Backend, Spins};
use crate::completion::{self, CellHeader};
use crate::deque::Deque;
use crate::injector::Injector;
use crate::kind::Kinds;
use crate::lock::SpinLock;
use crate::owned;
use crate::region::{self, Layout, Region, PRIORITIES};
use crate::slot::{self, Header, SlotState};
use crate::sync::{AtomicU32, Ordering::*};
use crate::Progress;

/// Everything the workers and handles share: the region plus the few things that cannot be
/// plain bytes (the kind table of function pointers, the backend, the spawner-side queue).
pub(crate) struct Shared {
    pub(crate) region: Region,
    pub(crate) layout: Layout,
    pub(super) kinds: Kinds,
    pub(crate) backend: &'static dyn Backend,
    pub(super) injectors: [Injector; PRIORITIES],
    pub(super) pending: SpinLock<PendingQueue>,
    pub(super) pending_len: AtomicU32,
    pub(super) pending_cap: usize,
    pub(super) time_slice_ns: u64,
    /// Bytes of stack for each worker thread (native; see `PoolBuilder::stack_size`).
    pub(super) worker_stack: usize,
    /// The backend's spin limits, read once.
    pub(crate) spins: Spins,
    /// Whether the backend wants `point` calls (the simulation), read once.
    pub(crate) simulated: bool,
    /// Whether spawners outside the pool may park on a full queue, read once.
    pub(super) spawners_may_park: bool,
    /// Worker lifecycle: how many are running, the one-time clean-up, deaths (see
    /// `lifecycle`).
    pub(super) lives: super::lifecycle::Lives,
    /// Per slot: its split bookkeeping (see `split`).
    pub(super) links: Box<[super::split::Link]>,
}

impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Shared")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(super) fn new(
        layout: Layout,
        backend: &'static dyn Backend,
        pending_cap: usize,
        time_slice_ns: u64,
        worker_stack: usize,
    ) -> Option<Shared> {
        // `None` when the region's memory can't be had.
        let region = Region::try_new(layout)?;
        slot::init_free_list(&region);
        let injectors =
            [0, 1, 2].map(|p| Injector::new(layout.injector(p), layout.config.injector_cap));
        for injector in &injectors {
            injector.init(&region);
        }
        Some(Shared {
            region,
            layout,
            kinds: Kinds::new(),
            backend,
            injectors,
            pending: SpinLock::new(PendingQueue::default()),
            pending_len: AtomicU32::new(0),
            pending_cap,
            time_slice_ns,
            worker_stack,
            spins: backend.spins(),
            simulated: backend.simulated(),
            spawners_may_park: backend.spawners_may_park(),
            lives: super::lifecycle::Lives::new(layout.config.workers as usize),
            links: (0..layout.config.slots)
                .map(|_| super::split::Link::new())
                .collect(),
        })
    }

    pub(super) fn deque(&self, worker: usize, priority: usize) -> Deque {
        Deque::new(
            self.layout.deque(worker, priority),
            self.layout.config.deque_cap,
        )
    }

    pub(super) fn word(&self, off: usize) -> &AtomicU32 {
        self.region.u32(off)
    }

    /// A point where threads race at chunk granularity (see `Backend::point`); a
    /// predictable branch unless the pool runs in the simulation.
    #[inline(always)]
    pub(crate) fn point(&self) {
        if self.simulated {
            self.backend.point();
        }
    }

    pub(super) fn is_shut_down(&self) -> bool {
        self.word(region::H_SHUTDOWN).load(Acquire) != 0
    }

    /// The progress published in slot `index`, if it still holds generation `generation`.
    pub(crate) fn slot_progress(&self, index: u32, generation: u32) -> Option<(Header, Progress)> {
        let off = self.layout.slot(index);
        let word = slot::header(&self.region, index);
        let before = Header(word.load(Acquire));
        if before.generation() != generation {
            return None;
        }
        let done = self.region.u64(off + region::S_PROGRESS_DONE).load(Acquire);
        let total = self
            .region
            .u64(off + region::S_PROGRESS_TOTAL)
            .load(Acquire);
        let after = Header(word.load(Acquire));
        // In a split, halves add to the word separately from the task's own stores: keep
        // what the handle sees within the total.
        let done = if total == completion::NO_TOTAL {
            done
        } else {
            done.min(total)
        };
        (after.generation() == generation && after.state() != SlotState::Free)
            .then(|| (after, completion::decode_progress(done, total)))
    }

    /// The slot header for a handle's `(index, generation)`, if still that task's.
    pub(crate) fn slot_header(&self, index: u32, generation: u32) -> Option<Header> {
        let h = Header(slot::header(&self.region, index).load(Acquire));
        (h.generation() == generation).then_some(h)
    }
}

impl Shared {
    /// `TaskHandle::cancel`: flags the task; if it is still queued, cancels it right away.
    /// Nothing to do once it ended.
    pub(crate) fn cancel(&self, cell: &CellHeader) {
        if cell.is_complete() {
            return;
        }
        cell.cancel.store(1, SeqCst);
        let mut at = cell.slot.load(SeqCst);
        if at == completion::NO_SLOT {
            // Waiting for a slot: take it out of the spawner-side queue now. (Test-only
            // switch: finding 4, where the entry stayed until a slot freed.)
            #[cfg(not(penny_regress = "finding4"))]
            if self.cancel_waiting(cell) {
                return;
            }
            // An installer took it from that queue: if it has recorded the slot since, cancel
            // the queued task below; if not, it sees the flag once it has (see `install`).
            at = cell.slot.load(SeqCst);
            if at == completion::NO_SLOT {
                return;
            }
        }
        let (index, generation) = ((at >> 32) as u32, at as u32);
        // On a win (the task is still queued) the handle completes the cell; the worker that
        // pops the index only frees the slot and drops the slot's reference to the cell.
        owned::cancel_queued(&self.region, index, generation, cell, |w, before| {
            self.wake_cell(w, before)
        });
    }
}
