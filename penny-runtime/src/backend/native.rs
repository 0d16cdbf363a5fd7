//! The native backend: std threads, a futex-style wait (`atomic-wait`: `futex` on Linux,
//! `__ulock_wait` on macOS, `WaitOnAddress` on Windows) and `std::time::Instant`.

use super::{Backend, WorkerJoin};
use core::sync::atomic::AtomicU32;
use std::sync::OnceLock;
use std::time::Instant;

/// std-threads backend.
#[derive(Debug)]
pub(crate) struct Native;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl Backend for Native {
    fn spawn_worker(
        &self,
        _pool: usize,
        index: usize,
        stack: usize,
        body: Box<dyn FnOnce() + Send>,
    ) -> Result<WorkerJoin, String> {
        let thread = std::thread::Builder::new()
            .name(format!("penny-worker-{index}"))
            .stack_size(stack)
            .spawn(move || {
                crate::pool::mark_stack(stack);
                body()
            })
            .map_err(|e| format!("could not start worker {index}: {e}"))?;
        Ok(Box::new(move || thread.join()))
    }

    fn wait(&self, word: &AtomicU32, expected: u32) {
        atomic_wait::wait(word, expected)
    }

    fn wake_one(&self, word: &AtomicU32) {
        atomic_wait::wake_one(word as *const AtomicU32)
    }

    fn wake_all(&self, word: &AtomicU32) {
        atomic_wait::wake_all(word as *const AtomicU32)
    }

    fn yield_now(&self) {
        std::thread::yield_now()
    }

    fn now_nanos(&self) -> Option<u64> {
        Some(epoch().elapsed().as_nanos() as u64)
    }

    fn default_workers(&self) -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}
