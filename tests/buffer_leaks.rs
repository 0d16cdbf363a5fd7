//! A million spawns, each with a fresh buffer that a task reads and another writes, keep
//! memory flat: buffers are freed when their owner and the tasks holding views are done.
//! (Its own test binary: the counting allocator sees this test alone.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

use penny::{Buffer, Pool, Stripes, View};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator, counting bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: the caller's guarantees are the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

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
    let before = LIVE.load(Relaxed);
    let n = if cfg!(debug_assertions) {
        300_000
    } else {
        1_000_000
    };
    round(n);
    while pool.free_slots() != pool.slots() {
        std::thread::yield_now();
    }
    let grown = LIVE.load(Relaxed) - before;
    assert!(
        grown < 1 << 20,
        "{n} spawns grew live memory by {grown} bytes"
    );
}
