//! Kernels of the JS benchmark harness (`penny-examples/bench-web/`, `cargo xtask bench web`).
//!
//! Each takes arguments that select one part of a fixed total, so "K independent tasks"
//! split exactly the work one call over the whole range does, and the parts' outputs combine
//! (in part order) into the same value natively, in every wasm pool and in the plain
//! single-thread copies of `comparisons/rayon-web` (the harness checks that they agree).
//! `part_range` is the one split rule every side uses.

use crate::fractal::escape_time;

// The totals every side splits (`bench-web/bench.mjs` has the same numbers; the report
// compares each side's result with the native one, so a drift shows as a mismatch). Each is
// about 0.1–0.2 s of single-thread work.
/// `sum_sqrt_range` over `0..SUM_SQRT_TOTAL`.
pub const SUM_SQRT_TOTAL: u32 = 1 << 26;
/// Draws of `rng_histogram_part`, over all parts; and the run's seed.
pub const HISTOGRAM_TOTAL: u32 = 1 << 26;
pub const HISTOGRAM_SEED: u32 = 0x5EED;
/// The view `mandelbrot_rows_sum` covers: width, height (rows, split between the parts),
/// max_iter.
pub const MANDELBROT: (u32, u32, u32) = (1024, 768, 256);

/// The `k`-th of `parts` equal shares of `0..total` (the last ones a unit longer when it
/// doesn't divide): the split rule the harness, the native bench and the rayon comparison
/// share.
pub fn part_range(total: u32, parts: u32, k: u32) -> (u32, u32) {
    let at = |k: u32| (total as u64 * k as u64 / parts as u64) as u32;
    (at(k), at(k + 1))
}

/// Sum of `sqrt(i)` for `i` in `start..end`: a latency-bound float loop (one `f64.sqrt` and
/// one dependent add per iteration), the same work per iteration everywhere.
#[penny::task(js)]
pub fn sum_sqrt_range(start: u32, end: u32) -> f64 {
    let mut acc = 0.0f64;
    for i in start..end {
        acc += (i as f64).sqrt();
    }
    acc
}

/// Histogram of `n` xorshift32 draws into 256 bins; part `part` of a run seeded with `seed`
/// draws its own stream (so parts are independent and the total is fixed by the split).
/// The bins come back as a 256-element array (a JS array of numbers); the slot holds the
/// state with its 1 KiB of bins.
#[penny::task(js, slot = 4096)]
pub fn rng_histogram_part(seed: u32, part: u32, n: u32) -> [u32; 256] {
    let mut bins = [0u32; 256];
    // Never 0 (xorshift's fixed point): the low bit is set.
    let mut state: u32 = (seed ^ part.wrapping_mul(0x9E37_79B9)) | 1;
    for _ in 0..n {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bins[(state >> 24) as usize] += 1;
    }
    bins
}

/// Sum of the Mandelbrot escape counts of rows `row0..row1` of a `width` x `height` view,
/// `max_iter` at most per pixel: one resumable iteration per row. Rows near the set cost up
/// to `max_iter` per pixel and rows near the edge a few, so equal row ranges are unequal work
/// (what work stealing is for).
#[penny::task(js)]
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

/// `x + 1` after one loop iteration: the smallest task there is, for the spawn→result round
/// trip and the urgent-task latency.
#[penny::task(js)]
pub fn tiny(x: u32) -> u32 {
    let mut y = x;
    for _ in 0..1u32 {
        y = y.wrapping_add(1);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_kernels::run_chunked;
    use penny::run_to_completion;

    #[test]
    fn parts_cover_the_total_exactly() {
        for (total, parts) in [
            (10u32, 3u32),
            (1 << 20, 64),
            (7, 7),
            (5, 8),
            (u32::MAX, 1024),
        ] {
            let mut next = 0;
            for k in 0..parts {
                let (a, b) = part_range(total, parts, k);
                assert_eq!(a, next);
                assert!(b >= a);
                next = b;
            }
            assert_eq!(next, total);
        }
    }

    #[test]
    fn tasks_match_their_plain_functions() {
        for budget in [1, 7, 1000, u32::MAX] {
            let want = sum_sqrt_range(1000, 50_000).to_bits();
            let got = run_chunked(SumSqrtRange::new(1000, 50_000), budget).0;
            assert_eq!(got.to_bits(), want);
            let want = rng_histogram_part(42, 3, 30_000);
            assert_eq!(
                run_chunked(RngHistogramPart::new(42, 3, 30_000), budget).0,
                want
            );
            let want = mandelbrot_rows_sum(64, 48, 10, 30, 100);
            let got = run_chunked(MandelbrotRowsSum::new(64, 48, 10, 30, 100), budget).0;
            assert_eq!(got, want);
        }
        assert_eq!(run_to_completion(Tiny::new(41)), 42);
        assert_eq!(rng_histogram_part(1, 0, 1000).iter().sum::<u32>(), 1000);
    }
}
