//! The plain parts of the parallel suite: the per-element functions every version of a
//! kernel shares (Penny's tasks, the rayon versions, the wasm-bindgen-rayon comparison in
//! `comparisons/rayon-web`, which includes this file by path) and the inputs' generators.
//! Nothing here names Penny, so the comparison crate can compile it without depending on it.

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

/// `row · col`, summed in index order: every matmul of the suite (Penny's, rayon's, the
/// browser comparison's) computes each element of `c` with this, so all agree bit for bit.
#[inline]
pub fn dot(row: &[f32], col: &[f32]) -> f32 {
    let mut s = 0.0f32;
    for (x, y) in row.iter().zip(col) {
        s += x * y;
    }
    s
}

/// Row `i` of `c = a x b` (`n` x `n`, row-major, `bt` = `b` transposed) into `line`.
#[inline]
pub fn matmul_row(a: &[f32], bt: &[f32], n: usize, i: usize, line: &mut [f32]) {
    let row = &a[i * n..(i + 1) * n];
    for (j, cell) in line.iter_mut().enumerate() {
        *cell = dot(row, &bt[j * n..(j + 1) * n]);
    }
}

/// Row `row` of the Mandelbrot image (`mandel_pixel` per pixel) into `line`.
#[inline]
pub fn mandel_row(line: &mut [u32], row: u32, width: u32, height: u32, max_iter: u32) {
    for (col, px) in line.iter_mut().enumerate() {
        *px = mandel_pixel(col as u32, row, width, height, max_iter);
    }
}

/// Collatz steps from `start` down to 1 (the loop Penny's `collatz` kernel writes inline:
/// a `while` inside a split iteration is what that kernel is for).
#[inline]
pub fn collatz_steps(start: u64) -> u64 {
    let (mut x, mut steps) = (start, 0u64);
    while x != 1 {
        x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
        steps += 1;
    }
    steps
}

/// A counter-based random number: splitmix64 of `i`.
#[inline]
pub fn rng(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The sequential scan into `out` (the suite's sequential baseline: one pass, no
/// allocation), in `O` (`u64` natively, `u32` in the browser comparison).
pub fn prefix_sum_into<O>(xs: &[u32], out: &mut [O])
where
    O: Copy + From<u32> + core::ops::Add<Output = O>,
{
    let mut acc = O::from(0);
    for (o, &x) in out.iter_mut().zip(xs) {
        acc = acc + O::from(x);
        *o = acc;
    }
}

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

/// Row `y` of the blurred image (`blur_pixel` per pixel) into `line`.
#[inline]
pub fn blur_row(src: &[f32], w: usize, y: usize, line: &mut [f32]) {
    for (x, px) in line.iter_mut().enumerate() {
        *px = blur_pixel(src, w, x, y);
    }
}

/// `n` values in `[-1, 1)` from the counter RNG.
pub fn floats(n: usize, salt: u64) -> Vec<f32> {
    (0..n as u64).map(|i| float_at(i, salt)).collect()
}

/// Element `i` of `floats(_, salt)`: a value in `[-1, 1)`.
#[inline]
pub fn float_at(i: u64, salt: u64) -> f32 {
    (rng(i ^ salt) >> 40) as f32 / (1u64 << 23) as f32 - 1.0
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
    (0..n as u64).map(int_at).collect()
}

/// Element `i` of `ints(_)`: a value below 1000.
#[inline]
pub fn int_at(i: u64) -> u32 {
    (rng(i) % 1000) as u32
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

/// FNV-1a over 32-bit words, as `len:hex`: the check the browser suite prints for an output
/// buffer (`bench-web/suite.mjs` hashes Penny's typed arrays the same way in JS;
/// `comparisons/rayon-web` and `web_expected` hash theirs with this).
pub fn fnv32(words: impl Iterator<Item = u32>) -> String {
    let (mut h, mut n) = (0x811c_9dc5u32, 0usize);
    for w in words {
        h = (h ^ w).wrapping_mul(16_777_619);
        n += 1;
    }
    format!("{n}:{h:08x}")
}
