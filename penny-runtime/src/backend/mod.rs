//! The seam between the scheduler core and the platform: start a worker, park and wake on an
//! atomic `u32` word with futex semantics, read a clock. Nothing else in the scheduler calls
//! `std::thread`, `Instant` or the OS (rayon-core's `ThreadSpawn` seam plays the same role).
//!
//! - [`native`]: std threads, a real futex (`atomic-wait`), `Instant`.
//! - [`wasm`]: Web Workers / Node `worker_threads` started through `crate::web` (the JS glue
//!   in `penny-runtime/js/workers.js`), `memory.atomic.wait32`/`notify`, and
//!   `performance.timeOrigin + performance.now()`.
//! - `loom` (under `--cfg loom`): futex semantics on loom's mutex and condvar, for the
//!   models of the parking protocols (`crate::park`).
//! - `sim` (tests): the deterministic simulation's threads, parking and virtual clocks
//!   (`crate::sim`).

// Under loom only the parking models use the backend, not the pool.
#![cfg_attr(loom, allow(dead_code))]

use crate::sync::AtomicU32;

#[cfg(loom)]
pub(crate) mod loom;
#[cfg(all(not(target_arch = "wasm32"), not(loom)))]
pub(crate) mod native;
#[cfg(all(test, not(loom)))]
pub(crate) mod sim;
#[cfg(all(target_arch = "wasm32", not(loom)))]
pub(crate) mod wasm;

/// Joins a started worker: `Err` carries the payload of a panic that ended the worker (a
/// scheduler bug: task panics are caught inside the worker).
pub(crate) type WorkerJoin =
    Box<dyn FnOnce() -> Result<(), Box<dyn core::any::Any + Send>> + Send + Sync>;

/// How many polls threads make before they park (each poll after a `spin_loop` pause, about
/// 30 ns on current x86).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spins {
    /// An idle worker's polls of the work epoch before it starts yielding (~30 µs)...
    pub idle: u32,
    /// ...and its yields (one poll each) before it parks.
    pub idle_yields: u32,
    /// A joiner's polls of the completion word before it parks (~25 µs).
    pub join: u32,
}

impl Spins {
    /// Real threads on real cores.
    pub(crate) const THREADS: Spins = Spins {
        idle: 1024,
        idle_yields: 32,
        join: 768,
    };
}

/// What the scheduler needs from a platform.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Starts worker `index` of pool `pool` (an id, stable while the pool lives) running
    /// `body` on a stack of `stack` bytes where the platform lets a thread's stack be sized
    /// (native threads; elsewhere it is ignored); the returned closure waits for it to end
    /// (on wasm it returns at once: the page's main thread may not block, see
    /// `pool::lifecycle`).
    fn spawn_worker(
        &self,
        pool: usize,
        index: usize,
        stack: usize,
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
    /// How long threads poll before they park.
    fn spins(&self) -> Spins {
        Spins::THREADS
    }
    /// Whether a spawner outside the pool may park while the spawner-side queue is full
    /// (backpressure). Not on wasm, where a page's main thread may never wait on an atomic
    /// and JS spawns must return at once: there the queue takes every task and grows.
    fn spawners_may_park(&self) -> bool {
        true
    }
    /// Whether this backend wants [`Backend::point`] calls (the pool asks once, so other
    /// backends pay nothing for them).
    fn simulated(&self) -> bool {
        false
    }
    /// A point where real threads would race at chunk granularity: before a worker looks
    /// for work, before each chunk, after a slot is freed. The simulation backend lets
    /// another thread run here; others never get the call.
    fn point(&self) {}
}

/// The backend of the platform this crate is built for.
#[cfg(not(loom))]
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
