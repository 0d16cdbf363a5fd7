//! Support code for what `#[penny::task]` generates. Not a public API: names and signatures
//! change whenever the macro's output does.
//!
//! The range helpers let a lowered `for` loop keep only the number of iterations it finished
//! (a `u64`) in its state, and re-create the rest of the range from the range expression on
//! resume, without the macro ever naming the loop variable's type.

use core::ops::Range;

pub use crate::task::MAX_TASK_ALIGN;
pub use crate::{Pod, Progress, Step, Task};

/// Compile-time check that a state field's type is [`Pod`]; the span of the call is the
/// span of the user's type, so the error points there.
#[inline(always)]
pub const fn assert_pod<T: Pod>() {}

/// What a task's output must be: it is stored in the task's slot and copied out to whoever
/// joins the task.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be the output of a Penny task",
    label = "the output must be `Copy`, `Send` and `'static`",
    note = "the output is stored in the task's slot and copied out to whoever joins it: return plain data, or derive `Clone, Copy` for this type"
)]
pub trait TaskOutput: Copy + Send + 'static {}

impl<T: Copy + Send + 'static> TaskOutput for T {}

/// Compile-time check that a kernel's return type can be a task's output.
#[inline(always)]
pub const fn assert_output<T: TaskOutput>() {}

/// Integer types a resumable `for` loop can count over.
#[diagnostic::on_unimplemented(
    message = "a resumable `for` loop needs an integer range, not a range of `{Self}`",
    note = "loop over an index range (`for i in 0..n`) and compute the value from `i`"
)]
pub trait RangeInt: Copy {
    /// Number of values in `start..end` (0 when `end <= start`), saturating at `u64::MAX`.
    fn steps_between(start: Self, end: Self) -> u64;
    /// `self + n`, where the caller knows the result is in range.
    fn forward(self, n: u64) -> Self;
    /// `self - n`, where the caller knows the result is in range.
    fn backward(self, n: u64) -> Self;
}

macro_rules! range_int {
    ($($ty:ty),*) => {$(
        impl RangeInt for $ty {
            #[inline(always)]
            fn steps_between(start: Self, end: Self) -> u64 {
                if end <= start {
                    0
                } else {
                    // Widen to i128/u128 so the difference of any two values is exact.
                    let span = (end as i128).wrapping_sub(start as i128) as u128;
                    if span > u64::MAX as u128 { u64::MAX } else { span as u64 }
                }
            }
            #[inline(always)]
            fn forward(self, n: u64) -> Self {
                // Truncating `n` is exact modulo 2^bits, and the true result is in range.
                self.wrapping_add(n as Self)
            }
            #[inline(always)]
            fn backward(self, n: u64) -> Self {
                self.wrapping_sub(n as Self)
            }
        }
    )*};
}

range_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl RangeInt for u128 {
    #[inline(always)]
    fn steps_between(start: Self, end: Self) -> u64 {
        end.saturating_sub(start).try_into().unwrap_or(u64::MAX)
    }
    #[inline(always)]
    fn forward(self, n: u64) -> Self {
        self.wrapping_add(n as u128)
    }
    #[inline(always)]
    fn backward(self, n: u64) -> Self {
        self.wrapping_sub(n as u128)
    }
}

impl RangeInt for i128 {
    #[inline(always)]
    fn steps_between(start: Self, end: Self) -> u64 {
        if end <= start {
            0
        } else {
            end.abs_diff(start).try_into().unwrap_or(u64::MAX)
        }
    }
    #[inline(always)]
    fn forward(self, n: u64) -> Self {
        self.wrapping_add(n as i128)
    }
    #[inline(always)]
    fn backward(self, n: u64) -> Self {
        self.wrapping_sub(n as i128)
    }
}

/// `start..end` with step 1, the common case: chunks are plain `Range`s so the chunk loop
/// is exactly the loop the user wrote.
#[derive(Clone, Copy, Debug)]
pub struct ForwardRange<T> {
    start: T,
    len: u64,
}

/// `start..end`, as the head of a resumable `for` loop.
#[inline(always)]
pub fn range<T: RangeInt>(start: T, end: T) -> ForwardRange<T> {
    ForwardRange {
        start,
        len: T::steps_between(start, end),
    }
}

/// `start..=end`, as the head of a resumable `for` loop.
#[inline(always)]
pub fn range_inclusive<T: RangeInt + PartialOrd>(start: T, end: T) -> Progression<T> {
    let last = if end < start {
        None
    } else {
        Some(T::steps_between(start, end))
    };
    Progression {
        first: start,
        last,
        stride: 1,
        descending: false,
    }
}

impl<T: RangeInt> ForwardRange<T> {
    /// Number of iterations.
    #[inline(always)]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the range is empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The loop variable of iteration `index` (`index < len`).
    #[inline(always)]
    pub fn nth(&self, index: u64) -> T {
        self.start.forward(index)
    }

    /// Iterations `from..to` (`from <= to <= len`) as a plain range.
    #[inline(always)]
    pub fn chunk(&self, from: u64, to: u64) -> Range<T> {
        self.start.forward(from)..self.start.forward(to)
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
            last: self.len.checked_sub(1),
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
    /// Index of the last element; `None` when empty.
    last: Option<u64>,
    stride: u64,
    descending: bool,
}

impl<T: RangeInt> Progression<T> {
    /// Number of iterations, saturating at `u64::MAX` (a loop that long never finishes).
    #[inline(always)]
    pub fn len(&self) -> u64 {
        self.last.map_or(0, |last| last.saturating_add(1))
    }

    /// Whether the progression is empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// The loop variable of iteration `index` (`index < len`).
    #[inline(always)]
    pub fn nth(&self, index: u64) -> T {
        let offset = index.wrapping_mul(self.stride);
        if self.descending {
            self.first.backward(offset)
        } else {
            self.first.forward(offset)
        }
    }

    /// Iterations `from..to` (`from <= to <= len`).
    #[inline(always)]
    pub fn chunk(&self, from: u64, to: u64) -> ProgressionChunk<T> {
        ProgressionChunk {
            next: if to == from {
                self.first
            } else {
                self.nth(from)
            },
            remaining: to - from,
            stride: self.stride,
            descending: self.descending,
        }
    }

    /// Same as `Iterator::rev`.
    pub fn rev(self) -> Self {
        let Some(last) = self.last else { return self };
        Progression {
            first: self.nth(last),
            last: self.last,
            stride: self.stride,
            descending: !self.descending,
        }
    }

    /// Same as `Iterator::step_by`. Panics when `step` is 0, as std does.
    pub fn step_by(self, step: usize) -> Self {
        assert!(step != 0, "assertion failed: step != 0");
        let step = step as u64;
        Progression {
            first: self.first,
            // Elements at indices 0, step, 2*step, ... <= last.
            last: self.last.map(|last| last / step),
            stride: self.stride.saturating_mul(step),
            descending: self.descending,
        }
    }
}

/// The iterator a [`Progression`] chunk runs over.
#[derive(Clone, Debug)]
pub struct ProgressionChunk<T> {
    next: T,
    remaining: u64,
    stride: u64,
    descending: bool,
}

impl<T: RangeInt> Iterator for ProgressionChunk<T> {
    type Item = T;

    #[inline(always)]
    fn next(&mut self) -> Option<T> {
        if self.remaining == 0 {
            return None;
        }
        let value = self.next;
        self.remaining -= 1;
        // Advance only while values remain, so the cursor never steps past the range end.
        if self.remaining != 0 {
            self.next = if self.descending {
                value.backward(self.stride)
            } else {
                value.forward(self.stride)
            };
        }
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (n, Some(n))
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
        p.chunk(0, n).collect()
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
}
