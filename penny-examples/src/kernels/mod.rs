//! The equivalence suite kernels: plain Rust functions marked `#[penny::task]`, grouped by
//! what they exercise. Each keeps its plain function, which is the reference its lowered task
//! is checked against (`tests/equivalence.rs`, `tests/relocation.rs`, `tests/progress.rs`).

pub mod arrays;
pub mod control;
pub mod evaluated_once;
pub mod idioms;
pub mod loop_nests;
pub mod nested;
pub mod newcomer;
pub mod phases;
pub mod reductions;
pub mod shadowing;

/// Bit-for-bit equality of kernel outputs: floats compare by `to_bits`, so `-0.0 != 0.0` and
/// a NaN equals itself only with the same payload. The suite requires a lowered task to give
/// exactly the bits its plain function gives.
pub trait BitEq {
    /// Whether `self` and `other` have identical bits.
    fn bit_eq(&self, other: &Self) -> bool;
}

macro_rules! bit_eq_by_value {
    ($($ty:ty),* $(,)?) => {$(
        impl BitEq for $ty {
            fn bit_eq(&self, other: &Self) -> bool {
                self == other
            }
        }
    )*};
}

bit_eq_by_value!(
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    bool,
    char,
    &'static str,
    ()
);

impl BitEq for f32 {
    fn bit_eq(&self, other: &Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}

impl BitEq for f64 {
    fn bit_eq(&self, other: &Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}

impl<T: BitEq, const N: usize> BitEq for [T; N] {
    fn bit_eq(&self, other: &Self) -> bool {
        self.iter().zip(other).all(|(a, b)| a.bit_eq(b))
    }
}

impl<T: BitEq> BitEq for [T] {
    fn bit_eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a.bit_eq(b))
    }
}

impl<T: BitEq> BitEq for Vec<T> {
    fn bit_eq(&self, other: &Self) -> bool {
        self[..].bit_eq(&other[..])
    }
}

impl<T: BitEq> BitEq for Option<T> {
    fn bit_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Some(a), Some(b)) => a.bit_eq(b),
            (None, None) => true,
            _ => false,
        }
    }
}

macro_rules! bit_eq_tuple {
    ($($name:ident $index:tt)+) => {
        impl<$($name: BitEq),+> BitEq for ($($name,)+) {
            fn bit_eq(&self, other: &Self) -> bool {
                true $(&& self.$index.bit_eq(&other.$index))+
            }
        }
    };
}

bit_eq_tuple!(A 0);
bit_eq_tuple!(A 0 B 1);
bit_eq_tuple!(A 0 B 1 C 2);
bit_eq_tuple!(A 0 B 1 C 2 D 3);
bit_eq_tuple!(A 0 B 1 C 2 D 3 E 4);
bit_eq_tuple!(A 0 B 1 C 2 D 3 E 4 F 5);

impl BitEq for arrays::Stats {
    fn bit_eq(&self, other: &Self) -> bool {
        let arrays::Stats {
            count,
            sum,
            max,
            argmax,
        } = *self;
        (count, sum, max, argmax).bit_eq(&(other.count, other.sum, other.max, other.argmax))
    }
}

impl BitEq for arrays::Pair {
    fn bit_eq(&self, other: &Self) -> bool {
        (self.0, self.1).bit_eq(&(other.0, other.1))
    }
}

impl BitEq for idioms::Point {
    fn bit_eq(&self, other: &Self) -> bool {
        (self.x, self.y).bit_eq(&(other.x, other.y))
    }
}

impl BitEq for control::Run {
    fn bit_eq(&self, other: &Self) -> bool {
        self == other
    }
}

impl BitEq for idioms::Signal {
    fn bit_eq(&self, other: &Self) -> bool {
        self == other
    }
}

impl BitEq for idioms::Heading {
    fn bit_eq(&self, other: &Self) -> bool {
        self == other
    }
}
