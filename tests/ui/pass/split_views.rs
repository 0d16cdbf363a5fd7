// Split loops, reductions (integer, float tree, array, user combine) and buffer views
// compile in a crate that forbids `unsafe` and denies every warning, and run.
#![forbid(unsafe_code)]
#![deny(warnings, missing_debug_implementations)]

use penny::{Buffer, Pool, Stripes, Tiles, View};

/// Every kind of reduction at once.
#[penny::task]
pub fn reductions(n: u32) -> (u64, f64, [u32; 4], u32) {
    let mut sum = 0u64;
    let mut float = 0.0;
    let mut bins = [0u32; 4];
    let mut last = 0u32;
    #[penny::split(reduce(sum = +, float = +, bins = +, last = (keep_last, 0)))]
    for i in 0..n {
        sum += i as u64;
        float += 1.0 / (i as f64 + 1.0);
        bins[(i % 4) as usize] += 1;
        last = i;
    }
    (sum, float, bins, last)
}

fn keep_last(a: u32, b: u32) -> u32 {
    if b != 0 { b } else { a }
}

/// Views: read, stripes, tiles.
#[penny::task]
pub fn views(src: View<u32>, rows: Stripes<u32>, blocks: Tiles<u32>, width: u32) {
    let w = width as usize;
    #[penny::split]
    for y in 0..src.len() / w {
        for x in 0..w {
            rows[(y, x)] = src[y * w + x] + 1;
        }
    }
    #[penny::split]
    for t in 0..blocks.tile_count() {
        let (r0, c0, h, bw) = blocks.tile_rect(t);
        for r in r0..r0 + h {
            for c in c0..c0 + bw {
                blocks[(r, c)] = t as u32;
            }
        }
    }
}

fn main() {
    let pool = Pool::builder().workers(2).build();
    let (sum, _, bins, last) = pool.spawn(Reductions::new(10_000)).join().unwrap();
    assert_eq!((sum, bins, last), (49_995_000, [2500; 4], 9_999));
    let src = Buffer::from_vec((0..64u32).collect());
    let mut rows = Buffer::zeroed(64);
    let mut blocks = Buffer::zeroed(64);
    let task = Views::new(src.view(), rows.stripes(8), blocks.tiles(8, 4, 4), 8);
    pool.spawn(task).join().unwrap();
    assert_eq!(rows.read()[63], 64);
    assert_eq!(blocks.read()[63], 3);
}
