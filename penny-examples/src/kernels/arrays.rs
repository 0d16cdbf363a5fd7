//! Array, tuple, `Option` and user-struct state, and output through `penny::Out`.

use penny::{In, Out};

/// A `[u32; 16]` histogram of a xorshift stream, then a `for i in 0..16` phase indexing it.
#[penny::task]
pub fn histogram(n: u32, seed: u32) -> [u32; 16] {
    let mut bins = [0u32; 16];
    let mut state = seed | 1;
    for _ in 0..n {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bins[(state % 16) as usize] += 1;
    }
    let mut folded = [0u32; 16];
    for i in 0..16 {
        folded[i] = bins[i] * 3 + bins[15 - i];
    }
    folded
}

/// Four `f64` accumulators in an array (a manually unrolled sum), combined at the end.
#[penny::task]
pub fn four_lanes(n: u32, step: f64) -> [f64; 4] {
    let mut lanes = [0.0f64; 4];
    for i in 0..n {
        let x = i as f64 * step;
        lanes[(i % 4) as usize] += x * x - x.sin();
    }
    for i in 1..4 {
        lanes[i] += lanes[i - 1] * 0.5;
    }
    lanes
}

/// Tuple state updated as a whole and element-wise.
#[penny::task]
pub fn fibonacci_pair(n: u32) -> (u64, u64, i32) {
    let mut pair = (0u64, 1u64);
    let mut sign = (1i32,);
    for _ in 0..n {
        pair = (pair.1, pair.0.wrapping_add(pair.1));
        sign.0 = -sign.0;
    }
    (pair.0, pair.1, sign.0)
}

/// `Option` state: the last value seen that passed a filter, and the largest gap between them.
#[penny::task]
pub fn last_match(n: u32, modulus: u32) -> (Option<u32>, Option<u32>) {
    let mut last: Option<u32> = None;
    let mut widest: Option<u32> = None;
    for i in 0..n {
        if (i * i + 1) % modulus.max(1) == 0 {
            if let Some(prev) = last {
                let gap = i - prev;
                widest = Some(widest.map_or(gap, |w| w.max(gap)));
            }
            last = Some(i);
        }
    }
    (last, widest)
}

/// Running statistics kept in a user struct.
#[derive(Clone, Copy, Debug, PartialEq, penny::Pod)]
pub struct Stats {
    /// Values seen.
    pub count: u32,
    /// Their sum.
    pub sum: f64,
    /// The largest.
    pub max: f64,
    /// The index of the largest.
    pub argmax: u32,
}

/// A `#[derive(penny::Pod)]` struct as carried state.
#[penny::task]
pub fn running_stats(n: u32, freq: f64) -> Stats {
    let mut stats: Stats = Stats {
        count: 0,
        sum: 0.0,
        max: f64::MIN,
        argmax: 0,
    };
    for i in 0..n {
        let v = (i as f64 * freq).sin() * (i as f64).sqrt();
        stats.count += 1;
        stats.sum += v;
        if v > stats.max {
            stats.max = v;
            stats.argmax = i;
        }
    }
    stats
}

/// Writes per-index results into a shared output buffer; returns how many were written.
#[penny::task]
pub fn squares_out(out: Out<u64>, offset: u64) -> u32 {
    let mut written = 0u32;
    for i in 0..out.len() {
        out.set(i, (i as u64 + offset) * (i as u64 + offset));
        written += 1;
    }
    written
}

/// Reads one buffer and writes a prefix sum into another; an `f32` output buffer.
#[penny::task]
pub fn prefix_sum_out(input: In<f32>, out: Out<f32>) -> f32 {
    let mut running = 0.0f32;
    for i in 0..input.len().min(out.len()) {
        running += input[i];
        out.set(i, running);
    }
    running
}

/// Carried variables declared by destructuring a tuple.
#[penny::task]
pub fn destructure(n: u32) -> (u64, u64) {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let t = a.wrapping_add(b);
        a = b;
        b = t;
    }
    (a, b)
}

/// 128-bit state (16-byte aligned fields in the `#[repr(C)]` state).
#[penny::task]
pub fn wide(n: u32) -> (u128, i128) {
    let mut a = 1u128;
    let mut b = -1i128;
    for i in 0..n {
        a = a.wrapping_mul(0x9E3779B97F4A7C15u128) ^ i as u128;
        b = b.wrapping_mul(3) - i as i128;
    }
    (a, b)
}

/// A 2D array `[[u8; 4]; 4]` carried across iterations.
#[penny::task]
pub fn grid(n: u32) -> [[u8; 4]; 4] {
    let mut g = [[0u8; 4]; 4];
    for i in 0..n {
        let r = (i % 4) as usize;
        let c = (i / 4 % 4) as usize;
        g[r][c] = g[r][c].wrapping_add(i as u8);
    }
    g
}

/// `Option::take` on carried state.
#[penny::task]
pub fn option_take(n: u32) -> (u32, Option<u32>) {
    let mut pending: Option<u32> = None;
    let mut pairs = 0u32;
    for i in 0..n {
        if let Some(p) = pending.take() {
            pairs += p ^ i;
        } else if i % 3 == 0 {
            pending = Some(i);
        }
    }
    (pairs, pending)
}

/// Returns nothing, only writes an `Out` buffer.
#[penny::task]
pub fn fill_out(out: Out<i32>, k: i32) {
    for i in 0..out.len() {
        out.set(i, i as i32 * k - 3);
    }
}

/// Heap values (`Vec`, `String`) that live only in the prologue or inside one iteration never
/// enter the state, so they are allowed.
#[penny::task]
pub fn heap_in_iteration(n: u32) -> u64 {
    let v: Vec<u32> = (0..n % 7).collect();
    let base: u64 = v.iter().map(|&x| x as u64).sum();
    let mut acc = base;
    for i in 0..n {
        let w: Vec<u32> = std::iter::repeat_n(i, 3).collect();
        let s = format!("{i}");
        acc += w.len() as u64 + s.len() as u64;
    }
    acc
}

/// A tuple struct of plain data.
#[derive(Clone, Copy, Debug, PartialEq, penny::Pod)]
pub struct Pair(pub u32, pub i64);

/// A `#[derive(penny::Pod)]` tuple struct as carried state.
#[penny::task]
pub fn tuple_struct(n: u32) -> Pair {
    let mut p: Pair = Pair(0, 0);
    for i in 0..n {
        p.0 += i;
        p.1 -= i as i64;
    }
    p
}

/// `return;` from inside the loop of a kernel that returns nothing.
#[penny::task]
pub fn unit_return(out: Out<u32>, stop: u32) {
    for i in 0..out.len() {
        if i as u32 == stop {
            return;
        }
        out.set(i, i as u32 + 1);
    }
}

/// Hex, underscored, negative, exponent and `char` literals as carried state; `f64` NaNs
/// (compared by their bits) once `sqrt` goes negative.
#[penny::task]
pub fn literals(n: u32) -> ([(u8, u16); 3], i32, char, f64, u64) {
    let mut arr = [(0xFFu8, 1_000u16); 3];
    let mut neg = -5i32;
    let mut c = 'a';
    let mut nan = 1e3f64;
    let mut big = 1_000_000u64;
    for i in 0..n {
        arr[(i % 3) as usize].0 = arr[(i % 3) as usize].0.wrapping_add(i as u8);
        arr[(i % 3) as usize].1 ^= i as u16;
        neg -= 1;
        c = if c == 'z' {
            'a'
        } else {
            char::from(c as u8 + 1)
        };
        nan = (nan - 500.0).sqrt();
        big = big.wrapping_mul(big | 1);
    }
    (arr, neg, c, nan, big)
}
