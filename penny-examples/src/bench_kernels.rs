//! Benchmark kernels for the lowering-overhead benchmark (`benches/lowering.rs`, issue 2).
//!
//! Each is a plain function marked `#[penny::task]`; the benchmark measures the plain
//! function against its lowered task run with budget `u32::MAX` and with ~100 µs chunks.
//! The tests below check that every way of running a kernel gives bit-identical results.

use crate::fractal::escape_time;
use penny::{In, Out};

/// Size of [`sum_sqrt`] in the benchmark.
pub const SUM_SQRT_N: u32 = 10_000_000;
/// Length of the vectors of [`dot`] in the benchmark.
pub const DOT_LEN: usize = 1 << 20;
/// Image of [`mandelbrot_rows`] in the benchmark: width, height, max_iter.
pub const MANDEL: (u32, u32, u32) = (512, 256, 256);
/// Draws of [`rng_histogram`] in the benchmark.
pub const HIST_N: u32 = 10_000_000;
/// Side of the square matrices of [`matmul`] in the benchmark.
pub const MATMUL_N: u32 = 256;

/// Sum of `sqrt(i)` for `i` in `0..n`: a latency-bound float reduction.
#[penny::task]
pub fn sum_sqrt(n: u32) -> f64 {
    let mut acc = 0.0f64;
    for i in 0..n {
        acc += (i as f64).sqrt();
    }
    acc
}

/// Dot product of two equally long `f64` vectors, summed in order.
#[penny::task]
pub fn dot(a: In<f64>, b: In<f64>) -> f64 {
    let mut acc = 0.0f64;
    for i in 0..a.len() {
        acc += a[i] * b[i];
    }
    acc
}

/// Mandelbrot escape counts, one resumable iteration per row of `width` pixels; the pixel
/// loop and the escape loop stay inside the iteration.
#[penny::task]
pub fn mandelbrot_rows(out: Out<u32>, width: u32, height: u32, max_iter: u32) {
    for row in 0..height {
        let cy = row as f64 / height as f64 * 2.0 - 1.0;
        for col in 0..width {
            let cx = col as f64 / width as f64 * 3.5 - 2.5;
            out.set((row * width + col) as usize, escape_time(cx, cy, max_iter));
        }
    }
}

/// Histogram of `n` xorshift32 draws into 256 bins carried across iterations.
#[penny::task(slot = 4096)]
pub fn rng_histogram(n: u32, seed: u32) -> [u32; 256] {
    let mut bins = [0u32; 256];
    let mut state: u32 = seed;
    for _ in 0..n {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bins[(state >> 24) as usize] += 1;
    }
    bins
}

/// `c = a * b` for row-major `n x n` `f32` matrices; one resumable iteration per row of `c`.
#[penny::task]
pub fn matmul(a: In<f32>, b: In<f32>, c: Out<f32>, n: u32) {
    for i in 0..n {
        for j in 0..n {
            let mut s = 0.0f32;
            for k in 0..n {
                s += a[(i * n + k) as usize] * b[(k * n + j) as usize];
            }
            c.set((i * n + j) as usize, s);
        }
    }
}

/// Deterministic `f64` test data in `[-1, 1)`.
pub fn data_f64(len: usize, seed: u64) -> Vec<f64> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

/// Deterministic `f32` test data in `[-1, 1)`.
pub fn data_f32(len: usize, seed: u64) -> Vec<f32> {
    data_f64(len, seed).into_iter().map(|v| v as f32).collect()
}

/// Steps `task` with `budget` until it finishes; returns the output and the number of steps.
pub fn run_chunked<T: penny::Task>(mut task: T, budget: u32) -> (T::Output, u64) {
    let mut steps = 0u64;
    loop {
        steps += 1;
        if let penny::Step::Done(output) = task.step(budget) {
            return (output, steps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use penny::run_to_completion;

    const BUDGETS: [u32; 5] = [1, 3, 64, 1000, u32::MAX];

    #[test]
    fn sum_sqrt_matches() {
        for n in [0, 1, 1000, 100_003] {
            let want = sum_sqrt(n).to_bits();
            assert_eq!(run_to_completion(SumSqrt::new(n)).to_bits(), want);
            for b in BUDGETS {
                assert_eq!(
                    run_chunked(SumSqrt::new(n), b).0.to_bits(),
                    want,
                    "n={n} b={b}"
                );
            }
        }
    }

    #[test]
    fn dot_matches() {
        let a = In::new(Vec::leak(data_f64(100_003, 1)));
        let b = In::new(Vec::leak(data_f64(100_003, 2)));
        let want = dot(a, b).to_bits();
        assert_eq!(run_to_completion(Dot::new(a, b)).to_bits(), want);
        for bud in BUDGETS {
            assert_eq!(
                run_chunked(Dot::new(a, b), bud).0.to_bits(),
                want,
                "b={bud}"
            );
        }
    }

    #[test]
    fn mandelbrot_rows_matches() {
        let (w, h, m) = (64, 32, 64);
        let want = Out::leak_filled((w * h) as usize, 0u32);
        mandelbrot_rows(want, w, h, m);
        let got = Out::leak_filled((w * h) as usize, 0u32);
        run_to_completion(MandelbrotRows::new(got, w, h, m));
        assert_eq!(got.to_vec(), want.to_vec());
        for b in BUDGETS {
            got.fill(0);
            run_chunked(MandelbrotRows::new(got, w, h, m), b);
            assert_eq!(got.to_vec(), want.to_vec(), "b={b}");
        }
    }

    #[test]
    fn rng_histogram_matches() {
        let want = rng_histogram(100_003, 7);
        assert_eq!(want.iter().map(|&c| c as u64).sum::<u64>(), 100_003);
        assert_eq!(run_to_completion(RngHistogram::new(100_003, 7)), want);
        for b in BUDGETS {
            assert_eq!(
                run_chunked(RngHistogram::new(100_003, 7), b).0,
                want,
                "b={b}"
            );
        }
    }

    #[test]
    fn matmul_matches() {
        let n = 33u32;
        let len = (n * n) as usize;
        let a = In::new(Vec::leak(data_f32(len, 3)));
        let b = In::new(Vec::leak(data_f32(len, 4)));
        let want = Out::leak_filled(len, 0.0f32);
        matmul(a, b, want, n);
        let bits = |o: Out<f32>| o.to_vec().into_iter().map(f32::to_bits).collect::<Vec<_>>();
        let got = Out::leak_filled(len, 0.0f32);
        run_to_completion(Matmul::new(a, b, got, n));
        assert_eq!(bits(got), bits(want));
        for bud in BUDGETS {
            got.fill(0.0);
            run_chunked(Matmul::new(a, b, got, n), bud);
            assert_eq!(bits(got), bits(want), "b={bud}");
        }
    }
}
