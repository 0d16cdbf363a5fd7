//! Reductions: one resumable loop folding into an accumulator.

use penny::In;

/// Sum of squares with wrapping arithmetic.
#[penny::task]
pub fn sum_squares(n: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total = total.wrapping_add((i as u64) * (i as u64));
    }
    total
}

/// Sum of square roots, an `f64` accumulator whose rounding depends on the order of adds:
/// the benchmark kernel itself, so the suite checks exactly the code the benchmark times.
pub use crate::bench_kernels::{sum_sqrt, SumSqrt};

/// An `f32` accumulator (rounding errors accumulate quickly in single precision).
#[penny::task]
pub fn harmonic_f32(n: u32, scale: f32) -> f32 {
    let mut acc = 0.0f32;
    for i in 1..=n {
        acc += scale / i as f32;
        acc *= 0.999_9f32;
    }
    acc
}

/// Product with wrapping multiplication over an LCG stream.
#[penny::task]
pub fn wrapping_product(n: u32, seed: u64) -> u64 {
    let mut product = 1u64;
    let mut state = seed;
    for _ in 0..n {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        product = product.wrapping_mul(state | 1);
    }
    product
}

/// Minimum and maximum of a xorshift stream, carried as separate variables and returned as a
/// tuple.
#[penny::task]
pub fn min_max(n: u32, seed: u32) -> (u32, u32) {
    let mut lo: u32 = u32::MAX;
    let mut hi: u32 = 0;
    let mut state = seed | 1;
    for _ in 0..n {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        lo = lo.min(state);
        hi = hi.max(state);
    }
    (lo, hi)
}

/// Dot product of two read-only input buffers.
#[penny::task]
pub fn dot(a: In<f64>, b: In<f64>) -> f64 {
    let mut acc = 0.0f64;
    for i in 0..a.len().min(b.len()) {
        acc += a[i] * b[i];
    }
    acc
}

/// Signed sum over `i64` input, with the running minimum of the prefix sums.
#[penny::task]
pub fn prefix_min(values: In<i64>) -> (i64, i64) {
    let mut sum = 0i64;
    let mut lowest = 0i64;
    for i in 0..values.len() {
        sum = sum.wrapping_add(values[i]);
        lowest = lowest.min(sum);
    }
    (sum, lowest)
}
