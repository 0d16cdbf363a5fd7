//! The Web Worker backend: workers are module Web Workers (browsers) or `worker_threads`
//! (Node) started by `penny-runtime/js/workers.js`, each instantiating the same module on the
//! same shared memory; parking is `memory.atomic.wait32`/`notify`; the clock is
//! `performance.timeOrigin + performance.now()`, on one scale for every worker.
//!
//! A build without atomics has one thread: waiting for another thread to change a word could
//! never end, so it is a bug there, and no worker can start.

use super::{Backend, Spins, WorkerJoin};
use core::sync::atomic::AtomicU32;

/// The stack of a worker thread: wasm-bindgen's default for threads.
const WORKER_STACK: usize = 2 << 20;

/// Web Worker backend.
#[derive(Debug)]
pub(crate) struct Wasm;

/// The clock's zero: 2020-01-01T00:00:00Z in ms since the Unix epoch, so nanoseconds fit a
/// `u64` for centuries.
const EPOCH_MS: f64 = 1_577_836_800_000.0;

impl Backend for Wasm {
    fn spawn_worker(
        &self,
        pool: usize,
        index: usize,
        _stack: usize,
        body: Box<dyn FnOnce() + Send>,
    ) -> Result<WorkerJoin, String> {
        // The stack is fixed when the module is linked: wasm-bindgen gives each thread 2 MiB.
        let body = Box::new(move || {
            crate::pool::mark_stack(WORKER_STACK);
            body()
        });
        crate::web::start_worker(pool, index, body)?;
        // The page's main thread may not block: a pool's workers end on their own after
        // shutdown, and the last one cleans up (see `pool::lifecycle`).
        Ok(Box::new(|| Ok(())))
    }

    #[cfg(target_feature = "atomics")]
    fn wait(&self, word: &AtomicU32, expected: u32) {
        // SAFETY: `word` is a live, aligned `u32` in linear memory; wait32 only reads it.
        unsafe {
            core::arch::wasm32::memory_atomic_wait32(
                word.as_ptr().cast::<i32>(),
                expected as i32,
                -1,
            );
        }
    }

    #[cfg(not(target_feature = "atomics"))]
    fn wait(&self, word: &AtomicU32, expected: u32) {
        let _ = (word, expected);
        panic!("penny: a single-threaded wasm build cannot wait for another thread");
    }

    fn wake_one(&self, word: &AtomicU32) {
        notify(word, 1)
    }

    fn wake_all(&self, word: &AtomicU32) {
        notify(word, u32::MAX)
    }

    fn yield_now(&self) {
        core::hint::spin_loop()
    }

    fn now_nanos(&self) -> Option<u64> {
        let ms = crate::web::glue::now_ms() - EPOCH_MS;
        Some((ms.max(0.0) * 1e6) as u64)
    }

    fn default_workers(&self) -> usize {
        crate::web::glue::default_workers().max(1) as usize
    }

    fn spawners_may_park(&self) -> bool {
        false
    }

    fn spins(&self) -> Spins {
        // `spin_loop` is no pause on wasm (it compiles to nothing), so a poll takes a few ns,
        // not ~30: as many polls as natively would park an idle worker after ~2 µs, and every
        // spawn would then pay a `memory.atomic.notify` that wakes it (16 % of a JS spawn's
        // time in a profile). 16x the polls keeps the native ~30 µs of spinning.
        Spins {
            idle: Spins::THREADS.idle * 16,
            idle_yields: 0,
            join: Spins::THREADS.join * 16,
        }
    }
}

/// Wakes up to `count` threads waiting on `word` (`memory.atomic.notify`).
pub(crate) fn notify(word: &AtomicU32, count: u32) {
    #[cfg(target_feature = "atomics")]
    // SAFETY: `word` is a live, aligned `u32` in linear memory; notify only reads the address.
    unsafe {
        core::arch::wasm32::memory_atomic_notify(word.as_ptr().cast::<i32>(), count);
    }
    #[cfg(not(target_feature = "atomics"))]
    let _ = (word, count);
}
