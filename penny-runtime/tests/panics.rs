#![cfg(not(loom))]
//! Panic isolation: a panic anywhere in a task's code (`step`, `progress`, or the `Drop` of
//! its panic payload) fails that task's handle only. The worker carries on, later tasks
//! run, no slot leaks, and dropping the pool still cancels what is left.

mod common;

use common::*;
use penny_runtime::{Pool, Progress, Step, Task, TaskError, TaskStatus};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

/// Yields `finish_after - 1` times, then finishes; `progress` panics once `chunks` reached
/// `panic_from` (0: already at spawn).
#[derive(Clone, Copy, Debug)]
struct BadProgress {
    chunks: u32,
    finish_after: u32,
    panic_from: u32,
}

impl BadProgress {
    fn new(finish_after: u32, panic_from: u32) -> Self {
        BadProgress {
            chunks: 0,
            finish_after,
            panic_from,
        }
    }
}

impl Task for BadProgress {
    type Output = u32;
    fn step(&mut self, _budget: u32) -> Step<u32> {
        self.chunks += 1;
        if self.chunks >= self.finish_after {
            Step::Done(self.chunks)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        if self.chunks >= self.panic_from {
            panic!("progress blew up");
        }
        Progress {
            done: self.chunks as u64,
            total: None,
        }
    }
}

fn panicked(message: &str) -> Result<u32, TaskError> {
    Err(TaskError::Panicked(message.to_owned()))
}

/// Finding 1: `progress()` is read after a chunk and when a task ends, outside the
/// `catch_unwind` around `step`; a panic there killed the worker, so on one worker the
/// task's `join` never returned and later tasks never ran.
#[test]
fn a_panic_in_progress_fails_only_its_task() {
    let pool = Pool::builder().workers(1).slots(4).build();
    // Panics in the progress read after its first chunk (it yielded).
    let after_chunk = pool.spawn(BadProgress::new(5, 1));
    // Finishes in its first chunk; panics in the final progress read.
    let at_finish = pool.spawn(BadProgress::new(1, 1));
    let later = pool.spawn(SumRange::new(0, 1000));
    assert_eq!(
        join_within(
            after_chunk,
            WATCHDOG,
            "task whose progress panics after a chunk"
        ),
        panicked("progress blew up")
    );
    assert_eq!(
        join_within(at_finish, WATCHDOG, "task whose progress panics at the end"),
        panicked("progress blew up")
    );
    assert_eq!(join_within(later, WATCHDOG, "the next task"), Ok(499_500));
}

/// Finding 1, shutdown: dropping a pool cancels the tasks still queued, even after a task's
/// `progress()` panicked (the panic used to kill the worker and `drop` re-raised it before
/// cancelling the queue, so the queued tasks' `join` hung).
#[test]
fn dropping_the_pool_after_a_progress_panic_cancels_the_queue() {
    let pool = Pool::builder().workers(1).slots(4).build();
    let bad = pool.spawn(BadProgress::new(5, 1));
    let queued: Vec<_> = (0..3).map(|_| pool.spawn(Spin::new(60_000))).collect();
    assert_eq!(
        join_within(bad, WATCHDOG, "task whose progress panics"),
        panicked("progress blew up")
    );
    let dropped = std::thread::spawn(move || drop(pool));
    for h in queued {
        assert_eq!(
            join_within(h, WATCHDOG, "a task queued when the pool was dropped"),
            Err(TaskError::Cancelled)
        );
    }
    assert!(dropped.join().is_ok(), "dropping the pool panicked");
}

/// A panic payload whose own `Drop` panics.
struct Bomb;
impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the panic payload's drop panicked");
    }
}

#[derive(Clone, Copy, Debug)]
struct ThrowsBomb;
impl Task for ThrowsBomb {
    type Output = u32;
    fn step(&mut self, _budget: u32) -> Step<u32> {
        std::panic::panic_any(Bomb)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Finding 2: the panic payload was dropped outside `catch_unwind`; a payload whose `Drop`
/// panics killed the worker after the task got its error, so the next task never ran.
#[test]
fn a_panic_payload_that_panics_on_drop_does_not_kill_the_worker() {
    let pool = Pool::builder().workers(1).slots(4).build();
    let bad = pool.spawn(ThrowsBomb);
    let next = pool.spawn(SumRange::new(0, 10));
    match join_within(bad, WATCHDOG, "task that panics with a bomb") {
        Err(TaskError::Panicked(_)) => {}
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_eq!(join_within(next, WATCHDOG, "the next task"), Ok(45));
}

/// `progress` panics on its `n`th call and after (counted in `calls`, one counter per test).
#[derive(Clone, Copy, Debug)]
struct PanicsOnCall {
    calls: &'static AtomicU32,
    n: u32,
}
impl Task for PanicsOnCall {
    type Output = u32;
    fn step(&mut self, _budget: u32) -> Step<u32> {
        Step::Done(7)
    }
    fn progress(&self) -> Progress {
        if self.calls.fetch_add(1, SeqCst) + 1 >= self.n {
            panic!("progress blew up on call n");
        }
        Progress::default()
    }
}

fn counter() -> &'static AtomicU32 {
    Box::leak(Box::new(AtomicU32::new(0)))
}

/// Finding 3: `try_spawn` took a slot before reading the task's progress; a panic there
/// leaked the slot, so on a one-slot pool every later spawn waited forever. (`spawn` read
/// progress twice, the second time with the slot taken.) Now both read it once, before
/// taking anything: a panic there reaches the caller and the slot stays free; a task whose
/// `progress` panics only later is spawned and ends `Failed` on the worker.
#[test]
fn a_progress_panic_at_spawn_leaks_no_slot() {
    let pool = Pool::builder().workers(1).slots(1).build();
    let task = PanicsOnCall {
        calls: counter(),
        n: 1,
    };
    let caught = catch_unwind(AssertUnwindSafe(|| pool.try_spawn(task).map(drop)));
    assert!(caught.is_err(), "try_spawn: the panic reaches the caller");
    assert_eq!(pool.free_slots(), 1, "try_spawn leaked the slot");
    let caught = catch_unwind(AssertUnwindSafe(|| drop(pool.spawn(task))));
    assert!(caught.is_err(), "spawn: the panic reaches the caller");
    assert_eq!(pool.free_slots(), 1, "spawn leaked the slot");
    // Panics on the second read: the one the worker makes when the task ends.
    for spawn_it in [
        |p: &Pool, t| p.try_spawn(t).expect("the only slot is free"),
        |p: &Pool, t| p.spawn(t),
    ] {
        let task = PanicsOnCall {
            calls: counter(),
            n: 2,
        };
        let h = spawn_it(&pool, task);
        assert_eq!(
            join_within(h, WATCHDOG, "task whose progress panics at the end"),
            Err(TaskError::Panicked("progress blew up on call n".to_owned()))
        );
        assert!(eventually(WATCHDOG, || pool.free_slots() == 1));
    }
    let h = pool
        .try_spawn(SumRange::new(0, 10))
        .expect("the only slot is free");
    assert_eq!(join_within(h, WATCHDOG, "a task after the panics"), Ok(45));
}

/// A task whose `step` panics ends `Failed`, and its worker runs the next one (the plain
/// case, kept here beside the harder ones).
#[test]
fn a_panic_in_step_fails_only_its_task() {
    let pool = Pool::builder().workers(1).slots(2).build();
    let bad = pool.spawn(Panicker {
        after: 3,
        i: 0,
        message: "step blew up",
    });
    let next = pool.spawn(SumRange::new(0, 3));
    assert_eq!(
        join_within(bad, WATCHDOG, "panicking task").unwrap_err(),
        TaskError::Panicked("step blew up".to_owned())
    );
    assert_eq!(join_within(next, WATCHDOG, "next task"), Ok(3));
    let h = pool.spawn(SumRange::new(0, 1));
    assert!(eventually(WATCHDOG, || h.is_finished()));
    assert_eq!(h.status(), TaskStatus::Done);
}
