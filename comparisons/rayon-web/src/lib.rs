//! The JS benchmark's wasm-bindgen-rayon comparison: the kernels of
//! `penny-examples/src/web_bench_kernels.rs`, copied as plain functions (this crate must not
//! depend on penny: its `#[wasm_bindgen]` exports would come along), run over the same
//! parts either one after another on the calling thread (`*_seq`: the plain single-thread
//! wasm baseline) or as a rayon `par_iter` over the parts (`*_par`). Each returns the same
//! check string as the penny side, which the harness compares.
//!
//! `initThreadPool(n)` (re-exported from wasm-bindgen-rayon) starts the n rayon threads.
//! The `*_par` functions block their caller until the parts are done, so the page calls them
//! from a dedicated Worker (the main thread may not wait).

use rayon::prelude::*;
use wasm_bindgen::prelude::*;
pub use wasm_bindgen_rayon::init_thread_pool;

// The parallel suite (`Suite`): penny-examples' per-element functions and rayon versions,
// compiled here from their files, so both sides run the same source.
#[path = "../../../penny-examples/src/parallel/plain.rs"]
pub mod parallel;
#[path = "../../../penny-examples/src/parallel_rayon.rs"]
pub mod parallel_rayon;
mod suite;
pub use suite::Suite;

/// The `k`-th of `parts` equal shares of `0..total` (penny-examples' `part_range`).
fn part_range(total: u32, parts: u32, k: u32) -> (u32, u32) {
    let at = |k: u32| (total as u64 * k as u64 / parts as u64) as u32;
    (at(k), at(k + 1))
}

/// Sum of `sqrt(i)` for `i` in `start..end`.
pub fn sum_sqrt_range(start: u32, end: u32) -> f64 {
    let mut acc = 0.0f64;
    for i in start..end {
        acc += (i as f64).sqrt();
    }
    acc
}

/// Histogram of `n` xorshift32 draws, part `part` of a run seeded with `seed`.
pub fn rng_histogram_part(seed: u32, part: u32, n: u32) -> [u32; 256] {
    let mut bins = [0u32; 256];
    let mut state: u32 = (seed ^ part.wrapping_mul(0x9E37_79B9)) | 1;
    for _ in 0..n {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bins[(state >> 24) as usize] += 1;
    }
    bins
}

/// Iterations until `z = z^2 + c` leaves the radius-2 disc (penny-examples' `fractal`).
#[inline]
fn escape_time(cx: f64, cy: f64, max_iter: u32) -> u32 {
    let (mut x, mut y, mut iter) = (0.0f64, 0.0f64, 0u32);
    while x * x + y * y <= 4.0 && iter < max_iter {
        let xt = x * x - y * y + cx;
        y = 2.0 * x * y + cy;
        x = xt;
        iter += 1;
    }
    iter
}

/// Sum of the escape counts of rows `row0..row1` of a `width` x `height` view.
pub fn mandelbrot_rows_sum(width: u32, height: u32, row0: u32, row1: u32, max_iter: u32) -> u64 {
    let mut total = 0u64;
    for row in row0..row1 {
        let cy = row as f64 / height as f64 * 2.0 - 1.0;
        for col in 0..width {
            let cx = col as f64 / width as f64 * 3.5 - 2.5;
            total += escape_time(cx, cy, max_iter) as u64;
        }
    }
    total
}

/// The histogram's check string (the harness prints the same).
fn hist_check(parts: impl Iterator<Item = [u32; 256]>) -> String {
    let mut bins = [0u64; 256];
    for part in parts {
        for (b, c) in bins.iter_mut().zip(part) {
            *b += c as u64;
        }
    }
    let weighted: u64 = bins
        .iter()
        .enumerate()
        .map(|(i, &c)| (i as u64 + 1) * c)
        .sum();
    format!("{weighted}/{}/{}", bins[0], bins[255])
}

/// Sum of sqrt over `0..total` in `parts` parts; `par`: a rayon `par_iter` over the parts.
/// The parts' sums are added in part order either way (the same value as penny's).
#[wasm_bindgen]
pub fn sum_sqrt(total: u32, parts: u32, par: bool) -> String {
    let part = |k| {
        let (a, b) = part_range(total, parts, k);
        sum_sqrt_range(a, b)
    };
    let sums: Vec<f64> = if par {
        (0..parts).into_par_iter().map(part).collect()
    } else {
        (0..parts).map(part).collect()
    };
    format!("{}", sums.into_iter().sum::<f64>())
}

/// `total` histogram draws in `parts` parts.
#[wasm_bindgen]
pub fn rng_histogram(seed: u32, total: u32, parts: u32, par: bool) -> String {
    let part = |k| {
        let (a, b) = part_range(total, parts, k);
        rng_histogram_part(seed, k, b - a)
    };
    if par {
        let all: Vec<[u32; 256]> = (0..parts).into_par_iter().map(part).collect();
        hist_check(all.into_iter())
    } else {
        hist_check((0..parts).map(part))
    }
}

/// A `width` x `height` view's escape counts, its rows in `parts` parts.
#[wasm_bindgen]
pub fn mandelbrot(width: u32, height: u32, max_iter: u32, parts: u32, par: bool) -> String {
    let part = |k| {
        let (a, b) = part_range(height, parts, k);
        mandelbrot_rows_sum(width, height, a, b, max_iter)
    };
    let sum: u64 = if par {
        (0..parts).into_par_iter().map(part).sum()
    } else {
        (0..parts).map(part).sum()
    };
    sum.to_string()
}
