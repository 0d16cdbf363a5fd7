// Every update form a built-in reduction accepts, and the reads a custom reduction may make
// in its own update, compile and run equal to the plain function on pools of 1..4 workers.
#![forbid(unsafe_code)]
#![deny(warnings)]

use penny::Pool;
use std::cmp::max;

fn hash(i: u64) -> u64 {
    let mut h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^= h >> 31;
    h.wrapping_mul(0xBF58_476D_1CE4_E5B9)
}

type Sums = (i64, i64, i64, i64, u64, i64);

/// `+` and `*`.
#[penny::task]
pub fn arithmetic(n: u64) -> (Sums, (u64, u64, u64)) {
    let mut a: i64 = 0;
    let mut b: i64 = 100;
    let mut c: i64 = 0;
    let mut d: i64 = 0;
    let mut e: u64 = 0;
    let mut f: i64 = 0;
    let mut p: u64 = 1;
    let mut q: u64 = 1;
    let mut r: u64 = 3;
    #[penny::split(reduce(a = +, b = +, c = +, d = +, e = +, f = +, p = *, q = *, r = *))]
    for i in 0..n {
        let v = (hash(i) % 1000) as i64;
        a += v;
        b -= v;
        c = c + v * 2;
        d = (v - 1) + d;
        e = e.wrapping_add(hash(i));
        f = f - v + 3;
        if i % 5000 == 0 {
            p *= 2;
            q = q * 3;
        }
        r = r.wrapping_mul(hash(i) | 1);
    }
    ((a, b, c, d, e, f), (p, q, r))
}

/// `& | ^`, on integers and `bool`.
#[penny::task]
pub fn bits(n: u64) -> (u64, u64, u64, bool, bool, bool, bool) {
    let mut and = u64::MAX;
    let mut or = 0u64;
    let mut xor = 0u64;
    let mut all = true;
    let mut any = false;
    let mut found = false;
    let mut clean = true;
    #[penny::split(reduce(and = &, or = |, xor = ^, all = &, any = |, found = |, clean = &))]
    for i in 0..n {
        let h = hash(i);
        and &= h | 1;
        or = or | (1 << (h % 64));
        xor = h ^ xor;
        all &= h % 1_000_003 != 0;
        any |= h % 997 == 0;
        if h % 10_007 == 5 {
            found = true;
        }
        if h == 0 {
            clean = false;
        }
    }
    (and, or, xor, all, any, found, clean)
}

/// `min` and `max`: methods, functions, guarded overwrites (with other conditions joined by
/// `&&`), and elementwise on arrays.
#[penny::task]
pub fn extremes(n: u64) -> ([u64; 8], [u64; 4], [u64; 4]) {
    let mut lo1 = u64::MAX;
    let mut lo2 = u64::MAX;
    let mut lo3 = u64::MAX;
    let mut lo4 = u64::MAX;
    let mut hi1 = 0u64;
    let mut hi2 = 0u64;
    let mut hi3 = 0u64;
    let mut hi4 = 0u64;
    let mut top = [0u64; 4];
    let mut bottom = [u64::MAX; 4];
    #[penny::split(reduce(lo1 = min, lo2 = min, lo3 = min, lo4 = min, hi1 = max, hi2 = max, hi3 = max, hi4 = max, top = max, bottom = min))]
    for i in 0..n {
        let v = hash(i) % 1_000_000;
        lo1 = lo1.min(v);
        lo2 = (v + 1).min(lo2);
        lo3 = core::cmp::min(lo3, v / 2);
        if v <= lo4 {
            lo4 = v;
        }
        hi1 = u64::max(hi1, v);
        hi2 = max(v * 3, hi2);
        if v > hi3 {
            hi3 = v;
        }
        if i % 2 == 0 && hi4 < v / 3 {
            hi4 = v / 3;
        }
        let k = (i % 4) as usize;
        top[k] = top[k].max(v);
        if v < bottom[k] {
            bottom[k] = v;
        }
    }
    ([lo1, lo2, lo3, lo4, hi1, hi2, hi3, hi4], top, bottom)
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Best {
    pub value: u64,
    pub index: u64,
}

/// The smaller value, the earlier index on a tie.
fn better(a: Best, b: Best) -> Best {
    if b.value < a.value || (b.value == a.value && b.index < a.index) {
        b
    } else {
        a
    }
}

const WORST: Best = Best {
    value: u64::MAX,
    index: u64::MAX,
};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Counts {
    pub c: [u32; 8],
}

impl Counts {
    fn add(&mut self, k: usize) {
        self.c[k] += 1;
    }
}

fn add_counts(a: Counts, b: Counts) -> Counts {
    Counts {
        c: core::array::from_fn(|k| a.c[k] + b.c[k]),
    }
}

const NO_COUNTS: Counts = Counts { c: [0; 8] };

/// Custom reductions: an arg-min whose guard reads the running best, a method updating
/// through `&mut self`, an element of an array, and the array reduced elementwise with `+`.
#[penny::task]
pub fn custom(n: u64) -> (Best, Counts, [u64; 4], [u32; 8]) {
    let mut best: Best = WORST;
    let mut counts: Counts = NO_COUNTS;
    let mut firsts = [u64::MAX; 4];
    let mut hist = [0u32; 8];
    #[penny::split(reduce(best = (better, WORST), counts = (add_counts, NO_COUNTS), firsts = (min4, [u64::MAX; 4]), hist = +))]
    for i in 0..n {
        let v = hash(i) % 100_000;
        if v < best.value {
            best = Best { value: v, index: i };
        }
        counts.add((v % 8) as usize);
        let k = (v % 4) as usize;
        firsts[k] = firsts[k].min(i);
        hist[(v % 8) as usize] += 1;
    }
    (best, counts, firsts, hist)
}

#[derive(Clone, Copy)]
pub struct Sample {
    pub count: u64,
}

/// Chains of one operator's method bottoming at the reduction, labelled blocks and inner
/// loops left with `break 'label` (the iteration goes on), and a field or an escaped
/// `{{name}}` in a macro that shares a reduction's name (not a read of it).
#[penny::task]
pub fn chains_and_labels(n: u64) -> (u64, u64, u64, u64) {
    let mut hi = 0u64;
    let mut acc = 0u64;
    let mut sum = 0u64;
    let mut count = 0u64;
    #[penny::split(reduce(hi = max, acc = +, sum = +, count = +))]
    for i in 0..n {
        let (a, b) = (hash(i) % 97, hash(i) % 89);
        hi = hi.max(a).max(b);
        acc = acc.wrapping_add(hash(i)).wrapping_sub(a).wrapping_add(b);
        'body: {
            if i % 3 == 0 {
                break 'body;
            }
            sum += i;
        }
        'search: for k in 2..(i % 50) {
            if i % k == 0 {
                sum += k;
                break 'search;
            }
        }
        let p = Sample { count: i % 5 };
        debug_assert!(p.count < 5, "bad count {} {{count}}", p.count);
        count += p.count;
    }
    (hi, acc, sum, count)
}

/// An integer reduction whose type is written through an alias: no tree needed, so it
/// compiles (a float alias would not: `tests/ui/split_float_alias.rs`).
type Count = u64;

#[penny::task]
fn aliased(n: u64) -> u64 {
    let mut total: Count = 0;
    #[penny::split(reduce(total = +))]
    for i in 0..n {
        total += i % 7;
    }
    total
}

fn min4(a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
    core::array::from_fn(|k| a[k].min(b[k]))
}

fn main() {
    let n = 60_000;
    for workers in [1, 2, 4] {
        let pool = Pool::builder().workers(workers).build();
        assert_eq!(pool.spawn(Arithmetic::new(n)).join(), Ok(arithmetic(n)));
        assert_eq!(pool.spawn(Bits::new(n)).join(), Ok(bits(n)));
        assert_eq!(pool.spawn(Extremes::new(n)).join(), Ok(extremes(n)));
        assert_eq!(pool.spawn(Custom::new(n)).join(), Ok(custom(n)));
        assert_eq!(
            pool.spawn(ChainsAndLabels::new(n)).join(),
            Ok(chains_and_labels(n))
        );
        assert_eq!(pool.spawn(Aliased::new(n as u64)).join(), Ok(aliased(n as u64)));
    }
}
