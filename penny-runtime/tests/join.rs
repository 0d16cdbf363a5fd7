#![cfg(not(loom))]
//! Joining from inside a task: the joining worker runs other work instead of blocking, so
//! tasks that spawn and join children finish on one worker and with every slot taken; a
//! spawn from a worker never blocks it; and time spent helping does not shrink the joining
//! task's budget.

mod common;

use common::*;
use penny_runtime::{Pool, Priority, Progress, Step, Task};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// A pool that lives for the whole test binary, so tasks can hold `&'static Pool`.
fn pool(cell: &'static OnceLock<Pool>, build: impl FnOnce() -> Pool) -> &'static Pool {
    cell.get_or_init(build)
}

/// `fib(n)` by spawning `fib(n - 1)` and `fib(n - 2)` and joining both, inside `step`.
#[derive(Clone, Copy)]
struct Fib {
    n: u32,
    pool: &'static Pool,
}

impl Task for Fib {
    type Output = u64;
    fn step(&mut self, _budget: u32) -> Step<u64> {
        if self.n < 2 {
            return Step::Done(self.n as u64);
        }
        let a = self.pool.spawn(Fib {
            n: self.n - 1,
            pool: self.pool,
        });
        let b = self.pool.spawn(Fib {
            n: self.n - 2,
            pool: self.pool,
        });
        Step::Done(b.join().unwrap() + a.join().unwrap())
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

fn fib(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

/// Item 5: a task that spawned a child and joined it hung on `workers(1)` (the one worker
/// blocked in `join`, nothing ran the child).
#[test]
fn a_task_joins_its_children_on_one_worker() {
    static POOL: OnceLock<Pool> = OnceLock::new();
    let pool = pool(&POOL, || Pool::builder().workers(1).build());
    let h = pool.spawn(Fib { n: 12, pool });
    assert_eq!(
        join_within(h, WATCHDOG, "fib(12) on one worker"),
        Ok(fib(12))
    );
}

/// With four slots, the joining tasks hold every slot and the children wait in the
/// spawner-side queue: the joiners run their own children from there.
#[test]
fn joins_finish_when_joiners_hold_every_slot() {
    static POOL: OnceLock<Pool> = OnceLock::new();
    let pool = pool(&POOL, || {
        Pool::builder().workers(2).slots(4).queue(1).build()
    });
    let h = pool.spawn(Fib { n: 14, pool });
    assert_eq!(join_within(h, WATCHDOG, "fib(14) on 4 slots"), Ok(fib(14)));
    assert!(eventually(WATCHDOG, || pool.free_slots() == 4));
}

/// Spawns `children` tasks in one chunk, then joins them all.
#[derive(Clone, Copy)]
struct Spawner {
    children: u64,
    pool: &'static Pool,
}

impl Task for Spawner {
    type Output = u64;
    fn step(&mut self, _budget: u32) -> Step<u64> {
        let handles: Vec<_> = (0..self.children)
            .map(|i| self.pool.spawn(SumRange::new(0, i)))
            .collect();
        Step::Done(handles.into_iter().map(|h| h.join().unwrap()).sum())
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Item 5: a spawn from inside a task blocked its worker when the spawner-side queue was
/// full (one slot, held by the spawning task; a queue of one). A worker's spawns go past the
/// cap instead.
#[test]
fn a_spawn_from_a_worker_never_blocks_it() {
    static POOL: OnceLock<Pool> = OnceLock::new();
    let pool = pool(&POOL, || {
        Pool::builder().workers(1).slots(1).queue(1).build()
    });
    let h = pool.spawn(Spawner { children: 50, pool });
    let expected: u64 = (0..50).map(|i| SumRange::reference(0, i)).sum();
    assert_eq!(
        join_within(h, WATCHDOG, "spawner on one slot"),
        Ok(expected)
    );
}

/// Cheap chunks; in chunk `join_at` it spawns a 200 ms child and joins it, which makes that
/// chunk last as long as the child (the worker helps run it). Logs its budgets.
#[derive(Clone, Copy)]
struct JoinsOnce {
    chunk: u32,
    join_at: u32,
    chunks: u32,
    pool: &'static Pool,
    budgets: &'static Mutex<Vec<u32>>,
}

impl Task for JoinsOnce {
    type Output = ();
    fn step(&mut self, budget: u32) -> Step<()> {
        self.budgets.lock().unwrap().push(budget);
        let mut acc = 0u64;
        for i in 0..budget as u64 {
            acc = acc.wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(acc);
        self.chunk += 1;
        if self.chunk == self.join_at {
            let child = self.pool.spawn(Spin::new(200));
            child.join().unwrap();
        }
        if self.chunk == self.chunks {
            Step::Done(())
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Item 5: the time a chunk spends helping in a join is not that chunk's own: a task whose
/// chunk joined a 200 ms child keeps its budget (it would drop about 400-fold if the 200 ms
/// counted against a 500 µs slice). The bound allows a 40-fold drop: on a loaded machine an
/// ordinary chunk descheduled by the OS for a few milliseconds shrinks the budget ~10-fold.
#[test]
fn helped_work_does_not_count_against_the_joining_chunk() {
    static POOL: OnceLock<Pool> = OnceLock::new();
    let pool = pool(&POOL, || {
        Pool::builder()
            .workers(1)
            .time_slice(Duration::from_micros(500))
            .build()
    });
    let budgets: &'static Mutex<Vec<u32>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    let task = JoinsOnce {
        chunk: 0,
        join_at: 25,
        chunks: 30,
        pool,
        budgets,
    };
    let h = pool.task(task).priority(Priority::Background).spawn();
    assert_eq!(join_within(h, WATCHDOG, "joining task"), Ok(()));
    let budgets = budgets.lock().unwrap().clone();
    // Chunk 25 (index 24) joined; chunk 26 is sized from chunk 25's measurement.
    let (before, after) = (budgets[24], budgets[25]);
    assert!(
        after >= before / 40,
        "the join's 200 ms counted against the chunk: budget {before} -> {after} ({budgets:?})"
    );
}
