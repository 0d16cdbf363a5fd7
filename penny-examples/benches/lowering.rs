//! Lowering overhead (issue 2): each benchmark kernel as its plain function, as its lowered
//! task run with budget `u32::MAX`, and as its lowered task stepped in ~100 µs chunks.
//!
//! `cargo bench -p penny-examples --bench lowering`; medians land in
//! `target/criterion/<kernel>/{plain,task_max,task_chunked}/new/estimates.json`.
//!
//! The chunk budget is calibrated once per kernel at start-up from the plain function's
//! per-iteration time (iterations of the kernel's outermost resumable loop), and printed.
//!
//! Every kernel is measured twice: groups `<kernel>` use criterion's wall clock, groups
//! `<kernel>_cpu` the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which leaves out the
//! time the thread spent descheduled: on a small shared machine that is most of the noise.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Criterion;
use penny::{run_to_completion, In, Out, Task};
use penny_examples::bench_kernels::*;

mod common;
use common::{drive, thread_cpu_ns};

/// Wall time one chunk should take.
const TARGET_CHUNK: Duration = Duration::from_micros(100);

/// Criterion measurement: CPU time of the benchmarking thread.
#[derive(Debug, Clone, Copy)]
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = Duration;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> Duration {
        Duration::from_nanos(thread_cpu_ns() - start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        static WALL: WallTime = WallTime;
        WALL.formatter()
    }
}

/// Least CPU time of a few runs of `f`.
fn min_time(mut f: impl FnMut()) -> Duration {
    f();
    (0..5)
        .map(|_| {
            let t = thread_cpu_ns();
            f();
            Duration::from_nanos(thread_cpu_ns() - t)
        })
        .min()
        .unwrap()
}

/// Budget (iterations) that makes one chunk take about [`TARGET_CHUNK`], from the plain
/// function's time for `iters` iterations.
fn calibrate(name: &str, iters: u64, plain: impl FnMut()) -> u32 {
    let total = min_time(plain);
    let per_iter = total.as_secs_f64() / iters as f64;
    let budget = (TARGET_CHUNK.as_secs_f64() / per_iter)
        .round()
        .clamp(1.0, u32::MAX as f64);
    let budget = budget as u32;
    println!(
        "{name}: plain {:.3} ms for {iters} iterations = {:.2} ns/iter; \
         chunk budget = {budget} iterations (≈ {:.1} µs, {} chunks)",
        total.as_secs_f64() * 1e3,
        per_iter * 1e9,
        budget as f64 * per_iter * 1e6,
        iters.div_ceil(u64::from(budget)),
    );
    budget
}

/// Both criterion instances: wall clock and thread CPU time; and the paired results.
struct Clocks {
    wall: Criterion<WallTime>,
    cpu: Criterion<ThreadCpuTime>,
    paired: Vec<String>,
}

/// Rounds of the paired measurement.
const PAIRED_ROUNDS: usize = 31;

/// Drift-robust cross-check of criterion's sequential groups: `PAIRED_ROUNDS` rounds, each
/// running plain, task_max and task_chunked once in a rotating order, timed on the thread's
/// CPU clock; reports the ratio of medians and the ratio of minima to plain.
fn paired<O, T: Task<Output = O>>(
    name: &str,
    budget: u32,
    plain: &impl Fn() -> O,
    task: &impl Fn() -> T,
) -> String {
    let mut times: [Vec<u64>; 3] = Default::default();
    for round in 0..PAIRED_ROUNDS {
        for k in 0..3 {
            let which = (round + k) % 3;
            let start = thread_cpu_ns();
            match which {
                0 => drop(black_box(plain())),
                1 => drop(black_box(run_to_completion(task()))),
                _ => drop(black_box(drive(task(), black_box(budget)))),
            }
            times[which].push(thread_cpu_ns() - start);
        }
    }
    for t in &mut times {
        t.sort_unstable();
    }
    let med = |t: &Vec<u64>| t[t.len() / 2] as f64;
    let min = |t: &Vec<u64>| t[0] as f64;
    format!(
        "{name:16} plain median {:9.3} ms | task_max / plain: median {:.3}, min {:.3} | \
         task_chunked / plain: median {:.3}, min {:.3} (budget {budget})",
        med(&times[0]) / 1e6,
        med(&times[1]) / med(&times[0]),
        min(&times[1]) / min(&times[0]),
        med(&times[2]) / med(&times[0]),
        min(&times[2]) / min(&times[0]),
    )
}

/// The three variants of one kernel, side by side in one group, on both clocks.
fn group<O, T: Task<Output = O>>(
    c: &mut Clocks,
    name: &str,
    budget: u32,
    plain: impl Fn() -> O,
    task: impl Fn() -> T,
) {
    group_on(&mut c.wall, name, budget, &plain, &task);
    group_on(&mut c.cpu, &format!("{name}_cpu"), budget, &plain, &task);
    let line = paired(name, budget, &plain, &task);
    println!("paired (CPU time, {PAIRED_ROUNDS} interleaved rounds): {line}");
    c.paired.push(line);
}

fn group_on<M: Measurement, O, T: Task<Output = O>>(
    c: &mut Criterion<M>,
    name: &str,
    budget: u32,
    plain: &impl Fn() -> O,
    task: &impl Fn() -> T,
) {
    let mut g = c.benchmark_group(name);
    g.bench_function("plain", |bch| bch.iter(|| black_box(plain())));
    g.bench_function("task_max", |bch| {
        bch.iter(|| black_box(run_to_completion(task())))
    });
    g.bench_function("task_chunked", |bch| {
        bch.iter(|| black_box(drive(task(), black_box(budget))))
    });
    g.finish();
}

fn bench_sum_sqrt(c: &mut Clocks) {
    let n = SUM_SQRT_N;
    let want = sum_sqrt(n).to_bits();
    let budget = calibrate("sum_sqrt", u64::from(n), || {
        black_box(sum_sqrt(black_box(n)));
    });
    assert_eq!(run_to_completion(SumSqrt::new(n)).to_bits(), want);
    assert_eq!(drive(SumSqrt::new(n), budget).to_bits(), want);
    group(
        c,
        "sum_sqrt",
        budget,
        || sum_sqrt(black_box(n)),
        || SumSqrt::new(black_box(n)),
    );
}

fn bench_dot(c: &mut Clocks) {
    let a = In::new(Vec::leak(data_f64(DOT_LEN, 1)));
    let b = In::new(Vec::leak(data_f64(DOT_LEN, 2)));
    let want = dot(a, b).to_bits();
    let budget = calibrate("dot", DOT_LEN as u64, || {
        black_box(dot(black_box(a), black_box(b)));
    });
    assert_eq!(run_to_completion(Dot::new(a, b)).to_bits(), want);
    assert_eq!(drive(Dot::new(a, b), budget).to_bits(), want);
    group(
        c,
        "dot",
        budget,
        || dot(black_box(a), black_box(b)),
        || Dot::new(black_box(a), black_box(b)),
    );
}

fn bench_mandelbrot(c: &mut Clocks) {
    let (w, h, m) = MANDEL;
    let len = (w * h) as usize;
    let want = Out::leak_filled(len, 0u32);
    mandelbrot_rows(want, w, h, m);
    let out = Out::leak_filled(len, 0u32);
    let budget = calibrate("mandelbrot_rows", u64::from(h), || {
        mandelbrot_rows(black_box(out), w, h, m);
    });
    out.fill(0);
    run_to_completion(MandelbrotRows::new(out, w, h, m));
    assert_eq!(out.to_vec(), want.to_vec());
    out.fill(0);
    drive(MandelbrotRows::new(out, w, h, m), budget);
    assert_eq!(out.to_vec(), want.to_vec());
    group(
        c,
        "mandelbrot_rows",
        budget,
        || mandelbrot_rows(black_box(out), black_box(w), black_box(h), black_box(m)),
        || MandelbrotRows::new(black_box(out), black_box(w), black_box(h), black_box(m)),
    );
    assert_eq!(out.to_vec(), want.to_vec());
}

fn bench_histogram(c: &mut Clocks) {
    let (n, seed) = (HIST_N, 0x9e37_79b9u32);
    let want = rng_histogram(n, seed);
    let budget = calibrate("rng_histogram", u64::from(n), || {
        black_box(rng_histogram(black_box(n), black_box(seed)));
    });
    assert_eq!(run_to_completion(RngHistogram::new(n, seed)), want);
    assert_eq!(drive(RngHistogram::new(n, seed), budget), want);
    group(
        c,
        "rng_histogram",
        budget,
        || rng_histogram(black_box(n), black_box(seed)),
        || RngHistogram::new(black_box(n), black_box(seed)),
    );
}

fn bench_matmul(c: &mut Clocks) {
    let n = MATMUL_N;
    let len = (n * n) as usize;
    let a = In::new(Vec::leak(data_f32(len, 3)));
    let b = In::new(Vec::leak(data_f32(len, 4)));
    let bits = |o: Out<f32>| o.to_vec().into_iter().map(f32::to_bits).collect::<Vec<_>>();
    let want = Out::leak_filled(len, 0.0f32);
    matmul(a, b, want, n);
    let out = Out::leak_filled(len, 0.0f32);
    let budget = calibrate("matmul", u64::from(n), || {
        matmul(black_box(a), black_box(b), black_box(out), n);
    });
    out.fill(0.0);
    run_to_completion(Matmul::new(a, b, out, n));
    assert_eq!(bits(out), bits(want));
    out.fill(0.0);
    drive(Matmul::new(a, b, out, n), budget);
    assert_eq!(bits(out), bits(want));
    group(
        c,
        "matmul",
        budget,
        || matmul(black_box(a), black_box(b), black_box(out), black_box(n)),
        || Matmul::new(black_box(a), black_box(b), black_box(out), black_box(n)),
    );
    assert_eq!(bits(out), bits(want));
}

fn main() {
    let mut clocks = Clocks {
        wall: Criterion::default().configure_from_args(),
        cpu: Criterion::default()
            .with_measurement(ThreadCpuTime)
            .configure_from_args(),
        paired: Vec::new(),
    };
    bench_sum_sqrt(&mut clocks);
    bench_dot(&mut clocks);
    bench_mandelbrot(&mut clocks);
    bench_histogram(&mut clocks);
    bench_matmul(&mut clocks);
    clocks.wall.final_summary();
    clocks.cpu.final_summary();
    println!("\npaired (CPU time, {PAIRED_ROUNDS} interleaved rounds):");
    for line in &clocks.paired {
        println!("  {line}");
    }
}
