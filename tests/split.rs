//! `#[penny::split]` end to end. Every kernel here is checked against its plain function
//! (the reference): driven by hand with random budgets, random splits and a random order
//! of parts (`support::run_with_splits`, the protocol a pool follows), and on pools of
//! 1..8 workers.

mod support;

use penny::{In, Out, Pool};
use proptest::prelude::*;

fn hash(i: u64) -> u64 {
    let mut h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..8 {
        h = (h ^ (h >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    h
}

/// A wrapping sum.
#[penny::task]
fn sum_hash(n: u64) -> u64 {
    let mut acc = 0u64;
    #[penny::split(reduce(acc = +))]
    for i in 0..n {
        acc = acc.wrapping_add(hash(i));
    }
    acc
}

/// Two reductions, one `max`, one `min`, over an inclusive range with untyped literals.
#[penny::task]
fn extremes(lo: u32, hi: u32) -> (u64, u64, u32) {
    let mut best = 0;
    let mut worst = u64::MAX;
    let mut count = 0;
    #[penny::split(reduce(best = max, worst = min, count = +))]
    for i in lo..=hi {
        let h = hash(i as u64) % 1_000_000;
        if h > best {
            best = h;
        }
        worst = worst.min(h);
        count += 1;
    }
    (best, worst, count)
}

/// An array reduced elementwise: a histogram.
#[penny::task]
fn histogram(n: u32) -> [u32; 16] {
    let mut bins = [0u32; 16];
    #[penny::split(reduce(bins = +))]
    for i in 0..n {
        bins[(hash(i as u64) % 16) as usize] += 1;
    }
    bins
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Stats {
    count: u64,
    xor: u64,
    first: Option<u64>,
}

fn merge(a: Stats, b: Stats) -> Stats {
    Stats {
        count: a.count + b.count,
        xor: a.xor ^ b.xor,
        first: a.first.or(b.first),
    }
}

const EMPTY: Stats = Stats {
    count: 0,
    xor: 0,
    first: None,
};

/// A user combine function over a user type; `first` keeps the lowest index, so the
/// combine must keep the plain loop's order.
#[penny::task]
fn gather_stats(n: u64, every: u64) -> Stats {
    let mut s: Stats = EMPTY;
    #[penny::split(reduce(s = (merge, EMPTY)))]
    for i in 0..n {
        if i % every == 3 {
            s = merge(
                s,
                Stats {
                    count: 1,
                    xor: hash(i),
                    first: Some(i),
                },
            );
        }
    }
    s
}

/// Phases around a split loop, a split loop nested in an outer resumable loop, a
/// prologue the halves must not run again, and output written through `Out`.
#[penny::task]
fn phases(out: Out<u64>, rows: u32, cols: u32) -> u64 {
    let mut before = 0u64;
    for k in 0..3u64 {
        before += k;
    }
    let mut total = 0u64;
    for r in 0..rows {
        let mut row = 0u64;
        #[penny::split(reduce(row = +))]
        for c in 0..cols {
            let v = hash((r * cols + c) as u64) % 1000;
            out.set((r * cols + c) as usize, v);
            row += v;
        }
        total += row * (r as u64 + 1);
        penny::yield_now!();
    }
    total + before
}

/// An items loop over an array argument, split.
#[penny::task]
fn dot(a: [u32; 64], b: [u32; 64]) -> u64 {
    let mut acc = 0u64;
    #[penny::split(reduce(acc = +))]
    for (x, y) in a.iter().zip(b.iter()) {
        acc += (*x as u64) * (*y as u64);
    }
    acc
}

/// A split loop whose body has a plain inner loop with `break` and a `continue`.
#[penny::task]
fn collatz_total(n: u64) -> u64 {
    let mut steps = 0u64;
    #[penny::split(reduce(steps = +))]
    for start in 1..n {
        if start % 7 == 0 {
            continue;
        }
        let mut x = start;
        loop {
            if x == 1 {
                break;
            }
            x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
            steps += 1;
        }
    }
    steps
}

/// Which thread ran each iteration, as a tag per thread.
#[penny::task]
#[allow(dead_code)] // the plain function: its tags differ from run to run
fn who_ran(out: Out<u64>, n: u32) {
    #[penny::split]
    for i in 0..n {
        let mut h = 0u64;
        for k in 0..200u64 {
            h = h.wrapping_add(hash(k + i as u64));
        }
        std::hint::black_box(h);
        out.set(i as usize, thread_tag());
    }
}

fn thread_tag() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut s = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut s);
    s.finish()
}

#[test]
fn one_task_runs_on_several_workers_and_the_driver_splits() {
    let pool = Pool::builder().workers(4).build();
    let n = 200_000;
    let out = Out::<u64>::leak_filled(n as usize, 0);
    pool.spawn(WhoRan::new(out, n)).join().unwrap();
    let mut threads = out.to_vec();
    assert!(threads.iter().all(|&t| t != 0), "every iteration ran once");
    threads.sort();
    threads.dedup();
    assert!(
        threads.len() > 1,
        "one split task ran on {} thread(s)",
        threads.len()
    );
    let (sum, splits) = support::run_counting_splits(SumHash::new(5000), &[3, 50], &[0, 1, 2]);
    assert_eq!(sum, sum_hash(5000));
    assert!(splits > 10, "the driver split {splits} times");
}

/// A long cheap loop, then a split loop of slow iterations recording who ran them: the
/// cheap loop teaches the budget meter chunks of millions of iterations, which must not
/// carry over to the split loop (it would run whole in one chunk, on one worker).
#[penny::task]
#[allow(dead_code)] // the plain function: its tags differ from run to run
fn cheap_then_split(out: Out<u64>, cheap: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..cheap {
        x = x.wrapping_add(i ^ (i >> 3));
    }
    #[penny::split]
    for i in 0..out.len() {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_micros(200) {
            std::hint::spin_loop();
        }
        out.set(i, thread_tag());
    }
    x
}

#[test]
fn a_split_loop_after_a_cheap_loop_still_spreads_over_the_workers() {
    let pool = Pool::builder().workers(2).build();
    let out = Out::<u64>::leak_filled(400, 0); // 80 ms of iterations
    let x = pool
        .spawn(CheapThenSplit::new(out, 50_000_000))
        .join()
        .unwrap();
    assert_eq!(
        x,
        (0..50_000_000u64).fold(0u64, |x, i| x.wrapping_add(i ^ (i >> 3)))
    );
    let mut threads = out.to_vec();
    assert!(threads.iter().all(|&t| t != 0), "every iteration ran once");
    threads.sort();
    threads.dedup();
    assert_eq!(
        threads.len(),
        2,
        "the split loop ran on {} thread(s)",
        threads.len()
    );
}

/// A split loop over `chunks(k)` of a buffer whose length `k` needn't divide: a part joined
/// back runs one empty chunk at the count, whose start is past the data's end (it panicked
/// with "range start index .. out of range" before the chunk's start was clamped).
#[penny::task]
fn chunk_sums(data: In<u64>, k: usize) -> (u64, u64) {
    let mut weighted = 0u64;
    #[penny::split(reduce(weighted = +))]
    for (i, chunk) in data.chunks(k).enumerate() {
        let mut h = i as u64;
        for &x in chunk {
            h = hash(h ^ x);
        }
        weighted = weighted.wrapping_add(h);
    }
    let mut lasts = 0u64;
    #[penny::split(reduce(lasts = ^))]
    for chunk in data.chunks(k) {
        lasts ^= chunk[chunk.len() - 1].wrapping_mul(chunk.len() as u64);
    }
    (weighted, lasts)
}

fn hashes(n: u64) -> In<u64> {
    In::new(Vec::leak((0..n).map(hash).collect()))
}

fn arrays() -> ([u32; 64], [u32; 64]) {
    let a = core::array::from_fn(|i| hash(i as u64) as u32 % 1000);
    let b = core::array::from_fn(|i| hash(100 + i as u64) as u32 % 1000);
    (a, b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn split_kernels_equal_the_plain_functions(
        budgets in support::budgets(),
        choices in prop::collection::vec(any::<u32>(), 1..16),
        n in 0u64..3000,
        lo in 0u32..50,
    ) {
        let run = |t| support::run_with_splits(t, &budgets, &choices);
        prop_assert_eq!(run(SumHash::new(n)), sum_hash(n));
        let hi = lo + n as u32 % 500;
        prop_assert_eq!(support::run_with_splits(Extremes::new(lo, hi), &budgets, &choices), extremes(lo, hi));
        prop_assert_eq!(support::run_with_splits(Histogram::new(n as u32), &budgets, &choices), histogram(n as u32));
        prop_assert_eq!(support::run_with_splits(GatherStats::new(n, 5), &budgets, &choices), gather_stats(n, 5));
        let (a, b) = arrays();
        prop_assert_eq!(support::run_with_splits(Dot::new(a, b), &budgets, &choices), dot(a, b));
        prop_assert_eq!(support::run_with_splits(CollatzTotal::new(n % 400), &budgets, &choices), collatz_total(n % 400));
        let (rows, cols) = (1 + n as u32 % 5, n as u32 % 40);
        let plain = Out::<u64>::leak_filled((rows * cols) as usize, 0);
        let lowered = Out::<u64>::leak_filled((rows * cols) as usize, 0);
        prop_assert_eq!(support::run_with_splits(Phases::new(lowered, rows, cols), &budgets, &choices), phases(plain, rows, cols));
        prop_assert_eq!(lowered.to_vec(), plain.to_vec());
        let (data, k) = (hashes(n % 300), 1 + lo as usize % 7);
        prop_assert_eq!(support::run_with_splits(ChunkSums::new(data, k), &budgets, &choices), chunk_sums(data, k));
        let start = drained(n) + u64::from(lo);
        prop_assert_eq!(support::run_with_splits(Drain::new(start, n), &budgets, &choices), drain(start, n));
        prop_assert_eq!(support::run_with_splits(ZeroThenBig::new(n as u32), &budgets, &choices), zero_then_big(n as u32));
        prop_assert_eq!(support::run_with_splits(RiseAndFall::new(n as u32), &budgets, &choices), rise_and_fall(n as u32));
    }
}

#[test]
fn split_kernels_on_pools_of_every_size() {
    let n = 200_000;
    let (a, b) = arrays();
    for workers in [1, 2, 3, 4, 8] {
        let pool = Pool::builder().workers(workers).build();
        let sum = pool.spawn(SumHash::new(n));
        let ext = pool.spawn(Extremes::new(3, 150_000));
        let hist = pool.spawn(Histogram::new(150_000));
        let st = pool.spawn(GatherStats::new(100_000, 7));
        let d = pool.spawn(Dot::new(a, b));
        let col = pool.spawn(CollatzTotal::new(30_000));
        let (rows, cols) = (7, 20_000);
        let plain = Out::<u64>::leak_filled(rows * cols, 0);
        let lowered = Out::<u64>::leak_filled(rows * cols, 0);
        let ph = pool.spawn(Phases::new(lowered, rows as u32, cols as u32));
        assert_eq!(sum.join(), Ok(sum_hash(n)), "{workers} workers");
        assert_eq!(ext.join(), Ok(extremes(3, 150_000)));
        assert_eq!(hist.join(), Ok(histogram(150_000)));
        assert_eq!(st.join(), Ok(gather_stats(100_000, 7)));
        assert_eq!(d.join(), Ok(dot(a, b)));
        assert_eq!(col.join(), Ok(collatz_total(30_000)));
        assert_eq!(ph.join(), Ok(phases(plain, rows as u32, cols as u32)));
        assert_eq!(lowered.to_vec(), plain.to_vec());
        let data = hashes(100_001);
        let chunks = pool.spawn(ChunkSums::new(data, 3));
        assert_eq!(chunks.join(), Ok(chunk_sums(data, 3)), "{workers} workers");
    }
}

// ---- integer reductions whose parts overflow where the plain loop doesn't ---------------
//
// A part starts its copy of a reduction at the identity, so its running value is one the
// plain loop never had. The lowered updates wrap (as the combine does), so these equal their
// plain functions in debug builds too, where an overflow panics.

/// An unsigned loop that subtracts, reduced with `+`: a part starts at 0 and goes below it.
#[penny::task]
fn drain(start: u64, n: u64) -> u64 {
    let mut left = start;
    #[penny::split(reduce(left = +))]
    for i in 0..n {
        left -= i;
    }
    left
}

/// What [`drain`] subtracts from `start` for `n` iterations (so it never goes below 0).
fn drained(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Products whose zero factor comes first: the plain loop multiplies zeros, a part starting
/// at 1 multiplies the large factors.
#[penny::task]
fn zero_then_big(n: u32) -> (u8, i32, u64) {
    let mut p = 1u8;
    let mut q = 1i32;
    let mut r = 5u64;
    #[penny::split(reduce(p = *, q = *, r = *))]
    for i in 0..n {
        let f = if i == 0 { 0 } else { i % 7 + 2 };
        p *= f as u8;
        q = f as i32 * q * 1001;
        r *= u64::from(f) << 20;
    }
    (p, q, r)
}

/// Sums whose parts' running values overflow though the plain loop's don't: an `i32` that
/// climbs from -2e9 to 2e9 and falls back (a part in the falling half goes below
/// `i32::MIN`), a `u8` and the bins of a `[u16; 4]` that go down one and up one by turns.
#[penny::task]
#[allow(clippy::assign_op_pattern)] // the update forms are what's tested
fn rise_and_fall(n: u32) -> (i32, u8, [u16; 4]) {
    let half = n / 2;
    let step = (4_000_000_000 / u64::from(half.max(1))).min(2_000_000_000) as i32;
    let mut s = -2_000_000_000i32;
    let mut c = 100u8;
    let mut h = [1000u16; 4];
    #[penny::split(reduce(s = +, c = +, h = +))]
    for i in 0..n {
        let d = if i < half {
            step
        } else if i < 2 * half {
            -step
        } else {
            0
        };
        s = d + s;
        let k = (i / 2 % 4) as usize;
        if i % 2 == 0 {
            c = 3 + c - 1;
            h[k] -= 1;
        } else {
            c -= 2;
            h[k] = h[k] + 1;
        }
    }
    (s, c, h)
}

#[test]
fn integer_parts_wrap_where_the_plain_loop_does_not_overflow() {
    let n = 1_000_000u32;
    let start = drained(u64::from(n)) + 17;
    assert_eq!(drain(start, n.into()), 17);
    assert_eq!(zero_then_big(n), (0, 0, 0));
    assert_eq!(rise_and_fall(n), (-2_000_000_000, 100, [1000; 4]));
    for workers in [1, 2, 3, 4, 8] {
        let pool = Pool::builder().workers(workers).build();
        for _ in 0..3 {
            let d = pool.spawn(Drain::new(start, n.into()));
            let z = pool.spawn(ZeroThenBig::new(n));
            let r = pool.spawn(RiseAndFall::new(n));
            assert_eq!(d.join(), Ok(drain(start, n.into())), "{workers} workers");
            assert_eq!(z.join(), Ok(zero_then_big(n)), "{workers} workers");
            assert_eq!(r.join(), Ok(rise_and_fall(n)), "{workers} workers");
        }
    }
    // Splits forced by the driver: halves of every size, from the first iterations on.
    let (b, c) = (&[1, 2, 3, 50, 7][..], &[0, 0, 1, 3][..]);
    for n in [0u32, 1, 2, 3, 7, 100, 2001] {
        let start = drained(u64::from(n));
        let (got, splits) = support::run_counting_splits(Drain::new(start, n.into()), b, c);
        assert_eq!(got, drain(start, n.into()), "n = {n}");
        assert!(n < 100 || splits > 5, "{splits} splits");
        let got = support::run_with_splits(ZeroThenBig::new(n), b, c);
        assert_eq!(got, zero_then_big(n), "n = {n}");
        let got = support::run_with_splits(RiseAndFall::new(n), b, c);
        assert_eq!(got, rise_and_fall(n), "n = {n}");
    }
}

fn unit(i: u64) -> f32 {
    (hash(i) % 10_000) as f32 * 1e-4 - 0.3
}

/// A float sum of squares, with an untyped literal.
#[penny::task]
fn sum_squares(n: u64) -> f32 {
    let mut acc = 0.0;
    #[penny::split(reduce(acc = +))]
    for i in 0..n {
        let x = unit(i);
        acc += x * x;
    }
    acc
}

/// A float product and a float max over f64 next to an integer count, starting from
/// values that are not the identities.
#[penny::task]
fn float_mix(n: u64) -> (f64, f64, u64) {
    let mut prod = 1.5f64;
    let mut top = -1.0f64;
    let mut odd = 0u64;
    #[penny::split(reduce(prod = *, top = max, odd = +))]
    for i in 0..n {
        let x = unit(i) as f64;
        prod *= 1.0 + x * 1e-3;
        top = top.max(x);
        odd += i & 1;
    }
    (prod, top, odd)
}

fn sum_squares_reference(n: u64) -> f32 {
    penny::reference::tree_fold(
        n,
        0.0f32,
        0.0,
        |i, acc| *acc += unit(i) * unit(i),
        |a, b| a + b,
    )
}

fn float_mix_reference(n: u64) -> (f64, f64, u64) {
    use penny::__private::reduce::{combine, Max};
    let prod = penny::reference::tree_fold(
        n,
        1.5f64,
        1.0,
        |i, p| *p *= 1.0 + unit(i) as f64 * 1e-3,
        |a, b| a * b,
    );
    let top = penny::reference::tree_fold(
        n,
        -1.0f64,
        f64::NEG_INFINITY,
        |i, t| *t = t.max(unit(i) as f64),
        combine::<Max, f64>,
    );
    (prod, top, (0..n).map(|i| i & 1).sum())
}

fn bits(v: (f64, f64, u64)) -> (u64, u64, u64) {
    (v.0.to_bits(), v.1.to_bits(), v.2)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn float_reductions_are_bit_identical_to_the_tree(
        budgets in support::budgets(),
        choices in prop::collection::vec(any::<u32>(), 1..16),
        n in prop_oneof![0u64..300, 4000u64..12_000],
    ) {
        let got = support::run_with_splits(SumSquares::new(n), &budgets, &choices);
        prop_assert_eq!(got.to_bits(), sum_squares_reference(n).to_bits());
        let got = support::run_with_splits(FloatMix::new(n), &budgets, &choices);
        prop_assert_eq!(bits(got), bits(float_mix_reference(n)));
    }
}

#[test]
fn float_reductions_are_the_same_on_every_pool_and_run() {
    let n = 1_000_003;
    let want = sum_squares_reference(n);
    let mix = bits(float_mix_reference(n));
    // The tree differs from the plain linear sum, but not by much.
    let plain = sum_squares(n);
    assert!(((want - plain) / want).abs() < 1e-3, "{want} vs {plain}");
    let plain = float_mix(n);
    assert!(((f64::from_bits(mix.0) - plain.0) / plain.0).abs() < 1e-9);
    assert_eq!((f64::from_bits(mix.1), mix.2), (plain.1, plain.2));
    for workers in [1, 2, 3, 4, 8] {
        let pool = Pool::builder().workers(workers).build();
        for _ in 0..3 {
            let a = pool.spawn(SumSquares::new(n));
            let b = pool.spawn(FloatMix::new(n));
            assert_eq!(
                a.join().unwrap().to_bits(),
                want.to_bits(),
                "{workers} workers"
            );
            assert_eq!(bits(b.join().unwrap()), mix, "{workers} workers");
        }
    }
}

// ---- kernels written the way a newcomer would ---------------------------------------------

/// Untyped literals, a stepped reversed range, a branch at function level.
#[penny::task]
fn odd_ones(n: u64, backwards: bool) -> (i32, u64) {
    let mut count = 0;
    let mut biggest = 0;
    if backwards {
        #[penny::split(reduce(count = +, biggest = max))]
        for i in (0..n).rev().step_by(3) {
            if hash(i) % 2 == 1 {
                count += 1;
                biggest = biggest.max(hash(i) % 1000);
            }
        }
    } else {
        #[penny::split(reduce(count = +, biggest = max))]
        for i in 0..n {
            if hash(i) % 2 == 1 {
                count += 1;
                biggest = biggest.max(hash(i) % 1000);
            }
        }
    }
    (count, biggest)
}

/// A `char` range, split.
#[penny::task]
fn letters(seed: u64) -> u64 {
    let mut mix = 0u64;
    #[penny::split(reduce(mix = ^))]
    for c in 'a'..='z' {
        mix ^= hash(seed ^ c as u64);
    }
    mix
}

/// An iterator loop over an array argument, with `enumerate`, split.
#[penny::task]
fn weighted(data: [u32; 100]) -> u64 {
    let mut total = 0;
    #[penny::split(reduce(total = +))]
    for (i, x) in data.iter().enumerate() {
        total += *x as u64 * i as u64;
    }
    total
}

/// A generic kernel with a float reduction (a tree).
#[penny::task]
fn mean_of<T: Copy + Into<f64> + Send + Sync + 'static>(xs: penny::View<T>) -> f64 {
    let mut sum = 0.0;
    #[penny::split(reduce(sum = +))]
    for i in 0..xs.len() {
        sum += xs[i].into();
    }
    sum / xs.len().max(1) as f64
}

/// Float min with NaN-free data and `f64::MAX` start.
#[penny::task]
fn closest(n: u32, target: f64) -> f64 {
    let mut best = f64::MAX;
    #[penny::split(reduce(best = min))]
    for i in 0..n {
        let d = (unit(i as u64) as f64 - target).abs();
        if d < best {
            best = d;
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn newcomer_split_kernels_equal_their_plain_functions(
        budgets in support::budgets(),
        choices in prop::collection::vec(any::<u32>(), 1..16),
        n in 0u64..2000,
        backwards in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let (b, c) = (&budgets, &choices);
        prop_assert_eq!(support::run_with_splits(OddOnes::new(n, backwards), b, c), odd_ones(n, backwards));
        prop_assert_eq!(support::run_with_splits(Letters::new(seed), b, c), letters(seed));
        let data: [u32; 100] = core::array::from_fn(|i| (hash(seed ^ i as u64) % 1000) as u32);
        prop_assert_eq!(support::run_with_splits(Weighted::new(data), b, c), weighted(data));
        prop_assert_eq!(support::run_with_splits(Closest::new(n as u32, 0.1), b, c), closest(n as u32, 0.1));
        let xs: Vec<f32> = (0..n).map(unit).collect();
        let buf = penny::Buffer::from_vec(xs.clone());
        let want = penny::reference::tree_fold(n, 0.0f64, 0.0, |i, s| *s += xs[i as usize] as f64, |a, b| a + b)
            / n.max(1) as f64;
        prop_assert_eq!(support::run_with_splits(MeanOf::new(buf.view()), b, c).to_bits(), want.to_bits());
    }
}
