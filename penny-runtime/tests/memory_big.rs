#![cfg(not(loom))]
//! Out-of-line task states are freed with their slot: 200,000 spawns of 4 KiB states (run
//! to completion, cancelled while queued, cancelled while running, detached) keep the live
//! heap flat. A counting global allocator measures it (its own test binary, so no other
//! test allocates meanwhile).

mod common;
mod counting;

use common::*;
use penny_runtime::{Pool, Progress, Step, Task, TaskError, TaskHandle};
use std::collections::VecDeque;

/// 4 KiB of state; `n` iterations.
#[derive(Clone, Copy)]
struct Page {
    words: [u64; 512],
    i: u64,
    n: u64,
}

impl Page {
    fn new(n: u64) -> Self {
        Page {
            words: [1; 512],
            i: 0,
            n,
        }
    }
}

impl Task for Page {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        let end = self.n.min(self.i + budget as u64);
        while self.i < end {
            self.words[self.i as usize % 512] += self.i;
            self.i += 1;
        }
        if self.i == self.n {
            Step::Done(self.words.iter().sum())
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

fn expected(n: u64) -> u64 {
    512 + (0..n).sum::<u64>()
}

#[test]
fn out_of_line_states_are_freed_with_their_slot() {
    let total: u64 = 200_000;
    let pool = Pool::builder().workers(2).slots(64).build();
    let mut window: VecDeque<(u64, bool, TaskHandle<u64>)> = VecDeque::new();
    let mut baseline = None;
    let mut peak = 0isize;
    for i in 0..total {
        let n = if i % 50 == 0 { 1 << 40 } else { i % 100 };
        let h = pool.spawn(Page::new(n));
        let cancel = n == 1 << 40;
        if cancel {
            h.cancel();
        }
        window.push_back((n, cancel, h));
        if i % 7 == 0 {
            drop(pool.spawn(Page::new(5)));
        }
        if window.len() > 200 {
            let (n, cancel, h) = window.pop_front().unwrap();
            check(n, cancel, h);
        }
        if i == total / 10 {
            baseline = Some(counting::live());
        }
        if i > total / 10 {
            peak = peak.max(counting::live());
        }
    }
    for (n, cancel, h) in window {
        check(n, cancel, h);
    }
    let growth = peak - baseline.unwrap();
    // A leaked state is 4 KiB: leaking one per spawn would be ~800 MB.
    assert!(
        growth < 1 << 20,
        "live heap grew by {growth} bytes after warm-up"
    );
    assert!(eventually(WATCHDOG, || pool.free_slots() == 64));
}

fn check(n: u64, cancel: bool, h: TaskHandle<u64>) {
    match h.join() {
        Ok(v) => assert_eq!(v, expected(n)),
        Err(TaskError::Cancelled) => assert!(cancel),
        Err(e) => panic!("{e}"),
    }
}
