//! The region: every byte of shared scheduler state, in one block sized at pool creation.
//!
//! A later issue places this very block in a `WebAssembly.Memory` (a `SharedArrayBuffer`)
//! shared by Web Workers, so it holds nothing but plain atomics and bytes at fixed offsets:
//! no pointers into the Rust heap except the completion-cell address of each slot, which is
//! an address in the same (shared) memory on wasm. It is never grown or moved.
//!
//! # Layout
//!
//! All offsets are in bytes from the start of the region; the region is 64-byte aligned and
//! every group below starts on a 64-byte line. `S` = slots, `W` = workers, `P` = 3
//! priorities, `D` = deque capacity, `I` = injector capacity (both powers of two; in a pool `D` = min(S rounded up, 1024)
//! and `I` = 2 × S rounded up).
//!
//! | offset | size | what |
//! |---|---|---|
//! | 0 | 4 | magic `b"PNY1"` |
//! | 4 | 4 | layout version (4) |
//! | 8 | 4 | `S`, number of slots |
//! | 12 | 4 | `W`, number of workers |
//! | 16 | 4 | slot stride in bytes |
//! | 20 | 4 | payload (inline task state) bytes per slot |
//! | 24 | 4 | reserved (0) |
//! | 28 | 4 | `D` |
//! | 32 | 4 | `I` |
//! | 36 | 4 | shutdown flag (0/1) |
//! | 64 | 4 | work epoch: the parking word idle workers wait on |
//! | 68 | 4 | number of parked (or parking) workers |
//! | 72 | 8 | queued counters: tasks waiting in any queue, 21 bits per priority |
//! | 128 | 4 | freed epoch: the parking word spawners blocked on backpressure wait on |
//! | 132 | 4 | number of blocked spawners |
//! | 192 | 8 | free-list head: `tag << 32 \| slot index` (`u32::MAX` = empty) |
//! | 200 | 4 | number of free slots |
//! | 256 | `S * stride` | slots (below) |
//!
//! Lines by who writes them: the first only at creation and shutdown (workers read the
//! shutdown flag all the time, so nothing else may be written there); the second by every
//! spawn and every pop (the queued counters, then the epoch that tells idle workers about
//! the spawn: one line moves with the news); the third by blocked spawners; the fourth by
//! slot allocation and release (the free list).
//! | after | `W * P * (128 + 4D)` (each rounded to 64) | Chase-Lev deques (below) |
//! | after | `P * (128 + 8I)` (each rounded to 64) | injectors (below) |
//!
//! One slot (`stride` = 64 + payload, rounded up to 64):
//!
//! | offset | size | what |
//! |---|---|---|
//! | 0 | 8 | header word, see [`crate::slot::Header`]: state, priority, owner, generation |
//! | 8 | 4 | chunk budget (iterations), carried with the task when it migrates |
//! | 12 | 4 | task kind: index into the pool's table of type-erased step functions |
//! | 16 | 4 | next free slot (free-list link) |
//! | 20 | 4 | budget phase ([`crate::budget::Phase`]): how the chunk budget was measured |
//! | 24 | 8 | progress: iterations done, published after each chunk |
//! | 32 | 8 | progress: total iterations (`u64::MAX` = unknown) |
//! | 40 | 8 | address of the handle's completion cell |
//! | 48 | 8 | address of the task's state when it is stored out of line, 0 when inline |
//! | 64 | payload | the task's POD state, when it fits (64-byte aligned) |
//!
//! A task state larger than the payload, or aligned to more than 64 bytes, is stored out of
//! line: the installer allocates it from the global allocator (on wasm: the same shared
//! memory) and records its address at +48; whoever frees the slot frees it. A task's output
//! never occupies the slot: the worker writes it straight into the completion cell.
//!
//! One deque (per worker and priority): `top` at +0, `bottom` at +64 (own cache lines),
//! `D` slot indices (`u32`) from +128. One injector (per priority): `head` at +0, `tail` at +64,
//! `I` cells of (`sequence: u32`, `slot index: u32`) from +128.
//!
//! Only this module, [`crate::kind`], [`crate::completion`] and [`crate::owned`] contain
//! `unsafe` (and the wasm backend's parking intrinsics).

// Under loom only the data structures are built, not the pool that uses every field.
#![cfg_attr(loom, allow(dead_code))]

use crate::sync::{AtomicU32, AtomicU64};

/// Number of priority levels.
pub(crate) const PRIORITIES: usize = 3;
/// The inline payload is aligned to this (a cache line); a task state with a larger
/// alignment is stored out of line.
pub(crate) const INLINE_ALIGN: usize = LINE;
const LINE: usize = 64;

pub(crate) const MAGIC: u32 = u32::from_le_bytes(*b"PNY1");
pub(crate) const VERSION: u32 = 4;

// Header offsets.
pub(crate) const H_MAGIC: usize = 0;
pub(crate) const H_VERSION: usize = 4;
pub(crate) const H_SLOTS: usize = 8;
pub(crate) const H_WORKERS: usize = 12;
pub(crate) const H_STRIDE: usize = 16;
pub(crate) const H_PAYLOAD: usize = 20;
pub(crate) const H_DEQUE_CAP: usize = 28;
pub(crate) const H_INJECTOR_CAP: usize = 32;
pub(crate) const H_SHUTDOWN: usize = 36;
pub(crate) const H_QUEUED: usize = 72;
pub(crate) const H_FREE_HEAD: usize = 192;
pub(crate) const H_FREE_COUNT: usize = 200;
pub(crate) const H_WORK_EPOCH: usize = 64;
pub(crate) const H_SLEEPERS: usize = 68;
pub(crate) const H_FREED_EPOCH: usize = 128;
pub(crate) const H_FREED_WAITERS: usize = 132;
const HEADER_BYTES: usize = 256;

// Slot field offsets.
pub(crate) const S_HEADER: usize = 0;
pub(crate) const S_BUDGET: usize = 8;
pub(crate) const S_KIND: usize = 12;
pub(crate) const S_NEXT_FREE: usize = 16;
pub(crate) const S_METER: usize = 20;
pub(crate) const S_PROGRESS_DONE: usize = 24;
pub(crate) const S_PROGRESS_TOTAL: usize = 32;
pub(crate) const S_COMPLETION: usize = 40;
pub(crate) const S_STATE: usize = 48;
pub(crate) const S_PAYLOAD: usize = 64;

// Queue offsets.
pub(crate) const Q_TOP_OR_HEAD: usize = 0;
pub(crate) const Q_BOTTOM_OR_TAIL: usize = 64;
pub(crate) const Q_CELLS: usize = 128;

const fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

/// Sizes a region is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Config {
    pub slots: u32,
    pub workers: u32,
    pub payload_bytes: u32,
    pub deque_cap: u32,
    pub injector_cap: u32,
}

/// Where everything is, computed once from a [`Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub config: Config,
    pub stride: usize,
    pub payload_off: usize,
    pub slots_off: usize,
    pub deques_off: usize,
    pub deque_bytes: usize,
    pub injectors_off: usize,
    pub injector_bytes: usize,
    pub size: usize,
}

impl Layout {
    /// The layout of `config` (tests and models; pools use [`Layout::try_new`]).
    #[cfg(any(test, loom))]
    pub(crate) fn new(config: Config) -> Layout {
        Layout::try_new(config).expect("penny: the pool's region is larger than memory")
    }

    /// The layout of `config`, or `None` when its size overflows `usize` (or `isize`, the
    /// most one allocation may take): a wasm32 pool of many large slots.
    pub(crate) fn try_new(config: Config) -> Option<Layout> {
        assert!(config.deque_cap.is_power_of_two() && config.injector_cap.is_power_of_two());
        let payload = config.payload_bytes as usize;
        let payload_off = S_PAYLOAD;
        // `payload` is at most `u32::MAX / 2` (the builder checks it): no overflow here.
        let stride = round_up(payload_off + payload, LINE);
        let slots_off = HEADER_BYTES;
        let deques_off = stride
            .checked_mul(config.slots as usize)?
            .checked_add(slots_off)?;
        let deque_bytes = round_up(Q_CELLS + 4 * config.deque_cap as usize, LINE);
        let injectors_off = deque_bytes
            .checked_mul(config.workers as usize * PRIORITIES)?
            .checked_add(deques_off)?;
        let injector_bytes = round_up(Q_CELLS + 8 * config.injector_cap as usize, LINE);
        let size = injector_bytes
            .checked_mul(PRIORITIES)?
            .checked_add(injectors_off)?;
        (size <= isize::MAX as usize - LINE).then_some(Layout {
            config,
            stride,
            payload_off,
            slots_off,
            deques_off,
            deque_bytes,
            injectors_off,
            injector_bytes,
            size,
        })
    }

    /// Offset of slot `index`.
    #[inline]
    pub(crate) fn slot(&self, index: u32) -> usize {
        debug_assert!(index < self.config.slots);
        self.slots_off + self.stride * index as usize
    }

    /// Offset of the deque of `worker` for `priority`.
    #[inline]
    pub(crate) fn deque(&self, worker: usize, priority: usize) -> usize {
        self.deques_off + self.deque_bytes * (worker * PRIORITIES + priority)
    }

    /// Offset of the injector for `priority`.
    #[inline]
    pub(crate) fn injector(&self, priority: usize) -> usize {
        self.injectors_off + self.injector_bytes * priority
    }
}

/// The block of memory itself: zeroed at creation, then touched only through atomics
/// (header, slot fields, queues) or, for the payload bytes, by whoever owns the
/// slot according to its header word.
pub(crate) struct Region {
    layout: Layout,
    #[cfg(not(loom))]
    ptr: core::ptr::NonNull<u8>,
    // Loom's atomics are not plain memory, so under loom the words live in arrays indexed
    // by offset; the bytes are ordinary memory that the models do not touch concurrently.
    #[cfg(loom)]
    words32: Box<[AtomicU32]>,
    #[cfg(loom)]
    words64: Box<[AtomicU64]>,
    #[cfg(loom)]
    bytes: Box<[core::cell::UnsafeCell<u8>]>,
}

impl core::fmt::Debug for Region {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Region")
            .field("layout", &self.layout)
            .finish()
    }
}

// SAFETY: the region is a block of atomics and bytes; the bytes are only accessed through
// raw pointers by the owner of a slot (see `crate::slot`), which the atomics arbitrate.
unsafe impl Send for Region {}
// SAFETY: as above; every shared access goes through an atomic.
unsafe impl Sync for Region {}

impl Region {
    /// Allocates a zeroed region for `layout` and writes its header.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn new(layout: Layout) -> Region {
        Region::try_new(layout).unwrap_or_else(|| {
            std::alloc::handle_alloc_error(
                std::alloc::Layout::from_size_align(layout.size, LINE).expect("checked"),
            )
        })
    }

    /// [`Region::new`], or `None` when the memory can't be had (`PoolBuilder::try_build`
    /// reports it instead of aborting).
    pub(crate) fn try_new(layout: Layout) -> Option<Region> {
        #[cfg(not(loom))]
        let region = {
            let alloc = std::alloc::Layout::from_size_align(layout.size, LINE)
                .expect("region size overflows");
            // SAFETY: `alloc` has a non-zero size (the header alone is 256 bytes).
            let raw = unsafe { std::alloc::alloc_zeroed(alloc) };
            Region {
                layout,
                ptr: core::ptr::NonNull::new(raw)?,
            }
        };
        #[cfg(loom)]
        let region = Region {
            layout,
            words32: (0..layout.size / 4).map(|_| AtomicU32::new(0)).collect(),
            words64: (0..layout.size / 8).map(|_| AtomicU64::new(0)).collect(),
            bytes: (0..layout.size)
                .map(|_| core::cell::UnsafeCell::new(0))
                .collect(),
        };
        use crate::sync::Ordering::Relaxed;
        let c = layout.config;
        region.u32(H_MAGIC).store(MAGIC, Relaxed);
        region.u32(H_VERSION).store(VERSION, Relaxed);
        region.u32(H_SLOTS).store(c.slots, Relaxed);
        region.u32(H_WORKERS).store(c.workers, Relaxed);
        region.u32(H_STRIDE).store(layout.stride as u32, Relaxed);
        region.u32(H_PAYLOAD).store(c.payload_bytes, Relaxed);
        region.u32(H_DEQUE_CAP).store(c.deque_cap, Relaxed);
        region.u32(H_INJECTOR_CAP).store(c.injector_cap, Relaxed);
        Some(region)
    }

    /// The layout this region was built with.
    #[inline]
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The `u32` word at byte offset `off` (4-byte aligned, in bounds).
    #[inline]
    pub(crate) fn u32(&self, off: usize) -> &AtomicU32 {
        assert!(
            off % 4 == 0 && off + 4 <= self.layout.size,
            "bad region offset {off}"
        );
        #[cfg(not(loom))]
        {
            // SAFETY: `off` is in bounds and 4-aligned (checked above; the block is 64-aligned),
            // the memory was zero-initialised (a valid `AtomicU32`), lives as long as `self`,
            // and is only ever accessed atomically at this offset.
            unsafe { &*self.ptr.as_ptr().add(off).cast::<AtomicU32>() }
        }
        #[cfg(loom)]
        {
            &self.words32[off / 4]
        }
    }

    /// The `u64` word at byte offset `off` (8-byte aligned, in bounds).
    #[inline]
    pub(crate) fn u64(&self, off: usize) -> &AtomicU64 {
        assert!(
            off % 8 == 0 && off + 8 <= self.layout.size,
            "bad region offset {off}"
        );
        #[cfg(not(loom))]
        {
            // SAFETY: as in `u32`, with 8-byte alignment checked above.
            unsafe { &*self.ptr.as_ptr().add(off).cast::<AtomicU64>() }
        }
        #[cfg(loom)]
        {
            &self.words64[off / 8]
        }
    }

    /// Raw pointer to the bytes at `off`; used for a slot's payload, which only the slot's
    /// current owner reads or writes.
    #[inline]
    pub(crate) fn bytes(&self, off: usize, len: usize) -> *mut u8 {
        assert!(
            off + len <= self.layout.size,
            "bad region range {off}+{len}"
        );
        #[cfg(not(loom))]
        {
            // SAFETY: `off + len` is within the allocation (checked above).
            unsafe { self.ptr.as_ptr().add(off) }
        }
        #[cfg(loom)]
        {
            if len == 0 {
                return core::ptr::NonNull::dangling().as_ptr();
            }
            self.bytes[off].get()
        }
    }
}

#[cfg(not(loom))]
impl Drop for Region {
    fn drop(&mut self) {
        let alloc = std::alloc::Layout::from_size_align(self.layout.size, LINE)
            .expect("checked at creation");
        // SAFETY: `ptr` came from `alloc_zeroed` with this same layout and is freed once.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), alloc) }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::Ordering::Relaxed;

    fn config() -> Config {
        Config {
            slots: 4,
            workers: 2,
            payload_bytes: 256,
            deque_cap: 4,
            injector_cap: 4,
        }
    }

    #[test]
    fn layout_is_aligned_and_disjoint() {
        let l = Layout::new(config());
        assert_eq!(l.stride % 64, 0);
        assert_eq!(l.payload_off % INLINE_ALIGN, 0);
        assert_eq!(l.stride, 64 + 256);
        assert_eq!(l.slot(0), 256);
        assert_eq!(l.deques_off, 256 + 4 * l.stride);
        assert!(l.deque(1, 2) + l.deque_bytes <= l.injectors_off);
        assert_eq!(l.injector(2) + l.injector_bytes, l.size);
    }

    #[test]
    fn header_is_written() {
        let r = Region::new(Layout::new(config()));
        assert_eq!(r.u32(H_MAGIC).load(Relaxed), MAGIC);
        assert_eq!(r.u32(H_SLOTS).load(Relaxed), 4);
        assert_eq!(r.u32(H_STRIDE).load(Relaxed) as usize, r.layout().stride);
        assert_eq!(r.u64(H_FREE_HEAD).load(Relaxed), 0);
        r.u64(r.layout().slot(3) + S_COMPLETION).store(7, Relaxed);
        assert_eq!(r.u64(r.layout().slot(3) + S_COMPLETION).load(Relaxed), 7);
    }
}
