//! Support code for what `#[penny::task]` generates. Not a public API: names and signatures
//! change whenever the macro's output does.
//!
//! The range helpers let a lowered `for` loop keep only the number of iterations it finished
//! (a `u64`) in its state, and re-create the rest of the range from the range expression on
//! resume (or from a [`SavedRange`] when the expression may not run again), without the
//! macro ever naming the loop variable's type.

use core::ops::Range;

mod cursor;
mod items;
mod js;
mod peel;
pub mod reduce;
mod state;
#[cfg(not(loom))]
mod views;
#[cfg(not(loom))]
pub use crate::buffer::SplitPart;
pub use cursor::{item_of, RangeBits, SavedRange};
pub use items::Items;
pub use js::{assert_js_arg, assert_js_output, JsArg, JsOutput};
pub use peel::Peeled;
pub use state::{
    assert_output, assert_state, carried, DebugField, Message, ShowDebug, ShowOpaque, StateValue,
    TaskOutput,
};
#[cfg(not(loom))]
pub use views::{
    access, open_view, restrict, view_ref, Access, ArgType, NotAView, OpenView, Restrict,
    ViewNamedInSignature, ViewThroughAlias,
};

pub use crate::task::MAX_TASK_ALIGN;
pub use crate::{Pod, Progress, SplitState, Step, Task};

/// Integer types a resumable `for` loop can count over.
#[diagnostic::on_unimplemented(
    message = "a resumable `for` loop needs an integer range, not a range of `{Self}`",
    note = "loop over an index range (`for i in 0..n`) and compute the value from `i`"
)]
pub trait RangeInt: Copy {
    /// Number of values in `start..end` (0 when `end <= start`), saturating at `u64::MAX`.
    fn steps_between(start: Self, end: Self) -> u64;
    /// Number of values in `start..end`, exact: a 128-bit range can span more than 2^64
    /// values, and `rev()`/`step_by()` need its true last index.
    fn span(start: Self, end: Self) -> u128;
    /// Whether a range of this type can have more than 2^64 values (`u128`, `i128`). The
    /// others do their index arithmetic in `u64`, which LLVM optimizes best: with `u128`
    /// arithmetic around it, a whole loop of `newcomer::rev_step_madd` at budget `u32::MAX`
    /// lost its unrolling (5× slower).
    const WIDE: bool = false;
    /// `self + n`, where the caller knows the result is in range.
    fn forward(self, n: u128) -> Self;
    /// `self - n`, where the caller knows the result is in range.
    fn backward(self, n: u128) -> Self;
    /// How [`offset`](RangeInt::offset) takes its step: the type itself for integers.
    type Step: Copy;
    /// The step between consecutive values of a progression with this `stride`, as a
    /// wrapping value of this type (`-stride` modulo 2^bits when descending).
    fn signed_step(stride: u128, descending: bool) -> Self::Step;
    /// `self + k * step`, wrapping: value `k` of the progression `self, self + step, ...`.
    /// An affine function of `k`, so a loop over `k` is a counted loop with an induction
    /// variable LLVM can strength-reduce, unroll and reassociate.
    fn offset(self, k: u64, step: Self::Step) -> Self;
    /// The low 6 bits of the value (two's complement for signed types).
    fn low_bits(self) -> u8;
    /// The value with its low 6 bits cleared (rounded down to a multiple of 64).
    fn align_down(self) -> Self;
}

/// `impl RangeInt` for `$ty`, with `steps_between` and `span` given as `|start, end| expr`;
/// the rest is the same for every integer type (wrapping arithmetic in the type's own ring).
macro_rules! range_int {
    ($ty:ty, |$start:ident, $end:ident| $steps:expr, |$s:ident, $e:ident| $span:expr) => {
        impl RangeInt for $ty {
            type Step = Self;
            const WIDE: bool = core::mem::size_of::<$ty>() > 8;
            #[inline(always)]
            fn steps_between($start: Self, $end: Self) -> u64 {
                $steps
            }
            #[inline(always)]
            fn span($s: Self, $e: Self) -> u128 {
                $span
            }
            #[inline(always)]
            fn forward(self, n: u128) -> Self {
                // Truncating `n` is exact modulo 2^bits, and the true result is in range.
                self.wrapping_add(n as Self)
            }
            #[inline(always)]
            fn backward(self, n: u128) -> Self {
                self.wrapping_sub(n as Self)
            }
            #[inline(always)]
            fn signed_step(stride: u128, descending: bool) -> Self::Step {
                // Truncating is exact modulo 2^bits, where the progression's values live.
                let step = stride as Self;
                if descending {
                    step.wrapping_neg()
                } else {
                    step
                }
            }
            #[inline(always)]
            fn offset(self, k: u64, step: Self::Step) -> Self {
                self.wrapping_add((k as Self).wrapping_mul(step))
            }
            #[inline(always)]
            fn low_bits(self) -> u8 {
                // Truncating keeps the low bits, in two's complement for signed types.
                self as u8 & 63
            }
            #[inline(always)]
            fn align_down(self) -> Self {
                self & !(63 as Self)
            }
        }
    };
}

/// Types up to 64 bits: the difference of any two values is exact in `i128`, and fits a
/// `u64` (so `span` is `steps_between`, never saturated).
macro_rules! range_int_narrow {
    ($($ty:ty),*) => {$(
        range_int!($ty, |start, end| {
            if end <= start {
                0
            } else {
                let span = (end as i128).wrapping_sub(start as i128) as u128;
                if span > u64::MAX as u128 { u64::MAX } else { span as u64 }
            }
        }, |start, end| u128::from(<$ty as RangeInt>::steps_between(start, end)));
    )*};
}

range_int_narrow!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
range_int!(
    u128,
    |start, end| end.saturating_sub(start).try_into().unwrap_or(u64::MAX),
    |start, end| end.saturating_sub(start)
);
range_int!(
    i128,
    |start, end| if end <= start {
        0
    } else {
        end.abs_diff(start).try_into().unwrap_or(u64::MAX)
    },
    |start, end| if end <= start { 0 } else { end.abs_diff(start) }
);

/// `start..end` with step 1, the common case: chunks are plain `Range`s so the chunk loop
/// is exactly the loop the user wrote.
#[derive(Clone, Copy, Debug)]
pub struct ForwardRange<T> {
    start: T,
    /// The number of iterations, exact: more than 2^64 only for a 128-bit range, whose
    /// `rev()` and `step_by()` need it ([`len`](Self::len) saturates).
    span: u128,
}

/// `start..end`, as the head of a resumable `for` loop.
#[inline(always)]
pub fn range<T: RangeInt>(start: T, end: T) -> ForwardRange<T> {
    ForwardRange {
        start,
        span: T::span(start, end),
    }
}

/// `start..=end`, as the head of a resumable `for` loop.
#[inline(always)]
pub fn range_inclusive<T: RangeInt + PartialOrd>(start: T, end: T) -> Progression<T> {
    let last = if end < start {
        None
    } else {
        Some(T::span(start, end))
    };
    Progression {
        first: start,
        last,
        stride: 1,
        descending: false,
    }
}

impl<T: RangeInt> ForwardRange<T> {
    /// Number of iterations, saturating at `u64::MAX` (a loop that long never finishes).
    #[inline(always)]
    pub fn len(&self) -> u64 {
        if T::WIDE {
            u64::try_from(self.span).unwrap_or(u64::MAX)
        } else {
            // Exact: a narrower type's span fits 64 bits (and LLVM sees it does).
            self.span as u64
        }
    }

    /// Whether the range is empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.span == 0
    }

    /// The loop variable of iteration `index` (`index < len`).
    #[inline(always)]
    pub fn nth(&self, index: u64) -> T {
        self.start.forward(u128::from(index))
    }

    /// Iterations `from..to` (`from <= to <= len`) as a plain range.
    #[inline(always)]
    pub fn chunk(&self, from: u64, to: u64) -> Range<T> {
        self.start.forward(u128::from(from))..self.start.forward(u128::from(to))
    }

    /// Same as `Iterator::rev` on the range.
    pub fn rev(self) -> Progression<T> {
        self.progression().rev()
    }

    /// Same as `Iterator::step_by` on the range. Panics when `step` is 0, as std does.
    pub fn step_by(self, step: usize) -> Progression<T> {
        self.progression().step_by(step)
    }

    fn progression(self) -> Progression<T> {
        Progression {
            first: self.start,
            last: self.span.checked_sub(1),
            stride: 1,
            descending: false,
        }
    }
}

/// Any chain of `rev()` and `step_by(k)` over an integer range: an arithmetic progression.
///
/// It keeps the index of its last element rather than its length: a full-width inclusive
/// range (`0..=u64::MAX`) has 2^64 elements, which a `u64` can't count, but its last index
/// fits, so `rev()` and `step_by()` stay exact.
#[derive(Clone, Copy, Debug)]
pub struct Progression<T> {
    first: T,
    /// Index of the last element; `None` when empty. Exact: a 128-bit range may have more
    /// than 2^64 elements before a `step_by` thins it.
    last: Option<u128>,
    stride: u128,
    descending: bool,
}

impl<T: RangeInt> Progression<T> {
    /// Number of iterations, saturating at `u64::MAX` (a loop that long never finishes).
    #[inline(always)]
    pub fn len(&self) -> u64 {
        self.last.map_or(0, |last| {
            if T::WIDE {
                u64::try_from(last).map_or(u64::MAX, |last| last.saturating_add(1))
            } else {
                (last as u64).saturating_add(1)
            }
        })
    }

    /// Whether the progression is empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// The loop variable of iteration `index` (`index < len`).
    #[inline(always)]
    pub fn nth(&self, index: u64) -> T {
        self.value_at(u128::from(index))
    }

    /// The element at `index` (`index <= last`), which may exceed `u64` in a 128-bit range.
    #[inline(always)]
    fn value_at(&self, index: u128) -> T {
        // Exact for 128-bit types (`index * stride` is at most the span); for narrower ones
        // it is exact modulo 2^bits, where the values live, in `u64`.
        let offset = if T::WIDE {
            index.wrapping_mul(self.stride)
        } else {
            u128::from((index as u64).wrapping_mul(self.stride as u64))
        };
        if self.descending {
            self.first.backward(offset)
        } else {
            self.first.forward(offset)
        }
    }

    /// Iterations `from..to` (`from <= to <= len`): a counted loop over `0..to - from` whose
    /// values are `nth(from) + k * step`, so LLVM sees the same affine induction variable as
    /// in the loop the user wrote.
    #[inline(always)]
    pub fn chunk(&self, from: u64, to: u64) -> ProgressionChunk<T> {
        ProgressionChunk {
            // With `from == len` this wraps past the range's end, but it is never yielded.
            first: self.nth(from),
            step: T::signed_step(self.stride, self.descending),
            counter: 0..to - from,
        }
    }

    /// Same as `Iterator::rev`.
    pub fn rev(self) -> Self {
        let Some(last) = self.last else { return self };
        Progression {
            first: self.value_at(last),
            last: self.last,
            stride: self.stride,
            descending: !self.descending,
        }
    }

    /// Same as `Iterator::step_by`. Panics when `step` is 0, as std does.
    pub fn step_by(self, step: usize) -> Self {
        assert!(step != 0, "assertion failed: step != 0");
        let step = step as u128;
        Progression {
            first: self.first,
            // Elements at indices 0, step, 2*step, ... <= last.
            last: self.last.map(|last| {
                if T::WIDE {
                    last / step
                } else {
                    u128::from(last as u64 / step as u64)
                }
            }),
            // Narrower types: a stride past `u64` leaves one element (`last` is 0 then).
            stride: if T::WIDE {
                self.stride.saturating_mul(step)
            } else {
                u128::from((self.stride as u64).saturating_mul(step as u64))
            },
            descending: self.descending,
        }
    }
}

/// The iterator a [`Progression`] chunk runs over: `first + k * step` for `k` in a plain
/// counted range. (An iterator that advances its value only while values remain, to never
/// step past the range's end, has a branch or select on its induction variable: LLVM then
/// can't unroll and reassociate a reduction over it. Here every intermediate value is
/// computed with wrapping arithmetic from the counter, and only values inside the range are
/// ever yielded.)
#[derive(Clone, Debug)]
pub struct ProgressionChunk<T: RangeInt> {
    first: T,
    step: T::Step,
    counter: Range<u64>,
}

impl<T: RangeInt> Iterator for ProgressionChunk<T> {
    type Item = T;

    #[inline(always)]
    fn next(&mut self) -> Option<T> {
        let k = self.counter.next()?;
        Some(self.first.offset(k, self.step))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.counter.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect<T: RangeInt>(p: Progression<T>) -> Vec<T> {
        p.chunk(0, p.len()).collect()
    }

    #[test]
    fn progressions_match_std_iterators() {
        for start in -5i32..6 {
            for end in -5i32..8 {
                for step in 1usize..5 {
                    let std: Vec<i32> = (start..end).rev().step_by(step).collect();
                    assert_eq!(collect(range(start, end).rev().step_by(step)), std);
                    let std: Vec<i32> = (start..end).step_by(step).rev().collect();
                    assert_eq!(collect(range(start, end).step_by(step).rev()), std);
                    let std: Vec<i32> = (start..=end).step_by(step).collect();
                    assert_eq!(collect(range_inclusive(start, end).step_by(step)), std);
                    let std: Vec<i32> = (start..=end).rev().collect();
                    assert_eq!(collect(range_inclusive(start, end).rev()), std);
                }
            }
        }
    }

    /// 128-bit ranges spanning more than 2^64 values, thinned by a large `step_by`: the
    /// element count and the elements come from the exact span (they were cut to 64 bits:
    /// `(0..1 << 66).step_by(1 << 63)` had 2 elements instead of 8).
    #[test]
    fn wide_128_bit_ranges_step_exactly() {
        let steps = [1usize << 62, 1 << 63, usize::MAX];
        let take = if cfg!(miri) { 20 } else { 300 };
        for hi in [1u128 << 64, (1 << 64) + 1, 1 << 66, u128::MAX] {
            for step in steps {
                let std: Vec<u128> = (0..hi).step_by(step).take(take).collect();
                assert_eq!(
                    collect_first(range(0, hi).step_by(step), take as u64),
                    std,
                    "{hi} {step}"
                );
                let std: Vec<u128> = (0..hi).rev().step_by(step).take(take).collect();
                assert_eq!(
                    collect_first(range(0, hi).rev().step_by(step), take as u64),
                    std
                );
                let std: Vec<u128> = (hi - (1 << 70).min(hi)..=hi)
                    .step_by(step)
                    .take(take)
                    .collect();
                assert_eq!(
                    collect_first(
                        range_inclusive(hi - (1 << 70).min(hi), hi).step_by(step),
                        take as u64
                    ),
                    std
                );
            }
        }
        for hi in [1i128 << 64, 1 << 66, i128::MAX] {
            for step in steps {
                let std: Vec<i128> = (-hi..hi).rev().step_by(step).take(take).collect();
                assert_eq!(
                    collect_first(range(-hi, hi).rev().step_by(step), take as u64),
                    std
                );
                let std: Vec<i128> = (-hi..=hi).rev().step_by(step).take(take).collect();
                assert_eq!(
                    collect_first(range_inclusive(-hi, hi).rev().step_by(step), take as u64),
                    std
                );
            }
        }
        assert_eq!(range(0u128, 1 << 66).step_by(1 << 63).len(), 8);
        // Longer than 2^64 iterations: the count saturates (such a loop never ends).
        assert_eq!(range(0u128, u128::MAX).len(), u64::MAX);
    }

    #[test]
    fn chunks_cover_the_range_in_order() {
        let p = range(0u8, 255).step_by(7).rev();
        let whole: Vec<u8> = (0u8..255).step_by(7).rev().collect();
        let mut pieces = Vec::new();
        let mut done = 0;
        while done < p.len() {
            let take = (p.len() - done).min(4);
            pieces.extend(p.chunk(done, done + take));
            done += take;
        }
        assert_eq!(pieces, whole);
        let r = range(250u8, 255);
        assert_eq!(r.chunk(1, 5).collect::<Vec<_>>(), vec![251, 252, 253, 254]);
    }

    #[test]
    fn full_width_inclusive_ranges_reverse_and_step_exactly() {
        let first: Vec<u64> = collect_first(range_inclusive(0u64, u64::MAX).rev(), 3);
        assert_eq!(first, (0..=u64::MAX).rev().take(3).collect::<Vec<_>>());
        let std: Vec<i64> = (i64::MIN..=i64::MAX).rev().step_by(1usize << 62).collect();
        assert_eq!(
            collect(range_inclusive(i64::MIN, i64::MAX).rev().step_by(1 << 62)),
            std
        );
        // 3 divides 2^64 - 1, so the last element of `(0..=u64::MAX).step_by(3)` is u64::MAX.
        let top = collect_first(range_inclusive(0u64, u64::MAX).step_by(3).rev(), 2);
        assert_eq!(top, vec![u64::MAX, u64::MAX - 3]);
    }

    fn collect_first<T: RangeInt>(p: Progression<T>, n: u64) -> Vec<T> {
        p.chunk(0, n.min(p.len())).collect()
    }

    #[test]
    fn full_width_ranges_do_not_overflow() {
        assert_eq!(range_inclusive(0u8, 255).len(), 256);
        assert_eq!(
            collect(range_inclusive(250u8, 255).rev()),
            vec![255, 254, 253, 252, 251, 250]
        );
        assert_eq!(range(i64::MIN, i64::MAX).len(), u64::MAX);
        assert_eq!(collect(range_inclusive(i8::MIN, i8::MAX)).len(), 256);
    }

    /// `p` yields `want`: whole, split in two at every point, and in chunks of 1 to 4
    /// iterations (a resumed loop sees exactly those chunks); `nth` agrees at every index.
    fn assert_chunks<T: RangeInt + PartialEq + core::fmt::Debug>(p: Progression<T>, want: &[T]) {
        let len = p.len();
        assert_eq!(len, want.len() as u64);
        // Every split point natively; under Miri (orders of magnitude slower) a few, with
        // both ends and the middle.
        let splits: Vec<u64> = if cfg!(miri) {
            let mut splits = vec![0, 1, len / 2, len.saturating_sub(1), len];
            splits.retain(|&s| s <= len);
            splits
        } else {
            (0..=len).collect()
        };
        for split in splits {
            let mut got: Vec<T> = p.chunk(0, split).collect();
            assert_eq!(
                p.chunk(split, len).size_hint(),
                ((len - split) as usize, Some((len - split) as usize))
            );
            got.extend(p.chunk(split, len));
            assert_eq!(got, want, "split at {split}");
        }
        for size in 1..5 {
            let mut got = Vec::new();
            let mut done = 0;
            while done < len {
                let end = (done + size).min(len);
                got.extend(p.chunk(done, end));
                done = end;
            }
            assert_eq!(got, want, "chunks of {size}");
        }
        for (i, v) in want.iter().enumerate() {
            assert_eq!(p.nth(i as u64), *v);
        }
    }

    #[test]
    fn chunks_of_every_shape_match_std_iterators() {
        for (start, end) in [(-128i8, 127i8), (-128, -128), (5, 4), (100, 127), (-3, 9)] {
            for step in [1usize, 2, 3, 7, 127, 128, 255, 300] {
                assert_chunks(
                    range(start, end).rev().step_by(step),
                    &(start..end).rev().step_by(step).collect::<Vec<_>>(),
                );
                assert_chunks(
                    range(start, end).step_by(step).rev(),
                    &(start..end).step_by(step).rev().collect::<Vec<_>>(),
                );
                assert_chunks(
                    range_inclusive(start, end).rev().step_by(step),
                    &(start..=end).rev().step_by(step).collect::<Vec<_>>(),
                );
                assert_chunks(
                    range_inclusive(start, end).step_by(step),
                    &(start..=end).step_by(step).collect::<Vec<_>>(),
                );
            }
        }
        for (start, end) in [(0u8, 255u8), (250, 255), (0, 0)] {
            for step in [1usize, 2, 5, 255, 256] {
                assert_chunks(
                    range_inclusive(start, end).rev().step_by(step),
                    &(start..=end).rev().step_by(step).collect::<Vec<_>>(),
                );
                assert_chunks(
                    range(start, end).step_by(step).rev(),
                    &(start..end).step_by(step).rev().collect::<Vec<_>>(),
                );
            }
        }
        // 128-bit values: the step is negated in the 128-bit ring, not in u64.
        let top = u128::MAX - 40;
        assert_chunks(
            range_inclusive(top, u128::MAX).rev().step_by(3),
            &(top..=u128::MAX).rev().step_by(3).collect::<Vec<_>>(),
        );
        let low = i128::MIN + 50;
        assert_chunks(
            range(i128::MIN, low).step_by(4).rev(),
            // (std's `StepBy<Range<i128>>` can't be reversed: not exact-size.)
            &(i128::MIN..low)
                .step_by(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>(),
        );
        assert_chunks(
            range(-20i128, 20).rev().step_by(6),
            &(-20i128..20).rev().step_by(6).collect::<Vec<_>>(),
        );
    }

    #[test]
    fn chunks_deep_inside_full_width_ranges_match_std() {
        fn window<T: RangeInt>(p: Progression<T>, from: u64, n: u64) -> Vec<T> {
            p.chunk(from, from + n).collect()
        }
        // `nth` of these std iterators is O(1), so `skip` jumps straight to the window.
        let p = range_inclusive(0u64, u64::MAX).rev().step_by(3);
        for from in [0u64, 1, 1 << 62, p.len() - 4] {
            let std: Vec<u64> = (0..=u64::MAX)
                .rev()
                .step_by(3)
                .skip(from as usize)
                .take(4)
                .collect();
            assert_eq!(window(p, from, 4), std, "from {from}");
        }
        let p = range_inclusive(i64::MIN, i64::MAX).step_by(5);
        for from in [0u64, 7, 1 << 61, p.len() - 3] {
            let std: Vec<i64> = (i64::MIN..=i64::MAX)
                .step_by(5)
                .skip(from as usize)
                .take(3)
                .collect();
            assert_eq!(window(p, from, 3), std, "from {from}");
        }
        // The last chunk ends on the range's last value, whatever lies beyond it.
        let p = range_inclusive(i64::MAX - 10, i64::MAX).step_by(4);
        assert_eq!(window(p, 1, 2), vec![i64::MAX - 6, i64::MAX - 2]);
        let p = range_inclusive(i64::MIN, i64::MIN + 10).rev().step_by(4);
        assert_eq!(window(p, 1, 2), vec![i64::MIN + 6, i64::MIN + 2]);
    }
}

/// The JS API's pieces that `#[penny::task(js)]` generates code against.
#[cfg(all(target_arch = "wasm32", not(loom)))]
pub use crate::web;
