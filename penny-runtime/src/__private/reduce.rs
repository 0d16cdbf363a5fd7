//! The reductions of `#[penny::split(reduce(...))]`: an identity and a combine per built-in
//! operator, for the numeric types, `bool` and arrays of them (elementwise).
//!
//! A split loop's half starts its reduced variables at the operator's identity; joining a
//! half combines the task's value with the half's (`combine(mine, half's)`: the half covers
//! the iterations right after the task's part, so the order of the plain loop is kept).
//!
//! - Integers: `+ - *` wrap (the plain function panics on overflow in debug builds; where
//!   it doesn't overflow the results are equal), `min`, `max`, `& | ^`.
//! - Floats: `+ *`, and `min`/`max` as IEEE 754-2019 `minimum`/`maximum`: a NaN on either
//!   side gives NaN, and `-0.0 < +0.0`.
//! - `bool`: `& | ^` (`min` is `&`, `max` is `|`).

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

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Reduce<Sum> for $t {
            fn identity() -> Self { 0 }
            fn combine(a: Self, b: Self) -> Self { a.wrapping_add(b) }
        }
        impl Reduce<Product> for $t {
            fn identity() -> Self { 1 }
            fn combine(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
        }
        impl Reduce<Min> for $t {
            fn identity() -> Self { <$t>::MAX }
            fn combine(a: Self, b: Self) -> Self { a.min(b) }
        }
        impl Reduce<Max> for $t {
            fn identity() -> Self { <$t>::MIN }
            fn combine(a: Self, b: Self) -> Self { a.max(b) }
        }
        impl Reduce<BitAnd> for $t {
            fn identity() -> Self { !0 }
            fn combine(a: Self, b: Self) -> Self { a & b }
        }
        impl Reduce<BitOr> for $t {
            fn identity() -> Self { 0 }
            fn combine(a: Self, b: Self) -> Self { a | b }
        }
        impl Reduce<BitXor> for $t {
            fn identity() -> Self { 0 }
            fn combine(a: Self, b: Self) -> Self { a ^ b }
        }
    )*};
}
integers!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl Reduce<Sum> for $t {
            fn identity() -> Self { 0.0 }
            fn combine(a: Self, b: Self) -> Self { a + b }
        }
        impl Reduce<Product> for $t {
            fn identity() -> Self { 1.0 }
            fn combine(a: Self, b: Self) -> Self { a * b }
        }
        impl Reduce<Min> for $t {
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
    fn identity() -> Self {
        true
    }
    fn combine(a: Self, b: Self) -> Self {
        a & b
    }
}
impl Reduce<BitOr> for bool {
    fn identity() -> Self {
        false
    }
    fn combine(a: Self, b: Self) -> Self {
        a | b
    }
}
impl Reduce<BitXor> for bool {
    fn identity() -> Self {
        false
    }
    fn combine(a: Self, b: Self) -> Self {
        a ^ b
    }
}
impl Reduce<Min> for bool {
    fn identity() -> Self {
        true
    }
    fn combine(a: Self, b: Self) -> Self {
        a & b
    }
}
impl Reduce<Max> for bool {
    fn identity() -> Self {
        false
    }
    fn combine(a: Self, b: Self) -> Self {
        a | b
    }
}

impl<Op, T: Reduce<Op>, const N: usize> Reduce<Op> for [T; N] {
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

    #[test]
    fn float_min_max_define_nan_and_signed_zeros() {
        assert!(combine::<Min, f32>(1.0, f32::NAN).is_nan());
        assert!(combine::<Max, f64>(f64::NAN, 1.0).is_nan());
        assert!(combine::<Min, f32>(0.0, -0.0).is_sign_negative());
        assert!(combine::<Min, f32>(-0.0, 0.0).is_sign_negative());
        assert!(combine::<Max, f32>(-0.0, 0.0).is_sign_positive());
        assert!(combine::<Max, f32>(0.0, -0.0).is_sign_positive());
        assert_eq!(combine::<Min, f32>(2.0, identity_like::<Min, f32>(&0.0)), 2.0);
    }

    #[test]
    fn arrays_combine_elementwise() {
        let a = [1u32, 2, 3];
        assert_eq!(combine::<Sum, _>(a, [10, 20, 30]), [11, 22, 33]);
        assert_eq!(identity_like::<Max, _>(&[0i8; 2]), [i8::MIN; 2]);
        assert_eq!(combine::<Sum, _>(u8::MAX, 1), 0, "integers wrap");
    }
}
