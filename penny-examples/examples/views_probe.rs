//! Jacobi-1d over slices, `In`/`Out` and `View`/`Stripes` (one thread, run to completion),
//! and the two-pass prefix sum over `View`/`Stripes` (the browser suite's
//! `PrefixSumStripes`) beside the one-pass scan over slices, and saxpy over slices, over
//! `Stripes` rows taken as slices (`stripe_mut`) and indexed element by element,
//! interleaved: prints the minimum and median of each. Argument: the length (default 2^20;
//! smaller ones run several times per sample, 2^22 elements in all).
//!
//! ```text
//! cargo run --release -p penny-examples --example views_probe
//! ```
use penny::{run_to_completion, Buffer, In, Out};
use penny_examples::parallel::{
    floats, ints, jacobi_1d_slices, prefix_sum_into, saxpy_slices, Jacobi1d, Jacobi1dOut,
    SaxpyIndexed, SaxpyRows,
};
use penny_examples::parallel_web::PrefixSumStripes;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(1 << 20, |a| a.parse().unwrap());
    let reps = (1 << 22) / n;
    let a = floats(n, 5);
    let mut b = vec![0.0f32; n];
    let a_in = In::new(Vec::leak(a.clone()));
    let b_out = Out::leak_filled(n, 0.0f32);
    let a_buf = Buffer::from_vec(a.clone());
    let mut b_buf = Buffer::<f32>::zeroed(n);
    let b_stripes = b_buf.stripes(1);
    let xs = ints(n);
    let mut scan = vec![0u32; n];
    let xs_buf = Buffer::from_vec(xs.clone());
    let mut scan_buf = Buffer::<u32>::zeroed(n);
    let mut sums_buf = Buffer::<u32>::zeroed(64);
    let (scan_stripes, sums_stripes) = (scan_buf.stripes(n.div_ceil(64)), sums_buf.stripes(1));
    let mut y = floats(n, 6);
    let mut y_rows = Buffer::from_vec(y.clone());
    let mut y_each = Buffer::from_vec(y.clone());
    let (rows, each) = (y_rows.stripes(4096), y_each.stripes(1));
    let mut t = [(); 8].map(|_| Vec::new());
    // `reps` calls of `f`, timed into `samples` (ms).
    let time = |samples: &mut Vec<f64>, f: &mut dyn FnMut()| {
        let s = Instant::now();
        for _ in 0..reps {
            f();
        }
        samples.push(s.elapsed().as_secs_f64() * 1e3);
    };
    for _ in 0..60 {
        time(&mut t[0], &mut || {
            jacobi_1d_slices(black_box(&a), black_box(&mut b))
        });
        time(&mut t[1], &mut || {
            run_to_completion(Jacobi1dOut::new(black_box(a_in), black_box(b_out)))
        });
        time(&mut t[2], &mut || {
            run_to_completion(Jacobi1d::new(black_box(a_buf.view()), black_box(b_stripes)))
        });
        time(&mut t[3], &mut || {
            prefix_sum_into(black_box(&xs), black_box(&mut scan))
        });
        time(&mut t[4], &mut || {
            let (x, out, sums) = (xs_buf.view(), scan_stripes, sums_stripes);
            run_to_completion(PrefixSumStripes::new(
                black_box(x),
                black_box(out),
                black_box(sums),
            ))
        });
        time(&mut t[5], &mut || {
            saxpy_slices(black_box(&a), black_box(&mut y), 1e-3)
        });
        time(&mut t[6], &mut || {
            run_to_completion(SaxpyRows::new(
                black_box(a_buf.view()),
                black_box(rows),
                1e-3,
            ))
        });
        time(&mut t[7], &mut || {
            run_to_completion(SaxpyIndexed::new(
                black_box(a_buf.view()),
                black_box(each),
                1e-3,
            ))
        });
    }
    // The three saxpys did the same additions in the same order.
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(y_rows.to_vec()), bits(y.clone()));
    assert_eq!(bits(y_each.to_vec()), bits(y));
    let names = [
        "slices",
        "In/Out",
        "View/Stripes",
        "scan, slices",
        "scan, Stripes",
        "saxpy, slices",
        "saxpy, stripe_mut",
        "saxpy, y[i]",
    ];
    for (name, v) in names.iter().zip(t.iter_mut()) {
        v.sort_by(|x, y| x.partial_cmp(y).unwrap());
        println!(
            "{name:<18} min {:.3} ms  median {:.3} ms",
            v[0],
            v[v.len() / 2]
        );
    }
    drop((b_buf, scan_buf, sums_buf, y_rows, y_each));
}
