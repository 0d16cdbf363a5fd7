//! A chunk of a step-1 range split where the loop variable crosses multiples of 64, for a
//! body that reads the variable's low bits (`i % 2`, `i / 4 % 4`, `i & 7`).
//!
//! From a literal `0` LLVM unrolls such a loop and folds the parity tests (the unrolled
//! copies see `i` even, then odd); from a chunk's runtime start it can't, and keeps a test of
//! the start's parity in every iteration (1.2–2× the plain loop). The split gives it back a
//! start it knows: the chunk runs its first iterations up to a multiple of 64 (`head`), then
//! whole blocks of 64 (run as `start + k` for `k` from 0, `start` declared a multiple of 64),
//! then the rest (`tail`). Same iterations, in the same order.
//!
//! Invariant: the middle run's start is a multiple of 64 (its low 6 bits, in two's
//! complement, are 0). Everything else is plain arithmetic on the range's indices.

use core::ops::Range;

use super::{ForwardRange, RangeInt};

/// Iterations `from..to` of a [`ForwardRange`], in three runs (see the module docs).
#[derive(Clone, Debug)]
pub struct Peeled<T> {
    /// The first iterations, up to the first loop value that is a multiple of 64.
    head: Range<T>,
    /// Where the middle run starts: a multiple of 64.
    start: T,
    /// How many iterations the middle run has: a multiple of 64 (whole blocks).
    blocks: u64,
    /// The iterations after those.
    tail: Range<T>,
}

impl<T: RangeInt> Peeled<T> {
    /// The first run.
    #[inline(always)]
    pub fn head(&self) -> Range<T> {
        self.head.clone()
    }

    /// The middle run's length (a multiple of 64).
    #[inline(always)]
    pub fn mid_len(&self) -> u64 {
        self.blocks
    }

    /// Value `k` of the middle run (`k < mid_len()`). The macro loops over `k` from a literal
    /// 0, as the plain loop does over its variable: `start + k` with `start` a multiple of 64
    /// is what LLVM folds the low bits of (a `Range` from `start` measured 1.17× the plain
    /// loop on `phases::prologue_epilogue` chunked, this 1.00×).
    #[inline(always)]
    pub fn at(&self, k: u64) -> T {
        self.start.forward(u128::from(k))
    }

    /// The last run.
    #[inline(always)]
    pub fn tail(&self) -> Range<T> {
        self.tail.clone()
    }
}

impl<T: RangeInt> ForwardRange<T> {
    /// Iterations `from..to` (`from <= to <= len`), split as the module docs say.
    #[inline(always)]
    pub fn chunk_peeled(&self, from: u64, to: u64) -> Peeled<T> {
        let first = self.nth(from);
        let head = ((64 - u64::from(first.low_bits())) & 63).min(to - from);
        let m = from + head;
        let blocks = (to - m) & !63;
        let at_m = self.nth(m);
        // With `blocks > 0` the head stopped short of `to`, so it ended on a multiple of 64;
        // otherwise the middle run is empty and any multiple of 64 will do.
        let start = if blocks > 0 { at_m } else { at_m.align_down() };
        // SAFETY: `start`'s low 6 bits are 0: when `blocks > 0`, `at_m` is `first` plus the
        // distance to the next multiple of 64 (for a `char` range, whose index skips the
        // surrogates, the skipped values are whole blocks of 64 too); otherwise it is
        // `align_down`'s result, whose low bits it clears. The assumption is what lets LLVM
        // fold the loop variable's low bits in the middle run.
        unsafe { core::hint::assert_unchecked(start.low_bits() == 0) };
        Peeled {
            head: first..at_m,
            start,
            blocks,
            tail: self.nth(m + blocks)..self.nth(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::__private::range;

    /// Every chunk of a few ranges, split, gives the chunk's values in order.
    #[test]
    fn peeled_chunks_are_the_chunks() {
        fn check<T: RangeInt + PartialEq + core::fmt::Debug>(start: T, end: T)
        where
            Range<T>: Iterator<Item = T>,
        {
            let r = range(start, end);
            let len = r.len();
            // Fewer starts under Miri, which checks the assumption at each split.
            let starts = if cfg!(miri) { 6 } else { 40 };
            for from in (0..=len).step_by(((len / starts) as usize).max(1)) {
                for to in [from, from + 1, from + 63, from + 64, from + 130, len] {
                    let to = to.min(len);
                    if to < from {
                        continue;
                    }
                    let want: Vec<T> = r.chunk(from, to).collect();
                    let p = r.chunk_peeled(from, to);
                    let mut got: Vec<T> = p.head().collect();
                    got.extend((0..p.mid_len()).map(|k| p.at(k)));
                    got.extend(p.tail());
                    assert_eq!(got, want, "{start:?}..{end:?} chunk {from}..{to}");
                    assert_eq!(p.start.low_bits(), 0);
                    assert_eq!(p.mid_len() % 64, 0);
                }
            }
        }
        check(0u32, 1000);
        check(5usize, 777);
        check(-300i32, 300);
        check(i8::MIN, i8::MAX);
        check(u8::MIN, u8::MAX);
        check(u64::MAX - 500, u64::MAX);
        check(i64::MIN, i64::MIN + 333);
        check(-5i128, 400);
        check(u128::MAX - 200, u128::MAX);
        // Across the surrogates, which a `char` range skips (a whole number of blocks).
        check('\u{D7A0}', '\u{E0A0}');
        check('a', 'z');
    }
}
