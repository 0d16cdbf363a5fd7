//! Loop nests written the way a newcomer writes them, for the jumps the lowering turns into
//! loops of its own (a jump back to an outer loop's head is a `continue` of a loop around that
//! arm's code, a `break` out of a leaf loop falls through to the loop's exit): labelled
//! `continue` and `break` across resumable loops, `while` around `while`, loops inside
//! `if`/`else` inside an outer loop, a `loop` with a value inside a `for`. Untyped literals
//! throughout.

/// `continue 'rows` from inside a resumable inner loop.
#[penny::task]
pub fn continue_rows(n: u32, m: u32) -> u64 {
    let mut acc = 0;
    'rows: for i in 0..n {
        for j in 0..m {
            if (i * 7 + j) % 11 == 0 {
                continue 'rows;
            }
            acc = acc * 31 % 1_000_003 + (i ^ j) as u64;
            penny::yield_now!();
        }
        acc ^= i as u64;
    }
    acc
}

/// A `while` around a resumable `while`, leaving both from the inner one.
#[penny::task]
pub fn nested_whiles(limit: u32, cap: u32) -> (u32, u32) {
    let mut x = 1;
    let mut steps = 0;
    'outer: while x < limit {
        let mut y = x;
        while y > 1 {
            y = if y % 2 == 0 { y / 2 } else { 3 * y + 1 };
            steps += 1;
            if steps > cap {
                break 'outer;
            }
        }
        x += 1;
    }
    (x, steps)
}

/// Three levels: the innermost breaks the middle loop, the outer loop goes on.
#[penny::task]
pub fn break_middle(n: u32) -> (u64, u32) {
    let mut sum = 0u64;
    let mut breaks = 0;
    for i in 0..n {
        'mid: for j in 0..i {
            for k in 0..j {
                if (i + 2 * j + 3 * k) % 13 == 12 {
                    breaks += 1;
                    break 'mid;
                }
                sum += (i * j + k) as u64;
                penny::yield_now!();
            }
            penny::yield_now!();
        }
    }
    (sum, breaks)
}

/// Resumable loops in both arms of an `if` inside an outer loop.
#[penny::task]
pub fn branchy_rows(n: u32, width: u32) -> (u64, u64) {
    let mut even = 0u64;
    let mut odd = 0u64;
    for row in 0..n {
        if row % 2 == 0 {
            for col in 0..width {
                even += (row * width + col) as u64 % 7;
                penny::yield_now!();
            }
        } else {
            let mut col = 0;
            while col < width {
                odd = odd.wrapping_mul(3) + col as u64;
                col += 2;
            }
        }
    }
    (even, odd)
}

/// A `loop` that breaks with a value, inside a `for`.
#[penny::task]
pub fn first_hits(n: u32, seed: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        let mut x = seed ^ i;
        let found = loop {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            if x % 16 == 3 {
                break x >> 4;
            }
        };
        total += found as u64;
    }
    total
}
