//! The queued word and the work epoch: per-priority counters of queued slot indices, and
//! how spawners wake parked workers.
//!
//! # Counters and parking (no lost wake-ups)
//!
//! The region's queued word holds, per priority, the number of slot indices sitting in any
//! queue. It is raised *before* an index is pushed and lowered *after* one is popped, so it
//! never under-counts. A spawner pushes, bumps the work epoch and wakes one parked worker
//! if the sleeper count is non-zero. A worker about to park raises the sleeper count, reads
//! the epoch, re-reads the queued word and only then waits on the epoch word. All of these
//! are `SeqCst`: either the worker sees the new count, or the spawner sees the sleeper and
//! the changed epoch makes the wait return.

use super::Shared;
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

    pub(super) fn notify_work(&self) {
        let epoch = self.word(region::H_WORK_EPOCH);
        epoch.fetch_add(1, SeqCst);
        if self.word(region::H_SLEEPERS).load(SeqCst) != 0 {
            self.backend.wake_one(epoch);
        }
    }
}
