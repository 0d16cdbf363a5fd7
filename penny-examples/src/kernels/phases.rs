//! Several sequential phases with state flowing between them, and every range shape:
//! inclusive, `.rev()`, `.step_by(k)`, negative `i64` bounds, `u8` ranges ending at 255, and
//! empty ranges.

/// Two phases: the mean, then the mean absolute deviation from it.
#[penny::task]
pub fn mean_deviation(n: u32, seed: u32) -> f64 {
    let mut sum = 0.0f64;
    for i in 0..n {
        sum += ((i ^ seed) % 97) as f64;
    }
    let mean = sum / n.max(1) as f64;
    let mut deviation = 0.0f64;
    for i in 0..n {
        deviation += (((i ^ seed) % 97) as f64 - mean).abs();
    }
    deviation / n.max(1) as f64
}

/// Three phases: a `for` that finds a range, a `while` that walks it, a reversed `for` that
/// folds, with an epilogue mixing everything.
#[penny::task]
pub fn three_phases(n: u32, seed: u64) -> (u64, u64, u32) {
    let mut lo: u64 = u64::MAX;
    let mut hi = 0u64;
    let mut state = seed;
    for _ in 0..n {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
        let v = state >> 54;
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let mut walk = lo;
    let mut hops = 0u32;
    while walk < hi {
        walk += 1 + walk / 4;
        hops += 1;
    }
    let mut fold = walk;
    for i in (0..hops as u64).rev() {
        fold = fold.rotate_left(3) ^ i;
    }
    (fold, hi.wrapping_sub(lo), hops)
}

/// `.rev()` and `.step_by(k)` on `i64` ranges that go negative.
#[penny::task]
pub fn strided(n: i64, k: usize) -> i64 {
    let mut acc = 0i64;
    for i in (0..n).rev().step_by(k) {
        acc = acc.wrapping_mul(31).wrapping_add(i);
    }
    for j in (-n..=n).step_by(k) {
        acc ^= j;
    }
    for j in (-n * 2..-n).rev() {
        acc = acc.wrapping_sub(j * 3);
    }
    acc
}

/// `.step_by` then `.rev()` on an exclusive range, and `.rev().step_by` on an inclusive one.
#[penny::task]
pub fn range_shapes(a: i32, b: i32, k: usize) -> (i64, i64) {
    let mut first = 0i64;
    for i in (a..b).step_by(k).rev() {
        first = first * 7 % 1_000_003 + i as i64;
    }
    let mut second = 0i64;
    for i in (a..=b).rev().step_by(k) {
        second = second * 5 % 1_000_003 + i as i64;
    }
    (first, second)
}

/// `u8` ranges that end at 255: the full `0..=255u8`, and `lo..=hi` from arguments.
#[penny::task]
pub fn u8_ranges(lo: u8, hi: u8) -> (u32, u32, u32) {
    let mut all = 0u32;
    for b in 0..=255u8 {
        all = all.wrapping_mul(31) ^ b as u32;
    }
    let mut part = 0u32;
    for b in lo..=hi {
        part = part.wrapping_mul(17).wrapping_add(b as u32);
    }
    let mut down = 0u32;
    for b in (lo..=255u8).rev().step_by(3) {
        down = down.wrapping_mul(13) ^ b as u32;
    }
    (all, part, down)
}

/// Ranges that may be empty: `n..m` with `n > m`, `0..n` with `n == 0`, and a loop between
/// them.
#[penny::task]
pub fn maybe_empty(n: u32, m: u32) -> (u64, u32) {
    let mut acc = 7u64;
    for i in n..m {
        acc = acc.wrapping_mul(3) + i as u64;
    }
    let mut count = 0u32;
    for i in 0..n {
        count += i % 2;
    }
    for i in (m..n).rev() {
        acc ^= i as u64;
    }
    (acc, count)
}

/// A `usize` range over a computed length, with a prologue and epilogue around the phases.
#[penny::task]
pub fn prologue_epilogue(n: usize, bias: i32) -> i64 {
    let start = (bias as i64).abs() % 5;
    let mut acc: i64 = start * 100;
    for i in 0..n * 2 + 1 {
        acc += if i % 2 == 0 {
            i as i64
        } else {
            -(i as i64) / 2
        };
    }
    let scaled = acc * 3;
    let mut tail = scaled;
    for i in 0..start as usize {
        tail -= i as i64;
    }
    tail + bias as i64
}

/// 128-bit ranges spanning more than 2^64 values, thinned by a large `step_by` (and one whose
/// bound a call computes, so the range is saved in the state): a resumed loop ran from a
/// length cut to 64 bits (2 iterations instead of 8 for `(0..1 << 66).step_by(1 << 63)`).
#[penny::task]
pub fn wide_strides(hi: u128, shift: u32) -> (u32, u128, i128) {
    let mut count = 0u32;
    let mut sum = 0u128;
    // 2^63 and 2^62 on 64-bit targets (half and a quarter of `usize`'s range elsewhere).
    for i in (0..hi).step_by(usize::MAX / 2 + 1) {
        count += 1;
        sum = sum.wrapping_add(i);
    }
    let h = (hi >> 2) as i128;
    let mut signed = 0i128;
    for i in (-h..h).rev().step_by(usize::MAX / 4 + 1) {
        count += 1;
        signed = signed.wrapping_mul(3).wrapping_add(i);
    }
    for i in (0..=wide_bound(hi, shift)).rev().step_by(usize::MAX) {
        count += 1;
        sum ^= i;
    }
    (count, sum, signed)
}

/// A bound computed by a call, for [`wide_strides`].
fn wide_bound(hi: u128, shift: u32) -> u128 {
    hi.rotate_left(shift % 128)
}

/// Full-width `i8` ranges, reversed and strided: every value from -128 to 127.
#[penny::task]
pub fn i8_full(k: usize) -> i64 {
    let mut acc = 0i64;
    for i in (-128..=127i8).rev().step_by(k) {
        acc = acc * 3 % 1000003 + i as i64;
    }
    for i in (i8::MIN..i8::MAX).step_by(k) {
        acc = acc * 5 % 1000003 + i as i64;
    }
    acc
}

/// `return` in the prologue (before any loop) and in the epilogue.
#[penny::task]
pub fn early_prologue(n: u32) -> u32 {
    if n == 3 {
        return 42;
    }
    let mut acc = 1u32;
    for i in 0..n {
        acc = acc.wrapping_mul(i + 3);
    }
    if acc % 2 == 0 {
        return acc / 2;
    }
    acc
}

/// Ranges that read a prologue variable (not an argument).
#[penny::task]
pub fn prologue_range(n: u32) -> u32 {
    let half = n / 2;
    let mut acc = 0u32;
    for i in half..n {
        acc += i;
    }
    for i in 0..half {
        acc ^= i;
    }
    acc
}

/// An empty loop body, and a `while` whose counter is the result.
#[penny::task]
pub fn empty_body(n: u32) -> u32 {
    for _ in 0..n {}
    let mut i = 0u32;
    while i < n {
        i += 1;
    }
    i
}

/// A `mut` argument updated in the loop.
#[penny::task]
pub fn mut_arg(mut x: u64, n: u32) -> u64 {
    for i in 0..n {
        x = x.wrapping_mul(3) ^ i as u64;
    }
    x
}

/// Counting down from `u64::MAX`: a full-width inclusive range, reversed, left by `break`.
#[penny::task]
pub fn full_rev(limit: u32) -> (u64, u32) {
    let mut acc = 0u64;
    let mut count = 0u32;
    for i in (0..=u64::MAX).rev() {
        acc = acc.rotate_left(5) ^ i;
        count += 1;
        if count >= limit {
            break;
        }
    }
    (acc, count)
}

/// The whole `i64` range, reversed, with a stride of about 2^62 (a quarter of `usize` on
/// 32-bit targets).
#[penny::task]
pub fn full_rev_step(k: u32) -> i64 {
    let mut acc = 0i64;
    for i in (i64::MIN..=i64::MAX)
        .rev()
        .step_by((1usize << (usize::BITS - 2)) + k as usize)
    {
        acc = acc.wrapping_mul(31).wrapping_add(i);
    }
    acc
}

/// An argument shadowed by a prologue variable of the same type, which the range reads, and
/// shadowed again inside the loop body.
#[penny::task]
pub fn shadow_arg(n: u32) -> u64 {
    let n = n / 2 + 1;
    let mut acc = 0u64;
    for i in 0..n {
        let n = i * 3;
        acc += n as u64;
    }
    acc + n as u64
}

/// `let`s after the last phase, read by the tail expression (and an early `return` there).
#[penny::task]
pub fn epilogue_let(n: u32) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc += i as u64;
    }
    let doubled = acc * 2;
    if doubled % 3 == 0 {
        return doubled / 3;
    }
    doubled + 1
}
