//! Items loops against index loops, chunked: `for &x in xs.iter()` and `for i in 0..xs.len()`
//! over the same `In<f32>`, each task stepped in chunks of 100,000 iterations, against the
//! plain loop; minimum of 40 interleaved samples.
//!
//! ```text
//! cargo run --release -p penny-examples --example items_probe
//! ```

use penny::{In, Step, Task};
use std::hint::black_box;
use std::time::Instant;

#[penny::task]
fn dot_items(a: In<f32>, b: In<f32>) -> f32 {
    let mut acc = 0.0f32;
    for (x, y) in a.iter().zip(b.iter()) {
        acc += x * y;
    }
    acc
}

#[penny::task]
fn dot_index(a: In<f32>, b: In<f32>) -> f32 {
    let mut acc = 0.0f32;
    for i in 0..a.len().min(b.len()) {
        acc += a[i] * b[i];
    }
    acc
}

#[penny::task]
fn count_items(xs: In<u32>) -> u64 {
    let mut n = 0u64;
    for &x in xs.iter() {
        if x % 3 == 1 {
            n += x as u64;
        }
    }
    n
}

#[penny::task]
fn count_index(xs: In<u32>) -> u64 {
    let mut n = 0u64;
    for i in 0..xs.len() {
        if xs[i] % 3 == 1 {
            n += xs[i] as u64;
        }
    }
    n
}

fn chunked<T: Task>(mut t: T) -> T::Output {
    loop {
        if let Step::Done(v) = t.step(black_box(100_000)) {
            return v;
        }
    }
}

fn main() {
    let n = 1 << 22;
    let a = In::new(Vec::leak((0..n).map(|i| (i % 97) as f32 * 0.01).collect()));
    let b = In::new(Vec::leak((0..n).map(|i| (i % 89) as f32 * 0.02).collect()));
    let u = In::new(Vec::leak(
        (0..n as u32).map(|i| i.wrapping_mul(2654435761)).collect(),
    ));
    // the two forms of each kernel agree as plain functions too
    assert_eq!(dot_items(a, b).to_bits(), dot_index(a, b).to_bits());
    assert_eq!(count_items(u), count_index(u));
    let mut best = [f64::MAX; 6];
    for _ in 0..40 {
        let runs: [&dyn Fn() -> u64; 6] = [
            &|| dot_items(black_box(a), black_box(b)).to_bits() as u64,
            &|| chunked(DotItems::new(black_box(a), black_box(b))).to_bits() as u64,
            &|| chunked(DotIndex::new(black_box(a), black_box(b))).to_bits() as u64,
            &|| count_items(black_box(u)),
            &|| chunked(CountItems::new(black_box(u))),
            &|| chunked(CountIndex::new(black_box(u))),
        ];
        let mut out = [0u64; 6];
        for (k, run) in runs.iter().enumerate() {
            let t = Instant::now();
            out[k] = black_box(run());
            best[k] = best[k].min(t.elapsed().as_secs_f64() * 1e3);
        }
        assert_eq!(out[0], out[1]);
        assert_eq!(out[0], out[2]);
        assert_eq!(out[3], out[4]);
        assert_eq!(out[3], out[5]);
    }
    println!(
        "dot:   plain {:.3} ms, items chunked {:.3} ms, index chunked {:.3} ms",
        best[0], best[1], best[2]
    );
    println!(
        "count: plain {:.3} ms, items chunked {:.3} ms, index chunked {:.3} ms",
        best[3], best[4], best[5]
    );
}
