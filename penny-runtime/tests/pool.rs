#![cfg(not(loom))]
//! The pool's public API: spawn/join, priorities, try_spawn, progress, status, cancellation,
//! panics, futures, size checks and shutdown.

mod common;

use common::*;
use penny_runtime::{Pool, Priority, Progress, Step, Task, TaskError, TaskStatus, TrySpawnError};
use std::time::{Duration, Instant};

#[test]
fn spawn_and_join_give_the_plain_loop_result() {
    let pool = Pool::builder().workers(2).slots(16).build();
    let handles: Vec<_> = (0..200u64)
        .map(|i| (i, pool.spawn(SumRange::new(i, i * 1000))))
        .collect();
    for (i, h) in handles {
        assert_eq!(h.join(), Ok(SumRange::reference(i, i * 1000)));
    }
    assert!(eventually(Duration::from_secs(5), || pool.free_slots() == 16));
}

#[test]
fn builder_form_and_priorities() {
    let pool = Pool::builder()
        .workers(1)
        .slots(8)
        .time_slice(Duration::from_micros(200))
        .build();
    let a = pool
        .task(SumRange::new(0, 10))
        .priority(Priority::UserBlocking)
        .spawn();
    let b = pool
        .task(SumRange::new(0, 20))
        .priority(Priority::Background)
        .spawn();
    let c = pool.task(SumRange::new(0, 30)).spawn();
    assert_eq!(a.join(), Ok(45));
    assert_eq!(b.join(), Ok(190));
    assert_eq!(c.join(), Ok(435));
    assert_eq!(Priority::default(), Priority::UserVisible);
}

#[test]
fn try_spawn_hands_the_task_back_when_full() {
    let pool = Pool::builder().workers(1).slots(2).build();
    let long = [pool.spawn(Spin::new(300)), pool.spawn(Spin::new(300))];
    let task = SumRange::new(5, 9);
    match pool.try_spawn(task) {
        Err(TrySpawnError::Full(back)) => assert_eq!(back.start, 5),
        Ok(_) => panic!("no slot should be free"),
    }
    let err = pool.try_spawn(task).unwrap_err();
    assert_eq!(err.to_string(), "every task slot of the pool is taken");
    assert_eq!(err.into_task().end, 9);
    for h in long {
        h.cancel();
        assert_eq!(h.join(), Err(TaskError::Cancelled));
    }
    assert!(eventually(Duration::from_secs(5), || pool.free_slots() == 2));
    assert_eq!(pool.try_spawn(task).map(|h| h.join()).ok(), Some(Ok(26)));
}

#[test]
fn spawn_waits_in_the_spawner_queue_instead_of_failing() {
    // 2 slots, queue of 2: the fifth spawn blocks until a slot frees.
    let pool = Pool::builder().workers(1).slots(2).queue(2).build();
    let handles: Vec<_> = (0..50u64)
        .map(|i| pool.spawn(SumRange::new(0, i * 100)))
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join(), Ok(SumRange::reference(0, i as u64 * 100)));
    }
}

#[test]
fn progress_and_status_follow_the_task() {
    let pool = Pool::builder()
        .workers(1)
        .slots(4)
        .time_slice(Duration::from_micros(100))
        .build();
    let blocker = pool.spawn(Spin::new(100));
    // (Not a plain sum: LLVM turns that into a closed form in release builds.)
    let n = 1u64 << 40;
    let h = pool.spawn(Watched::new(&probes(1)[0], n));
    // The one worker is busy with `blocker`: `h` waits with its initial progress.
    assert_eq!(h.status(), TaskStatus::Queued);
    assert_eq!(
        h.progress(),
        Progress {
            done: 0,
            total: Some(n)
        }
    );
    assert!(eventually(Duration::from_secs(5), || h.status() == TaskStatus::Running));
    assert!(eventually(Duration::from_secs(5), || h.progress().done > 0));
    let seen = h.progress();
    assert_eq!(seen.total, Some(n));
    h.cancel();
    assert_eq!(h.status_after_join(), TaskStatus::Cancelled);
    assert_eq!(blocker.join().map(|n| n > 0), Ok(true));
}

trait StatusAfterJoin {
    fn status_after_join(self) -> TaskStatus;
}
impl<T: Copy + Send + 'static + std::fmt::Debug> StatusAfterJoin for penny_runtime::TaskHandle<T> {
    fn status_after_join(self) -> TaskStatus {
        while !self.is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let status = self.status();
        let progress = self.progress();
        assert!(progress.done > 0 || status != TaskStatus::Done);
        status
    }
}

#[test]
fn cancelling_a_queued_task_completes_it_at_once() {
    let pool = Pool::builder().workers(1).slots(4).build();
    let blocker = pool.spawn(Spin::new(200));
    std::thread::sleep(Duration::from_millis(20));
    let queued = pool.spawn(SumRange::new(0, 10));
    assert_eq!(queued.status(), TaskStatus::Queued);
    let t = Instant::now();
    queued.cancel();
    assert_eq!(queued.status(), TaskStatus::Cancelled);
    assert_eq!(queued.join(), Err(TaskError::Cancelled));
    assert!(
        t.elapsed() < Duration::from_millis(150),
        "did not wait for the blocker"
    );
    blocker.cancel();
    let _ = blocker.join();
    assert!(eventually(Duration::from_secs(5), || pool.free_slots() == 4));
}

#[test]
fn cancelling_a_finished_task_changes_nothing() {
    let pool = Pool::builder().workers(1).slots(4).build();
    let h = pool.spawn(SumRange::new(0, 10));
    assert!(eventually(Duration::from_secs(5), || h.is_finished()));
    h.cancel();
    assert_eq!(h.status(), TaskStatus::Done);
    assert_eq!(
        h.progress(),
        Progress {
            done: 10,
            total: Some(10)
        }
    );
    assert_eq!(h.join(), Ok(45));
}

#[test]
fn a_panicking_task_fails_only_its_own_handle() {
    let pool = Pool::builder().workers(2).slots(8).build();
    let before = pool.spawn(SumRange::new(0, 100_000));
    let bad = pool.spawn(Panicker {
        after: 1000,
        i: 0,
        message: "kernel blew up",
    });
    let after = pool.spawn(SumRange::new(0, 1000));
    assert_eq!(
        bad.join(),
        Err(TaskError::Panicked("kernel blew up".to_owned()))
    );
    assert_eq!(before.join(), Ok(SumRange::reference(0, 100_000)));
    assert_eq!(after.join(), Ok(499_500));
    // The workers survived: more tasks still run.
    let again: Vec<_> = (0..20).map(|_| pool.spawn(SumRange::new(0, 100))).collect();
    assert!(again.into_iter().all(|h| h.join() == Ok(4950)));
    let bad = pool.spawn(Panicker {
        after: 0,
        i: 0,
        message: "again",
    });
    assert_eq!(bad.status_after_join(), TaskStatus::Failed);
}

#[test]
fn handles_are_futures() {
    let pool = Pool::builder().workers(2).slots(8).build();
    let a = pool.spawn(SumRange::new(0, 1_000_000));
    let b = pool.spawn(SumRange::new(0, 10));
    let total = block_on(async { a.await.unwrap() + b.await.unwrap() });
    assert_eq!(total, SumRange::reference(0, 1_000_000) + 45);
    let c = pool.spawn(Spin::new(10_000));
    c.cancel();
    assert_eq!(block_on(c), Err(TaskError::Cancelled));
}

#[test]
fn dropping_the_pool_cancels_what_is_left() {
    let pool = Pool::builder().workers(1).slots(4).queue(8).build();
    let running = pool.spawn(Spin::new(60_000));
    let queued: Vec<_> = (0..10).map(|_| pool.spawn(Spin::new(60_000))).collect();
    std::thread::sleep(Duration::from_millis(20));
    let t = Instant::now();
    drop(pool);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(running.join(), Err(TaskError::Cancelled));
    for h in queued {
        assert_eq!(h.join(), Err(TaskError::Cancelled));
    }
}

#[test]
#[should_panic(expected = "1 to 4096 workers, not 0")]
fn zero_workers_is_refused() {
    let _ = Pool::builder().workers(0).build();
}

#[test]
fn chunks_respect_the_budget_and_budgets_grow() {
    // A task that records the largest budget it was given.
    #[derive(Clone, Copy)]
    struct Budgets {
        chunks: u32,
        first_budget: u32,
        max_budget: u32,
        min_budget: u32,
        left: u64,
    }
    impl Task for Budgets {
        type Output = (u32, u32, u32, u32);
        fn step(&mut self, budget: u32) -> Step<(u32, u32, u32, u32)> {
            self.chunks += 1;
            if self.chunks == 1 {
                self.first_budget = budget;
            }
            self.max_budget = self.max_budget.max(budget);
            self.min_budget = self.min_budget.min(budget);
            let take = self.left.min(budget as u64);
            // ~1 ns of "work" per iteration.
            let mut x = 0u64;
            for i in 0..take {
                x = x.wrapping_add(std::hint::black_box(i));
            }
            std::hint::black_box(x);
            self.left -= take;
            if self.left == 0 {
                Step::Done((
                    self.chunks,
                    self.first_budget,
                    self.min_budget,
                    self.max_budget,
                ))
            } else {
                Step::Yielded
            }
        }
        fn progress(&self) -> Progress {
            Progress::default()
        }
    }
    let pool = Pool::builder()
        .workers(1)
        .slots(2)
        .time_slice(Duration::from_micros(500))
        .build();
    let h = pool.spawn(Budgets {
        chunks: 0,
        first_budget: 0,
        max_budget: 0,
        min_budget: u32::MAX,
        left: 50_000_000,
    });
    let (chunks, first, min, max) = h.join().unwrap();
    assert_eq!(first, 64, "first chunk of a new kind starts small");
    assert_eq!(min, 1, "the first timed chunk is a one-iteration probe");
    assert!(max >= 8 * 1024, "budget grew to {max}");
    assert!(chunks < 5_000, "{chunks} chunks: budget did not adapt");
}

/// Aligned beyond `MAX_TASK_ALIGN` (4096).
#[derive(Clone, Copy)]
#[repr(align(8192))]
struct Aligned8K(u8);

impl Task for Aligned8K {
    type Output = u8;
    fn step(&mut self, _: u32) -> Step<u8> {
        Step::Done(self.0)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

#[derive(Clone, Copy)]
struct ReturnsAligned8K;

impl Task for ReturnsAligned8K {
    type Output = Aligned8K;
    fn step(&mut self, _: u32) -> Step<Aligned8K> {
        Step::Done(Aligned8K(1))
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

fn spawn_panic_message(spawn: impl FnOnce()) -> String {
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(spawn)).unwrap_err();
    err.downcast_ref::<String>().cloned().unwrap_or_default()
}

/// Finding 9: an over-aligned task or output was refused with advice to raise
/// `.slot_bytes(..)` / `.output_bytes(..)`, which changes nothing about alignment. The message
/// names the alignment limit and says no builder option raises it.
#[test]
fn over_aligned_tasks_and_outputs_are_refused_with_the_real_limit() {
    assert_eq!(penny_runtime::MAX_TASK_ALIGN, 4096);
    let pool = Pool::builder().workers(1).slots(2).build();
    for message in [
        spawn_panic_message(|| drop(pool.spawn(Aligned8K(1)))),
        spawn_panic_message(|| drop(pool.spawn(ReturnsAligned8K))),
    ] {
        assert!(message.contains("alignment 8192"), "{message}");
        assert!(message.contains("at most 4096"), "{message}");
        assert!(!message.contains("_bytes("), "misleading advice: {message}");
    }
    // Nothing was taken from the pool.
    assert_eq!(pool.free_slots(), 2);
}
