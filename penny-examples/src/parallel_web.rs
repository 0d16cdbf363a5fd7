//! The parallel suite as JavaScript calls it: the kernels of [`crate::parallel`] over
//! `SharedBuffer` views (`View` in, `Stripes` out) instead of `In`/`Out`, for the browser
//! benchmark against wasm-bindgen-rayon (`penny-examples/bench-web/suite.mjs`). Each computes
//! every element with the same per-element function as the native kernel, the rayon version
//! and the comparison crate (`parallel/plain.rs`), so outputs are bit-identical everywhere;
//! where rayon's version fills a row slice (`mandel_row`, `matmul_row`, `blur_row`, a body's
//! three accelerations), Penny's takes the same row from its `Stripes` with `stripe_mut` and
//! calls the same function, so the two run the same loop and differ only in scheduling.
//! Histogram and collatz take no buffers: JS spawns the native kernels
//! ([`crate::parallel::Histogram`], [`crate::parallel::Collatz`], exported with `js`); the blur
//! is [`crate::web_kernels::BlurRows`].
//!
//! The `fill_*` tasks write the suite's inputs (`floats`, `ints`, `bodies`) into buffers on
//! the pool, element by element with the generators' own functions, so JS needn't
//! reimplement the 64-bit counter RNG.

use penny::{Stripes, View};

use crate::parallel::{body_accel, float_at, int_at, mandel_row, matmul_row};

/// The Mandelbrot set into a striped view (`out.stripes(width)`), one row per iteration,
/// each row taken as a slice (`stripe_mut`) and filled by rayon's `mandel_row`.
#[penny::task(js)]
pub fn mandelbrot_stripes(out: Stripes<u32>, width: u32, height: u32, max_iter: u32) {
    #[penny::split]
    for row in 0..height {
        mandel_row(out.stripe_mut(row as usize), row, width, height, max_iter);
    }
}

/// n-body accelerations: `bodies` holds x, y, z, mass per body (JS passes a flat
/// `SharedBuffer.f32(4 * n)`), `accel` is `stripes(3)` (x, y, z per body).
#[penny::task(js)]
pub fn nbody_view(bodies: View<[f32; 4]>, accel: Stripes<f32>) {
    #[penny::split]
    for i in 0..bodies.len() {
        accel
            .stripe_mut(i)
            .copy_from_slice(&body_accel(&bodies[..], bodies[i]));
    }
}

/// `c = a x b` (`n` x `n`, row-major, `bt` = `b` transposed), `c` as `stripes(n)`: one row
/// of `c` per iteration, filled by rayon's `matmul_row`.
#[penny::task(js)]
pub fn matmul_rows(a: View<f32>, bt: View<f32>, c: Stripes<f32>) {
    let n = c.width();
    #[penny::split]
    for i in 0..c.len() / n {
        matmul_row(&a[..], &bt[..], n, i, c.stripe_mut(i));
    }
}

/// Inclusive prefix sums of `xs` (u32; the total must fit: 4 M values below 1000 do) as the
/// two-pass scan of [`crate::parallel::prefix_sum`]: `out` is `stripes(block size)`, `sums`
/// (one per block) `stripes(1)`.
#[penny::task(js)]
pub fn prefix_sum_stripes(xs: View<u32>, out: Stripes<u32>, sums: Stripes<u32>) {
    let n = xs.len();
    let size = out.width();
    #[penny::split]
    for b in 0..sums.len() {
        let mut s = 0u32;
        for &x in &xs[(b * size).min(n)..((b + 1) * size).min(n)] {
            s += x;
        }
        sums[b] = s;
    }
    let mut running = 0u32;
    for b in 0..sums.len() {
        let s = sums[b];
        sums[b] = running;
        running += s;
    }
    #[penny::split]
    for b in 0..sums.len() {
        let mut acc = sums[b];
        let block = &xs[(b * size).min(n)..((b + 1) * size).min(n)];
        if block.is_empty() {
            continue;
        }
        for (o, &x) in out.stripe_mut(b).iter_mut().zip(block) {
            acc += x;
            *o = acc;
        }
    }
}

/// Sum of squares over a view: the float reduction, bit-identical on any pool.
#[penny::task(js)]
pub fn sum_squares_view(xs: View<f32>) -> f32 {
    let mut acc = 0.0f32;
    #[penny::split(reduce(acc = +))]
    for &x in xs.iter() {
        acc += x * x;
    }
    acc
}

/// What [`SumSquaresView`] returns, computed on one worker (`penny::reference::tree_fold`):
/// the harness checks the pool's result against it bit for bit.
#[penny::task(js)]
pub fn sum_squares_reference_view(xs: View<f32>) -> f32 {
    let mut sum = 0.0f32;
    for _ in 0..1u32 {
        sum = crate::parallel::sum_squares_reference(&xs[..]);
    }
    sum
}

/// `dst[i] = floats(_, salt)[i]`, on the pool (`dst.stripes(1)`).
#[penny::task(js)]
pub fn fill_floats(dst: Stripes<f32>, salt: u64) {
    #[penny::split]
    for i in 0..dst.len() {
        dst[i] = float_at(i as u64, salt);
    }
}

/// `dst[i] = ints(_)[i]` (`dst.stripes(1)`).
#[penny::task(js)]
pub fn fill_ints(dst: Stripes<u32>) {
    #[penny::split]
    for i in 0..dst.len() {
        dst[i] = int_at(i as u64);
    }
}

/// `bodies(n)` flattened: x, y, z, mass per body (`dst.stripes(4)`, `4 n` floats).
#[penny::task(js)]
pub fn fill_bodies(dst: Stripes<f32>) {
    #[penny::split]
    for i in 0..dst.len() / 4 {
        let f = |k: usize| float_at((4 * i + k) as u64, 17);
        dst[(i, 0)] = f(0);
        dst[(i, 1)] = f(1);
        dst[(i, 2)] = f(2);
        dst[(i, 3)] = 1.0 + 0.5 * f(3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::{self as par, bodies, floats, ints, transpose};
    use penny::{Buffer, Pool};

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn the_web_kernels_equal_the_native_suite() {
        let pool = Pool::builder().workers(3).build();
        fn join<T: Copy + Send + 'static>(h: penny::TaskHandle<T>) -> T {
            h.join().unwrap()
        }

        // inputs, filled on the pool, equal the generators
        let mut f = Buffer::<f32>::zeroed(10_001);
        join(pool.spawn(FillFloats::new(f.stripes(1), 4)));
        assert_eq!(bits(&f.to_vec()), bits(&floats(10_001, 4)));
        let mut ib = Buffer::<u32>::zeroed(9_999);
        join(pool.spawn(FillInts::new(ib.stripes(1))));
        assert_eq!(ib.to_vec(), ints(9_999));
        let mut bb = Buffer::<f32>::zeroed(4 * 300);
        join(pool.spawn(FillBodies::new(bb.stripes(4))));
        let flat: Vec<f32> = bodies(300).into_iter().flatten().collect();
        assert_eq!(bits(&bb.to_vec()), bits(&flat));

        // mandelbrot
        let (w, h) = (97u32, 61u32);
        let mut out = Buffer::<u32>::zeroed((w * h) as usize);
        join(pool.spawn(MandelbrotStripes::new(out.stripes(w as usize), w, h, 64)));
        let want = penny::Out::leak_filled((w * h) as usize, 0u32);
        par::mandelbrot(want, w, h, 64);
        assert_eq!(out.to_vec(), want.to_vec());

        // n-body
        let mut acc = Buffer::<f32>::zeroed(3 * 300);
        join(pool.spawn(NbodyView::new(bb.view().arrays().unwrap(), acc.stripes(3))));
        let want = penny::Out::leak_filled(3 * 300, 0.0f32);
        par::nbody_accel(penny::In::new(Vec::leak(bodies(300))), want);
        assert_eq!(bits(&acc.to_vec()), bits(&want.to_vec()));

        // matmul
        let n = 37;
        let (a, b) = (floats(n * n, 1), floats(n * n, 2));
        let bt = transpose(&b, n);
        let mut c = Buffer::<f32>::zeroed(n * n);
        let (ab, btb) = (Buffer::from_vec(a.clone()), Buffer::from_vec(bt.clone()));
        join(pool.spawn(MatmulRows::new(ab.view(), btb.view(), c.stripes(n))));
        let want = penny::Out::leak_filled(n * n, 0.0f32);
        par::matmul(
            penny::In::new(Vec::leak(a)),
            penny::In::new(Vec::leak(bt)),
            want,
            n as u32,
        );
        assert_eq!(bits(&c.to_vec()), bits(&want.to_vec()));

        // prefix sum, blocks that don't divide the length
        let xs = ints(10_007);
        let blocks = 16;
        let size = xs.len().div_ceil(blocks);
        let mut out = Buffer::<u32>::zeroed(xs.len());
        let mut sums = Buffer::<u32>::zeroed(blocks);
        let xb = Buffer::from_vec(xs.clone());
        join(pool.spawn(PrefixSumStripes::new(
            xb.view(),
            out.stripes(size),
            sums.stripes(1),
        )));
        let want: Vec<u32> = par::prefix_sum_reference(&xs)
            .into_iter()
            .map(|x| x as u32)
            .collect();
        assert_eq!(out.to_vec(), want);

        // sum of squares: the pool's tree equals the reference task's, bit for bit
        let xs = Buffer::from_vec(floats(100_003, 5));
        let got = join(pool.spawn(SumSquaresView::new(xs.view())));
        let reference = join(pool.spawn(SumSquaresReferenceView::new(xs.view())));
        assert_eq!(got.to_bits(), reference.to_bits());
        assert_eq!(
            got.to_bits(),
            par::sum_squares_reference(&floats(100_003, 5)).to_bits()
        );
    }
}
