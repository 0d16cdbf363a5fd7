#![cfg(not(loom))]
//! 100,000 tasks of mixed kernels, random priorities and random cancellations on pools
//! smaller than the load (1 to 8 workers, whatever the number of cores): every task ends exactly once, in the state it should, with the
//! output the plain loop gives, no task is ever stepped by two workers at once, and no slot
//! leaks.

mod common;

use common::*;
use penny_runtime::{Pool, Priority, TaskError, TaskHandle};
use std::collections::VecDeque;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

enum Expect {
    Value(u64),
    Panic,
}

struct Live {
    handle: TaskHandle<u64>,
    panicking: Option<TaskHandle<()>>,
    expect: Expect,
    cancelled: bool,
    probe: Option<&'static Probe>,
}

fn check(live: Live, tally: &mut [usize; 4]) {
    if let Some(h) = live.panicking {
        match h.join() {
            Err(TaskError::Panicked(m)) => {
                assert_eq!(m, "stress panic");
                tally[2] += 1;
            }
            Err(TaskError::Cancelled) => {
                assert!(live.cancelled);
                tally[1] += 1;
            }
            Ok(()) => unreachable!("Panicker never returns"),
        }
        return;
    }
    let result = live.handle.join();
    match (&live.expect, result) {
        (Expect::Value(v), Ok(got)) => {
            assert_eq!(got, *v);
            tally[0] += 1;
        }
        (_, Err(TaskError::Cancelled)) => {
            assert!(live.cancelled, "cancelled without being asked");
            tally[1] += 1;
        }
        (Expect::Panic, _) | (_, Err(TaskError::Panicked(_))) => unreachable!(),
    }
    if let Some(probe) = live.probe {
        assert_eq!(
            probe.overlaps.load(SeqCst),
            0,
            "a task was stepped by two workers at once"
        );
        assert!(probe.done.load(SeqCst) <= 1, "a task finished twice");
        assert_eq!(probe.in_step.load(SeqCst), 0);
    }
}

fn round(
    seed: u64,
    tasks: usize,
    workers: usize,
    slots: usize,
    queue: usize,
    window: usize,
) -> [usize; 4] {
    let pool = Pool::builder()
        .workers(workers)
        .slots(slots)
        .queue(queue)
        .time_slice(Duration::from_micros(50))
        .build();
    let probes = probes(tasks);
    let mut rng = Rng(seed);
    let mut live: VecDeque<Live> = VecDeque::new();
    let mut tally = [0usize; 4];
    let priorities = [
        Priority::UserBlocking,
        Priority::UserVisible,
        Priority::Background,
    ];
    for probe in probes.iter() {
        let priority = priorities[rng.below(3) as usize];
        let kernel = rng.below(100);
        let mut entry = if kernel < 1 {
            let h = pool
                .task(Panicker {
                    after: rng.below(300),
                    i: 0,
                    message: "stress panic",
                })
                .priority(priority)
                .spawn();
            Live {
                handle: pool.spawn(SumRange::new(0, 0)),
                panicking: Some(h),
                expect: Expect::Panic,
                cancelled: false,
                probe: None,
            }
        } else if kernel < 50 {
            let (a, b) = (rng.below(1000), rng.below(3000));
            let h = pool
                .task(SumRange::new(a, a + b))
                .priority(priority)
                .spawn();
            Live {
                handle: h,
                panicking: None,
                expect: Expect::Value(SumRange::reference(a, a + b)),
                cancelled: false,
                probe: None,
            }
        } else {
            let n = rng.below(2000);
            let h = pool.task(Watched::new(probe, n)).priority(priority).spawn();
            Live {
                handle: h,
                panicking: None,
                expect: Expect::Value(Watched::reference(n)),
                cancelled: false,
                probe: Some(probe),
            }
        };
        if rng.below(10) == 0 {
            entry.cancelled = true;
            entry.handle.cancel();
            if let Some(h) = &entry.panicking {
                h.cancel();
            }
        }
        live.push_back(entry);
        // Cancel a random older task now and then, while it may be running.
        if rng.below(20) == 0 {
            let k = rng.below(live.len() as u64) as usize;
            let e = &mut live[k];
            e.cancelled = true;
            e.handle.cancel();
            if let Some(h) = &e.panicking {
                h.cancel();
            }
        }
        if live.len() > window {
            check(live.pop_front().unwrap(), &mut tally);
        }
        assert!(pool.free_slots() <= slots);
    }
    for e in live {
        check(e, &mut tally);
    }
    tally[3] = pool.free_slots();
    assert!(
        eventually(Duration::from_secs(10), || pool.free_slots() == slots),
        "slot leak: {} of {slots} free",
        pool.free_slots()
    );
    for p in probes {
        assert_eq!(p.overlaps.load(SeqCst), 0);
        assert!(p.done.load(SeqCst) <= 1);
    }
    tally
}

#[test]
fn hundred_thousand_tasks_end_exactly_once() {
    let total: usize = if cfg!(miri) { 200 } else { 100_000 };
    // (workers, slots, queue, window): up to 8 workers, more than the machine's cores.
    let configs = [
        (1, 4, 2, 16),
        (2, 8, 8, 64),
        (3, 16, 64, 300),
        (4, 64, 256, 1000),
        (8, 32, 16, 500),
    ];
    let mut sums = [0usize; 3];
    for (k, &(workers, slots, queue, window)) in configs.iter().enumerate() {
        let tally = round(
            0x5EED + k as u64,
            total / configs.len(),
            workers,
            slots,
            queue,
            window,
        );
        for j in 0..3 {
            sums[j] += tally[j];
        }
    }
    assert_eq!(
        sums.iter().sum::<usize>(),
        total,
        "done {} / cancelled {} / failed {}",
        sums[0],
        sums[1],
        sums[2]
    );
    // Every kind of ending happened.
    assert!(
        sums[0] > total / 2 && sums[1] > 0 && sums[2] > 0,
        "{sums:?}"
    );
}
