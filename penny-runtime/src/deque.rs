//! Chase–Lev work-stealing deque of slot indices, in the region.
//!
//! The owner pushes and pops at the bottom (LIFO); thieves steal at the top (FIFO). Memory
//! orderings follow Lê, Pop, Cohen and Zappa Nardelli, "Correct and Efficient
//! Work-Stealing for Weak Memory Models" (PPoPP 2013), figure 1, as crossbeam-deque does.
//! The buffer has a fixed power-of-two capacity and never moves, so the buffer-pointer
//! re-check crossbeam needs after a resize (GHSA-pqqp-xmhj-wgcw) has no counterpart here;
//! `push` reports `Full` instead of growing and the caller spills to an injector.
//!
//! `top` and `bottom` are `u32` counters that wrap; lengths are their wrapping difference,
//! read as `i32`, which is exact while fewer than 2^31 items are queued (the capacity is far
//! smaller). Buffer cells are atomics, so the benign race of a thief reading a cell the
//! owner overwrites (the thief's CAS then fails) is not undefined behaviour.
//!
//! Region layout of one deque: `top: u32` at +0, `bottom: u32` at +64, cells at +128.

use crate::region::{Region, Q_BOTTOM_OR_TAIL, Q_CELLS, Q_TOP_OR_HEAD};
use crate::sync::{fence, AtomicU32, Ordering::*};

/// The outcome of a steal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Steal {
    /// The deque was empty.
    Empty,
    /// Took this slot index.
    Success(u32),
    /// Lost a race; trying again may succeed.
    Retry,
}

/// A deque at a fixed offset of a region.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deque {
    base: usize,
    mask: u32,
}

impl Deque {
    /// The deque whose `top` word is at `base`, with `capacity` (a power of two) cells.
    pub(crate) fn new(base: usize, capacity: u32) -> Deque {
        assert!(capacity.is_power_of_two());
        Deque {
            base,
            mask: capacity - 1,
        }
    }

    #[inline]
    fn top<'r>(&self, r: &'r Region) -> &'r AtomicU32 {
        r.u32(self.base + Q_TOP_OR_HEAD)
    }

    #[inline]
    fn bottom<'r>(&self, r: &'r Region) -> &'r AtomicU32 {
        r.u32(self.base + Q_BOTTOM_OR_TAIL)
    }

    #[inline]
    fn cell<'r>(&self, r: &'r Region, i: u32) -> &'r AtomicU32 {
        r.u32(self.base + Q_CELLS + 4 * (i & self.mask) as usize)
    }

    /// Owner only: pushes `index` at the bottom, or gives it back when the deque is full.
    pub(crate) fn push(&self, r: &Region, index: u32) -> Result<(), u32> {
        let b = self.bottom(r).load(Relaxed);
        let t = self.top(r).load(Acquire);
        if b.wrapping_sub(t) as i32 > self.mask as i32 {
            return Err(index);
        }
        self.cell(r, b).store(index, Relaxed);
        fence(Release);
        self.bottom(r).store(b.wrapping_add(1), Relaxed);
        Ok(())
    }

    /// Owner only: pops the most recently pushed index.
    pub(crate) fn pop(&self, r: &Region) -> Option<u32> {
        let b = self.bottom(r).load(Relaxed).wrapping_sub(1);
        self.bottom(r).store(b, Relaxed);
        fence(SeqCst);
        let t = self.top(r).load(Relaxed);
        let len = b.wrapping_sub(t) as i32;
        if len < 0 {
            // Empty: undo.
            self.bottom(r).store(b.wrapping_add(1), Relaxed);
            return None;
        }
        let index = self.cell(r, b).load(Relaxed);
        if len > 0 {
            return Some(index);
        }
        // Last item: race the thieves for it.
        let won = self
            .top(r)
            .compare_exchange(t, t.wrapping_add(1), SeqCst, Relaxed)
            .is_ok();
        self.bottom(r).store(b.wrapping_add(1), Relaxed);
        won.then_some(index)
    }

    /// Any thread: takes the oldest index.
    pub(crate) fn steal(&self, r: &Region) -> Steal {
        let t = self.top(r).load(Acquire);
        fence(SeqCst);
        let b = self.bottom(r).load(Acquire);
        if b.wrapping_sub(t) as i32 <= 0 {
            return Steal::Empty;
        }
        let index = self.cell(r, t).load(Relaxed);
        if self
            .top(r)
            .compare_exchange(t, t.wrapping_add(1), SeqCst, Relaxed)
            .is_err()
        {
            return Steal::Retry;
        }
        Steal::Success(index)
    }

    /// A racy size estimate (exact when no operation is in flight).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn len(&self, r: &Region) -> usize {
        let t = self.top(r).load(Relaxed);
        let b = self.bottom(r).load(Relaxed);
        (b.wrapping_sub(t) as i32).max(0) as usize
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::region::{Config, Layout};
    use std::sync::Arc;

    fn region(cap: u32) -> Region {
        Region::new(Layout::new(Config {
            slots: 1,
            workers: 1,
            payload_bytes: 0,
            deque_cap: cap,
            injector_cap: 1,
        }))
    }

    #[test]
    fn lifo_for_owner_fifo_for_thieves() {
        let r = region(4);
        let d = Deque::new(r.layout().deque(0, 0), 4);
        for i in 0..4 {
            d.push(&r, i).unwrap();
        }
        assert_eq!(d.push(&r, 9), Err(9));
        assert_eq!(d.len(&r), 4);
        assert_eq!(d.steal(&r), Steal::Success(0));
        assert_eq!(d.pop(&r), Some(3));
        assert_eq!(d.steal(&r), Steal::Success(1));
        assert_eq!(d.pop(&r), Some(2));
        assert_eq!(d.pop(&r), None);
        assert_eq!(d.steal(&r), Steal::Empty);
    }

    #[test]
    fn wraps_around_many_times() {
        let r = region(2);
        let d = Deque::new(r.layout().deque(0, 0), 2);
        let rounds = if cfg!(miri) { 50 } else { 10_000 };
        for i in 0..rounds {
            d.push(&r, i).unwrap();
            d.push(&r, i + 1).unwrap();
            assert_eq!(d.steal(&r), Steal::Success(i));
            assert_eq!(d.pop(&r), Some(i + 1));
        }
    }

    #[test]
    fn concurrent_steals_take_each_item_once() {
        let cap = 64;
        let r = Arc::new(region(cap));
        let d = Deque::new(r.layout().deque(0, 0), cap);
        let items: u32 = if cfg!(miri) { 40 } else { 20_000 };
        let seen: Arc<Vec<AtomicU32>> = Arc::new((0..items).map(|_| AtomicU32::new(0)).collect());
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let (r, seen) = (r.clone(), seen.clone());
                std::thread::spawn(move || {
                    let mut idle = 0;
                    while idle < 1000 {
                        match d.steal(&r) {
                            Steal::Success(i) => {
                                seen[i as usize].fetch_add(1, Relaxed);
                                idle = 0;
                            }
                            Steal::Retry => {}
                            Steal::Empty => {
                                idle += 1;
                                std::thread::yield_now();
                            }
                        }
                    }
                })
            })
            .collect();
        let mut next = 0;
        while next < items {
            match d.push(&r, next) {
                Ok(()) => next += 1,
                Err(_) => {
                    if let Some(i) = d.pop(&r) {
                        seen[i as usize].fetch_add(1, Relaxed);
                    }
                }
            }
        }
        while let Some(i) = d.pop(&r) {
            seen[i as usize].fetch_add(1, Relaxed);
        }
        for t in thieves {
            t.join().unwrap();
        }
        assert!(seen.iter().all(|s| s.load(Relaxed) == 1));
    }
}
