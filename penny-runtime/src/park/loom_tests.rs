//! Loom models of the parking handshakes (protocols 1–4 of this module's README), run over
//! the very functions the pool calls and the loom backend's futex emulation. A lost wake-up
//! shows as a deadlock (every thread blocked), which loom reports.
//! `RUSTFLAGS="--cfg loom" cargo test -p penny-runtime --release --lib -- loom`

use super::*;
use crate::backend::loom::Loom;
use loom::sync::Arc;
use loom::thread;

/// The words of one model: an epoch, its sleeper count, a count of things ready (queued
/// tasks, free queue places), and a cell's state word.
struct Words {
    epoch: AtomicU32,
    sleepers: AtomicU32,
    ready: AtomicU32,
    cell: AtomicU32,
    output: AtomicU32,
    backend: Loom,
}

impl Words {
    fn new() -> Arc<Words> {
        Arc::new(Words {
            epoch: AtomicU32::new(0),
            sleepers: AtomicU32::new(0),
            ready: AtomicU32::new(0),
            cell: AtomicU32::new(CellState::Pending as u32),
            output: AtomicU32::new(0),
            backend: Loom::new(),
        })
    }

    fn epoch(&self) -> Epoch<'_> {
        Epoch::new(&self.epoch, &self.sleepers)
    }

    /// Takes one ready thing, if any.
    fn take(&self) -> bool {
        let mut n = self.ready.load(SeqCst);
        while n != 0 {
            match self.ready.compare_exchange(n, n - 1, SeqCst, SeqCst) {
                Ok(_) => return true,
                Err(now) => n = now,
            }
        }
        false
    }

    /// A waiter of protocols 1 and 2: takes a ready thing, parking while there is none.
    fn wait_and_take(&self) {
        loop {
            if self.take() {
                return;
            }
            self.epoch()
                .sleep_unless(&self.backend, || self.ready.load(SeqCst) != 0);
        }
    }
}

/// Protocol 1: an idle worker parks on the work epoch while a spawner queues a task and
/// notifies one: the worker always gets the task.
#[test]
fn loom_idle_worker_never_misses_a_spawn() {
    loom::model(|| {
        let w = Words::new();
        let worker = {
            let w = w.clone();
            thread::spawn(move || w.wait_and_take())
        };
        w.ready.fetch_add(1, SeqCst);
        w.epoch().notify_one(&w.backend);
        worker.join().unwrap();
    });
}

/// Protocol 1 with two idle workers and two spawns, each notifying one: both get a task
/// (a wake-up that went to the "wrong" worker is not lost: every woken worker looks).
#[test]
fn loom_two_idle_workers_two_spawns() {
    loom::model(|| {
        let w = Words::new();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let w = w.clone();
                thread::spawn(move || w.wait_and_take())
            })
            .collect();
        for _ in 0..2 {
            w.ready.fetch_add(1, SeqCst);
            w.epoch().notify_one(&w.backend);
        }
        for t in workers {
            t.join().unwrap();
        }
    });
}

/// Protocol 2: a spawner blocked on a full queue, while a worker makes room and notifies
/// all: the spawner always gets the place.
#[test]
fn loom_blocked_spawner_never_misses_freed_room() {
    loom::model(|| {
        let w = Words::new();
        let spawner = {
            let w = w.clone();
            thread::spawn(move || w.wait_and_take())
        };
        w.ready.fetch_add(1, SeqCst);
        w.epoch().notify_all(&w.backend);
        spawner.join().unwrap();
    });
}

/// Protocol 3: a joiner outside the pool against the cell's completer: the joiner always
/// returns, and sees the output written before the completion.
#[test]
fn loom_joiner_never_misses_the_completion() {
    loom::model(|| {
        let w = Words::new();
        let joiner = {
            let w = w.clone();
            thread::spawn(move || {
                wait_complete(&w.cell, &w.backend);
                w.output.load(Relaxed)
            })
        };
        w.output.store(42, Relaxed);
        let before = release(&w.cell);
        wake_waiters(before, &w.cell, w.epoch(), &w.backend);
        assert_eq!(joiner.join().unwrap(), 42);
    });
}

/// Protocol 4: a worker joining from inside a task, with nothing to help with, against the
/// cell's completer: the helper always wakes.
#[test]
fn loom_helping_joiner_never_misses_the_completion() {
    loom::model(|| {
        let w = Words::new();
        let helper = {
            let w = w.clone();
            thread::spawn(move || {
                while !is_complete(&w.cell) {
                    sleep_helping(&w.cell, w.epoch(), &w.backend, || w.ready.load(SeqCst) != 0);
                }
                w.output.load(Relaxed)
            })
        };
        w.output.store(7, Relaxed);
        let before = release(&w.cell);
        wake_waiters(before, &w.cell, w.epoch(), &w.backend);
        assert_eq!(helper.join().unwrap(), 7);
    });
}

/// Protocol 4 and 1 together: a helping joiner waits for its cell while a spawner queues
/// work and notifies one, and the cell completes. The helper runs the work (before or after
/// its join returned: as an idle worker once it did) and sees the completion; no wake-up
/// is lost in any order.
#[test]
fn loom_helping_joiner_takes_new_work_and_its_completion() {
    loom::model(|| {
        let w = Words::new();
        let helper = {
            let w = w.clone();
            thread::spawn(move || {
                let mut ran = 0;
                loop {
                    if w.take() {
                        ran += 1;
                    }
                    let complete = is_complete(&w.cell);
                    if ran == 1 && complete {
                        return w.output.load(Relaxed);
                    }
                    let ready = || w.ready.load(SeqCst) != 0;
                    if complete {
                        w.epoch().sleep_unless(&w.backend, ready);
                    } else {
                        sleep_helping(&w.cell, w.epoch(), &w.backend, ready);
                    }
                }
            })
        };
        let spawner = {
            let w = w.clone();
            thread::spawn(move || {
                w.ready.fetch_add(1, SeqCst);
                w.epoch().notify_one(&w.backend);
            })
        };
        w.output.store(9, Relaxed);
        let before = release(&w.cell);
        wake_waiters(before, &w.cell, w.epoch(), &w.backend);
        spawner.join().unwrap();
        assert_eq!(helper.join().unwrap(), 9);
    });
}
