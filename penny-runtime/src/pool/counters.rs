//! The queued word: per-priority counters of queued slot indices, and the pool's two
//! parking epochs.
//!
//! The region's queued word holds, per priority, the number of slot indices sitting in any
//! queue. It is raised *before* an index is pushed and lowered *after* one is popped, so it
//! never under-counts; it is what an idle worker re-checks before parking on the work
//! epoch (protocol 1 of `crate::park`).

use super::Shared;
use crate::park::Epoch;
use crate::region;
use crate::sync::{AtomicU64, Ordering::*};

/// Bits per priority in the queued word.
pub(super) const COUNT_BITS: u32 = 21;
pub(super) const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;

impl Shared {
    pub(super) fn queued(&self) -> &AtomicU64 {
        self.region.u64(region::H_QUEUED)
    }

    pub(super) fn count(&self, priority: usize, delta: i64) {
        let unit = 1u64 << (COUNT_BITS * priority as u32);
        if delta > 0 {
            self.queued().fetch_add(unit, SeqCst);
        } else {
            self.queued().fetch_sub(unit, SeqCst);
        }
    }

    /// The work epoch: idle workers park on it, spawners and requeues move it.
    pub(super) fn work_epoch(&self) -> Epoch<'_> {
        Epoch::new(
            self.word(region::H_WORK_EPOCH),
            self.word(region::H_SLEEPERS),
        )
    }

    /// The freed epoch: spawners blocked on backpressure park on it.
    pub(super) fn freed_epoch(&self) -> Epoch<'_> {
        Epoch::new(
            self.word(region::H_FREED_EPOCH),
            self.word(region::H_FREED_WAITERS),
        )
    }

    /// How many queued tasks are more urgent than `priority` (tests).
    #[cfg(test)]
    pub(super) fn queued_more_urgent_than(&self, priority: usize) -> u64 {
        let queued = self.queued().load(SeqCst);
        (0..priority)
            .map(|p| queued >> (COUNT_BITS * p as u32) & COUNT_MASK)
            .sum()
    }

    /// After work was queued (counted, then pushed): wakes one parked worker.
    pub(super) fn notify_work(&self) {
        self.work_epoch().notify_one(self.backend);
    }
}
