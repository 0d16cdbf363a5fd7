#![cfg(not(loom))]
//! Any `Task` runs on a pool with default settings, whatever the size of its state or
//! output: states beyond the slot's 256 payload bytes (or aligned to more than 64) are
//! stored out of line, outputs go to the completion cell. Big states survive preemption,
//! migration and cancellation.

mod common;

use common::*;
use penny_runtime::{Pool, Priority, Progress, Step, Task, TaskError};

/// An 8×8 `f32` matrix product whose arguments and result are all in the state (about
/// 1 KiB, as `#[penny::task]` lowers such a kernel), one row per iteration.
#[derive(Clone, Copy)]
struct Matmul8 {
    a: [[f32; 8]; 8],
    b: [[f32; 8]; 8],
    c: [[f32; 8]; 8],
    row: usize,
    output: Option<[[f32; 8]; 8]>,
}

fn matmul8_plain(a: &[[f32; 8]; 8], b: &[[f32; 8]; 8]) -> [[f32; 8]; 8] {
    let mut c = [[0.0f32; 8]; 8];
    for i in 0..8 {
        for j in 0..8 {
            for k in 0..8 {
                c[i][j] += a[i][k] * b[k][j];
            }
        }
    }
    c
}

impl Task for Matmul8 {
    type Output = [[f32; 8]; 8];
    fn step(&mut self, budget: u32) -> Step<[[f32; 8]; 8]> {
        if let Some(out) = self.output {
            return Step::Done(out);
        }
        let end = (self.row + budget as usize).min(8);
        while self.row < end {
            let i = self.row;
            for j in 0..8 {
                for k in 0..8 {
                    self.c[i][j] += self.a[i][k] * self.b[k][j];
                }
            }
            self.row += 1;
        }
        if self.row == 8 {
            self.output = Some(self.c);
            Step::Done(self.c)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.row as u64,
            total: Some(8),
        }
    }
}

/// `N` words of state (`[u32; 32]` buffers and more), summed over `rounds` passes, one
/// pass per iteration; the output repeats the state's first 32 words.
#[derive(Clone, Copy)]
#[repr(align(128))]
struct Words<const N: usize> {
    words: [u32; N],
    round: u32,
    rounds: u32,
    acc: u64,
}

impl<const N: usize> Words<N> {
    fn new(seed: u32, rounds: u32) -> Self {
        let mut words = [0u32; N];
        for (i, w) in words.iter_mut().enumerate() {
            *w = seed.wrapping_mul(2_654_435_761).wrapping_add(i as u32);
        }
        Words {
            words,
            round: 0,
            rounds,
            acc: 0,
        }
    }

    fn reference(mut self) -> (u64, [u32; 32]) {
        while self.round < self.rounds {
            self.pass();
        }
        (self.acc, self.head())
    }

    fn pass(&mut self) {
        for w in self.words.iter_mut() {
            *w = w.rotate_left(5) ^ 0x9E37_79B9;
            self.acc = self.acc.wrapping_add(*w as u64);
        }
        self.round += 1;
    }

    fn head(&self) -> [u32; 32] {
        let mut head = [0u32; 32];
        head.copy_from_slice(&self.words[..32]);
        head
    }
}

impl<const N: usize> Task for Words<N> {
    type Output = (u64, [u32; 32]);
    fn step(&mut self, budget: u32) -> Step<(u64, [u32; 32])> {
        let end = self.rounds.min(self.round.saturating_add(budget));
        while self.round < end {
            self.pass();
        }
        if self.round == self.rounds {
            Step::Done((self.acc, self.head()))
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.round as u64,
            total: Some(self.rounds as u64),
        }
    }
}

/// A state aligned to a whole page (`MAX_TASK_ALIGN`), and a zero-sized one aligned to 256.
#[derive(Clone, Copy)]
#[repr(align(4096))]
struct PageAligned(u64);
impl Task for PageAligned {
    type Output = usize;
    fn step(&mut self, _: u32) -> Step<usize> {
        Step::Done(self as *const Self as usize % 4096 + self.0 as usize)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

#[derive(Clone, Copy)]
#[repr(align(256))]
struct ZeroSized;
impl Task for ZeroSized {
    type Output = usize;
    fn step(&mut self, _: u32) -> Step<usize> {
        Step::Done(self as *const Self as usize % 256)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

fn matrix(seed: f32) -> [[f32; 8]; 8] {
    let mut m = [[0.0; 8]; 8];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = seed + i as f32 * 0.5 - j as f32 * 0.25;
        }
    }
    m
}

#[test]
fn tasks_of_any_size_run_on_the_default_pool() {
    assert!(size_of::<Matmul8>() > 1000);
    assert!(size_of::<Words<1024>>() >= 4096);
    let pool = Pool::builder().build();
    let matmuls: Vec<_> = (0..64)
        .map(|s| {
            let (a, b) = (matrix(s as f32), matrix(1.0 - s as f32));
            let task = Matmul8 {
                a,
                b,
                c: [[0.0; 8]; 8],
                row: 0,
                output: None,
            };
            (matmul8_plain(&a, &b), pool.spawn(task))
        })
        .collect();
    let words_1k: Vec<_> = (0..32)
        .map(|s| {
            (
                Words::<256>::new(s, 300).reference(),
                pool.spawn(Words::<256>::new(s, 300)),
            )
        })
        .collect();
    let words_4k = pool.spawn(Words::<1024>::new(7, 2_000));
    let words_64k = pool.spawn(Words::<16_384>::new(9, 50));
    let page = pool.spawn(PageAligned(3));
    let zero = pool.spawn(ZeroSized);
    for (expected, h) in matmuls {
        let got = join_within(h, WATCHDOG, "matmul").unwrap();
        assert_eq!(
            got.map(|r| r.map(f32::to_bits)),
            expected.map(|r| r.map(f32::to_bits))
        );
    }
    for (expected, h) in words_1k {
        assert_eq!(join_within(h, WATCHDOG, "1 KiB state"), Ok(expected));
    }
    assert_eq!(
        join_within(words_4k, WATCHDOG, "4 KiB state"),
        Ok(Words::<1024>::new(7, 2_000).reference())
    );
    assert_eq!(
        join_within(words_64k, WATCHDOG, "64 KiB state"),
        Ok(Words::<16_384>::new(9, 50).reference())
    );
    assert_eq!(join_within(page, WATCHDOG, "page-aligned state"), Ok(3));
    assert_eq!(join_within(zero, WATCHDOG, "zero-sized state"), Ok(0));
}

/// Big states preempted by urgent work, requeued, stolen by other workers and cancelled,
/// queued or running: every result is the plain one, and every slot comes back.
#[test]
fn big_states_survive_preemption_migration_and_cancellation() {
    let pool = Pool::builder()
        .workers(4)
        .slots(8)
        .time_slice(std::time::Duration::from_micros(50))
        .build();
    let rounds = if cfg!(debug_assertions) {
        20_000
    } else {
        200_000
    };
    let background: Vec<_> = (0..6)
        .map(|s| {
            let h = pool
                .task(Words::<1024>::new(s, rounds))
                .priority(Priority::Background)
                .spawn();
            (Words::<1024>::new(s, rounds).reference(), h)
        })
        .collect();
    let cancelled: Vec<_> = (0..6)
        .map(|s| pool.spawn(Words::<2048>::new(s, u32::MAX)))
        .collect();
    for s in 0..200 {
        let h = pool
            .task(Words::<256>::new(s, 10))
            .priority(Priority::UserBlocking)
            .spawn();
        assert_eq!(h.join(), Ok(Words::<256>::new(s, 10).reference()));
        if s == 100 {
            for h in &cancelled {
                h.cancel();
            }
        }
    }
    for h in cancelled {
        assert_eq!(
            join_within(h, WATCHDOG, "cancelled"),
            Err(TaskError::Cancelled)
        );
    }
    for (expected, h) in background {
        assert_eq!(join_within(h, WATCHDOG, "background"), Ok(expected));
    }
    assert!(eventually(WATCHDOG, || pool.free_slots() == 8));
}
