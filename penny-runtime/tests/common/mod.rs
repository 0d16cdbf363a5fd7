//! Hand-written tasks for the scheduler tests (the `#[penny::task]` macro is tested in its
//! own crate; these keep the runtime's tests independent of it).
#![allow(dead_code)]

use penny_runtime::{Progress, Step, Task};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::time::{Duration, Instant};

/// Sum of `start..end`, one iteration per number. Reference: `(start..end).sum()`.
#[derive(Clone, Copy, Debug)]
pub struct SumRange {
    pub start: u64,
    pub next: u64,
    pub end: u64,
    pub total: u64,
}

impl SumRange {
    pub fn new(start: u64, end: u64) -> Self {
        SumRange {
            start,
            next: start,
            end,
            total: 0,
        }
    }
    pub fn reference(start: u64, end: u64) -> u64 {
        let mut total = 0u64;
        for i in start..end {
            total = total.wrapping_add(i);
        }
        total
    }
}

impl Task for SumRange {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        let stop = self.end.min(self.next.saturating_add(budget as u64));
        let (mut i, mut total) = (self.next, self.total);
        while i < stop {
            total = total.wrapping_add(i);
            i += 1;
        }
        self.next = i;
        self.total = total;
        if i == self.end {
            Step::Done(total)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.next - self.start,
            total: Some(self.end - self.start),
        }
    }
}

/// Per-task shared counters that catch a task stepped by two workers at once or ending twice.
#[derive(Debug, Default)]
pub struct Probe {
    pub in_step: AtomicU32,
    pub overlaps: AtomicU32,
    pub steps: AtomicU64,
    pub done: AtomicU32,
    /// The thread that ran the last chunk (a small per-thread number, 0 = none yet).
    pub last_thread: AtomicU64,
    /// Chunks that ran on a different thread than the chunk before: the task migrated.
    pub migrations: AtomicU32,
}

/// A small number unique to the calling thread.
pub fn thread_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local!(static ME: u64 = NEXT.fetch_add(1, Relaxed));
    ME.with(|me| *me)
}

/// A leaked array of probes, one per task.
pub fn probes(n: usize) -> &'static [Probe] {
    Vec::leak((0..n).map(|_| Probe::default()).collect())
}

/// xorshift-mixed arithmetic over `n` iterations, watched by a probe.
#[derive(Clone, Copy, Debug)]
pub struct Watched {
    pub probe: &'static Probe,
    pub i: u64,
    pub n: u64,
    pub acc: u64,
}

impl Watched {
    pub fn new(probe: &'static Probe, n: u64) -> Self {
        Watched {
            probe,
            i: 0,
            n,
            acc: 0x9E37_79B9_7F4A_7C15,
        }
    }
    pub fn reference(n: u64) -> u64 {
        let mut acc = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..n {
            acc = mix(acc, i);
        }
        acc
    }
}

#[inline]
pub fn mix(mut acc: u64, i: u64) -> u64 {
    acc ^= i.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    acc ^= acc >> 31;
    acc.wrapping_mul(0x94D0_49BB_1331_11EB)
}

impl Task for Watched {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        if self.probe.in_step.swap(1, SeqCst) != 0 {
            self.probe.overlaps.fetch_add(1, SeqCst);
        }
        self.probe.steps.fetch_add(1, Relaxed);
        let me = thread_number();
        let before = self.probe.last_thread.swap(me, Relaxed);
        if before != 0 && before != me {
            self.probe.migrations.fetch_add(1, Relaxed);
        }
        let stop = self.n.min(self.i + budget as u64);
        while self.i < stop {
            self.acc = mix(self.acc, self.i);
            self.i += 1;
        }
        let result = if self.i == self.n {
            self.probe.done.fetch_add(1, SeqCst);
            Step::Done(self.acc)
        } else {
            Step::Yielded
        };
        self.probe.in_step.store(0, SeqCst);
        result
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.i,
            total: Some(self.n),
        }
    }
}

/// Busy-loops for `millis` of wall time, one iteration per 10 µs; returns iterations run.
#[derive(Clone, Copy, Debug)]
pub struct Spin {
    pub started: Option<Instant>,
    pub millis: u64,
    pub iterations: u64,
}

impl Spin {
    pub fn new(millis: u64) -> Self {
        Spin {
            started: None,
            millis,
            iterations: 0,
        }
    }
}

impl Task for Spin {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        let started = *self.started.get_or_insert_with(Instant::now);
        for _ in 0..budget {
            if started.elapsed() >= Duration::from_millis(self.millis) {
                return Step::Done(self.iterations);
            }
            let t = Instant::now();
            while t.elapsed() < Duration::from_micros(10) {
                std::hint::spin_loop();
            }
            self.iterations += 1;
        }
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.iterations,
            total: None,
        }
    }
}

/// Panics with `message` after `after` iterations.
#[derive(Clone, Copy, Debug)]
pub struct Panicker {
    pub after: u64,
    pub i: u64,
    pub message: &'static str,
}

impl Task for Panicker {
    type Output = ();
    fn step(&mut self, budget: u32) -> Step<()> {
        for _ in 0..budget {
            if self.i == self.after {
                panic!("{}", self.message);
            }
            self.i += 1;
        }
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.i,
            total: None,
        }
    }
}

/// Records when it first ran, then finishes.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    pub epoch: Instant,
}

impl Task for Stamp {
    type Output = Duration;
    fn step(&mut self, _budget: u32) -> Step<Duration> {
        Step::Done(self.epoch.elapsed())
    }
    fn progress(&self) -> Progress {
        Progress {
            done: 0,
            total: Some(1),
        }
    }
}

/// Waits (up to `limit`) until `cond` holds.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}

/// A minimal executor for `TaskHandle` futures.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark()
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Joins `handle` on a helper thread and waits at most `limit` for it: a hang (a lost task,
/// a dead worker) fails the test with `what` instead of stalling the suite. The limit is a
/// watchdog, not a speed check: it is orders of magnitude above the expected time.
pub fn join_within<T: Copy + Send + 'static>(
    handle: penny_runtime::TaskHandle<T>,
    limit: Duration,
    what: &str,
) -> Result<T, penny_runtime::TaskError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(handle.join());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what}: join did not return within {limit:?}"))
}

/// Generous watchdog for [`join_within`].
pub const WATCHDOG: Duration = Duration::from_secs(20);
