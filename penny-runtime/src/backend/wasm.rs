//! The wasm32 backend seam. Parking maps to `memory.atomic.wait32`/`memory.atomic.notify`
//! on the threaded build (`+atomics`, shared memory); on a build without atomics there is
//! only one thread, so waiting for another thread to change a word can never end and is a
//! bug. Starting Web Workers and reading `performance.now()` need JS glue and arrive with the
//! Web Worker issue: until then [`Backend::spawn_worker`] reports an error, so building a
//! `Pool` on wasm panics with that message.

use super::{Backend, WorkerJoin};
use core::sync::atomic::AtomicU32;

/// Web Worker backend (parking only, for now).
#[derive(Debug)]
pub(crate) struct Wasm;

impl Backend for Wasm {
    fn spawn_worker(
        &self,
        index: usize,
        _body: Box<dyn FnOnce() + Send>,
    ) -> Result<WorkerJoin, String> {
        Err(format!(
            "penny: cannot start worker {index}: the Web Worker backend is not implemented yet \
             (wasm32 builds compile the scheduler, but pools run natively only for now)"
        ))
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
        #[cfg(target_feature = "atomics")]
        // SAFETY: as in `wait`; notify only reads the address.
        unsafe {
            core::arch::wasm32::memory_atomic_notify(word.as_ptr().cast::<i32>(), 1);
        }
        #[cfg(not(target_feature = "atomics"))]
        let _ = word;
    }

    fn wake_all(&self, word: &AtomicU32) {
        #[cfg(target_feature = "atomics")]
        // SAFETY: as in `wait`; notify only reads the address.
        unsafe {
            core::arch::wasm32::memory_atomic_notify(word.as_ptr().cast::<i32>(), u32::MAX);
        }
        #[cfg(not(target_feature = "atomics"))]
        let _ = word;
    }

    fn yield_now(&self) {
        core::hint::spin_loop()
    }

    fn now_nanos(&self) -> Option<u64> {
        None
    }

    fn default_workers(&self) -> usize {
        1
    }
}
