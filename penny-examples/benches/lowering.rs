//! Lowering overhead (issue 2): each benchmark kernel as its plain function, as its lowered
//! task run with budget `u32::MAX`, and as its lowered task stepped in ~100 µs chunks.
//!
//! `cargo bench -p penny-examples --bench lowering`; medians land in
//! `target/criterion/<kernel>/{plain,task_max,task_chunked}/new/estimates.json`.
//!
//! The chunk budget is calibrated once per kernel at start-up from the plain function's
//! per-iteration time (iterations of the kernel's outermost resumable loop), and printed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use penny::{run_to_completion, In, Out, Task};
use penny_examples::bench_kernels::*;

/// Wall time one chunk should take.
const TARGET_CHUNK: Duration = Duration::from_micros(100);

/// Fastest of a few runs of `f`.
fn min_time(mut f: impl FnMut()) -> Duration {
    f();
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

/// Budget (iterations) that makes one chunk take about [`TARGET_CHUNK`], from the plain
/// function's time for `iters` iterations.
fn calibrate(name: &str, iters: u64, plain: impl FnMut()) -> u32 {
    let total = min_time(plain);
    let per_iter = total.as_secs_f64() / iters as f64;
    let budget = (TARGET_CHUNK.as_secs_f64() / per_iter).round().clamp(1.0, u32::MAX as f64);
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

/// Steps `task` with `budget` until it finishes.
#[inline(never)]
fn drive<T: Task>(mut task: T, budget: u32) -> T::Output {
    loop {
        if let penny::Step::Done(output) = task.step(budget) {
            return output;
        }
    }
}

/// The three variants of one kernel, side by side in one group.
fn group<O, T: Task<Output = O>>(
    c: &mut Criterion,
    name: &str,
    budget: u32,
    plain: impl Fn() -> O,
    task: impl Fn() -> T,
) {
    let mut g = c.benchmark_group(name);
    g.bench_function("plain", |bch| bch.iter(|| black_box(plain())));
    g.bench_function("task_max", |bch| bch.iter(|| black_box(run_to_completion(task()))));
    g.bench_function("task_chunked", |bch| {
        bch.iter(|| black_box(drive(task(), black_box(budget))))
    });
    g.finish();
}

fn bench_sum_sqrt(c: &mut Criterion) {
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

fn bench_dot(c: &mut Criterion) {
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

fn bench_mandelbrot(c: &mut Criterion) {
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

fn bench_histogram(c: &mut Criterion) {
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

fn bench_matmul(c: &mut Criterion) {
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

criterion_group!(
    benches,
    bench_sum_sqrt,
    bench_dot,
    bench_mandelbrot,
    bench_histogram,
    bench_matmul
);
criterion_main!(benches);
