//! Kernels exported to JavaScript with `#[penny::task(js)]`: what the wasm tests (Node and
//! headless Chromium, `tests/web/`), the demo page and the JS benchmarks spawn. Each is a
//! plain function too, so the tests compare the JS results with the native plain calls.

/// A multiply-xorshift checksum of `n` steps from `seed` (the README's JS example).
#[penny::task(js)]
pub fn checksum(n: u64, seed: u64) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        h = (h ^ i).wrapping_mul(0x0000_0100_0000_01B3);
        h ^= h >> 29;
    }
    h
}

/// Sum of `i * i` for `i` in `0..n`, wrapping (a second output type: `u32` ↔ number).
#[penny::task(js)]
pub fn sum_squares(n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        acc = acc.wrapping_add(i.wrapping_mul(i));
    }
    acc
}

/// Every argument kind JS can pass, echoed back through one loop: the conversion tests.
#[allow(clippy::too_many_arguments)]
#[penny::task(js)]
pub fn mix(
    a: u8,
    b: i16,
    c: i32,
    d: u64,
    e: i64,
    f: f32,
    g: f64,
    h: bool,
    k: char,
) -> (f64, i64, bool, char) {
    let mut total = 0.0f64;
    for i in 0..3u32 {
        total += (a as f64 + b as f64 + c as f64 + f as f64 + g) * i as f64;
    }
    (total, e.wrapping_add(d as i64), !h, k)
}

/// Panics after `after` iterations when `fail` is set: a task that fails alone.
#[penny::task(js)]
pub fn panic_after(after: u32, fail: bool) -> u32 {
    let mut count = 0u32;
    for i in 0..after + 10 {
        if fail && i == after {
            panic!("panic_after: failed at iteration {i} as asked");
        }
        count += 1;
    }
    count
}

/// A long loop with a result (a few ms per million iterations): what preemption, cancel and
/// progress tests hold workers with.
#[penny::task(js)]
pub fn spin(iterations: u64) -> u64 {
    let mut x = 1u64;
    for i in 0..iterations {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(i | 1);
    }
    x
}

/// Escape counts of the `tile_w` x `tile_h` tile at (`x0`, `y0`) of a `width` x `height`
/// Mandelbrot view, written into `out` (row-major, `width` per row); returns how many of
/// its pixels escaped. The demo page renders one task per tile.
#[allow(clippy::too_many_arguments)]
#[penny::task(js)]
pub fn mandelbrot_tile(
    out: penny::Out<u32>,
    width: u32,
    height: u32,
    x0: u32,
    y0: u32,
    tile_w: u32,
    tile_h: u32,
    max_iter: u32,
) -> u32 {
    let mut escaped = 0u32;
    for k in 0..tile_w * tile_h {
        let (x, y) = (x0 + k % tile_w, y0 + k / tile_w);
        let cx = x as f64 / width as f64 * 3.5 - 2.5;
        let cy = y as f64 / height as f64 * 2.0 - 1.0;
        let iter = crate::fractal::escape_time(cx, cy, max_iter);
        if iter < max_iter {
            escaped += 1;
        }
        out.set((y * width + x) as usize, iter);
    }
    escaped
}

/// Escape counts of the `tile_w` x `tile_h` tile at (`x0`, `y0`) of any view: pixel (x, y)
/// is the point (`left` + x * `step`, `top` + y * `step`). Written into `out` (row-major,
/// `width` per row); returns how many of its pixels escaped. `mandelbrot_tile` has its view
/// built in; this one lets the demo page zoom (a new view is new tasks).
#[allow(clippy::too_many_arguments)]
#[penny::task(js)]
pub fn mandelbrot_view(
    out: penny::Out<u32>,
    width: u32,
    x0: u32,
    y0: u32,
    tile_w: u32,
    tile_h: u32,
    left: f64,
    top: f64,
    step: f64,
    max_iter: u32,
) -> u32 {
    let mut escaped = 0u32;
    for k in 0..tile_w * tile_h {
        let (x, y) = (x0 + k % tile_w, y0 + k / tile_w);
        let iter =
            crate::fractal::escape_time(left + x as f64 * step, top + y as f64 * step, max_iter);
        if iter < max_iter {
            escaped += 1;
        }
        out.set((y * width + x) as usize, iter);
    }
    escaped
}

/// A wrapping sum of a hash over `0..n`, in a `#[penny::split]` loop: one task spreads over
/// the pool's Web Workers; equal to the plain function.
#[penny::task(js)]
pub fn split_hash(n: u64) -> u64 {
    let mut acc = 0u64;
    #[penny::split(reduce(acc = +))]
    for i in 0..n {
        let mut h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 31;
        acc = acc.wrapping_add(h.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    }
    acc
}

/// A float sum in a split loop: bit-identical on any pool to
/// `penny::reference::tree_fold` (see [`tree_sum_reference`]).
#[penny::task(js)]
pub fn tree_sum(n: u32) -> f32 {
    let mut acc = 0.0f32;
    #[penny::split(reduce(acc = +))]
    for i in 0..n {
        acc += 1.0 / (i as f32 + 1.0);
    }
    acc
}

/// What [`TreeSum`] computes, sequentially.
pub fn tree_sum_reference(n: u32) -> f32 {
    penny::reference::tree_fold(
        n as u64,
        0.0f32,
        0.0,
        |i, acc| *acc += 1.0 / (i as f32 + 1.0),
        |a, b| a + b,
    )
}

/// A 3x3 box blur over buffer views, rows split across the workers: JS passes a
/// `SharedBuffer` for `src` and `dst.stripes(width)` for `dst`.
#[penny::task(js)]
pub fn blur_rows(src: penny::View<f32>, dst: penny::Stripes<f32>, width: u32) {
    let w = width as usize;
    #[penny::split]
    for y in 0..src.len() / w {
        crate::parallel::blur_row(&src[..], w, y, dst.stripe_mut(y));
    }
}

/// What the JS test fills a `width` x `height` image with: `((i * 7) % 13) * 0.25`.
pub fn blur_input(len: usize) -> Vec<f32> {
    (0..len).map(|i| ((i * 7) % 13) as f32 * 0.25).collect()
}

/// `n` rounds of a 128-bit multiply-add from `seed`, and the same on a signed value from
/// `offset`: 128-bit integers in and out of JS (BigInts).
#[penny::task(js)]
pub fn wide_mix(n: u32, seed: u128, offset: i128) -> (u128, i128) {
    let mut h = seed;
    let mut s = offset;
    for i in 0..n {
        h = h
            .wrapping_mul(0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645)
            .wrapping_add(u128::from(i) | 1);
        s = s.wrapping_sub(i128::from(i)).wrapping_mul(-3);
    }
    (h, s)
}

/// The first `i` in `0..n` whose square is `target`: `Option` out to JS (`null` or a number).
#[penny::task(js)]
pub fn find_root(n: u32, target: u32) -> Option<u32> {
    let mut found = None;
    for i in 0..n {
        if found.is_none() && i.checked_mul(i) == Some(target) {
            found = Some(i);
        }
    }
    found
}

/// Counts of `i % 4` for `i` in `0..n`: an array out to JS.
#[penny::task(js)]
pub fn mod4_counts(n: u32) -> [u32; 4] {
    let mut counts = [0u32; 4];
    for i in 0..n {
        counts[(i % 4) as usize] += 1;
    }
    counts
}

/// A loop with no result: `()` out to JS (`undefined`).
#[penny::task(js)]
pub fn idle(n: u32) {
    let mut x = 0u32;
    for i in 0..n {
        x = core::hint::black_box(x ^ i);
    }
}
