//! Kernels written the way a Rust newcomer writes them: the loop shapes the compiler issue
//! measured outside the five benchmark kernels, plus three more everyday shapes (an
//! inclusive range, a strided inclusive `f64` loop, trial division with an inner `while`).
//!
//! Each keeps its plain function: the reference for the tests below (budgets 1 to 4096 and
//! `u32::MAX`) and for the suite benchmark, `benches/suite.rs`, which checks every timed run
//! against it bit for bit. Sizes: the `*_N` constants make one plain run take
//! 15–120 ms on the 2-core benchmark machine (BENCHMARKS.md, "P1 over the whole suite").
//!
//! Carried variables start from untyped literals where rustc accepts them; the macro infers
//! their types as rustc does.

/// Size of [`rev_step_madd`]: the range `0..n` (n / 3 iterations).
pub const REV_STEP_N: i64 = 150_000_000;
/// Draws of [`lcg_histogram`].
pub const LCG_HIST_N: u32 = 30_000_000;
/// Points of [`xorshift_pi`].
pub const XORSHIFT_PI_N: u32 = 10_000_000;
/// Length of [`generated_dot`]'s sequences.
pub const GEN_DOT_N: u32 = 20_000_000;
/// Side of [`grid_sum`]'s square grid.
pub const GRID_SIDE: u32 = 8_000;
/// Upper end of [`popcount_sum`]'s inclusive range.
pub const POPCOUNT_N: u64 = 60_000_000;
/// Upper end of [`odd_harmonic`]'s inclusive range.
pub const ODD_HARMONIC_N: u32 = 60_000_000;
/// Bound of [`count_primes`].
pub const PRIMES_N: u32 = 300_000;

/// A wrapping multiply-add over every third number of `0..n`, counting down, on `i64`.
#[penny::task]
pub fn rev_step_madd(n: i64) -> i64 {
    let mut acc = 0i64; // a suffix rustc itself needs: `wrapping_mul` on an untyped literal is E0689
    for i in (0..n).rev().step_by(3) {
        acc = acc.wrapping_mul(6364136223846793005).wrapping_add(i);
    }
    acc
}

/// An LCG filling a 16-bin histogram kept in a local array, then a 16-iteration loop that
/// folds the bins.
#[allow(clippy::needless_range_loop)] // a resumable loop runs over an index range
#[penny::task]
pub fn lcg_histogram(n: u32, seed: u32) -> u32 {
    let mut bins = [0; 16];
    let mut x = seed;
    for _ in 0..n {
        x = x.wrapping_mul(1664525).wrapping_add(1013904223);
        bins[(x >> 28) as usize] += 1;
    }
    let mut fold = 0u32; // a suffix rustc itself needs for `rotate_left`
    for b in 0..16 {
        fold = fold.rotate_left(5) ^ bins[b];
    }
    fold
}

/// The next number of a xorshift128 generator.
fn xorshift128(s: &mut [u32; 4]) -> u32 {
    let t = s[0] ^ (s[0] << 11);
    s[0] = s[1];
    s[1] = s[2];
    s[2] = s[3];
    s[3] = s[3] ^ (s[3] >> 19) ^ t ^ (t >> 8);
    s[3]
}

/// Monte Carlo pi: points from a xorshift128 over a `[u32; 4]` state, counting those in the
/// quarter circle.
#[penny::task]
pub fn xorshift_pi(n: u32, seed: u32) -> u32 {
    let mut s = [seed | 1, 362436069, 521288629, 88675123];
    let mut hits = 0;
    for _ in 0..n {
        let x = xorshift128(&mut s) as f64 / u32::MAX as f64;
        let y = xorshift128(&mut s) as f64 / u32::MAX as f64;
        if x * x + y * y <= 1.0 {
            hits += 1;
        }
    }
    hits
}

/// Dot product of two sequences generated from the index.
#[penny::task]
pub fn generated_dot(n: u32) -> f64 {
    let mut sum = 0.0;
    for i in 0..n {
        let a = (i % 1000) as f64 * 0.001;
        let b = (i.wrapping_mul(7) % 1000) as f64 * 0.002;
        sum += a * b;
    }
    sum
}

/// Sum over a `side x side` grid, row by row.
#[penny::task]
pub fn grid_sum(side: u32) -> u64 {
    let mut sum = 0;
    for y in 0..side {
        for x in 0..side {
            sum += (x ^ y) as u64;
        }
    }
    sum
}

/// Total of the set bits of every number in `1..=n`.
#[penny::task]
pub fn popcount_sum(n: u64) -> u64 {
    let mut total = 0;
    for i in 1..=n {
        total += i.count_ones() as u64;
    }
    total
}

/// Sum of `1 / i` over the odd `i` in `1..=n`.
#[penny::task]
pub fn odd_harmonic(n: u32) -> f64 {
    let mut sum = 0.0;
    for i in (1..=n).step_by(2) {
        sum += 1.0 / i as f64;
    }
    sum
}

/// Primes below `n` by trial division, with a `while` loop inside each iteration.
#[penny::task]
pub fn count_primes(n: u32) -> u32 {
    let mut count = 0;
    for i in 2..n {
        let mut d = 2;
        let mut prime = true;
        while d * d <= i {
            if i % d == 0 {
                prime = false;
                break;
            }
            d += 1;
        }
        if prime {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_kernels::run_chunked;
    use crate::kernels::BitEq;
    use penny::{run_to_completion, Task};
    use std::fmt::Debug;

    fn check<T: Task>(make: impl Fn() -> T, want: T::Output)
    where
        T::Output: BitEq + Debug,
    {
        let got = run_to_completion(make());
        assert!(got.bit_eq(&want), "u32::MAX: {got:?} != {want:?}");
        for budget in [1, 2, 3, 7, 64, 4096] {
            let (got, _) = run_chunked(make(), budget);
            assert!(got.bit_eq(&want), "budget {budget}: {got:?} != {want:?}");
        }
    }

    #[test]
    fn newcomer_kernels_match_their_plain_functions() {
        for n in [0i64, 1, 2, 3, 4, 1000, 1001, 1002] {
            check(|| RevStepMadd::new(n), rev_step_madd(n));
        }
        check(|| LcgHistogram::new(10_007, 3), lcg_histogram(10_007, 3));
        check(|| XorshiftPi::new(10_007, 5), xorshift_pi(10_007, 5));
        check(|| GeneratedDot::new(10_007), generated_dot(10_007));
        check(|| GridSum::new(101), grid_sum(101));
        for n in [0u64, 1, 2, 10_007] {
            check(|| PopcountSum::new(n), popcount_sum(n));
        }
        for n in [0u32, 1, 2, 3, 10_007] {
            check(|| OddHarmonic::new(n), odd_harmonic(n));
        }
        check(|| CountPrimes::new(2_000), count_primes(2_000));
        assert_eq!(count_primes(100), 25);
    }
}
