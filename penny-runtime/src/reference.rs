//! Sequential references for what `#[penny::split]` loops compute, for tests and for users
//! who want to check a kernel.
//!
//! An integer (or `bool`) reduction of a split loop equals the plain function: its operator
//! is associative, and halves are combined in the loop's order. A float reduction can't be:
//! its value would depend on where the loop was split. Penny fixes the order instead: the
//! loop's iterations form leaves of `max(1, ceil(len / 4096))` consecutive iterations, each
//! folded from the operator's identity by the loop body in order, and the leaves combine
//! pairwise, as a binary tree over the leaf indices: the tree over `n` leaves is the perfect
//! tree over the largest power of two `p <= n` leaves, combined with the tree over the rest;
//! the variable's value before the loop comes first. [`tree_fold`] computes exactly that, so
//! a split float reduction is bit-identical to it on any pool, any budget, any steal.
//!
//! Against the plain function's linear sum, the tree usually has the smaller rounding error
//! (`O(log n)` instead of `O(n)` roundings on any path); the two are not bit-identical.

/// What a split loop of `len` iterations computes for a reduction with `combine` and
/// `identity` whose variable holds `init` before the loop; `body(k, &mut v)` is iteration
/// `k` (0-based) of the loop body updating the variable.
///
/// ```
/// // let mut acc = 0.0f32; #[penny::split(reduce(acc = +))] for i in 0..n { acc += f(i) }
/// let f = |i: u64| 1.0 / (i as f32 + 1.0);
/// let acc = penny_runtime::reference::tree_fold(10_000, 0.0f32, 0.0, |i, acc| *acc += f(i), |a, b| a + b);
/// assert!((acc - 9.7876).abs() < 1e-3);
/// ```
pub fn tree_fold<T: Copy>(
    len: u64,
    init: T,
    identity: T,
    mut body: impl FnMut(u64, &mut T),
    combine: impl Fn(T, T) -> T,
) -> T {
    if len == 0 {
        return init;
    }
    let leaf = len.div_ceil(4096).max(1);
    let leaves: Vec<T> = (0..len.div_ceil(leaf))
        .map(|k| {
            let mut value = identity;
            for i in k * leaf..((k + 1) * leaf).min(len) {
                body(i, &mut value);
            }
            value
        })
        .collect();
    combine(init, tree(&leaves, &combine))
}

/// The tree over `values` (non-empty): perfect over the largest power of two, then the rest.
fn tree<T: Copy>(values: &[T], combine: &impl Fn(T, T) -> T) -> T {
    let n = values.len();
    if n == 1 {
        return values[0];
    }
    let p = 1usize << (usize::BITS - 1 - n.leading_zeros());
    if p == n {
        let (left, right) = values.split_at(n / 2);
        combine(tree(left, combine), tree(right, combine))
    } else {
        combine(tree(&values[..p], combine), tree(&values[p..], combine))
    }
}
