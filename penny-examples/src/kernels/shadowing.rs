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

/// A walker, a user `Copy` struct bound `mut` by a loop pattern.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Walker {
    /// Where it stands.
    pub at: u32,
    /// How far it goes per step.
    pub stride: u32,
}

/// `mut` loop-pattern bindings changed before a resumable inner loop and read after it: a
/// range variable, a tuple item of an array iterated by value, and a struct item. The lowering
/// bound the pattern again from the cursor after each inner yield point, losing the changes
/// (`for mut i in 0..2 { i += 10; ..; s += i }` gave 1 where the plain fn gives 21, at every
/// budget); a `mut` pattern is now a `let mut` at the top of the body.
#[penny::task]
pub fn mut_loop_patterns(n: u32, pairs: [(u32, u32); 4], walkers: [Walker; 3]) -> (u32, u32, u32) {
    let mut s = 0;
    for mut i in 0..n {
        i += 10;
        for _ in 0..i % 3 {
            penny::yield_now!();
        }
        s += i;
    }
    let mut t = 0u32;
    for (mut x, y) in pairs {
        x = x.wrapping_mul(3) ^ y;
        for k in 0..y % 4 {
            t = t.wrapping_add(k);
            penny::yield_now!();
        }
        t = t.wrapping_mul(7).wrapping_add(x);
    }
    let mut far = 0;
    for mut w in walkers {
        w.at += w.stride;
        for _ in 0..w.stride % 3 {
            w.at += 1;
            penny::yield_now!();
        }
        far += w.at;
    }
    (s, t, far)
}

/// A closure whose parameter is named like a carried variable (`|x| ..` beside `let mut x`),
/// used across loops. The parameter hides the variable in the closure's body, so the closure
/// captures nothing; it was refused as "mentions `x`, which can change", with a spurious
/// "literal could be any integer type" on `x`.
#[penny::task]
pub fn closure_param_named_like_carried(n: u32) -> u32 {
    let f = |x: u32| x.wrapping_mul(3) ^ 5;
    let mut x = 0;
    for i in 0..n {
        x = f(x) + i;
    }
    for i in 0..n {
        x = f(x ^ i);
    }
    x
}

/// Closures whose own locals and nested closures' parameters are named like carried `mut`
/// variables (`let t = ..` inside, `|acc| ..` nested): they read only what they bind, so
/// they capture nothing that changes. They were refused as "mentions `t`, which can change".
#[penny::task]
pub fn closure_locals_named_like_carried(n: u32) -> (u64, u32) {
    let mut t = 0u64;
    let mut acc = 1u32;
    let mix = |x: u64| {
        let t = x.wrapping_mul(0x9e37_79b9);
        t ^ (t >> 7)
    };
    let fold = |k: u32| (0..k % 5).fold(k, |acc, j| acc.wrapping_mul(31) ^ j);
    for i in 0..n {
        t = t.wrapping_add(mix(u64::from(i)));
        acc = acc.wrapping_add(fold(i));
    }
    for i in 0..n {
        t ^= mix(t ^ u64::from(i));
    }
    (t, acc)
}

/// Items declared inside a branch arm and inside a resumable loop's body, named nowhere else:
/// declared once for all of `step`, they mean what they mean in the plain function. (An item
/// whose name occurs outside its block is refused: it would hide another there.)
#[penny::task]
pub fn items_in_nested_blocks(n: u32, scaled: bool) -> u64 {
    let mut t = 0u64;
    if scaled {
        const SCALE: u64 = 100;
        for i in 0..n {
            t += u64::from(i) * SCALE;
        }
    }
    for i in 0..n {
        fn twice(x: u64) -> u64 {
            x.wrapping_mul(2)
        }
        for _ in 0..i % 3 {
            t = twice(t) ^ u64::from(i);
            penny::yield_now!();
        }
    }
    t
}

/// What the checks added for the kernels above must still let through: a read-only method
/// of the variable an `if let` pattern binds again (`n.checked_sub(1)`), a `mut` loop binding
/// the body never changes over references (`for mut row in grid.iter()`), and a nested `fn`
/// named like a method called outside its block (`n.min(2)`). Each was refused by a first
/// version of those checks.
#[penny::task]
#[allow(unused_mut)] // the point: a `mut` binding that nothing changes
pub fn checks_let_through(n: u32, grid: [[u32; 3]; 4]) -> u32 {
    let mut s = 0u32;
    if let Some(n) = n.checked_sub(1) {
        let n: u32 = n;
        for i in 0..n {
            s = s.wrapping_add(i);
        }
    }
    for mut row in grid.iter() {
        for x in row {
            s = s.wrapping_mul(3).wrapping_add(*x);
            penny::yield_now!();
        }
    }
    for i in 0..n {
        fn min(a: u32, b: u32) -> u32 {
            if a < b {
                a
            } else {
                b
            }
        }
        s = s.wrapping_add(min(i, 3));
    }
    s.wrapping_add(n.min(2))
}
