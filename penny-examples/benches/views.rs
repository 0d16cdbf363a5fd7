//! Writes through buffer views are plain stores: Jacobi-1d (PolyBench) over slices, over
//! `In`/`Out` (a relaxed atomic store per element) and over `View`/`Stripes`, one task run
//! to completion on one thread (no scheduling), plus the views' task on a pool.
//!
//! ```text
//! cargo bench -p penny-examples --bench views
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use penny::{run_to_completion, Buffer, In, Out, Pool};
use penny_examples::parallel::{floats, jacobi_1d_slices, Jacobi1d, Jacobi1dOut};
use std::hint::black_box;

fn jacobi(c: &mut Criterion) {
    let n = 1 << 20;
    let a = floats(n, 5);
    let mut b = vec![0.0f32; n];
    let a_in = In::new(Vec::leak(a.clone()));
    let b_out = Out::leak_filled(n, 0.0f32);
    let a_buf = Buffer::from_vec(a.clone());
    let mut b_buf = Buffer::<f32>::zeroed(n);
    let b_stripes = b_buf.stripes(1);
    let pool = Pool::new();
    // Same results first.
    jacobi_1d_slices(&a, &mut b);
    run_to_completion(Jacobi1dOut::new(a_in, b_out));
    run_to_completion(Jacobi1d::new(a_buf.view(), b_stripes));
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&b_out.to_vec()), bits(&b));
    assert_eq!(bits(&b_buf.to_vec()), bits(&b));

    let mut g = c.benchmark_group("jacobi-1d (2^20 f32)");
    g.sample_size(30);
    g.bench_function("slices", |bench| {
        bench.iter(|| jacobi_1d_slices(black_box(&a), black_box(&mut b)))
    });
    g.bench_function("In/Out task", |bench| {
        bench.iter(|| run_to_completion(Jacobi1dOut::new(black_box(a_in), black_box(b_out))))
    });
    g.bench_function("View/Stripes task", |bench| {
        bench.iter(|| {
            run_to_completion(Jacobi1d::new(black_box(a_buf.view()), black_box(b_stripes)))
        })
    });
    g.bench_function("View/Stripes task on the pool", |bench| {
        bench.iter(|| {
            pool.spawn(Jacobi1d::new(black_box(a_buf.view()), black_box(b_stripes)))
                .join()
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, jacobi);
criterion_main!(benches);
