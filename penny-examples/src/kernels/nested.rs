//! Nested loops: plain inner loops that run inside one outer iteration, and inner loops made
//! resumable with `penny::yield_now!()`.

/// A matrix-ish kernel: row sums of an implicit `n x m` matrix, folded with wrapping math.
#[penny::task]
pub fn row_checksum(n: u32, m: u32) -> u64 {
    let mut checksum = 0u64;
    for i in 0..n {
        let mut row = 0u64;
        for j in 0..m {
            row = row.wrapping_add(((i as u64) * 31 + j as u64) ^ 0x5555);
        }
        checksum = checksum.rotate_left(7) ^ row;
    }
    checksum
}

/// Implicit matrix product `C = A * B` with `A[i][k] = i + k`, `B[k][j] = k * j + 1`, summing
/// the entries of `C` as `f64`. Two plain inner loops.
#[penny::task]
pub fn matmul_sum(n: u32) -> f64 {
    let mut total = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            let mut c = 0.0f64;
            for k in 0..n {
                c += (i + k) as f64 * (k * j + 1) as f64;
            }
            total += c.sqrt();
        }
    }
    total
}

/// A triangular iteration space with an inclusive inner range.
#[penny::task]
pub fn triangular(n: u32) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        for j in 0..=i {
            acc = acc.wrapping_mul(3).wrapping_add((i * j) as u64);
        }
    }
    acc
}

/// A long inner loop made resumable by an explicit yield point; work before and after it.
#[penny::task]
pub fn resumable_inner(n: u32, m: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        let weight: u64 = i as u64 + 1;
        total = total.wrapping_mul(7);
        for j in 0..m + i {
            total = total.wrapping_add(weight * j as u64);
            penny::yield_now!();
        }
        total ^= weight;
    }
    total
}

/// Resumable middle loop with a plain innermost loop inside it.
#[penny::task]
pub fn resumable_middle(n: u32, m: u32) -> f64 {
    let mut acc = 0.0f64;
    for i in 0..n {
        for j in 0..m {
            let mut inner = 0.0f64;
            for k in 0..4u32 {
                inner += ((i * 13 + j * 7 + k) % 11) as f64 * 0.25;
            }
            acc = acc * 0.5 + inner;
            penny::yield_now!();
        }
    }
    acc
}

/// An inner resumable `while` loop: Collatz steps for every start below `n`.
#[penny::task]
pub fn collatz_total(n: u32) -> u64 {
    let mut total = 0u64;
    for start in 1..n {
        let mut x: u64 = start as u64;
        while x != 1 {
            x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
            total += 1;
            penny::yield_now!();
        }
    }
    total
}

/// `return` from inside a resumable inner loop.
#[penny::task]
pub fn return_inner(n: u32, m: u32, needle: u64) -> i64 {
    let mut acc = 0u64;
    for i in 0..n {
        for j in 0..m {
            acc = acc.wrapping_mul(7).wrapping_add((i ^ j) as u64);
            if acc % 101 == needle {
                return (i * 1000 + j) as i64;
            }
            penny::yield_now!();
        }
    }
    -(acc as i64 % 1000)
}

/// `continue`, `continue 'outer` and `break 'outer` from inside a resumable inner loop.
#[penny::task]
pub fn break_resumable(n: u32, m: u32) -> u64 {
    let mut acc = 0u64;
    'outer: for i in 0..n {
        for j in 0..m {
            if j % 3 == 1 {
                acc += 1;
                continue;
            }
            if i * j == 12 {
                break 'outer;
            }
            if j > i + 5 {
                continue 'outer;
            }
            acc = acc * 3 % 1_000_007 + j as u64;
            penny::yield_now!();
        }
        acc += 1000;
    }
    acc
}

/// Three levels of loops, the two inner ones resumable; `row` lives across inner boundaries.
#[penny::task]
pub fn three_levels(n: u32) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        let mut row = 0u64;
        for j in 0..i {
            for k in 0..j {
                row = row.wrapping_mul(3).wrapping_add((i + j + k) as u64);
                penny::yield_now!();
            }
            row ^= j as u64;
            penny::yield_now!();
        }
        acc = acc.wrapping_add(row);
    }
    acc
}

/// A `while` outer loop around a resumable `for` inner loop.
#[penny::task]
pub fn while_outer(limit: u64) -> u64 {
    let mut x = 1u64;
    let mut acc = 0u64;
    while x < limit {
        for k in 0..x % 17 {
            acc = acc.wrapping_add(k * x);
            penny::yield_now!();
        }
        x = x * 2 + 1;
    }
    acc
}

/// A `loop` outer loop around a resumable `loop` inner loop, both ending with `break`.
#[penny::task]
pub fn loop_outer(n: u32) -> u32 {
    let mut i = 0u32;
    let mut acc = 0u32;
    loop {
        if i >= n {
            break;
        }
        let mut j = 0u32;
        loop {
            if j >= i {
                break;
            }
            acc = acc.wrapping_add(i * j);
            j += 1;
            penny::yield_now!();
        }
        i += 1;
    }
    acc
}

/// A resumable inner loop whose range reads a variable the outer body computed (and mutated)
/// before it.
#[penny::task]
pub fn inner_range_reads_outer_body(n: u32) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        let mut lim: u32 = i % 5;
        lim += 2;
        for j in 0..lim {
            acc = acc * 7 % 1_000_003 + (i * j) as u64;
            penny::yield_now!();
        }
        acc += lim as u64;
    }
    acc
}
