//! The split protocol end to end, with the hand-written [`SplitSum`] (a split loop lowered
//! the way the macro lowers one): results equal the plain sum on every pool size, halves
//! really run, and a cancel, a panic in a half or a shutdown during a split end the task
//! cleanly with every slot back.

use super::super::Pool;
use crate::test_tasks::SplitSum;
use crate::{Priority, TaskError};
use std::time::Duration;

fn pool(workers: usize, slots: usize) -> Pool {
    Pool::builder()
        .workers(workers)
        .slots(slots)
        .time_slice(Duration::from_micros(50))
        .build()
}

fn scale(native: u64, miri: u64) -> u64 {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

#[test]
fn split_sums_equal_the_plain_sum_on_every_pool_size() {
    let n = scale(200_000, 300);
    let work = if cfg!(miri) { 1 } else { 20 };
    let expected = SplitSum::expected(0, n, work);
    for workers in [1, 2, 3, 4, 8] {
        let pool = pool(workers, 64);
        let handles: Vec<_> = (0..3)
            .map(|_| pool.spawn(SplitSum::new(0, n, work)))
            .collect();
        for h in handles {
            let (sum, splits) = h.join().unwrap();
            assert_eq!(sum, expected, "{workers} workers");
            if workers == 1 {
                assert_eq!(splits, 0, "a one-worker pool never splits");
            }
        }
        assert_eq!(pool.free_slots(), 64, "every half's slot came back");
    }
}

#[test]
fn a_long_loop_splits_when_workers_are_idle() {
    let pool = pool(4, 64);
    let n = scale(400_000, 400);
    let h = pool.spawn(SplitSum::new(5, n, 40));
    let (sum, splits) = h.join().unwrap();
    assert_eq!(sum, SplitSum::expected(5, n, 40));
    assert!(splits > 0, "no split happened");
}

#[test]
fn progress_through_the_handle_is_monotonic_and_ends_at_the_total() {
    let pool = pool(4, 64);
    let n = scale(300_000, 300);
    let h = pool.spawn(SplitSum::new(0, n, 30));
    let mut last = 0;
    while !h.is_finished() {
        let p = h.progress();
        assert_eq!(p.total, Some(n));
        assert!(p.done <= n, "{p:?}");
        last = last.max(p.done);
        std::thread::yield_now();
    }
    let p = h.progress();
    assert_eq!((p.done, p.total), (n, Some(n)));
    assert!(last <= n);
    assert_eq!(h.join().map(|r| r.0), Ok(SplitSum::expected(0, n, 30)));
}

#[test]
fn a_panic_in_a_half_fails_the_task_and_frees_every_slot() {
    let pool = pool(4, 32);
    let n = scale(400_000, 400);
    // Panics late, in the upper part: a half's.
    let h = pool.spawn(SplitSum::new(0, n, 20).panicking_at(n - n / 5));
    let err = h.join().unwrap_err();
    assert!(
        matches!(&err, TaskError::Panicked(m) if m.contains("SplitSum panics")),
        "{err:?}"
    );
    // The pool goes on; every slot comes back.
    let ok = pool.spawn(SplitSum::new(0, 1000, 1));
    assert_eq!(ok.join().map(|r| r.0), Ok(SplitSum::expected(0, 1000, 1)));
    wait_for_free(&pool, 32);
}

#[test]
fn cancel_during_a_split_ends_every_half() {
    let pool = pool(4, 32);
    let h = pool.spawn(SplitSum::new(0, 1 << 40, 10));
    // Let it split.
    std::thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
    h.cancel();
    assert_eq!(h.join(), Err(TaskError::Cancelled));
    wait_for_free(&pool, 32);
}

#[test]
fn urgent_work_preempts_halves_and_split_tasks_share_the_pool() {
    let pool = pool(3, 64);
    let n = scale(200_000, 200);
    let background: Vec<_> = (0..4)
        .map(|k| {
            pool.task(SplitSum::new(k, n, 20))
                .priority(Priority::Background)
                .spawn()
        })
        .collect();
    for _ in 0..scale(20, 2) {
        let urgent = pool
            .task(SplitSum::new(0, 100, 1))
            .priority(Priority::UserBlocking)
            .spawn();
        assert_eq!(
            urgent.join().map(|r| r.0),
            Ok(SplitSum::expected(0, 100, 1))
        );
    }
    for (k, h) in background.into_iter().enumerate() {
        assert_eq!(
            h.join().map(|r| r.0),
            Ok(SplitSum::expected(k as u64, n, 20))
        );
    }
    wait_for_free(&pool, 64);
}

#[test]
fn dropping_the_pool_during_a_split_cancels_cleanly() {
    let pool = pool(4, 16);
    let h = pool.spawn(SplitSum::new(0, 1 << 40, 10));
    std::thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 10 }));
    drop(pool);
    assert_eq!(h.join(), Err(TaskError::Cancelled));
}

/// Slots are freed just before a cell completes; wait until they are all back.
fn wait_for_free(pool: &Pool, slots: usize) {
    for _ in 0..10_000 {
        if pool.free_slots() == slots {
            return;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    assert_eq!(pool.free_slots(), slots, "slots leaked");
}
