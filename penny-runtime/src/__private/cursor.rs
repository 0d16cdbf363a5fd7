//! Ranges evaluated once.
//!
//! Rust evaluates a `for` loop's iterator expression exactly once. When a resumable loop's
//! range reads anything that could change or has side effects (a call, a method, a `mut`
//! variable), the lowered loop evaluates it once, when the loop starts, and keeps the result
//! in the task's state as a [`SavedRange`]: the first element's bits, the length, the stride
//! and the direction — plain integers, so the state stays `Copy` and its layout doesn't depend
//! on the loop variable's type. On resume, [`SavedRange::forward`] / [`SavedRange::progression`]
//! turn it back into the typed range; the type comes from [`item_of`], a never-called closure
//! over the range expression, so no user code runs again.

use core::marker::PhantomData;

use super::{ForwardRange, Progression, RangeInt};

/// The element type of the iterator a closure would return, without calling the closure.
///
/// The macro passes `|| (range expression)`: the closure is a type witness only.
#[inline(always)]
pub fn item_of<I: Iterator, F: FnOnce() -> I>(_witness: F) -> PhantomData<I::Item> {
    PhantomData
}

/// Loop variable types whose values fit the 128 bits of a [`SavedRange`].
pub trait RangeBits: RangeInt {
    /// The value's bits, zero- or sign-extended to 128.
    fn to_bits(self) -> [u64; 2];
    /// The value [`to_bits`](RangeBits::to_bits) encoded.
    fn from_bits(bits: [u64; 2]) -> Self;
}

macro_rules! range_bits {
    ($($ty:ty),*) => {$(
        impl RangeBits for $ty {
            #[inline(always)]
            fn to_bits(self) -> [u64; 2] {
                // `as i128`/`as u128` sign- or zero-extends; the round trip truncates back.
                words(self as u128)
            }
            #[inline(always)]
            fn from_bits(bits: [u64; 2]) -> Self {
                wide(bits) as $ty
            }
        }
    )*};
}

range_bits!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

impl RangeBits for char {
    #[inline(always)]
    fn to_bits(self) -> [u64; 2] {
        [u64::from(u32::from(self)), 0]
    }
    #[inline(always)]
    fn from_bits(bits: [u64; 2]) -> Self {
        // Only bits made by `to_bits` of a `char` come back here.
        char::from_u32(bits[0] as u32).unwrap_or('\0')
    }
}

/// `char` ranges (`'a'..='z'`) step over Unicode scalar values, skipping the surrogates
/// `U+D800..=U+DFFF` the way std's `char` ranges do.
impl RangeInt for char {
    /// A signed distance in scalar values (surrogates not counted).
    type Step = i64;
    #[inline(always)]
    fn signed_step(stride: u128, descending: bool) -> i64 {
        // Char ranges are shorter than 2^21, so a meaningful stride fits; larger ones are
        // clamped and only ever applied to `k = 0`.
        let stride = stride.min(1 << 22) as i64;
        if descending {
            -stride
        } else {
            stride
        }
    }
    #[inline(always)]
    fn offset(self, k: u64, step: i64) -> Self {
        let index = scalar_index(self) + (k as i64).wrapping_mul(step);
        char_at(index)
    }
    #[inline(always)]
    fn low_bits(self) -> u8 {
        (u32::from(self) & 63) as u8
    }
    #[inline(always)]
    fn align_down(self) -> Self {
        // The surrogates span whole blocks of 64 (`U+D800..U+E000`), so a scalar value's
        // block start is one, or a surrogate: then `'\0'`, a multiple of 64 as well.
        char::from_u32(u32::from(self) & !63).unwrap_or('\0')
    }
    #[inline(always)]
    fn steps_between(start: Self, end: Self) -> u64 {
        let (start, end) = (u32::from(start), u32::from(end));
        if end <= start {
            return 0;
        }
        let mut count = end - start;
        if start < SURROGATES_START && end > SURROGATES_END {
            count -= SURROGATES_LEN;
        }
        u64::from(count)
    }
    #[inline(always)]
    fn span(start: Self, end: Self) -> u128 {
        u128::from(Self::steps_between(start, end))
    }
    #[inline(always)]
    fn forward(self, n: u128) -> Self {
        let start = u32::from(self);
        // The caller knows the result is a scalar value in range, so `n` fits 32 bits.
        let mut value = start.wrapping_add(n as u32);
        if start < SURROGATES_START && value >= SURROGATES_START {
            value += SURROGATES_LEN;
        }
        char::from_u32(value).unwrap_or(char::MAX)
    }
    #[inline(always)]
    fn backward(self, n: u128) -> Self {
        let start = u32::from(self);
        let mut value = start.wrapping_sub(n as u32);
        if start > SURROGATES_END && value <= SURROGATES_END {
            value -= SURROGATES_LEN;
        }
        char::from_u32(value).unwrap_or('\0')
    }
}

/// `c`'s position among the scalar values (the surrogates take no positions).
fn scalar_index(c: char) -> i64 {
    let value = i64::from(u32::from(c));
    if value > i64::from(SURROGATES_END) {
        value - i64::from(SURROGATES_LEN)
    } else {
        value
    }
}

/// The scalar value at position `index` (clamped to the valid range).
fn char_at(index: i64) -> char {
    let index = index.clamp(
        0,
        i64::from(u32::from(char::MAX)) - i64::from(SURROGATES_LEN),
    );
    let value = if index >= i64::from(SURROGATES_START) {
        index + i64::from(SURROGATES_LEN)
    } else {
        index
    };
    char::from_u32(value as u32).unwrap_or(char::MAX)
}

const SURROGATES_START: u32 = 0xD800;
const SURROGATES_END: u32 = 0xDFFF;
const SURROGATES_LEN: u32 = 0x800;

/// A resumable loop's range, evaluated once when the loop started.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SavedRange {
    /// The first element, as [`RangeBits`].
    first: [u64; 2],
    /// Index of the last element, as a `u128` in two words (meaningless when empty).
    last: [u64; 2],
    /// Distance between elements, in steps of the type, as a `u128` in two words.
    stride: [u64; 2],
    /// Bit 0: no elements. Bit 1: elements go down.
    flags: u64,
}

const EMPTY_FLAG: u64 = 1;
const DESCENDING_FLAG: u64 = 2;

impl SavedRange {
    /// What a loop's field holds before the loop starts.
    pub const EMPTY: SavedRange = SavedRange {
        first: [0; 2],
        last: [0; 2],
        stride: [1, 0],
        flags: EMPTY_FLAG,
    };

    /// Number of iterations, saturating at `u64::MAX` (as the typed ranges count).
    #[inline(always)]
    pub fn len(&self) -> u64 {
        if self.flags & EMPTY_FLAG != 0 {
            0
        } else {
            u64::try_from(self.last()).map_or(u64::MAX, |last| last.saturating_add(1))
        }
    }

    fn last(&self) -> u128 {
        wide(self.last)
    }

    /// Whether the range has no elements.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.flags & EMPTY_FLAG != 0
    }

    /// The step-1 range saved by [`ForwardRange::save`].
    #[inline(always)]
    pub fn forward<T: RangeBits>(&self, _item: PhantomData<T>) -> ForwardRange<T> {
        ForwardRange {
            start: T::from_bits(self.first),
            span: if self.is_empty() { 0 } else { self.last() + 1 },
        }
    }

    /// The progression saved by [`Progression::save`].
    #[inline(always)]
    pub fn progression<T: RangeBits>(&self, _item: PhantomData<T>) -> Progression<T> {
        Progression {
            first: T::from_bits(self.first),
            last: (self.flags & EMPTY_FLAG == 0).then_some(self.last()),
            stride: wide(self.stride),
            descending: self.flags & DESCENDING_FLAG != 0,
        }
    }
}

impl<T: RangeBits> ForwardRange<T> {
    /// The range as plain integers, for the task's state.
    #[inline(always)]
    pub fn save(&self) -> SavedRange {
        SavedRange {
            first: self.start.to_bits(),
            last: words(self.span.saturating_sub(1)),
            stride: [1, 0],
            flags: if self.span == 0 { EMPTY_FLAG } else { 0 },
        }
    }
}

impl<T: RangeBits> Progression<T> {
    /// The progression as plain integers, for the task's state.
    #[inline(always)]
    pub fn save(&self) -> SavedRange {
        SavedRange {
            first: self.first.to_bits(),
            last: words(self.last.unwrap_or(0)),
            stride: words(self.stride),
            flags: match self.last {
                None => EMPTY_FLAG,
                Some(_) if self.descending => DESCENDING_FLAG,
                Some(_) => 0,
            },
        }
    }
}

/// A `u128` from its low and high words.
#[inline(always)]
fn wide(words: [u64; 2]) -> u128 {
    u128::from(words[0]) | (u128::from(words[1]) << 64)
}

/// A `u128` as its low and high words (a `repr(C)` state holds no `u128`: its alignment
/// differs between targets).
#[inline(always)]
fn words(value: u128) -> [u64; 2] {
    [value as u64, (value >> 64) as u64]
}

#[cfg(test)]
mod tests {
    use super::super::{range, range_inclusive};
    use super::*;

    fn elements<T: RangeBits>(p: Progression<T>) -> Vec<T> {
        p.chunk(0, p.len()).collect()
    }

    #[test]
    fn saved_ranges_come_back_identical() {
        for start in -6i16..6 {
            for end in -6i16..8 {
                let forward = range(start, end);
                let back = forward.save().forward(PhantomData::<i16>);
                assert_eq!(back.len(), forward.len());
                let got: Vec<i16> = back.chunk(0, back.len()).collect();
                assert_eq!(got, (start..end).collect::<Vec<_>>());
                for step in 1usize..4 {
                    let p = range_inclusive(start, end).rev().step_by(step);
                    let back = p.save().progression(PhantomData::<i16>);
                    assert_eq!(
                        elements(back),
                        (start..=end).rev().step_by(step).collect::<Vec<_>>()
                    );
                }
            }
        }
    }

    #[test]
    fn char_ranges_match_std_across_the_surrogate_gap() {
        let cases = [
            ('a', 'z'),
            ('\u{D7F0}', '\u{E010}'),
            ('\u{10FFF0}', char::MAX),
            ('z', 'a'),
        ];
        for (start, end) in cases {
            let got: Vec<char> = range(start, end)
                .chunk(0, range(start, end).len())
                .collect();
            assert_eq!(got, (start..end).collect::<Vec<_>>());
            assert_eq!(
                elements(range_inclusive(start, end).rev()),
                (start..=end).rev().collect::<Vec<_>>()
            );
            assert_eq!(
                elements(range_inclusive(start, end).step_by(7)),
                (start..=end).step_by(7).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn every_width_round_trips() {
        assert_eq!(i128::from_bits(i128::MIN.to_bits()), i128::MIN);
        assert_eq!(u128::from_bits(u128::MAX.to_bits()), u128::MAX);
        assert_eq!(i8::from_bits((-3i8).to_bits()), -3);
        assert_eq!(char::from_bits('é'.to_bits()), 'é');
        let full = range_inclusive(0u64, u64::MAX).save();
        assert_eq!(full.len(), u64::MAX);
        assert_eq!(full.progression(PhantomData::<u64>).rev().nth(0), u64::MAX);
    }

    #[test]
    fn the_witness_names_the_item_type_without_running_the_closure() {
        let mut calls = 0;
        let witness = item_of(|| {
            calls += 1;
            (0u8..3).rev()
        });
        let _: PhantomData<u8> = witness;
        assert_eq!(calls, 0);
    }
}
