//! Urgent-task latency while one split loop saturates the pool: a `Background` task whose
//! `#[penny::split]` loop has spread over every worker, and 1,000 `UserBlocking` tiny tasks
//! spawned one at a time at random gaps of 0–2 ms, each timed from spawn to join.
//!
//! ```text
//! cargo run --release -p penny-examples --example split_latency [-- workers]
//! ```

use std::time::{Duration, Instant};

use penny::{Pool, Priority};
use penny_examples::parallel::Collatz;

/// A tiny task: a few iterations.
#[penny::task]
fn tiny(seed: u64) -> u64 {
    let mut x = seed;
    for _ in 0..16 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
    x
}

fn main() {
    let workers: usize = std::env::args().nth(1).map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |a| a.parse().unwrap(),
    );
    let pool = Pool::builder().workers(workers).build();
    // Collatz over 1..2^40: far longer than the measurement; its halves fill every worker.
    let background = pool
        .task(Collatz::new(1 << 40))
        .priority(Priority::Background)
        .spawn();
    std::thread::sleep(Duration::from_millis(300));
    let before = background.progress().done;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut us: Vec<f64> = (0..1000u64)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            std::thread::sleep(Duration::from_micros(state % 2000));
            let t = Instant::now();
            let h = pool
                .task(Tiny::new(i))
                .priority(Priority::UserBlocking)
                .spawn();
            assert_eq!(h.join().unwrap(), tiny(i));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let advanced = background.progress().done - before;
    background.cancel();
    assert!(background.join().is_err(), "cancelled");
    us.sort_by(f64::total_cmp);
    let q = |p: f64| us[((us.len() - 1) as f64 * p) as usize];
    println!(
        "{workers} workers, one split loop in the background ({advanced} iterations meanwhile): \
         urgent spawn→join p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        q(0.5),
        q(0.99),
        us[us.len() - 1]
    );
}
