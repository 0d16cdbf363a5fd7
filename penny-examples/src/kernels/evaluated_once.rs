//! Ranges whose expression has effects or reads what the loop body changes. Rust evaluates a
//! `for` loop's range once; the lowered loops must too (these once compiled and returned
//! wrong results, or overflowed inside generated code, under small budgets).

/// Advances `s` and returns a loop bound derived from it: a range bound with a side effect.
pub fn bump(s: &mut u32) -> u32 {
    *s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
    (*s >> 16) % 40 + 1
}

/// A loop whose bound is computed by a call that changes a carried variable.
#[penny::task]
pub fn side_effect_bound(seed: u32, rounds: u32) -> (u64, u32) {
    let mut s = seed;
    let mut sum = 0u64;
    for round in 0..rounds {
        for i in 0..bump(&mut s) {
            sum = sum.wrapping_mul(31).wrapping_add(u64::from(i ^ round ^ s));
            penny::yield_now!();
        }
        penny::yield_now!();
    }
    for i in 0..bump(&mut s) {
        sum = sum.wrapping_add(u64::from(i) * u64::from(s % 97));
    }
    (sum, s)
}

/// A small xorshift generator: a user `Copy` struct carried in the state.
#[derive(Clone, Copy, Debug, penny::Pod)]
pub struct Rng {
    /// The generator's state (never 0).
    pub state: u64,
}

impl Rng {
    /// The next value of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }
}

/// Loop bounds drawn from a carried generator, at the function level and nested.
#[penny::task]
pub fn rng_bounded_loops(seed: u64, rounds: u32) -> (u64, u64) {
    let mut rng = Rng { state: seed | 1 };
    let mut acc = 0u64;
    for k in 0..rng.next_u64() % 50 {
        acc = acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(k);
    }
    for round in 0..rounds {
        for k in (0..rng.next_u64() % 30).rev().step_by(2) {
            acc ^= k.rotate_left(round % 64) ^ rng.state;
            penny::yield_now!();
        }
        penny::yield_now!();
    }
    (acc, rng.state)
}

/// The body changes what the range read: the range must keep its first value.
#[penny::task]
pub fn range_reads_mutated_array(first: u32, second: u32) -> (u32, [u32; 4]) {
    let mut a = [first, second, 0, 0];
    let mut count = 0u32;
    for _ in 0..a[0] {
        a.swap(0, 1);
        count += 1;
    }
    (count, a)
}

/// The body shadows the bound with a copy it changes (once rejected as "assigns what the
/// range reads").
#[penny::task]
pub fn bound_shadowed_in_body(n: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        let mut n = n;
        n -= i;
        total += u64::from(n);
    }
    total
}

/// A bound read from a `mut` argument the body keeps changing.
#[penny::task]
#[allow(clippy::mut_range_bound)] // the point: the range keeps its first value
pub fn mut_argument_bound(mut n: u32) -> (u32, u32) {
    let mut seen = 0u32;
    for i in 0..n {
        n = n.wrapping_add(i % 3);
        seen += 1;
    }
    (seen, n)
}

/// A bound read from a `mut` variable named like a constant (`LIMIT`): a variable all the
/// same, so the range keeps its first value. (The name once made the range count as one that
/// may be evaluated again, and the task ran until `LIMIT += 1` overflowed.)
#[penny::task]
#[allow(non_snake_case, clippy::mut_range_bound)]
pub fn constant_named_bound(n: u32) -> (u32, u32) {
    let mut LIMIT = n;
    let mut acc = 0u32;
    for i in 0..LIMIT {
        LIMIT += 1;
        acc = acc.wrapping_mul(3).wrapping_add(i);
    }
    (acc, LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use penny::{Step, Task};

    #[test]
    fn side_effects_in_a_range_run_once_per_loop_entry() {
        let reference = side_effect_bound(9, 4);
        for budget in [1, 2, 3, 7, 1000, u32::MAX] {
            let mut task = SideEffectBound::new(9, 4);
            let output = loop {
                if let Step::Done(output) = task.step(budget) {
                    break output;
                }
            };
            assert_eq!(output, reference, "budget {budget}");
        }
        assert_eq!(range_reads_mutated_array(40, 3), (40, [40, 3, 0, 0]));
        let mut task = RangeReadsMutatedArray::new(40, 3);
        let output = loop {
            if let Step::Done(output) = task.step(1) {
                break output;
            }
        };
        assert_eq!(output, (40, [40, 3, 0, 0]));
    }
}

/// `data.chunks(k)` and `.chunks_exact(k).enumerate()` with a `mut k` the body changes: Rust
/// takes the size once, when the loop starts, as it takes `step_by(step)`'s step; the
/// lowering keeps it in the state. It was refused ("the chunk size ... is read again on
/// resume").
#[penny::task]
pub fn growing_chunks(data: [u32; 23], start: usize) -> (u32, usize) {
    let mut k = start % 4 + 1;
    let mut s = 0u32;
    for c in data.chunks(k) {
        s = s.wrapping_mul(3).wrapping_add(c.len() as u32 + c[0]);
        k += 1;
    }
    for (i, c) in data.chunks_exact(k).enumerate() {
        s ^= c.iter().fold(i as u32, |a, x| a.wrapping_add(*x));
        k = k * 2 + 1;
        for x in c.iter() {
            s = s.rotate_left(3) ^ *x;
            penny::yield_now!();
        }
    }
    (s, k)
}
