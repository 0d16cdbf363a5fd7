//! What two threads reach on this machine without any runtime: n-body accelerations, matmul
//! rows and collatz starts, each split statically over `std::thread::scope` threads
//! (interleaved items, so both get the same mix), beside the same loops on one thread. The
//! ceiling for the suite's speed-ups (BENCHMARKS.md, "Parallel loops"): medians of 21
//! interleaved runs.
//!
//! ```text
//! cargo run --release -p penny-examples --example parallel_ceiling -- [threads]
//! ```

use std::hint::black_box;
use std::time::Instant;

use penny_examples::parallel::{bodies, body_accel, collatz_steps, dot, floats, transpose};

/// Collatz steps of every `step`-th start from `first` below `end`: total and longest.
fn collatz(first: u64, end: u64, step: usize) -> (u64, u64) {
    let (mut total, mut longest) = (0u64, 0u64);
    for start in (first..end).step_by(step) {
        let steps = collatz_steps(start);
        total += steps;
        longest = longest.max(steps);
    }
    (total, longest)
}

/// Item `k` of a kernel, as a number to sum (so nothing is optimised away).
type Item<'a> = &'a (dyn Fn(usize) -> f64 + Sync);

/// Median of `v` (ms).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let threads: usize = std::env::args().nth(1).map_or(2, |a| a.parse().unwrap());
    let bs = bodies(2000);
    let n = 256;
    let (a, bt) = (floats(n * n, 1), transpose(&floats(n * n, 2), n));
    // Item k of each kernel, summed so nothing is optimised away.
    let nbody = |i: usize| body_accel(&bs, bs[i]).iter().sum::<f32>() as f64;
    let matmul = |i: usize| {
        let row = &a[i * n..(i + 1) * n];
        (0..n)
            .map(|j| dot(row, &bt[j * n..(j + 1) * n]))
            .sum::<f32>() as f64
    };
    let collatz_item = |k: usize| collatz(1 + k as u64, 300_000, threads).0 as f64;
    let kernels: [(&str, usize, Item); 3] = [
        ("n-body (2,000)", 2000, &nbody),
        ("matmul (256)", n, &matmul),
        ("collatz (300,000)", 0, &collatz_item),
    ];
    for (name, items, item) in kernels {
        // Thread t takes items t, t + threads, ... (collatz: starts 1 + t, 1 + t + threads, ...).
        let part = |t: usize| -> f64 {
            if items == 0 {
                item(t)
            } else {
                (t..items).step_by(threads).map(item).sum()
            }
        };
        let (mut one, mut many) = (Vec::new(), Vec::new());
        for _ in 0..21 {
            let t = Instant::now();
            black_box((0..threads).map(part).sum::<f64>());
            one.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            std::thread::scope(|s| {
                let hs: Vec<_> = (1..threads).map(|t| s.spawn(move || part(t))).collect();
                black_box(part(0) + hs.into_iter().map(|h| h.join().unwrap()).sum::<f64>());
            });
            many.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (one, many) = (median(one), median(many));
        println!(
            "{name:<18} 1 thread {one:7.2} ms  {threads} threads {many:7.2} ms  speed-up {:.2}",
            one / many
        );
    }
}
