#![cfg(not(loom))]
//! Memory stays flat under a million spawns: a counting global allocator measures the bytes
//! live after a warm-up and after the last spawn.
//! (A million spawns take about 5 s unoptimised on 2 cores.)

mod common;
mod counting;

use common::*;
use penny_runtime::{Pool, TaskHandle};
use std::collections::VecDeque;

#[test]
fn a_million_spawns_keep_memory_flat() {
    let total: u64 = 1_000_000;
    let pool = Pool::builder().workers(2).slots(256).build();
    let mut window: VecDeque<(u64, TaskHandle<u64>)> = VecDeque::new();
    let mut baseline = None;
    let mut peak_after_warmup = 0isize;
    for i in 0..total {
        let n = i % 64;
        window.push_back((n, pool.spawn(SumRange::new(0, n))));
        if window.len() > 1000 {
            let (n, h) = window.pop_front().unwrap();
            assert_eq!(h.join(), Ok(SumRange::reference(0, n)));
        }
        // Every tenth task is detached (handle dropped right away).
        if i % 10 == 0 {
            drop(pool.spawn(SumRange::new(0, 3)));
        }
        if i == total / 10 {
            baseline = Some(counting::live());
        }
        if i > total / 10 {
            peak_after_warmup = peak_after_warmup.max(counting::live());
        }
    }
    for (n, h) in window {
        assert_eq!(h.join(), Ok(SumRange::reference(0, n)));
    }
    let baseline = baseline.unwrap();
    let growth = peak_after_warmup - baseline;
    // A handle's completion cell is ~100 bytes; 1,000 live handles plus detached tasks in
    // flight are well under 1 MiB. Leaking one cell per spawn would be ~100 MB.
    assert!(
        growth < 1 << 20,
        "live heap grew by {growth} bytes after warm-up (baseline {baseline})"
    );
}
