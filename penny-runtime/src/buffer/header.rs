//! A buffer's header: its memory's life (a reference count tagged with a generation) and its
//! borrow lock (one writer or many readers), in immortal storage.
//!
//! # Invariants
//!
//! - **Headers are never freed.** A header is leaked on first use and recycled through a
//!   free list once its buffer's memory is freed, its generation bumped: a stale view (a
//!   copy of a view whose buffer is gone) reads a live header whose generation no longer
//!   matches, and every access through it fails cleanly ([`Header::retain`] refuses).
//! - **`life` = generation << 32 | references.** The owner holds one reference, every lease
//!   (a task's for as long as it is in flight, an open view's for as long as it is open)
//!   one more. `retain` succeeds only while the generation matches and the count is not
//!   zero (a CAS), so nothing can revive memory that is being freed. The reference that
//!   brings the count to zero frees the memory, then bumps the generation and returns the
//!   header to the free list.
//! - **`lock` = WRITER | readers.** Taken by leases, released when they end: readers
//!   share, a writer excludes everything. `holder` names who holds the write lock (a
//!   task's completion cell, an open view's token, the owner), so the halves of a split task
//!   recognise their own lock.

use crate::lock::SpinLock;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};

const WRITER: u64 = 1 << 63;

/// A buffer's header (see the module docs).
pub(crate) struct Header {
    life: AtomicU64,
    lock: AtomicU64,
    holder: AtomicUsize,
    /// Frees the memory; set while the buffer is alive.
    free: SpinLock<Option<Box<dyn FnOnce() + Send>>>,
}

/// The headers whose buffers were freed, for reuse. Its capacity always holds every header
/// ever made (`made`), so a release never grows it: freeing a buffer allocates nothing (on
/// wasm a failed allocation would trap the thread that frees).
static FREE_HEADERS: SpinLock<FreeHeaders> = SpinLock::new(FreeHeaders {
    free: Vec::new(),
    made: 0,
});

struct FreeHeaders {
    free: Vec<&'static Header>,
    made: usize,
}

/// `Box::new(value)`, or `value` back where the allocator has no room (instead of aborting:
/// on wasm that traps the calling thread, often a page's main thread).
pub(crate) fn try_box<T>(value: T) -> Result<Box<T>, T> {
    let layout = std::alloc::Layout::new::<T>();
    if layout.size() == 0 {
        return Ok(Box::new(value));
    }
    // SAFETY: `layout` has a nonzero size.
    let ptr = unsafe { std::alloc::alloc(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(value);
    }
    // SAFETY: `ptr` is a fresh allocation of `T`'s layout by the global allocator, which is
    // what `Box::from_raw` takes; it is written before the box is made.
    unsafe {
        ptr.write(value);
        Ok(Box::from_raw(ptr))
    }
}

impl Header {
    /// A header for a new buffer whose memory `free` frees: one reference (the owner's).
    /// Returns it with its generation, or `free` back where the memory can't hold a new
    /// header.
    pub(crate) fn try_new(
        free: Box<dyn FnOnce() + Send>,
    ) -> Result<(&'static Header, u32), Box<dyn FnOnce() + Send>> {
        let header = {
            let mut headers = FREE_HEADERS.lock();
            match headers.free.pop() {
                Some(header) => header,
                None => {
                    // Room in the free list for this one too, before it exists.
                    let room = headers.made + 1 - headers.free.len();
                    if headers.free.try_reserve(room).is_err() {
                        return Err(free);
                    }
                    let Ok(header) = try_box(Header {
                        life: AtomicU64::new(0),
                        lock: AtomicU64::new(0),
                        holder: AtomicUsize::new(0),
                        free: SpinLock::new(None),
                    }) else {
                        return Err(free);
                    };
                    headers.made += 1;
                    Box::leak(header)
                }
            }
        };
        *header.free.lock() = Some(free);
        let generation = (header.life.load(Acquire) >> 32) as u32;
        header.lock.store(0, Relaxed);
        header.holder.store(0, Relaxed);
        // Published to other threads only through the views and leases made after this.
        header.life.store((generation as u64) << 32 | 1, Release);
        Ok((header, generation))
    }

    /// Takes one more reference, if the buffer of `generation` is still alive.
    pub(crate) fn retain(&self, generation: u32) -> bool {
        let mut life = self.life.load(Acquire);
        loop {
            if (life >> 32) as u32 != generation || life as u32 == 0 {
                return false;
            }
            match self
                .life
                .compare_exchange_weak(life, life + 1, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(now) => life = now,
            }
        }
    }

    /// Drops one reference; the last one frees the memory and recycles the header.
    pub(crate) fn release(&'static self) {
        let before = self.life.fetch_sub(1, AcqRel);
        debug_assert_ne!(before as u32, 0, "penny: a buffer released too often");
        if before as u32 != 1 {
            return;
        }
        // The last reference: nobody can retain any more (the count is zero).
        if let Some(free) = self.free.lock().take() {
            free();
        }
        let generation = (before >> 32) as u32;
        self.life
            .store((generation.wrapping_add(1) as u64) << 32, Release);
        let mut headers = FREE_HEADERS.lock();
        debug_assert!(headers.free.len() < headers.free.capacity());
        headers.free.push(self);
    }

    /// Takes a read lock: fails while someone writes.
    pub(crate) fn lock_read(&self) -> bool {
        let mut lock = self.lock.load(Acquire);
        loop {
            if lock & WRITER != 0 {
                return false;
            }
            match self
                .lock
                .compare_exchange_weak(lock, lock + 1, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(now) => lock = now,
            }
        }
    }

    /// Takes the write lock for `holder`: fails while anyone reads or writes.
    pub(crate) fn lock_write(&self, holder: usize) -> bool {
        if self
            .lock
            .compare_exchange(0, WRITER, AcqRel, Acquire)
            .is_err()
        {
            return false;
        }
        self.holder.store(holder, Release);
        true
    }

    /// Whether `holder` holds the write lock.
    pub(crate) fn written_by(&self, holder: usize) -> bool {
        self.lock.load(Acquire) & WRITER != 0 && self.holder.load(Acquire) == holder
    }

    /// Whether anyone writes.
    pub(crate) fn is_written(&self) -> bool {
        self.lock.load(Acquire) & WRITER != 0
    }

    pub(crate) fn unlock_read(&self) {
        self.lock.fetch_sub(1, Release);
    }

    pub(crate) fn unlock_write(&self) {
        self.holder.store(0, Relaxed);
        self.lock.store(0, Release);
    }
}
