//! Kernels the native demo runs: a band of Mandelbrot rows, and a short urgent task.

use crate::fractal::escape_time;
use penny::Out;

/// Writes the escape counts of rows `row_start..row_end` of a `width` x `height` view.
#[penny::task]
pub fn mandelbrot_band(
    out: Out<u32>,
    width: u32,
    height: u32,
    row_start: u32,
    row_end: u32,
    max_iter: u32,
) -> u64 {
    let mut escaped = 0u64;
    for px in row_start * width..row_end * width {
        let cx = (px % width) as f64 / width as f64 * 3.5 - 2.5;
        let cy = (px / width) as f64 / height as f64 * 2.0 - 1.0;
        let iter = escape_time(cx, cy, max_iter);
        if iter < max_iter {
            escaped += 1;
        }
        out.set(px as usize, iter);
    }
    escaped
}

/// A small, urgent computation: the checksum a UI would wait for.
#[penny::task]
pub fn checksum(n: u64, seed: u64) -> u64 {
    let mut hash = seed;
    for i in 0..n {
        hash = (hash ^ i).wrapping_mul(0x100_0000_01b3);
    }
    hash
}
