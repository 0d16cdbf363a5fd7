//! Scheduler benchmarks, each with rayon doing the same work as the baseline.
//!
//! - `round_trip`: spawn one trivial task and wait for its output.
//! - `throughput_10k`: spawn 10,000 small tasks from outside the pool and wait for all; the
//!   workers move batches from the injector into their deques and steal from each other.
//! - `preemption`: with every worker busy on long compute loops at `Background`, how long a
//!   `UserBlocking` task waits to start (p50/p99 printed after the criterion groups). On
//!   rayon the urgent job waits for a running one to finish.
//!
//! `cargo bench -p penny-runtime --bench scheduler` (add `-- --quick` for a short run).

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use penny_runtime::{Pool, Priority, Progress, Step, Task};
use std::hint::black_box;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WORKERS: usize = 2;

#[derive(Clone, Copy)]
struct Trivial(u64);
impl Task for Trivial {
    type Output = u64;
    fn step(&mut self, _: u32) -> Step<u64> {
        Step::Done(self.0 + 1)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Sum of `next..end`, `budget` numbers per chunk.
#[derive(Clone, Copy)]
struct Sum {
    next: u64,
    end: u64,
    total: u64,
}
impl Sum {
    fn new(n: u64) -> Self {
        Sum {
            next: 0,
            end: n,
            total: 0,
        }
    }
}
impl Task for Sum {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        let stop = self.end.min(self.next + budget as u64);
        let mut total = self.total;
        for i in self.next..stop {
            total = total.wrapping_add(black_box(i));
        }
        self.total = total;
        self.next = stop;
        if stop == self.end {
            Step::Done(total)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.next,
            total: Some(self.end),
        }
    }
}

fn plain_sum(n: u64) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total = total.wrapping_add(black_box(i));
    }
    total
}

/// Records how long after `spawned` it first ran.
#[derive(Clone, Copy)]
struct Stamp {
    spawned: Instant,
}
impl Task for Stamp {
    type Output = Duration;
    fn step(&mut self, _: u32) -> Step<Duration> {
        Step::Done(self.spawned.elapsed())
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

fn penny_pool() -> Pool {
    Pool::builder().workers(WORKERS).slots(16_384).build()
}

fn rayon_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .unwrap()
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip");
    let pool = penny_pool();
    group.bench_function("penny", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            pool.spawn(Trivial(i)).join().unwrap()
        })
    });
    drop(pool);
    let rayon = rayon_pool();
    let (tx, rx) = mpsc::channel();
    group.bench_function("rayon", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            let tx = tx.clone();
            let v = i;
            rayon.spawn(move || tx.send(v + 1).unwrap());
            rx.recv().unwrap()
        })
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    const TASKS: u64 = 10_000;
    const WORK: u64 = 200;
    let mut group = c.benchmark_group("throughput_10k");
    group.throughput(Throughput::Elements(TASKS));
    let expected = plain_sum(WORK);
    let pool = penny_pool();
    group.bench_function(BenchmarkId::new("penny", WORK), |b| {
        b.iter(|| {
            let handles: Vec<_> = (0..TASKS).map(|_| pool.spawn(Sum::new(WORK))).collect();
            for h in handles {
                assert_eq!(h.join(), Ok(expected));
            }
        })
    });
    drop(pool);
    let rayon = rayon_pool();
    group.bench_function(BenchmarkId::new("rayon", WORK), |b| {
        b.iter(|| {
            let (tx, rx) = mpsc::channel();
            for _ in 0..TASKS {
                let tx = tx.clone();
                rayon.spawn(move || tx.send(plain_sum(WORK)).unwrap());
            }
            drop(tx);
            let mut n = 0;
            for v in rx {
                assert_eq!(v, expected);
                n += 1;
            }
            assert_eq!(n, TASKS);
        })
    });
    group.finish();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "preemption/{name}: n={} p50={:.1?} p99={:.1?} max={:.1?}",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.last().unwrap()
    );
}

/// UserBlocking start latency with every worker busy on Background compute loops.
fn preemption_penny(samples: usize) -> Vec<Duration> {
    let pool = penny_pool();
    let background: Vec<_> = (0..WORKERS)
        .map(|_| {
            pool.task(Sum::new(u64::MAX / 2))
                .priority(Priority::Background)
                .spawn()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100)); // budgets converge to the time slice
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        // Land at a random point of the background chunks.
        std::thread::sleep(Duration::from_micros(200 + (i as u64 * 7919) % 900));
        let h = pool
            .task(Stamp {
                spawned: Instant::now(),
            })
            .priority(Priority::UserBlocking)
            .spawn();
        out.push(h.join().unwrap());
    }
    assert!(background.iter().all(|h| !h.is_finished()));
    for h in &background {
        h.cancel();
    }
    out
}

/// The same on rayon: two 50 ms compute jobs occupy both threads, then the urgent job waits.
fn preemption_rayon(samples: usize) -> Vec<Duration> {
    let rayon = rayon_pool();
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        let (tx, rx) = mpsc::channel();
        for _ in 0..WORKERS {
            let tx = tx.clone();
            rayon.spawn(move || {
                let end = Instant::now() + Duration::from_millis(50);
                while Instant::now() < end {
                    black_box(plain_sum(1000));
                }
                tx.send(None).unwrap();
            });
        }
        std::thread::sleep(Duration::from_micros(1000 + (i as u64 * 7919) % 20_000));
        let spawned = Instant::now();
        rayon.spawn(move || tx.send(Some(spawned.elapsed())).unwrap());
        let mut latency = None;
        for _ in 0..=WORKERS {
            if let Some(l) = rx.recv().unwrap() {
                latency = Some(l);
            }
        }
        out.push(latency.unwrap());
    }
    out
}

fn preemption(c: &mut Criterion) {
    // Criterion's view: spawn→join of the urgent task under load (penny only: on rayon
    // each sample needs fresh background jobs, see `preemption_rayon`).
    let mut group = c.benchmark_group("preemption");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    let pool = penny_pool();
    let background: Vec<_> = (0..WORKERS)
        .map(|_| {
            pool.task(Sum::new(u64::MAX / 2))
                .priority(Priority::Background)
                .spawn()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    group.bench_function("penny_user_blocking_under_background", |b| {
        // Only spawn→join is timed; the pause between samples lands them at varied points
        // of the background chunks.
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                std::thread::sleep(Duration::from_micros(200 + (i * 7919) % 900));
                let t = Instant::now();
                pool.task(Stamp { spawned: t })
                    .priority(Priority::UserBlocking)
                    .spawn()
                    .join()
                    .unwrap();
                total += t.elapsed();
            }
            total
        })
    });
    for h in &background {
        h.cancel();
    }
    group.finish();
}

criterion_group!(benches, round_trip, throughput, preemption);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let quick = std::env::args().any(|a| a == "--quick");
    report("penny", preemption_penny(if quick { 200 } else { 1000 }));
    report("rayon", preemption_rayon(if quick { 20 } else { 60 }));
}
