#![cfg(not(loom))]
//! Progress as a handle reads it: it never goes backwards, from spawn through completion.

use penny_runtime::{Pool, Progress, Step, Task};

/// Runs `n` iterations, at most `per_chunk` per `step` whatever the budget.
#[derive(Clone, Copy, Debug)]
struct Chunky {
    i: u64,
    n: u64,
    per_chunk: u64,
}

impl Task for Chunky {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        let take = self.per_chunk.min(budget as u64).min(self.n - self.i);
        self.i += take;
        if self.i == self.n {
            Step::Done(self.i)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.i,
            total: Some(self.n),
        }
    }
}

/// Finding 5: the slot was freed (generation bumped) before the final progress reached the
/// completion cell, so a handle polled in between fell back to the cell's progress from
/// spawn: `80 -> 0` just before completion. Polls every task from spawn to completion.
#[test]
fn progress_never_goes_backwards() {
    let pool = Pool::builder().workers(1).slots(4).build();
    let tasks = if cfg!(miri) { 20 } else { 3_000 };
    let mut backwards = Vec::new();
    for t in 0..tasks {
        let h = pool.spawn(Chunky {
            i: 0,
            n: 80,
            per_chunk: 10,
        });
        let mut last = 0;
        loop {
            let finished = h.is_finished();
            let done = h.progress().done;
            if done < last {
                backwards.push((t, last, done));
            }
            last = done;
            if finished {
                break;
            }
        }
        assert_eq!(last, 80, "task {t} ended at {last}");
        assert_eq!(h.join(), Ok(80));
    }
    assert!(
        backwards.is_empty(),
        "progress went backwards in {} of {tasks} tasks, e.g. (task, from, to) {:?}",
        backwards.len(),
        &backwards[..backwards.len().min(5)]
    );
}
