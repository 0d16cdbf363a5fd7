//! The loom backend: futex semantics emulated with loom's mutex and condition variable, so
//! loom explores the parking handshakes of `crate::park` (and finds a lost wake-up as a
//! deadlock: every thread blocked).
//!
//! `wait` checks the word under the mutex and sleeps on the condvar in the same critical
//! section; `wake_one`/`wake_all` take the mutex, then notify. A waker that changed the word
//! before taking the mutex therefore either finds the waiter asleep (and wakes it) or makes
//! its check fail: exactly the futex contract. Every wake notifies all sleepers, whatever
//! the word (one condvar serves every word): a spurious wake-up, which the contract allows,
//! never a missed one.

use super::{Backend, Spins, WorkerJoin};
use crate::sync::{AtomicU32, Condvar, Mutex, Ordering::SeqCst};

/// Futex emulation for loom models; make one per model run.
#[derive(Debug)]
pub(crate) struct Loom {
    lock: Mutex<()>,
    wakeups: Condvar,
}

impl Loom {
    pub(crate) fn new() -> Loom {
        Loom {
            lock: Mutex::new(()),
            wakeups: Condvar::new(),
        }
    }
}

impl Backend for Loom {
    fn spawn_worker(
        &self,
        _pool: usize,
        _index: usize,
        _stack: usize,
        body: Box<dyn FnOnce() + Send>,
    ) -> Result<WorkerJoin, String> {
        let thread = loom::thread::spawn(body);
        Ok(Box::new(move || thread.join()))
    }

    fn wait(&self, word: &AtomicU32, expected: u32) {
        let guard = self.lock.lock().unwrap();
        if word.load(SeqCst) == expected {
            drop(self.wakeups.wait(guard).unwrap());
        }
    }

    fn wake_one(&self, word: &AtomicU32) {
        self.wake_all(word)
    }

    fn wake_all(&self, _word: &AtomicU32) {
        let _guard = self.lock.lock().unwrap();
        self.wakeups.notify_all();
    }

    fn yield_now(&self) {
        loom::thread::yield_now()
    }

    fn now_nanos(&self) -> Option<u64> {
        None
    }

    fn default_workers(&self) -> usize {
        2
    }

    fn spins(&self) -> Spins {
        Spins {
            idle: 0,
            idle_yields: 0,
            join: 0,
        }
    }
}
