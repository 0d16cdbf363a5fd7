//! The parallel suite written the way a rayon user writes it (`par_iter`,
//! `par_chunks_mut`), over plain slices: the comparison for `parallel`'s Penny kernels.

use rayon::prelude::*;

use crate::parallel::{blur_row, body_accel, collatz_steps, mandel_row, matmul_row, rng};

/// Rows in parallel, one `&mut [u32]` row each.
pub fn mandelbrot(out: &mut [u32], width: u32, height: u32, max_iter: u32) {
    out.par_chunks_mut(width as usize)
        .enumerate()
        .for_each(|(row, line)| mandel_row(line, row as u32, width, height, max_iter));
}

/// One body's acceleration per item.
pub fn nbody_accel(bodies: &[[f32; 4]], accel: &mut [f32]) {
    accel
        .par_chunks_mut(3)
        .enumerate()
        .for_each(|(i, out)| out.copy_from_slice(&body_accel(bodies, bodies[i])));
}

/// Rows of `c` in parallel.
pub fn matmul(a: &[f32], bt: &[f32], c: &mut [f32], n: usize) {
    c.par_chunks_mut(n)
        .enumerate()
        .for_each(|(i, out)| matmul_row(a, bt, n, i, out));
}

/// A fold of per-thread histograms, reduced elementwise.
pub fn histogram(n: u64) -> [u32; 16] {
    (0..n)
        .into_par_iter()
        .fold(
            || [0u32; 16],
            |mut bins, i| {
                bins[(rng(i) >> 60) as usize] += 1;
                bins
            },
        )
        .reduce(
            || [0u32; 16],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        )
}

/// The same two-pass scan: block sums in parallel, their scan, blocks in parallel. Sums
/// in `O` (`u64` natively; the browser comparison scans into `u32`).
pub fn prefix_sum<O>(xs: &[u32], out: &mut [O], blocks: usize)
where
    O: Copy + Send + Sync + From<u32> + core::ops::Add<Output = O> + core::iter::Sum,
{
    let size = xs.len().div_ceil(blocks).max(1);
    let sums: Vec<O> = xs
        .par_chunks(size)
        .map(|c| c.iter().map(|&x| O::from(x)).sum())
        .collect();
    let mut offsets = Vec::with_capacity(sums.len());
    let mut running = O::from(0);
    for s in sums {
        offsets.push(running);
        running = running + s;
    }
    out.par_chunks_mut(size)
        .zip(xs.par_chunks(size))
        .zip(offsets.par_iter())
        .for_each(|((out, xs), &start)| {
            let mut acc = start;
            for (o, &x) in out.iter_mut().zip(xs) {
                acc = acc + O::from(x);
                *o = acc;
            }
        });
}

/// Rows of the blurred image in parallel.
pub fn blur(src: &[f32], dst: &mut [f32], width: usize) {
    dst.par_chunks_mut(width)
        .enumerate()
        .for_each(|(y, out)| blur_row(src, width, y, out));
}

/// Steps per start in parallel, summed and maxed.
pub fn collatz(n: u64) -> (u64, u64) {
    (1..n)
        .into_par_iter()
        .map(|start| {
            let steps = collatz_steps(start);
            (steps, steps)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1.max(b.1)))
}

/// `par_iter().map().sum()`.
pub fn sum_squares(xs: &[f32]) -> f32 {
    xs.par_iter().map(|x| x * x).sum()
}
