//! The parallel kernel suite: each kernel is one task whose main loop is a
//! `#[penny::split]` loop, so one task uses every idle worker. Each has its sequential
//! reference (its plain function, or `penny::reference::tree_fold` for float reductions) and,
//! natively, a rayon version written the way a rayon user would (`parallel_rayon`).
//!
//! Inputs are `In` buffers, outputs `Out` buffers (one relaxed atomic store per element).

use penny::{In, Out};

// ---- mandelbrot ---------------------------------------------------------------------------

/// Escape iterations of pixel (`col`, `row`) of a `width` x `height` view of the set.
#[inline]
pub fn mandel_pixel(col: u32, row: u32, width: u32, height: u32, max_iter: u32) -> u32 {
    let cx = -2.2 + 3.2 * col as f64 / width as f64;
    let cy = -1.2 + 2.4 * row as f64 / height as f64;
    let (mut x, mut y, mut it) = (0.0f64, 0.0f64, 0u32);
    while it < max_iter && x * x + y * y <= 4.0 {
        let t = x * x - y * y + cx;
        y = 2.0 * x * y + cy;
        x = t;
        it += 1;
    }
    it
}

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

/// The softened acceleration of body `bi` (x, y, z, mass) from all of `bodies`.
#[inline]
pub fn body_accel(bodies: &[[f32; 4]], bi: [f32; 4]) -> [f32; 3] {
    let mut a = [0.0f32; 3];
    for bj in bodies {
        let d = [bj[0] - bi[0], bj[1] - bi[1], bj[2] - bi[2]];
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + 1e-3;
        let inv = bj[3] / (r2 * r2.sqrt());
        a[0] += d[0] * inv;
        a[1] += d[1] * inv;
        a[2] += d[2] * inv;
    }
    a
}

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
            let col = &bt[j * n..(j + 1) * n];
            let mut s = 0.0f32;
            for k in 0..n {
                s += row[k] * col[k];
            }
            c.set(i * n + j, s);
        }
    }
}

// ---- histogram ----------------------------------------------------------------------------

/// A counter-based random number: splitmix64 of `i`.
#[inline]
pub fn rng(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 16-bin histogram of `n` random numbers: an array reduction.
#[penny::task]
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

/// The sequential scan into `out` (the suite's sequential baseline: one pass, no
/// allocation).
pub fn prefix_sum_into(xs: &[u32], out: &mut [u64]) {
    let mut acc = 0u64;
    for (o, &x) in out.iter_mut().zip(xs) {
        acc += x as u64;
        *o = acc;
    }
}

// ---- blur ---------------------------------------------------------------------------------

/// Pixel (`x`, `y`) of the 3x3 box blur of a `w`-wide f32 image (edges clamped): every
/// blur of the suite (and the rayon one) computes each pixel with this.
#[inline]
pub fn blur_pixel(src: &[f32], w: usize, x: usize, y: usize) -> f32 {
    let h = src.len() / w;
    let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
    let (left, right) = (x.saturating_sub(1), (x + 1).min(w - 1));
    let mut s = 0.0f32;
    for yy in [up, y, down] {
        let line = &src[yy * w..(yy + 1) * w];
        s += line[left] + line[x] + line[right];
    }
    s * (1.0 / 9.0)
}

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
#[penny::task]
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

// ---- inputs -------------------------------------------------------------------------------

/// `n` values in `[-1, 1)` from the counter RNG.
pub fn floats(n: usize, salt: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|i| (rng(i ^ salt) >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
        .collect()
}

/// `n` bodies in a unit cube with masses in `[0.5, 1.5)`.
pub fn bodies(n: usize) -> Vec<[f32; 4]> {
    let f = floats(4 * n, 17);
    (0..n)
        .map(|i| {
            [
                f[4 * i],
                f[4 * i + 1],
                f[4 * i + 2],
                1.0 + 0.5 * f[4 * i + 3],
            ]
        })
        .collect()
}

/// `n` small integers.
pub fn ints(n: usize) -> Vec<u32> {
    (0..n as u64).map(|i| (rng(i) % 1000) as u32).collect()
}

/// `m` transposed (`n` x `n`, row-major).
pub fn transpose(m: &[f32], n: usize) -> Vec<f32> {
    let mut t = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            t[j * n + i] = m[i * n + j];
        }
    }
    t
}

// ---- buffers ------------------------------------------------------------------------------

use penny::{Stripes, View};

/// [`blur`] over buffer views: reads a `View`, writes rows of a `Stripes` (width = the
/// image's width, so iteration `y` owns row `y`) with plain stores.
#[penny::task]
pub fn blur_view(src: View<f32>, dst: Stripes<f32>, width: u32) {
    let w = width as usize;
    let h = src.len() / w;
    #[penny::split]
    for y in 0..h {
        for x in 0..w {
            dst[(y, x)] = blur_pixel(&src[..], w, x, y);
        }
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

/// Element `i` of a Jacobi-1d sweep of `a`: the mean of it and its neighbours inside, the
/// ends copied.
#[inline]
pub fn jacobi_at(a: &[f32], i: usize) -> f32 {
    if i == 0 || i + 1 == a.len() {
        a[i]
    } else {
        (a[i - 1] + a[i] + a[i + 1]) * (1.0 / 3.0)
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
                let col = &bt[j * n..(j + 1) * n];
                let mut s = 0.0f32;
                for k in 0..n {
                    s += row[k] * col[k];
                }
                c[(i, j)] = s;
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
