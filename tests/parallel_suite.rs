//! The parallel kernel suite (`penny_examples::parallel`): every kernel against its
//! sequential reference, driven by hand with random budgets and splits, and on pools of
//! 1..8 workers; the rayon versions against the same references.

mod support;

use penny::{In, Out, Pool};
use penny_examples::parallel::*;
use penny_examples::parallel_rayon as ray;
use proptest::prelude::*;

fn leak<T>(v: Vec<T>) -> In<T> {
    In::new(Vec::leak(v))
}

struct Inputs {
    bodies: Vec<[f32; 4]>,
    a: Vec<f32>,
    b: Vec<f32>,
    ints: Vec<u32>,
    image: Vec<f32>,
    xs: Vec<f32>,
}

const N: usize = 48;
const W: usize = 37;

fn inputs(scale: usize) -> Inputs {
    Inputs {
        bodies: bodies(20 * scale),
        a: floats(N * N, 1),
        b: floats(N * N, 2),
        ints: ints(1000 * scale + 7),
        image: floats(W * 23 * scale, 3),
        xs: floats(5000 * scale + 3, 4),
    }
}

fn expected_mandelbrot(w: u32, h: u32, it: u32) -> Vec<u32> {
    let out = Out::leak_filled((w * h) as usize, 0);
    mandelbrot(out, w, h, it);
    out.to_vec()
}

macro_rules! each_kernel {
    ($i:expr, $run:expr) => {{
        let i = $i;
        // mandelbrot
        let (w, h, it) = (41u32, 29u32, 60u32);
        let out = Out::leak_filled((w * h) as usize, 0u32);
        $run(Mandelbrot::new(out, w, h, it));
        assert_eq!(out.to_vec(), expected_mandelbrot(w, h, it), "mandelbrot");
        // n-body
        let bodies = leak(i.bodies.clone());
        let accel = Out::leak_filled(3 * i.bodies.len(), 0.0f32);
        let plain = Out::leak_filled(3 * i.bodies.len(), 0.0f32);
        nbody_accel(bodies, plain);
        $run(NbodyAccel::new(bodies, accel));
        assert_eq!(bits(&accel.to_vec()), bits(&plain.to_vec()), "n-body");
        // matmul
        let (a, bt) = (leak(i.a.clone()), leak(transpose(&i.b, N)));
        let c = Out::leak_filled(N * N, 0.0f32);
        let plain = Out::leak_filled(N * N, 0.0f32);
        matmul(a, bt, plain, N as u32);
        $run(Matmul::new(a, bt, c, N as u32));
        assert_eq!(bits(&c.to_vec()), bits(&plain.to_vec()), "matmul");
        // histogram
        let n = i.ints.len() as u64 * 3;
        assert_eq!($run(Histogram::new(n)), histogram(n), "histogram");
        // prefix sum
        let xs = leak(i.ints.clone());
        let out = Out::leak_filled(i.ints.len(), 0u64);
        let sums = Out::leak_filled(16, 0u64);
        $run(PrefixSum::new(xs, out, sums, 16));
        assert_eq!(out.to_vec(), prefix_sum_reference(&i.ints), "prefix sum");
        // blur
        let src = leak(i.image.clone());
        let dst = Out::leak_filled(i.image.len(), 0.0f32);
        let plain = Out::leak_filled(i.image.len(), 0.0f32);
        blur(src, plain, W as u32);
        $run(Blur::new(src, dst, W as u32));
        assert_eq!(bits(&dst.to_vec()), bits(&plain.to_vec()), "blur");
        // collatz
        let n = i.ints.len() as u64;
        assert_eq!($run(Collatz::new(n)), collatz(n), "collatz");
        // sum of squares: bit-identical to the tree
        let xs = leak(i.xs.clone());
        assert_eq!(
            $run(SumSquares::new(xs)).to_bits(),
            sum_squares_reference(&i.xs).to_bits(),
            "sum of squares"
        );
    }};
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_kernel_equals_its_reference_under_random_splits(
        budgets in support::budgets(),
        choices in prop::collection::vec(any::<u32>(), 1..16),
        scale in 1usize..4,
    ) {
        let i = inputs(scale);
        each_kernel!(&i, |t| support::run_with_splits(t, &budgets, &choices));
    }
}

#[test]
fn every_kernel_equals_its_reference_on_pools_of_every_size() {
    let i = inputs(40);
    for workers in [1, 2, 3, 4, 8] {
        let pool = Pool::builder().workers(workers).build();
        each_kernel!(&i, |t| pool.spawn(t).join().unwrap());
    }
}

#[test]
fn the_rayon_versions_agree() {
    let i = inputs(40);
    let (w, h, it) = (41u32, 29u32, 60u32);
    let mut img = vec![0u32; (w * h) as usize];
    ray::mandelbrot(&mut img, w, h, it);
    assert_eq!(img, expected_mandelbrot(w, h, it));
    let n = i.ints.len() as u64;
    assert_eq!(ray::collatz(n), collatz(n));
    assert_eq!(ray::histogram(3 * n), histogram(3 * n));
    let mut out = vec![0u64; i.ints.len()];
    ray::prefix_sum(&i.ints, &mut out, 16);
    assert_eq!(out, prefix_sum_reference(&i.ints));
    let bt = transpose(&i.b, N);
    let mut c = vec![0.0f32; N * N];
    ray::matmul(&i.a, &bt, &mut c, N);
    let plain = Out::leak_filled(N * N, 0.0f32);
    matmul(leak(i.a.clone()), leak(bt), plain, N as u32);
    assert_eq!(bits(&c), bits(&plain.to_vec()));
    let s = ray::sum_squares(&i.xs);
    let want = sum_squares_reference(&i.xs);
    assert!((s - want).abs() <= 1e-3 * want, "{s} vs {want}");
}
