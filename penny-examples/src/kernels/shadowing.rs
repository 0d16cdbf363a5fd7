//! A carried variable shadowed by a `let` in a nested scope (an iteration, an `if` or `match`
//! arm) that lives across a resumable loop. The code after that loop runs in an arm of its
//! own, which loads the outer variable and then the shadow under the same name; the store at
//! the end of the scope must leave the outer variable's field alone (the shadow hides it, so
//! it can't have changed). Found by a newcomer probe: the lowering stored the shadow's value
//! into the outer variable, at every budget, `u32::MAX` included. Untyped literals throughout.

/// The shadow lives in an `if` arm at function level, across a loop in that arm.
#[penny::task]
pub fn shadow_in_if_arm(n: u32, double: bool) -> (u32, u32) {
    let mut v = 5;
    for i in 0..n {
        v += i % 3;
    }
    let mut acc = 0;
    if double {
        let v = v * 2;
        for i in 0..n {
            acc += i ^ v;
        }
        acc += v;
    }
    (acc, v)
}

/// The shadow lives in an iteration of an outer loop, across a resumable inner loop; the next
/// iteration reads the outer variable again.
#[penny::task]
pub fn shadow_across_inner_loop(n: u64, m: u32) -> (u64, u64) {
    let mut v = 7;
    let mut acc = 0u64;
    for i in 0..n {
        v += 3;
        let v = v * 2 + i;
        for j in 0..m {
            acc = acc.wrapping_mul(31).wrapping_add(v + j as u64);
            penny::yield_now!();
        }
        acc = acc.wrapping_add(v);
    }
    (acc, v)
}

/// The shadow lives in one arm of a `match` inside an outer loop.
#[penny::task]
pub fn shadow_in_match_arm(n: u32, m: u32) -> (u64, u64) {
    let mut v = 5u64;
    let mut acc = 0u64;
    for i in 0..n {
        v += 1;
        match i % 3 {
            0 => {
                let v = v + 100;
                for j in 0..m {
                    acc = acc.wrapping_mul(3).wrapping_add(v + j as u64);
                    penny::yield_now!();
                }
                acc += v;
            }
            1 => acc += v,
            _ => acc ^= 1,
        }
    }
    (acc, v)
}

/// A tuple pattern shadows one carried variable and binds a new one.
#[penny::task]
pub fn shadow_by_tuple(n: u32, m: u32) -> (u64, u64) {
    let mut w = 1u64;
    let mut z = 2u64;
    for i in 0..n {
        w += 1;
        let (w, q) = (w * 7, z + i as u64);
        for k in 0..m {
            z = z.wrapping_add(w ^ q ^ k as u64);
            penny::yield_now!();
        }
        z = z.wrapping_add(w);
    }
    (w, z)
}

/// The shadow has another type (before the fix, rustc rejected the generated store with
/// "mismatched types").
#[penny::task]
pub fn shadow_other_type(n: u32) -> (u32, u32) {
    let mut v = 5;
    for _ in 0..n {
        v += 7;
    }
    let mut acc = 0;
    if n % 2 == 0 {
        let v = (v * 2) as u8;
        for i in 0..n {
            acc += (i as u8 ^ v) as u32;
        }
        acc += v as u32;
    }
    (acc, v)
}
