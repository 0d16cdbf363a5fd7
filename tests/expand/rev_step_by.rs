/// `.rev()` and `.step_by(k)` on ranges.
#[penny::task]
fn strided(n: i64, k: usize) -> i64 {
    let mut acc = 0i64;
    for i in (0..n).rev().step_by(k) {
        acc = acc.wrapping_mul(31).wrapping_add(i);
    }
    for j in (-n..=n).step_by(k) {
        acc ^= j;
    }
    acc
}
