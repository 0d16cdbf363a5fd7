//! A million spawns, each with a fresh buffer that a task reads and another writes, keep
//! memory flat: buffers are freed when their owner and the tasks holding views are done.
//! (Its own test binary: the counting allocator sees this test alone.)

#[path = "../penny-runtime/tests/counting/mod.rs"]
mod counting;

use penny::{Buffer, Pool, Stripes, View};

#[penny::task]
fn double(src: View<u32>, out: Stripes<u32>) {
    #[penny::split]
    for i in 0..src.len() {
        out[i] = src[i] * 2;
    }
}

#[test]
fn a_million_spawns_with_fresh_buffers_keep_memory_flat() {
    let pool = Pool::builder().workers(2).build();
    let round = |n: usize| {
        for k in 0..n {
            let src = Buffer::from_vec(vec![k as u32; 16]);
            let mut out = Buffer::zeroed(16);
            let h = pool.spawn(Double::new(src.view(), out.stripes(1)));
            // Owners dropped while the task may still run: the task keeps them alive.
            drop(src);
            if k % 64 == 0 {
                h.join().unwrap();
                assert_eq!(out.read()[3], 2 * k as u32);
            } else {
                drop(h);
            }
        }
    };
    round(20_000);
    while pool.free_slots() != pool.slots() {
        std::thread::yield_now();
    }
    let before = counting::live();
    let n = if cfg!(debug_assertions) {
        300_000
    } else {
        1_000_000
    };
    round(n);
    while pool.free_slots() != pool.slots() {
        std::thread::yield_now();
    }
    let grown = counting::live() - before;
    assert!(
        grown < 1 << 20,
        "{n} spawns grew live memory by {grown} bytes"
    );
}
