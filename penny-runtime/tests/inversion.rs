#![cfg(not(loom))]
//! Priority inversion: with every worker busy on long `Background` loops, a `UserBlocking`
//! task runs long before those loops end. The bound is deliberately generous (a quarter of
//! the background duration) so the test never flakes on a loaded 2-core machine; the tight
//! figure is the `preemption` benchmark's.

mod common;

use common::*;
use penny_runtime::{Pool, Priority, TaskStatus};
use std::time::{Duration, Instant};

const BACKGROUND_MS: u64 = 1200;

#[test]
fn user_blocking_runs_while_background_loops_hold_every_worker() {
    let workers = 2;
    let pool = Pool::builder()
        .workers(workers)
        .slots(32)
        .time_slice(Duration::from_micros(500))
        .build();
    let background: Vec<_> = (0..workers * 2)
        .map(|_| {
            pool.task(Spin::new(BACKGROUND_MS))
                .priority(Priority::Background)
                .spawn()
        })
        .collect();
    assert!(eventually(Duration::from_secs(5), || {
        background
            .iter()
            .filter(|h| h.status() == TaskStatus::Running)
            .count()
            == workers
    }));
    std::thread::sleep(Duration::from_millis(50));
    let spawned = Instant::now();
    let urgent = pool
        .task(Stamp { epoch: spawned })
        .priority(Priority::UserBlocking)
        .spawn();
    let started_after = urgent.join().unwrap();
    let joined_after = spawned.elapsed();
    let bound = Duration::from_millis(BACKGROUND_MS / 4);
    assert!(
        started_after < bound,
        "urgent task started after {started_after:?}"
    );
    assert!(
        joined_after < bound,
        "urgent task joined after {joined_after:?}"
    );
    // The background loops were preempted, not finished or lost.
    assert!(background.iter().all(|h| !h.is_finished()));
    for h in background {
        assert!(h.join().unwrap() > 0);
    }
}

#[test]
fn queued_urgent_work_overtakes_queued_background_work() {
    let pool = Pool::builder().workers(1).slots(32).build();
    let epoch = Instant::now();
    let blocker = pool
        .task(Spin::new(100))
        .priority(Priority::Background)
        .spawn();
    assert!(eventually(Duration::from_secs(5), || blocker.status()
        == TaskStatus::Running));
    let later: Vec<_> = (0..5)
        .map(|_| {
            pool.task(Stamp { epoch })
                .priority(Priority::Background)
                .spawn()
        })
        .collect();
    let visible = pool
        .task(Stamp { epoch })
        .priority(Priority::UserVisible)
        .spawn();
    let urgent = pool
        .task(Stamp { epoch })
        .priority(Priority::UserBlocking)
        .spawn();
    let urgent_at = urgent.join().unwrap();
    let visible_at = visible.join().unwrap();
    assert!(urgent_at <= visible_at);
    for h in later {
        assert!(h.join().unwrap() >= visible_at);
    }
    // The blocker was preempted for the urgent ones, then finished.
    assert!(blocker.join().unwrap() > 0);
    assert!(
        urgent_at < Duration::from_millis(90),
        "urgent waited {urgent_at:?}"
    );
}
