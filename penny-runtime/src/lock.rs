//! `SpinLock`: the lock for the few short critical sections that threads outside the pool
//! can enter (the spawner-side queue, the kind table's registrations, a cell's waker).
//!
//! A browser's main thread may never block on an atomic: `memory.atomic.wait32` there traps
//! ("Atomics.wait cannot be called in this context"), and std's `Mutex` on threaded wasm
//! waits that way once contended. Every section this lock guards is a few loads and stores
//! (a `VecDeque` push, a `Waker` clone), never a wait, so spinning is cheap and safe on every
//! platform, and the scheduler keeps one code path. Natively a spinner yields its thread
//! after a short spin, so a holder that was descheduled gets the CPU back.
//!
//! No poisoning: the guard releases the lock when dropped, during unwinding too, and no
//! section leaves its data half-updated on a panic (they call no user code).

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering::*};

/// A test-and-test-and-set lock around a `T`.
pub(crate) struct SpinLock<T> {
    locked: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time (the `locked` word, taken with
// Acquire and released with Release, orders each holder's accesses after the previous
// holder's), so sharing the lock shares `T` only by moving access between threads: `T: Send`
// is enough, as for std's `Mutex`.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    pub(crate) const fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicU32::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, spinning (and natively yielding) while another thread holds it.
    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        let mut spins = 0u32;
        loop {
            // Acquire: pairs with the Release in `SpinGuard::drop` of the previous holder.
            if self.locked.swap(1, Acquire) == 0 {
                return SpinGuard { lock: self };
            }
            // Wait for the word to look free before trying again (no write traffic).
            while self.locked.load(Relaxed) != 0 {
                spins = spins.wrapping_add(1);
                if cfg!(not(target_arch = "wasm32")) && spins % 64 == 0 {
                    std::thread::yield_now();
                } else {
                    core::hint::spin_loop();
                }
            }
        }
    }
}

impl<T: Default> Default for SpinLock<T> {
    fn default() -> Self {
        SpinLock::new(T::default())
    }
}

/// Access to a [`SpinLock`]'s value; releases the lock when dropped.
pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock, so no other reference to the value exists.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    fn drop(&mut self) {
        // Release: the holder's accesses happen before the next holder's Acquire swap.
        self.lock.locked.store(0, Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::SpinLock;
    use std::sync::Arc;

    #[test]
    fn threads_never_lose_an_increment() {
        let lock = Arc::new(SpinLock::new(0u64));
        let per = if cfg!(miri) { 50 } else { 20_000 };
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let lock = lock.clone();
                std::thread::spawn(move || {
                    for _ in 0..per {
                        *lock.lock() += 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), 4 * per);
    }

    #[test]
    fn a_panic_while_held_releases_the_lock() {
        let lock = SpinLock::new(vec![1]);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut guard = lock.lock();
            guard.push(2);
            panic!("inside");
        }));
        assert!(caught.is_err());
        assert_eq!(*lock.lock(), vec![1, 2]);
    }
}
