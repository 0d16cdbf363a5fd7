//! The parallel kernel suite: each kernel is one task whose main loop is a
//! `#[penny::split]` loop, so one task uses every idle worker. Each has its sequential
//! reference (its plain function, or `penny::reference::tree_fold` for float reductions) and,
//! natively, a rayon version written the way a rayon user would (`parallel_rayon`).
//!
//! Inputs are `In` buffers, outputs `Out` buffers (one relaxed atomic store per element).

use penny::{In, Out};

mod plain;
pub use plain::*;

// ---- mandelbrot ---------------------------------------------------------------------------

/// The Mandelbrot set, one row per iteration of the split loop.
#[penny::task]
pub fn mandelbrot(out: Out<u32>, width: u32, height: u32, max_iter: u32) {
    #[penny::split]
    for row in 0..height {
        for col in 0..width {
            out.set(
                (row * width + col) as usize,
                mandel_pixel(col, row, width, height, max_iter),
            );
        }
    }
}

// ---- n-body -------------------------------------------------------------------------------

/// The acceleration of every body (x, y, z, mass) from all the others, softened.
#[penny::task]
pub fn nbody_accel(bodies: In<[f32; 4]>, accel: Out<f32>) {
    let n = bodies.len();
    #[penny::split]
    for i in 0..n {
        let a = body_accel(&bodies, bodies[i]);
        accel.set(3 * i, a[0]);
        accel.set(3 * i + 1, a[1]);
        accel.set(3 * i + 2, a[2]);
    }
}

// ---- matmul -------------------------------------------------------------------------------

/// `c = a x b` for `n` x `n` row-major f32 matrices, `bt` being `b` transposed; one row of
/// `c` per iteration.
#[penny::task]
pub fn matmul(a: In<f32>, bt: In<f32>, c: Out<f32>, n: u32) {
    let n = n as usize;
    #[penny::split]
    for i in 0..n {
        let row = &a[i * n..(i + 1) * n];
        for j in 0..n {
            c.set(i * n + j, dot(row, &bt[j * n..(j + 1) * n]));
        }
    }
}

// ---- histogram ----------------------------------------------------------------------------

/// A 16-bin histogram of `n` random numbers: an array reduction.
#[penny::task(js)]
pub fn histogram(n: u64) -> [u32; 16] {
    let mut bins = [0u32; 16];
    #[penny::split(reduce(bins = +))]
    for i in 0..n {
        bins[(rng(i) >> 60) as usize] += 1;
    }
    bins
}

// ---- prefix sum ---------------------------------------------------------------------------

/// Inclusive prefix sums of `xs` into `out`, as a two-pass parallel scan over `blocks`
/// blocks: block sums (split), their exclusive scan (sequential, `blocks` steps), then each
/// block's running sums (split). Twice the reads of a sequential scan.
#[penny::task]
pub fn prefix_sum(xs: In<u32>, out: Out<u64>, sums: Out<u64>, blocks: u32) {
    let n = xs.len();
    let size = n.div_ceil(blocks as usize).max(1);
    #[penny::split]
    for b in 0..blocks as usize {
        let mut s = 0u64;
        for &x in &xs[(b * size).min(n)..((b + 1) * size).min(n)] {
            s += x as u64;
        }
        sums.set(b, s);
    }
    let mut running = 0u64;
    for b in 0..blocks as usize {
        let s = sums.get(b);
        sums.set(b, running);
        running += s;
    }
    #[penny::split]
    for b in 0..blocks as usize {
        let mut acc = sums.get(b);
        let start = (b * size).min(n);
        for (k, &x) in xs[start..((b + 1) * size).min(n)].iter().enumerate() {
            acc += x as u64;
            out.set(start + k, acc);
        }
    }
}

/// The sequential scan the parallel one must equal.
pub fn prefix_sum_reference(xs: &[u32]) -> Vec<u64> {
    let mut out = vec![0; xs.len()];
    prefix_sum_into(xs, &mut out);
    out
}

// ---- blur ---------------------------------------------------------------------------------

/// A 3x3 box blur of a `width`-wide f32 image (edges clamped), one row per iteration.
#[penny::task]
pub fn blur(src: In<f32>, dst: Out<f32>, width: u32) {
    let w = width as usize;
    let h = src.len() / w;
    #[penny::split]
    for y in 0..h {
        for x in 0..w {
            dst.set(y * w + x, blur_pixel(&src, w, x, y));
        }
    }
}

// ---- collatz ------------------------------------------------------------------------------

/// Total Collatz steps of `1..n`, and the longest: a `while` inside each iteration.
#[penny::task(js)]
pub fn collatz(n: u64) -> (u64, u64) {
    let mut total = 0u64;
    let mut longest = 0u64;
    #[penny::split(reduce(total = +, longest = max))]
    for start in 1..n {
        let mut x = start;
        let mut steps = 0u64;
        while x != 1 {
            x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
            steps += 1;
        }
        total += steps;
        if steps > longest {
            longest = steps;
        }
    }
    (total, longest)
}

// ---- sum of squares -----------------------------------------------------------------------

/// Sum of squares of `xs`: a float reduction, bit-identical on any pool.
#[penny::task]
pub fn sum_squares(xs: In<f32>) -> f32 {
    let mut acc = 0.0f32;
    #[penny::split(reduce(acc = +))]
    for i in 0..xs.len() {
        acc += xs[i] * xs[i];
    }
    acc
}

/// What [`SumSquares`] computes: the same tree, sequentially.
pub fn sum_squares_reference(xs: &[f32]) -> f32 {
    penny::reference::tree_fold(
        xs.len() as u64,
        0.0f32,
        0.0,
        |i, acc| *acc += xs[i as usize] * xs[i as usize],
        |a, b| a + b,
    )
}

// ---- buffers ------------------------------------------------------------------------------

use penny::{Stripes, View};

/// [`blur`] over buffer views: reads a `View`, writes rows of a `Stripes` (width = the
/// image's width, so iteration `y` owns row `y`), each row taken as a slice (`stripe_mut`) and
/// filled by the same [`blur_row`] as rayon's version: plain stores, one check per row.
#[penny::task]
pub fn blur_view(src: View<f32>, dst: Stripes<f32>, width: u32) {
    let w = width as usize;
    let h = src.len() / w;
    #[penny::split]
    for y in 0..h {
        blur_row(&src[..], w, y, dst.stripe_mut(y));
    }
}

/// One Jacobi-1d sweep (PolyBench): `b[i] = (a[i-1] + a[i] + a[i+1]) / 3` inside, the ends
/// copied; one element per iteration.
#[penny::task]
pub fn jacobi_1d(a: View<f32>, b: Stripes<f32>) {
    #[penny::split]
    for i in 0..a.len() {
        b[i] = jacobi_at(&a[..], i);
    }
}

/// [`jacobi_1d`] over `In`/`Out` (a relaxed atomic store per element).
#[penny::task]
pub fn jacobi_1d_out(a: In<f32>, b: Out<f32>) {
    #[penny::split]
    for i in 0..a.len() {
        b.set(i, jacobi_at(&a, i));
    }
}

/// [`jacobi_1d`] over slices: the baseline.
#[allow(clippy::needless_range_loop)] // the index loop the kernels write, over slices
pub fn jacobi_1d_slices(a: &[f32], b: &mut [f32]) {
    for i in 0..a.len() {
        b[i] = jacobi_at(a, i);
    }
}

use penny::Tiles;

/// [`matmul`] into tiles of `c` (`n` x `n`, row-major; `bt` is `b` transposed): one tile per
/// iteration of the split loop.
#[penny::task]
pub fn matmul_tiled(a: View<f32>, bt: View<f32>, c: Tiles<f32>) {
    #[penny::split]
    for t in 0..c.tile_count() {
        let (r0, c0, rows, cols) = c.tile_rect(t);
        let n = c.dims().1;
        for i in r0..r0 + rows {
            let row = &a[i * n..(i + 1) * n];
            for j in c0..c0 + cols {
                c[(i, j)] = dot(row, &bt[j * n..(j + 1) * n]);
            }
        }
    }
}

/// [`blur`] into tiles of `dst`: one 2-D block per iteration of the split loop.
#[penny::task]
pub fn blur_tiled(src: View<f32>, dst: Tiles<f32>) {
    #[penny::split]
    for t in 0..dst.tile_count() {
        let (r0, c0, rows, cols) = dst.tile_rect(t);
        let w = dst.dims().1;
        for y in r0..r0 + rows {
            for x in c0..c0 + cols {
                dst[(y, x)] = blur_pixel(&src[..], w, x, y);
            }
        }
    }
}

/// BLAS saxpy, `y[i] += a * x[i]`, over views: one row of `y.width()` elements per
/// iteration, taken as a slice (`stripe_mut`), so the inner loop has no per-element checks
/// and vectorizes like the loop over slices ([`saxpy_slices`]).
#[penny::task]
pub fn saxpy_rows(x: View<f32>, y: Stripes<f32>, a: f32) {
    let w = y.width();
    #[penny::split]
    for r in 0..y.len().div_ceil(w) {
        let row = y.stripe_mut(r);
        for (yi, xi) in row.iter_mut().zip(&x[r * w..]) {
            *yi += a * xi;
        }
    }
}

/// [`saxpy_rows`] element by element (`y[i] += a * x[i]`, `y` as `stripes(1)`): each store
/// checked against the chunk's stripes.
#[penny::task]
pub fn saxpy_indexed(x: View<f32>, y: Stripes<f32>, a: f32) {
    #[penny::split]
    for i in 0..y.len() {
        y[i] += a * x[i];
    }
}

/// saxpy over slices: the baseline.
pub fn saxpy_slices(x: &[f32], y: &mut [f32], a: f32) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}
