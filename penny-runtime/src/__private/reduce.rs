//! The reductions of `#[penny::split(reduce(...))]`: an identity and a combine per built-in
//! operator, for the numeric types, `bool` and arrays of them (elementwise).
//!
//! A split loop's half starts its reduced variables at the operator's identity; joining a
//! half combines the task's value with the half's (`combine(mine, half's)`: the half covers
//! the iterations right after the task's part, so the order of the plain loop is kept).
//!
//! - Integers: `+ *` wrap (the plain function panics on overflow in debug builds; where
//!   it doesn't overflow the results are equal; a loop that subtracts, `acc -= x`, reduces
//!   with `+`; the loop body's updates wrap too: [`WrapOps`]), `min`, `max`, `& | ^`.
//! - Floats: `+ *`, and `min`/`max` as IEEE 754-2019 `minimum`/`maximum`: a NaN on either
//!   side gives NaN, and `-0.0 < +0.0`.
//! - `bool`: `& | ^` (`min` is `&`, `max` is `|`).
//!
//! # Floats: one tree, wherever the splits fall
//!
//! Integer reductions are associative, so combining halves in the loop's order gives the
//! plain function's result. Float `+` and `*` are not: the result would depend on where the
//! splits fell, that is on timing. So a split loop with a float reduction (`Reduce::Kind`
//! is [`TreeKind`]) fixes the combination tree over its iteration space: the iterations
//! `0..len` form leaves of [`leaf_size`]`(len)` consecutive iterations (at most
//! [`MAX_LEAVES`] leaves), each folded linearly from the identity by the loop body; leaves
//! combine pairwise as a binary tree over their indices ([`Pairwise`]), and splits fall only
//! on leaf boundaries. What a range contributes is then a set of complete tree nodes, the
//! same ones whether it ran on one worker or many: the result is bit-identical across runs,
//! pool sizes, budgets and steals. `penny::reference::tree_fold` computes the same tree
//! sequentially (recursively, without this code): the reference such kernels are tested
//! against.

/// `+` over the split loop's halves.
#[derive(Debug)]
pub struct Sum;
/// `*` over the split loop's halves.
#[derive(Debug)]
pub struct Product;
/// `min` over the split loop's halves.
#[derive(Debug)]
pub struct Min;
/// `max` over the split loop's halves.
#[derive(Debug)]
pub struct Max;
/// `&` over the split loop's halves.
#[derive(Debug)]
pub struct BitAnd;
/// `|` over the split loop's halves.
#[derive(Debug)]
pub struct BitOr;
/// `^` over the split loop's halves.
#[derive(Debug)]
pub struct BitXor;

/// A value that a split loop can reduce with the operator `Op`.
#[diagnostic::on_unimplemented(
    message = "a split loop can't reduce `{Self}` with this operator",
    note = "the built-in reductions (`+ * min max & | ^`) take integers, floats (`+ * min \
            max`), `bool` (`& | ^ min max`) and arrays of them; for other types name a \
            combine function and its identity: `reduce(x = (merge, IDENTITY))`"
)]
pub trait Reduce<Op>: Copy {
    /// How a split loop keeps this reduction's partial results: [`LinearKind`] (nothing to
    /// keep: the value itself is combined in order) or [`TreeKind`] (floats).
    type Kind: PartialsKind;
    /// The value a half starts from.
    fn identity() -> Self;
    /// The task's value followed by a half's.
    fn combine(mine: Self, half: Self) -> Self;
}

/// The identity of `Op` for the type of `like` (so generated code need not name the type).
#[inline]
pub fn identity_like<Op, T: Reduce<Op>>(like: &T) -> T {
    let _ = like;
    T::identity()
}

/// `combine` of `Op` (so generated code need not name the type).
#[inline]
pub fn combine<Op, T: Reduce<Op>>(mine: T, half: T) -> T {
    T::combine(mine, half)
}

/// The partial results a split loop keeps for a reduction of `T` with `Op`.
pub type PartialsOf<T, Op> = <<T as Reduce<Op>>::Kind as PartialsKind>::Of<T>;

/// Whether `T` reduced with `Op` needs the fixed tree (see the module docs).
pub const fn is_tree<Op, T: Reduce<Op>>() -> bool {
    <T::Kind as PartialsKind>::TREE
}

/// Chooses the type that keeps partial results.
pub trait PartialsKind {
    /// Whether leaves and a tree are kept.
    const TREE: bool;
    /// The partial results of a reduction over `T`.
    type Of<T: Copy>: Partials<T>;
}

/// Associative reductions: the running value is all there is.
#[derive(Debug)]
pub struct LinearKind;
/// Float reductions: leaves combined by a fixed tree.
#[derive(Debug)]
pub struct TreeKind;

impl PartialsKind for LinearKind {
    const TREE: bool = false;
    type Of<T: Copy> = Linear;
}
impl PartialsKind for TreeKind {
    const TREE: bool = true;
    type Of<T: Copy> = Pairwise<T>;
}

/// What a split loop does with a reduction's partial results.
pub trait Partials<T: Copy>: Copy {
    /// At loop entry (or in a half: `base` is then the identity): `base` is the value the
    /// variable had before the loop, `first` the first leaf this part will finish.
    fn start(base: T, first: u64) -> Self;
    /// Leaf `leaf` (the next one of this part) finished with `value`.
    fn push_leaf(&mut self, leaf: u64, value: T, combine: fn(T, T) -> T);
    /// Appends what a half (the part right after this one) kept.
    fn append(&mut self, half: &Self, combine: fn(T, T) -> T);
    /// The loop's result: `base` combined with the tree of every leaf (`value` when there is
    /// nothing to keep).
    fn finish(&self, value: T, combine: fn(T, T) -> T) -> T;
}

/// [`LinearKind`]'s partials: nothing.
#[derive(Debug, Clone, Copy)]
pub struct Linear;

impl<T: Copy> Partials<T> for Linear {
    fn start(_: T, _: u64) -> Self {
        Linear
    }
    fn push_leaf(&mut self, _: u64, _: T, _: fn(T, T) -> T) {}
    fn append(&mut self, _: &Self, _: fn(T, T) -> T) {}
    fn finish(&self, value: T, _: fn(T, T) -> T) -> T {
        value
    }
}

/// Most leaves a split loop with a float reduction has (so the tree is at most 12 levels).
pub const MAX_LEAVES: u64 = 1 << LEVELS;
const LEVELS: u32 = 12;
/// Tree nodes one part keeps at most: ascending levels where it starts, descending where it
/// ends.
const NODES: usize = 2 * LEVELS as usize + 2;

/// Iterations per leaf for a loop of `len` iterations: `ceil(len / MAX_LEAVES)`, at least 1.
pub const fn leaf_size(len: u64) -> u64 {
    let size = len.div_ceil(MAX_LEAVES);
    if size == 0 {
        1
    } else {
        size
    }
}

/// The finished tree nodes of one part of a loop, left to right: complete dyadic blocks of
/// leaves, each with its value, merged with its sibling as soon as both are here.
#[derive(Debug, Clone, Copy)]
pub struct Pairwise<T> {
    base: T,
    /// Node values, left to right.
    values: [T; NODES],
    /// Node levels (a node of level `l` covers `2^l` leaves, aligned to `2^l`).
    levels: [u8; NODES],
    len: u8,
    /// The leaf right after the last node (the first leaf of the part while empty).
    next: u64,
}

impl<T: Copy> Pairwise<T> {
    fn push_node(&mut self, level: u8, value: T, combine: fn(T, T) -> T) {
        assert!(
            self.next % (1u64 << level) == 0,
            "penny: a tree node out of place"
        );
        let i = self.len as usize;
        self.values[i] = value;
        self.levels[i] = level;
        self.len += 1;
        self.next += 1u64 << level;
        // Merge the last two nodes while they are siblings: same level, and together they
        // end on a boundary of the level above.
        while self.len >= 2 {
            let (a, b) = (self.len as usize - 2, self.len as usize - 1);
            let level = self.levels[b];
            if self.levels[a] != level || self.next % (2u64 << level) != 0 {
                break;
            }
            self.values[a] = combine(self.values[a], self.values[b]);
            self.levels[a] = level + 1;
            self.len -= 1;
        }
    }
}

impl<T: Copy> Partials<T> for Pairwise<T> {
    fn start(base: T, first: u64) -> Self {
        Pairwise {
            base,
            values: [base; NODES],
            levels: [0; NODES],
            len: 0,
            next: first,
        }
    }
    fn push_leaf(&mut self, leaf: u64, value: T, combine: fn(T, T) -> T) {
        assert_eq!(leaf, self.next, "penny: leaves out of order");
        self.push_node(0, value, combine);
    }
    fn append(&mut self, half: &Self, combine: fn(T, T) -> T) {
        let start = half.next
            - half.levels[..half.len as usize]
                .iter()
                .map(|&l| 1u64 << l)
                .sum::<u64>();
        assert_eq!(start, self.next, "penny: joined a half that doesn't follow");
        for i in 0..half.len as usize {
            self.push_node(half.levels[i], half.values[i], combine);
        }
    }
    fn finish(&self, _: T, combine: fn(T, T) -> T) -> T {
        let n = self.len as usize;
        if n == 0 {
            return self.base;
        }
        let mut acc = self.values[n - 1];
        for i in (0..n - 1).rev() {
            acc = combine(self.values[i], acc);
        }
        combine(self.base, acc)
    }
}

// ---- what the generated code calls (by operator and type, so it never names the kinds) ----

/// A part's partial results: at loop entry (`base`: the variable's value before the loop)
/// or in a half (`base`: the identity; `first`: the half's first leaf).
#[inline]
pub fn start<Op, T: Reduce<Op>>(base: T, first: u64) -> PartialsOf<T, Op> {
    Partials::start(base, first)
}

/// What the variable starts the loop from: the identity when a tree keeps the partial
/// results (the value before the loop is the tree's base), the value itself otherwise.
#[inline]
pub fn entry_value<Op, T: Reduce<Op>>(value: T) -> T {
    if is_tree::<Op, T>() {
        T::identity()
    } else {
        value
    }
}

/// The identity.
#[inline]
pub fn identity<Op, T: Reduce<Op>>() -> T {
    T::identity()
}

/// Leaf `leaf` of this part finished with `value`; returns what the variable goes on from.
#[inline]
pub fn push_leaf<Op, T: Reduce<Op>>(partials: &mut PartialsOf<T, Op>, leaf: u64, value: T) -> T {
    partials.push_leaf(leaf, value, T::combine);
    entry_value::<Op, T>(value)
}

/// Appends the partial results of a half (the part right after this one).
#[inline]
pub fn append<Op, T: Reduce<Op>>(partials: &mut PartialsOf<T, Op>, half: &PartialsOf<T, Op>) {
    partials.append(half, T::combine);
}

/// The loop's result for the variable (`value`: what it holds at the loop's end).
#[inline]
pub fn finish<Op, T: Reduce<Op>>(partials: &PartialsOf<T, Op>, value: T) -> T {
    partials.finish(value, T::combine)
}

/// Iterations per leaf for a split loop of `len` iterations: [`leaf_size`] when a reduction
/// keeps a tree, else 0 (no leaves).
#[inline]
pub fn leaves(len: u64, tree: bool) -> u64 {
    if tree {
        leaf_size(len)
    } else {
        0
    }
}

// ---- the arithmetic of a split loop's `+` and `*` updates ----

use core::ops::{Add as _, Mul as _, Sub as _};

/// The `+ - *` of the updates of a built-in `+` or `*` reduction in a split loop's body, as
/// the lowered task runs them: wrapping for integers, plain for floats.
///
/// A part of a split loop starts its copy of the reduction at the identity, so its running
/// value is not one the plain loop ever had: a part of `left -= i` over `u64` starts at 0
/// and goes below it, a part of `p *= x` may meet the large factors without the zero that
/// came earlier. Computed modulo 2^bits, like [`Reduce::combine`], the parts still add up to
/// the plain function's result whenever that one doesn't overflow, in debug builds too.
/// Floats keep `+ - *` as written (bit for bit).
///
/// Implemented like the operators: for the type and references to it on either side.
#[diagnostic::on_unimplemented(
    message = "a split loop's reduction update can't combine `{Self}` with `{Rhs}`",
    note = "a `+` or `*` reduction's updates (`x += e`, `x = x * e`, ...) wrap like its combine \
            where the plain function would overflow: their operands are the reduction's integer \
            or float type or references to it: convert others first (`x += u64::from(e)`)"
)]
pub trait WrapOps<Rhs = Self> {
    /// The reduction's type.
    type Output;
    /// `self + rhs`.
    fn penny_add(self, rhs: Rhs) -> Self::Output;
    /// `self - rhs`.
    fn penny_sub(self, rhs: Rhs) -> Self::Output;
    /// `self * rhs`.
    fn penny_mul(self, rhs: Rhs) -> Self::Output;
}

/// `a + b` in an update of a split loop's reduction (`x = x + e`): see [`WrapOps`].
#[inline]
pub fn add<A: WrapOps<B>, B>(a: A, b: B) -> A::Output {
    a.penny_add(b)
}

/// `a - b` in an update of a split loop's reduction (`x = x - e`): see [`WrapOps`].
#[inline]
pub fn sub<A: WrapOps<B>, B>(a: A, b: B) -> A::Output {
    a.penny_sub(b)
}

/// `a * b` in an update of a split loop's reduction (`x = x * e`): see [`WrapOps`].
#[inline]
pub fn mul<A: WrapOps<B>, B>(a: A, b: B) -> A::Output {
    a.penny_mul(b)
}

/// `*place += rhs` in a split loop's body: see [`WrapOps`]. The value comes first, as a
/// primitive `+=` evaluates it before the place.
#[inline]
pub fn add_to<T: WrapOps<B, Output = T> + Copy, B>(rhs: B, place: &mut T) {
    *place = place.penny_add(rhs);
}

/// `*place -= rhs` in a split loop's body: see [`add_to`].
#[inline]
pub fn sub_from<T: WrapOps<B, Output = T> + Copy, B>(rhs: B, place: &mut T) {
    *place = place.penny_sub(rhs);
}

/// `*place *= rhs` in a split loop's body: see [`add_to`].
#[inline]
pub fn mul_into<T: WrapOps<B, Output = T> + Copy, B>(rhs: B, place: &mut T) {
    *place = place.penny_mul(rhs);
}

macro_rules! wrap_ops {
    ($($t:ty),* => $add:ident, $sub:ident, $mul:ident) => {$(
        impl WrapOps for $t {
            type Output = $t;
            #[inline]
            fn penny_add(self, rhs: $t) -> $t {
                <$t>::$add(self, rhs)
            }
            #[inline]
            fn penny_sub(self, rhs: $t) -> $t {
                <$t>::$sub(self, rhs)
            }
            #[inline]
            fn penny_mul(self, rhs: $t) -> $t {
                <$t>::$mul(self, rhs)
            }
        }
        wrap_ops!(@ref $t, $t, &$t);
        wrap_ops!(@ref $t, &$t, $t);
        wrap_ops!(@ref $t, &$t, &$t);
    )*};
    // A reference on either side: the operation of the values.
    (@ref $t:ty, $self:ty, $rhs:ty) => {
        impl WrapOps<$rhs> for $self {
            type Output = $t;
            #[inline]
            fn penny_add(self, rhs: $rhs) -> $t {
                WrapOps::<$t>::penny_add(Operand::<$t>::get(self), Operand::<$t>::get(rhs))
            }
            #[inline]
            fn penny_sub(self, rhs: $rhs) -> $t {
                WrapOps::<$t>::penny_sub(Operand::<$t>::get(self), Operand::<$t>::get(rhs))
            }
            #[inline]
            fn penny_mul(self, rhs: $rhs) -> $t {
                WrapOps::<$t>::penny_mul(Operand::<$t>::get(self), Operand::<$t>::get(rhs))
            }
        }
    };
}

/// `T` or `&T`, as the value.
trait Operand<T> {
    fn get(self) -> T;
}
impl<T> Operand<T> for T {
    #[inline]
    fn get(self) -> T {
        self
    }
}
impl<T: Copy> Operand<T> for &T {
    #[inline]
    fn get(self) -> T {
        *self
    }
}
wrap_ops!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
    => wrapping_add, wrapping_sub, wrapping_mul);
wrap_ops!(f32, f64 => add, sub, mul);

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Reduce<Sum> for $t {
            type Kind = LinearKind;
            fn identity() -> Self { 0 }
            fn combine(a: Self, b: Self) -> Self { a.wrapping_add(b) }
        }
        impl Reduce<Product> for $t {
            type Kind = LinearKind;
            fn identity() -> Self { 1 }
            fn combine(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
        }
        impl Reduce<Min> for $t {
            type Kind = LinearKind;
            fn identity() -> Self { <$t>::MAX }
            fn combine(a: Self, b: Self) -> Self { a.min(b) }
        }
        impl Reduce<Max> for $t {
            type Kind = LinearKind;
            fn identity() -> Self { <$t>::MIN }
            fn combine(a: Self, b: Self) -> Self { a.max(b) }
        }
        impl Reduce<BitAnd> for $t {
            type Kind = LinearKind;
            fn identity() -> Self { !0 }
            fn combine(a: Self, b: Self) -> Self { a & b }
        }
        impl Reduce<BitOr> for $t {
            type Kind = LinearKind;
            fn identity() -> Self { 0 }
            fn combine(a: Self, b: Self) -> Self { a | b }
        }
        impl Reduce<BitXor> for $t {
            type Kind = LinearKind;
            fn identity() -> Self { 0 }
            fn combine(a: Self, b: Self) -> Self { a ^ b }
        }
    )*};
}
integers!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl Reduce<Sum> for $t {
            type Kind = TreeKind;
            fn identity() -> Self { 0.0 }
            fn combine(a: Self, b: Self) -> Self { a + b }
        }
        impl Reduce<Product> for $t {
            type Kind = TreeKind;
            fn identity() -> Self { 1.0 }
            fn combine(a: Self, b: Self) -> Self { a * b }
        }
        impl Reduce<Min> for $t {
            type Kind = TreeKind;
            fn identity() -> Self { <$t>::INFINITY }
            fn combine(a: Self, b: Self) -> Self {
                if a.is_nan() || b.is_nan() {
                    <$t>::NAN
                } else if a == b {
                    // Equal, so only the sign of a zero can differ: -0.0 is the smaller.
                    if a.is_sign_negative() { a } else { b }
                } else if a < b {
                    a
                } else {
                    b
                }
            }
        }
        impl Reduce<Max> for $t {
            type Kind = TreeKind;
            fn identity() -> Self { <$t>::NEG_INFINITY }
            fn combine(a: Self, b: Self) -> Self {
                if a.is_nan() || b.is_nan() {
                    <$t>::NAN
                } else if a == b {
                    if a.is_sign_positive() { a } else { b }
                } else if a > b {
                    a
                } else {
                    b
                }
            }
        }
    )*};
}
floats!(f32, f64);

impl Reduce<BitAnd> for bool {
    type Kind = LinearKind;
    fn identity() -> Self {
        true
    }
    fn combine(a: Self, b: Self) -> Self {
        a & b
    }
}
impl Reduce<BitOr> for bool {
    type Kind = LinearKind;
    fn identity() -> Self {
        false
    }
    fn combine(a: Self, b: Self) -> Self {
        a | b
    }
}
impl Reduce<BitXor> for bool {
    type Kind = LinearKind;
    fn identity() -> Self {
        false
    }
    fn combine(a: Self, b: Self) -> Self {
        a ^ b
    }
}
impl Reduce<Min> for bool {
    type Kind = LinearKind;
    fn identity() -> Self {
        true
    }
    fn combine(a: Self, b: Self) -> Self {
        a & b
    }
}
impl Reduce<Max> for bool {
    type Kind = LinearKind;
    fn identity() -> Self {
        false
    }
    fn combine(a: Self, b: Self) -> Self {
        a | b
    }
}

impl<Op, T: Reduce<Op>, const N: usize> Reduce<Op> for [T; N] {
    type Kind = T::Kind;
    fn identity() -> Self {
        [T::identity(); N]
    }
    fn combine(mut a: Self, b: Self) -> Self {
        for (x, y) in a.iter_mut().zip(b) {
            *x = T::combine(*x, y);
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes leaves `range` (value = leaf index as f64, each + 1/3 so rounding matters).
    fn part(first: u64, end: u64) -> Pairwise<f64> {
        let mut p = Pairwise::start(0.0, first);
        for leaf in first..end {
            p.push_leaf(leaf, leaf as f64 + 1.0 / 3.0, |a, b| a + b);
        }
        p
    }

    #[test]
    fn the_tree_does_not_depend_on_where_parts_split() {
        let add: fn(f64, f64) -> f64 = |a, b| a + b;
        for n in [0u64, 1, 2, 3, 5, 8, 13, 100, 1000, 4096] {
            let whole = part(0, n).finish(0.0, add);
            for cuts in [
                vec![n / 2],
                vec![1.min(n), n / 3, n / 2],
                vec![n.saturating_sub(1)],
            ] {
                let mut cuts: Vec<u64> = cuts.into_iter().filter(|&c| c <= n).collect();
                cuts.sort();
                cuts.dedup();
                let mut bounds = vec![0];
                bounds.extend(cuts);
                bounds.push(n);
                bounds.dedup();
                if bounds.len() < 2 {
                    continue;
                }
                let mut acc = part(bounds[0], bounds[1]);
                for w in bounds[1..].windows(2) {
                    acc.append(&part(w[0], w[1]), add);
                }
                assert_eq!(acc.finish(0.0, add).to_bits(), whole.to_bits(), "n = {n}");
            }
        }
        assert_eq!(leaf_size(0), 1);
        assert_eq!(leaf_size(4096), 1);
        assert_eq!(leaf_size(4097), 2);
    }

    #[test]
    fn float_min_max_define_nan_and_signed_zeros() {
        assert!(combine::<Min, f32>(1.0, f32::NAN).is_nan());
        assert!(combine::<Max, f64>(f64::NAN, 1.0).is_nan());
        assert!(combine::<Min, f32>(0.0, -0.0).is_sign_negative());
        assert!(combine::<Min, f32>(-0.0, 0.0).is_sign_negative());
        assert!(combine::<Max, f32>(-0.0, 0.0).is_sign_positive());
        assert!(combine::<Max, f32>(0.0, -0.0).is_sign_positive());
        assert_eq!(
            combine::<Min, f32>(2.0, identity_like::<Min, f32>(&0.0)),
            2.0
        );
    }

    #[test]
    fn arrays_combine_elementwise() {
        let a = [1u32, 2, 3];
        assert_eq!(combine::<Sum, _>(a, [10, 20, 30]), [11, 22, 33]);
        assert_eq!(identity_like::<Max, _>(&[0i8; 2]), [i8::MIN; 2]);
        assert_eq!(combine::<Sum, _>(u8::MAX, 1), 0, "integers wrap");
    }

    #[test]
    fn updates_wrap_integers_and_keep_float_operators() {
        let mut x = 0u64;
        sub_from(3, &mut x);
        assert_eq!(x, u64::MAX - 2);
        add_to(&5, &mut x);
        assert_eq!(x, 2);
        let mut p = 200u8;
        mul_into(2, &mut p);
        assert_eq!((p, mul(&p, 3u8), add(1, i32::MAX)), (144, 176, i32::MIN));
        assert_eq!(sub(&i8::MIN, &1), i8::MAX);
        let (a, b) = (0.1f64, 0.7f64);
        assert_eq!(add(a, &b).to_bits(), (a + b).to_bits());
        assert_eq!(sub(&a, b).to_bits(), (a - b).to_bits());
        let mut f = 1.0e38f32;
        mul_into(10.0, &mut f);
        assert_eq!(f, f32::INFINITY);
        assert!(add(f32::NAN, 1.0).is_nan());
    }
}
