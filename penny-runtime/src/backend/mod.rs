//! The seam between the scheduler core and the platform: start a worker, park and wake on an
//! atomic `u32` word with futex semantics, read a clock. Nothing else in the scheduler calls
//! `std::thread`, `Instant` or the OS (rayon-core's `ThreadSpawn` seam plays the same role).
//!
//! - [`native`]: std threads, a real futex (`atomic-wait`), `Instant`.
//! - [`wasm`]: `memory.atomic.wait32`/`notify` on the threaded build; starting Web Workers
//!   and reading `performance.now()` arrive with the Web Worker issue.

use core::sync::atomic::AtomicU32;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native;
#[cfg(target_arch = "wasm32")]
pub(crate) mod wasm;

/// Joins a started worker: `Err` carries the payload of a panic that ended the worker (a
/// scheduler bug: task panics are caught inside the worker).
pub(crate) type WorkerJoin =
    Box<dyn FnOnce() -> Result<(), Box<dyn core::any::Any + Send>> + Send + Sync>;

/// What the scheduler needs from a platform.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Starts worker `index` running `body`; the returned closure waits for it to end.
    fn spawn_worker(
        &self,
        index: usize,
        body: Box<dyn FnOnce() + Send>,
    ) -> Result<WorkerJoin, String>;
    /// Blocks while `word` holds `expected` (may return spuriously), like `futex_wait` or
    /// `memory.atomic.wait32`.
    fn wait(&self, word: &AtomicU32, expected: u32);
    /// Wakes one thread blocked in [`Backend::wait`] on `word`.
    fn wake_one(&self, word: &AtomicU32);
    /// Wakes every thread blocked in [`Backend::wait`] on `word`.
    fn wake_all(&self, word: &AtomicU32);
    /// Gives up the CPU briefly (between the short spins before parking).
    fn yield_now(&self);
    /// A monotonic clock in nanoseconds, or `None` where there is none yet (then chunk
    /// budgets stay at their initial size).
    fn now_nanos(&self) -> Option<u64>;
    /// How many workers a pool gets by default.
    fn default_workers(&self) -> usize;
}

/// The backend of the platform this crate is built for.
pub(crate) fn current() -> &'static dyn Backend {
    #[cfg(not(target_arch = "wasm32"))]
    {
        &native::Native
    }
    #[cfg(target_arch = "wasm32")]
    {
        &wasm::Wasm
    }
}
