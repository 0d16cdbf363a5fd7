//! Injector: a bounded multi-producer multi-consumer FIFO of slot indices, one per priority.
//!
//! Dmitry Vyukov's bounded MPMC queue: every cell carries a sequence number that says
//! whether it is ready to be written (`seq == pos`) or read (`seq == pos + 1`), so producers
//! and consumers only contend on `tail` and `head` respectively. In the pool the capacity is
//! twice the number of slots and a slot index is in at most one queue at a time, so a push that
//! reports `Full` has only met a cell whose consumer claimed it and has not yet released it
//! (Vyukov's queue is not lock-free); the pool retries such a push.
//!
//! Region layout: `head: u32` at +0, `tail: u32` at +64, then cells of
//! (`seq: u32`, `value: u32`) from +128. The sequence numbers are initialised by [`Injector::init`].

use crate::region::{Region, Q_BOTTOM_OR_TAIL, Q_CELLS, Q_TOP_OR_HEAD};
use crate::sync::{AtomicU32, Ordering::*};

/// An injector at a fixed offset of a region.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Injector {
    base: usize,
    mask: u32,
}

impl Injector {
    /// The injector at `base` with `capacity` (a power of two) cells.
    pub(crate) fn new(base: usize, capacity: u32) -> Injector {
        assert!(capacity.is_power_of_two());
        Injector {
            base,
            mask: capacity - 1,
        }
    }

    /// Writes the initial sequence numbers; call once, before the region is shared.
    pub(crate) fn init(&self, r: &Region) {
        for i in 0..=self.mask {
            self.seq(r, i).store(i, Relaxed);
        }
    }

    #[inline]
    fn head<'r>(&self, r: &'r Region) -> &'r AtomicU32 {
        r.u32(self.base + Q_TOP_OR_HEAD)
    }

    #[inline]
    fn tail<'r>(&self, r: &'r Region) -> &'r AtomicU32 {
        r.u32(self.base + Q_BOTTOM_OR_TAIL)
    }

    #[inline]
    fn seq<'r>(&self, r: &'r Region, pos: u32) -> &'r AtomicU32 {
        r.u32(self.base + Q_CELLS + 8 * (pos & self.mask) as usize)
    }

    #[inline]
    fn value<'r>(&self, r: &'r Region, pos: u32) -> &'r AtomicU32 {
        r.u32(self.base + Q_CELLS + 8 * (pos & self.mask) as usize + 4)
    }

    /// Appends `index`, or gives it back when the queue is full.
    pub(crate) fn push(&self, r: &Region, index: u32) -> Result<(), u32> {
        let mut pos = self.tail(r).load(Relaxed);
        loop {
            let seq = self.seq(r, pos).load(Acquire);
            let diff = seq.wrapping_sub(pos) as i32;
            if diff == 0 {
                match self
                    .tail(r)
                    .compare_exchange_weak(pos, pos.wrapping_add(1), Relaxed, Relaxed)
                {
                    Ok(_) => {
                        self.value(r, pos).store(index, Relaxed);
                        self.seq(r, pos).store(pos.wrapping_add(1), Release);
                        return Ok(());
                    }
                    Err(now) => pos = now,
                }
            } else if diff < 0 {
                return Err(index);
            } else {
                pos = self.tail(r).load(Relaxed);
            }
        }
    }

    /// Takes the oldest index, if any is ready. (A push that won its position but has not yet
    /// published its value makes the queue look empty until it does.)
    pub(crate) fn pop(&self, r: &Region) -> Option<u32> {
        let mut pos = self.head(r).load(Relaxed);
        loop {
            let seq = self.seq(r, pos).load(Acquire);
            let diff = seq.wrapping_sub(pos.wrapping_add(1)) as i32;
            if diff == 0 {
                match self
                    .head(r)
                    .compare_exchange_weak(pos, pos.wrapping_add(1), Relaxed, Relaxed)
                {
                    Ok(_) => {
                        let index = self.value(r, pos).load(Relaxed);
                        self.seq(r, pos)
                            .store(pos.wrapping_add(self.mask).wrapping_add(1), Release);
                        return Some(index);
                    }
                    Err(now) => pos = now,
                }
            } else if diff < 0 {
                return None;
            } else {
                pos = self.head(r).load(Relaxed);
            }
        }
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
            deque_cap: 1,
            injector_cap: cap,
        }))
    }

    #[test]
    fn fifo_and_bounded() {
        let r = region(4);
        let q = Injector::new(r.layout().injector(1), 4);
        q.init(&r);
        for round in 0..(if cfg!(miri) { 3 } else { 100 }) {
            for i in 0..4 {
                q.push(&r, round * 10 + i).unwrap();
            }
            assert_eq!(q.push(&r, 99), Err(99));
            for i in 0..4 {
                assert_eq!(q.pop(&r), Some(round * 10 + i));
            }
            assert_eq!(q.pop(&r), None);
        }
    }

    #[test]
    fn concurrent_producers_and_consumers() {
        let r = Arc::new(region(16));
        let q = Injector::new(r.layout().injector(0), 16);
        q.init(&r);
        let per: u32 = if cfg!(miri) { 20 } else { 10_000 };
        let seen: Arc<Vec<AtomicU32>> = Arc::new((0..2 * per).map(|_| AtomicU32::new(0)).collect());
        let taken = Arc::new(AtomicU32::new(0));
        let mut threads = Vec::new();
        for p in 0..2 {
            let r = r.clone();
            threads.push(std::thread::spawn(move || {
                for i in 0..per {
                    while q.push(&r, p * per + i).is_err() {
                        std::thread::yield_now();
                    }
                }
            }));
        }
        for _ in 0..2 {
            let (r, seen, taken) = (r.clone(), seen.clone(), taken.clone());
            threads.push(std::thread::spawn(move || {
                while taken.load(Relaxed) < 2 * per {
                    match q.pop(&r) {
                        Some(i) => {
                            seen[i as usize].fetch_add(1, Relaxed);
                            taken.fetch_add(1, Relaxed);
                        }
                        None => std::thread::yield_now(),
                    }
                }
            }));
        }
        for t in threads {
            t.join().unwrap();
        }
        assert!(seen.iter().all(|s| s.load(Relaxed) == 1));
    }
}
