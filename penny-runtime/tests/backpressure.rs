#![cfg(not(loom))]
//! Backpressure: tasks that wait for a slot in the spawner-side queue, and what cancelling
//! them does.

mod common;

use common::*;
use penny_runtime::{Pool, TaskError, TaskStatus};
use std::sync::mpsc;

/// Finding 4: a task waiting for a slot ignored `cancel()` until a slot freed (the docs
/// promise a queued task is cancelled at once), and its entry kept using the queue's
/// capacity, so spawners stayed blocked behind cancelled entries.
#[test]
fn cancelling_a_task_that_waits_for_a_slot_ends_it_at_once_and_frees_its_place() {
    let pool = Pool::builder().workers(1).slots(1).queue(1).build();
    let blocker = pool.spawn(Spin::new(60_000));
    assert!(eventually(WATCHDOG, || blocker.status() == TaskStatus::Running));
    // No slot is free: this one waits in the spawner-side queue, which is now full.
    let waiting = pool.spawn(SumRange::new(0, 10));
    assert_eq!(waiting.status(), TaskStatus::Queued);
    waiting.cancel();
    assert!(
        waiting.is_finished(),
        "cancel() left the waiting task pending"
    );
    assert_eq!(waiting.status(), TaskStatus::Cancelled);
    assert_eq!(waiting.join(), Err(TaskError::Cancelled));
    // Its place in the queue is free again: the next spawn waits there instead of blocking.
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel();
        let pool = &pool;
        s.spawn(move || {
            let next = pool.spawn(SumRange::new(0, 20));
            tx.send(()).unwrap();
            next
        });
        let spawned = rx.recv_timeout(WATCHDOG);
        blocker.cancel();
        assert!(
            spawned.is_ok(),
            "spawn blocked behind a cancelled queue entry"
        );
    });
}
