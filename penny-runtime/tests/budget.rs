#![cfg(not(loom))]
//! Chunk budgets keep the time-slice promise: a task's first chunk starts small, and every
//! later chunk is sized from a measurement of this task, so it takes no longer than the
//! slice plus one iteration. The assertions are on the budgets the pool hands out, which
//! follow from the per-iteration cost each task guarantees at least (a busy-wait), not on
//! wall-clock durations.

mod common;

use common::*;
use penny_runtime::{Pool, Priority, Progress, Step, Task};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const SLICE: Duration = Duration::from_micros(500);
/// What the pool documents: a task's first chunk runs at most this many iterations.
const FIRST_CHUNK_MAX: u32 = 256;

/// `left` iterations, each busy-waiting at least `ns_per_iter` (0: about a nanosecond of
/// arithmetic); logs every budget it is given.
#[derive(Clone, Copy)]
struct Costly {
    left: u64,
    ns_per_iter: u64,
    acc: u64,
    budgets: &'static Mutex<Vec<u32>>,
}

impl Costly {
    fn new(left: u64, ns_per_iter: u64) -> Self {
        Costly {
            left,
            ns_per_iter,
            acc: 0,
            budgets: Box::leak(Box::new(Mutex::new(Vec::new()))),
        }
    }
}

impl Task for Costly {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        self.budgets.lock().unwrap().push(budget);
        let take = self.left.min(budget as u64);
        for i in 0..take {
            if self.ns_per_iter == 0 {
                self.acc = self.acc.wrapping_add(std::hint::black_box(i));
            } else {
                let start = Instant::now();
                while start.elapsed() < Duration::from_nanos(self.ns_per_iter) {
                    std::hint::spin_loop();
                }
            }
        }
        self.left -= take;
        if self.left == 0 {
            Step::Done(self.acc)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: 0,
            total: None,
        }
    }
}

/// Finding 8: after a cheap instance of a kind (about a nanosecond per iteration), an
/// instance of the same kind with 2 µs iterations started at the kind's learned budget and
/// ran a 977 ms chunk under a 500 µs slice.
#[test]
fn a_slow_instance_after_a_cheap_one_starts_small_and_keeps_to_the_slice() {
    let pool = Pool::builder()
        .workers(1)
        .slots(4)
        .time_slice(SLICE)
        .build();
    let cheap = Costly::new(30_000_000, 0);
    assert!(join_within(pool.spawn(cheap), WATCHDOG, "cheap instance").is_ok());
    let learned = *cheap.budgets.lock().unwrap().iter().max().unwrap();
    assert!(
        learned > 10_000,
        "the cheap instance converged to {learned}"
    );
    let slow = Costly::new(3_000, 2_000);
    assert!(join_within(pool.spawn(slow), WATCHDOG, "slow instance").is_ok());
    let budgets = slow.budgets.lock().unwrap().clone();
    assert!(
        budgets[0] <= FIRST_CHUNK_MAX,
        "first chunk of the slow instance: {} iterations of 2 µs",
        budgets[0]
    );
    // Each later budget comes from a measured chunk of this task, whose iterations took at
    // least 2 µs: it fits the slice plus one iteration.
    let most = (SLICE.as_nanos() as u64 / 2_000 + 1) as u32;
    assert!(
        budgets[1..].iter().all(|&b| b <= most),
        "budgets after the first chunk exceed {most}: {budgets:?}"
    );
}

/// A task that spawns an urgent one in every chunk, so it is preempted after every chunk.
#[derive(Clone, Copy)]
struct PreemptsItself {
    chunks: u32,
    pool: &'static Pool,
    budgets: &'static Mutex<Vec<u32>>,
}

impl Task for PreemptsItself {
    type Output = ();
    fn step(&mut self, budget: u32) -> Step<()> {
        self.budgets.lock().unwrap().push(budget);
        let mut acc = 0u64;
        for i in 0..budget as u64 {
            acc = acc.wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(acc);
        self.chunks -= 1;
        if self.chunks == 0 {
            return Step::Done(());
        }
        drop(
            self.pool
                .task(SumRange::new(0, 1))
                .priority(Priority::UserBlocking)
                .spawn(),
        );
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Finding 8: the first chunk of every run was untimed, so a task preempted after every
/// chunk never had a timed chunk and its budget never adapted.
#[test]
fn a_task_preempted_after_every_chunk_still_adapts_its_budget() {
    static POOL: OnceLock<Pool> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        Pool::builder()
            .workers(1)
            .slots(8)
            .time_slice(SLICE)
            .build()
    });
    let task = PreemptsItself {
        chunks: 40,
        pool,
        budgets: Box::leak(Box::new(Mutex::new(Vec::new()))),
    };
    let h = pool.task(task).priority(Priority::Background).spawn();
    assert!(join_within(h, WATCHDOG, "self-preempting task").is_ok());
    let budgets = task.budgets.lock().unwrap().clone();
    let largest = budgets.iter().copied().max().unwrap();
    assert!(
        largest > FIRST_CHUNK_MAX,
        "cheap chunks preempted every time never grew past {largest}: {budgets:?}"
    );
}
