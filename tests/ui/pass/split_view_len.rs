// A carried variable computed from a view's `len()` (`let rows = src.len() / c;`) in a
// kernel that indexes views in two dimensions (`src[(r, k)]`): its type is inferred (the
// 2-D index had stopped the inference, and the kernel asked for an annotation).
#![forbid(unsafe_code)]
#![deny(warnings)]

use penny::{Buffer, Pool, Stripes, View};

#[penny::task]
pub fn mirror_rows(src: View<u32>, dst: Stripes<u32>, cols: u32) -> u64 {
    let c = cols as usize;
    let rows = src.len() / c;
    let mut s = 0u64;
    #[penny::split(reduce(s = +))]
    for r in 0..rows {
        for k in 0..c {
            dst[(r, k)] = src[(r, c - 1 - k)];
            s += u64::from(src[(r, k)]);
        }
    }
    s
}

fn main() {
    let (rows, cols) = (300usize, 7usize);
    let data: Vec<u32> = (0..(rows * cols) as u32).map(|i| i.wrapping_mul(2_654_435_761)).collect();
    let src = Buffer::from_vec(data.clone());
    let mut dst = Buffer::zeroed(rows * cols);
    let pool = Pool::builder().workers(2).build();
    let sum = pool
        .spawn(MirrorRows::new(src.view_2d(cols), dst.stripes(cols), cols as u32))
        .join()
        .unwrap();
    assert_eq!(sum, data.iter().map(|&x| u64::from(x)).sum::<u64>());
    let out = dst.read();
    for r in 0..rows {
        for k in 0..cols {
            assert_eq!(out[r * cols + k], data[r * cols + cols - 1 - k]);
        }
    }
}
