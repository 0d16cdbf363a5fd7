//! Control flow: `while`, `loop` with `break`, early `return`, `continue`, and labeled
//! `break`/`continue` out of plain inner loops.

/// Collatz steps from `start`, giving up (`u32::MAX`) after `limit` steps.
#[penny::task]
pub fn collatz_steps(start: u64, limit: u32) -> u32 {
    let mut x = start;
    let mut steps = 0u32;
    while x != 1 {
        if steps == limit {
            return u32::MAX;
        }
        x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
        steps += 1;
    }
    steps
}

/// Euclid by subtraction: the gcd and how many steps it took.
#[penny::task]
pub fn gcd_steps(a: u64, b: u64) -> (u64, u32) {
    let mut x = a;
    let mut y = b;
    let mut steps = 0u32;
    while x != 0 && y != 0 {
        if x >= y {
            x -= y;
        } else {
            y -= x;
        }
        steps += 1;
    }
    (x.max(y), steps)
}

/// Bisection for the cube root of `target` in `f64`.
#[penny::task]
pub fn cube_root(target: f64, max_iter: u32) -> (f64, u32) {
    let mut lo = 0.0f64;
    let mut hi = target.max(1.0f64);
    let mut iter = 0u32;
    while hi - lo > 1e-12 && iter < max_iter {
        let mid = 0.5 * (lo + hi);
        if mid * mid * mid < target {
            lo = mid;
        } else {
            hi = mid;
        }
        iter += 1;
    }
    (0.5 * (lo + hi), iter)
}

/// Early `return` from inside a `for` loop: the first index whose hash is below a threshold.
#[penny::task]
pub fn find_first(n: u32, seed: u32, threshold: u32) -> Option<u32> {
    let mut state = seed | 1;
    for i in 0..n {
        state = state.wrapping_mul(1664525).wrapping_add(1013904223);
        if state < threshold {
            return Some(i);
        }
    }
    None
}

/// Early `return` from inside a plain inner loop, out of the resumable outer loop.
#[penny::task]
pub fn find_in_grid(n: u32, m: u32, needle: u32) -> i64 {
    let mut visited = 0i64;
    for i in 0..n {
        for j in 0..m {
            visited += 1;
            if (i * 7919 + j * 104729) % 1000 == needle {
                return visited * 1000 + (i * m + j) as i64;
            }
        }
    }
    -visited
}

/// Labeled `break` out of the resumable loop from inside a plain inner loop.
#[penny::task]
pub fn first_pair_with_sum(n: u32, target: u32) -> Option<(u32, u32)> {
    let mut found: Option<(u32, u32)> = None;
    'search: for a in 0..n {
        for b in a..n {
            if a * a + b * b == target {
                found = Some((a, b));
                break 'search;
            }
        }
    }
    found
}

/// Labeled `continue` of the resumable loop from inside a plain inner loop; the outer tail
/// runs only for rows that don't hit the skip condition.
#[penny::task]
pub fn skip_rows(n: u32, m: u32, modulus: u32) -> (u64, u32) {
    let mut acc = 0u64;
    let mut full_rows = 0u32;
    'rows: for i in 0..n {
        for j in 0..m {
            if (i + j * j) % modulus.max(2) == 1 {
                acc += j as u64;
                continue 'rows;
            }
            acc = acc.wrapping_mul(5).wrapping_add(i as u64);
        }
        full_rows += 1;
    }
    (acc, full_rows)
}

/// Labeled `continue` and `break` from a plain inner loop to a resumable (yielding) middle
/// loop, and `break` of the outer loop from the middle one.
#[penny::task]
pub fn labeled_resumable(n: u32, m: u32, stop: u64) -> u64 {
    let mut acc = 0u64;
    'outer: for i in 0..n {
        'mid: for j in 0..m {
            for k in 0..8u32 {
                if (i + j + k) % 5 == 0 {
                    acc += 3;
                    continue 'mid;
                }
                if (i ^ j ^ k) == 13 {
                    acc += 100;
                    break 'mid;
                }
                acc += k as u64;
            }
            if acc > stop {
                break 'outer;
            }
            penny::yield_now!();
        }
        acc = acc.wrapping_mul(3);
    }
    acc
}

/// A `loop` phase that ends with `break`, with `continue` inside it.
#[penny::task]
pub fn newton_sqrt(value: f64, max_steps: u32) -> (f64, u32) {
    let mut guess = value.max(1.0f64);
    let mut steps = 0u32;
    loop {
        steps += 1;
        let next = 0.5 * (guess + value / guess);
        if steps < 3 {
            guess = next;
            continue;
        }
        if (next - guess).abs() < 1e-12 || steps >= max_steps {
            break;
        }
        guess = next;
    }
    (guess, steps)
}

/// `loop` with `break` on a generated condition, counting events.
#[penny::task]
pub fn lcg_until(seed: u32, limit: u32) -> (u32, u32) {
    let mut state = seed;
    let mut count = 0u32;
    let mut small = 0u32;
    loop {
        state = state.wrapping_mul(22695477).wrapping_add(1);
        count += 1;
        if state >> 24 == 0 {
            small += 1;
        }
        if count >= limit || state % 1000 == 7 {
            break;
        }
    }
    (count, small)
}

/// `continue` inside a `while` loop.
#[penny::task]
pub fn while_continue(n: u32) -> (u64, u32) {
    let mut i = 0u32;
    let mut sum = 0u64;
    let mut skipped = 0u32;
    while i < n {
        i += 1;
        if i % 3 == 0 || i % 7 == 0 {
            skipped += 1;
            continue;
        }
        sum += (i as u64) * (i as u64);
    }
    (sum, skipped)
}

/// `match` and `if` inside the loop body, with a `bool` and a `char` carried.
#[penny::task]
pub fn state_machine(n: u32, seed: u32) -> (u32, bool, char) {
    let mut mode = 0u8;
    let mut flips = 0u32;
    let mut odd = false;
    let mut last: char = 'a';
    let mut state = seed;
    for _ in 0..n {
        state ^= state << 7;
        state ^= state >> 9;
        mode = match (mode, state % 3) {
            (0, 0) => 1,
            (1, 1) => 2,
            (2, _) => {
                flips += 1;
                0
            }
            (m, _) => m,
        };
        if mode == 2 {
            odd = !odd;
            last = char::from(b'a' + (state % 26) as u8);
        }
    }
    (flips, odd, last)
}

/// Common macros that don't hide control flow (`assert!`, `debug_assert!`, `matches!`) in a loop
/// body.
#[penny::task]
pub fn macros_in_body(n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        debug_assert!(i < n);
        assert!(acc < u32::MAX, "overflow");
        if matches!(i % 4, 0 | 3) {
            acc += i;
        }
    }
    acc
}

/// Early `return` from the first of two phases.
#[penny::task]
pub fn two_phase_early(n: u32, stop: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        if i == stop {
            return acc;
        }
        acc = acc.wrapping_mul(3).wrapping_add(i);
    }
    for i in 0..n {
        acc ^= i.rotate_left(i % 32);
    }
    acc
}

/// A closure with its own `return` inside the loop body: that `return` leaves the closure only.
#[penny::task]
pub fn closure_return(n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        let g = |x: u32| -> u32 {
            if x > 5 {
                return 1;
            }
            x
        };
        acc = acc.wrapping_add(g(i));
    }
    acc
}

/// A nested `fn` item with its own loop and `return`, which the macro must leave alone.
#[penny::task]
pub fn inner_fn(n: u32) -> u32 {
    fn helper(x: u32) -> u32 {
        let mut s = 0;
        for k in 0..x {
            if k > 3 {
                return s;
            }
            s += k;
        }
        s
    }
    let mut acc = 0u32;
    for i in 0..n {
        acc = acc.wrapping_add(helper(i));
    }
    acc
}

/// Unlabeled `break`/`continue` in plain inner `for`/`while` loops (and in a `match` arm)
/// leave only those loops; an unlabeled `break` in a resumable inner loop leaves only it.
#[penny::task]
pub fn plain_breaks(n: u32, m: u32) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        for j in 0..m {
            if j == i {
                break;
            }
            if j % 2 == 1 {
                continue;
            }
            acc += j as u64;
        }
        let mut k = 0u32;
        while k < 10 {
            k += 1;
            match k % 4 {
                0 => break,
                1 => continue,
                _ => acc += 1,
            }
        }
        for j in 0..m {
            if j * 2 > i {
                break;
            }
            acc = acc * 3 % 1_000_003 + j as u64;
            penny::yield_now!();
        }
        acc += 7;
    }
    acc
}

/// `let ... else { return None; }` inside the loop (the lowering-friendly spelling of `?`).
#[allow(clippy::question_mark)] // `?` can't be lowered, `let ... else` can
#[penny::task]
pub fn checked_sum(n: u32, cap: u32) -> Option<u32> {
    let mut acc = 0u32;
    for i in 0..n {
        let Some(next) = acc.checked_add(i.wrapping_mul(100_000)) else {
            return None;
        };
        acc = next;
        if acc > cap {
            return None;
        }
    }
    Some(acc)
}

/// A labeled block with `break 'blk` inside the loop body.
#[penny::task]
pub fn labeled_block(n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        'blk: {
            if i % 3 == 0 {
                break 'blk;
            }
            acc += i;
        }
        acc ^= 1;
    }
    acc
}

/// A carried variable shadowed by a `let` inside the iteration: the carried one keeps its
/// value.
#[penny::task]
pub fn shadow_in_iteration(n: u32) -> (u32, u64) {
    let mut x = 7u32;
    let mut acc = 0u64;
    for i in 0..n {
        let x = i * 2;
        acc += x as u64;
    }
    x += 1;
    (x, acc)
}

/// A loop variable named like a carried variable, which a later range reads.
#[penny::task]
pub fn loop_var_named_like_carried(n: u32) -> (u32, u32) {
    let i = 5u32;
    let mut acc = 0u32;
    for i in 0..n {
        acc += i;
    }
    for j in 0..i {
        acc ^= j;
    }
    (i, acc)
}

/// A closure inside the loop body that mutates a carried variable.
#[penny::task]
pub fn closure_mutates_carried(n: u32) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        let mut bump = |d: u64| acc = acc.wrapping_mul(3).wrapping_add(d);
        bump(i as u64);
        bump(1);
    }
    acc
}

/// A `loop` driven by `match` with guards on an `Option`, with `break` and `continue` in arms.
#[penny::task]
pub fn match_guard_loop(n: u32) -> u32 {
    let mut acc = 0u32;
    let mut mode: Option<u32> = None;
    loop {
        match mode {
            Some(m) if m >= n => break,
            Some(m) if m % 5 == 0 => {
                mode = Some(m + 1);
                continue;
            }
            Some(m) => {
                acc = acc.wrapping_mul(7).wrapping_add(m);
                mode = Some(m + 1);
            }
            None => mode = Some(0),
        }
    }
    acc
}

/// Counts a call and returns the new count: a condition with an effect.
pub fn bump(c: &mut u32) -> u32 {
    *c += 1;
    *c
}

/// Conditions, `else if` conditions, a `match` scrutinee and a guard that write carried
/// variables, in branches whose arms hold resumable loops, where the arm taken (or no arm)
/// runs no code of its own. The writes were lost: the arms stored nothing, and the code after
/// the branch loaded the old values (`if { c += 1; c } > 100 { for .. }` returned `c` 0).
#[penny::task]
#[allow(clippy::blocks_in_conditions)] // the point: blocks with effects in conditions
pub fn writes_in_conditions(n: u32) -> (u32, u32) {
    let mut c = 0;
    let mut acc = 0u32;
    if {
        c += 1;
        c
    } > 100
    {
        for _ in 0..n {}
    }
    for i in 0..n {
        if bump(&mut c) % 2 == 0 {
            for k in 0..i % 5 {
                acc = acc.wrapping_mul(7).wrapping_add(k);
                penny::yield_now!();
            }
        } else if bump(&mut c) % 3 == 0 {
            for k in 0..i % 4 {
                acc ^= k;
                penny::yield_now!();
            }
        }
        match {
            c += 1;
            c % 4
        } {
            0 => {
                for k in 0..2 {
                    acc += k;
                    penny::yield_now!();
                }
            }
            x if {
                acc += x;
                false
            } => {}
            _ => {}
        }
    }
    (acc, c)
}

/// The output given by `return v;` as the last statement of the body and of a tail branch's
/// arms, as many write it. It failed to compile (`E0308 expected u32, found ()` at the
/// attribute): the lowering took the body to have no tail and to return `()`.
#[penny::task]
#[allow(clippy::needless_return)] // the point: the explicit `return`s
pub fn ends_in_return(n: u32, twice: bool) -> u32 {
    let mut x = 0u32;
    for i in 0..n {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    if twice {
        for i in 0..n {
            x ^= i;
        }
        return x.wrapping_mul(2);
    } else {
        for i in 0..n % 7 {
            x = x.rotate_left(i);
        }
        return x;
    }
}

/// Labelled blocks (`let v = 'found: { for .. { break 'found x } default };`) around loops, as
/// Rust 1.65+ users write a search with a fallback: at function level, around a yielding
/// loop inside a resumable one (with a `continue` of the outer loop from inside), one whose
/// tail is a loop, one ending in `return` and two nested. They were refused ("this loop is
/// inside an expression"); the lowering now reads a labelled block as a loop run once.
#[penny::task]
pub fn labelled_blocks(a: [u32; 16], key: u32, n: u32) -> (u32, u64, u32) {
    let mut probes = 0;
    let first = 'find: {
        for (i, x) in a.iter().enumerate() {
            probes += 1;
            if *x % 16 == key % 16 {
                break 'find i as u32;
            }
        }
        u32::MAX
    };
    let mut total = 0u64;
    'rows: for r in 0..n {
        let hit = 'row: {
            for c in 0..n {
                if (r * 7 + c * 3 + key) % 11 == 0 {
                    break 'row u64::from(c);
                }
                if c > 40 && r % 5 == 1 {
                    continue 'rows;
                }
                total += 1;
                penny::yield_now!();
            }
            1000
        };
        total += hit;
    }
    'sum: {
        if key == 3 {
            break 'sum;
        }
        for i in 0..n {
            total = total.wrapping_add(u64::from(i ^ key));
            if total % 97 == 0 {
                break 'sum;
            }
        }
    }
    let code = 'outer: {
        'inner: {
            for x in a {
                probes += 1;
                if x == key {
                    break 'inner;
                }
                if x == key.wrapping_add(1) {
                    break 'outer 1;
                }
            }
            break 'outer 2;
        }
        for i in 0..n % 9 {
            probes += i;
        }
        3
    };
    let last = 'tail: {
        for i in 0..n {
            if i * i > key {
                break 'tail i;
            }
        }
        return (first, total, probes * 10 + code);
    };
    (first, total ^ u64::from(last), probes * 10 + code)
}

/// A run state with named fields, started from a variant written as a struct literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// Running, with iterations left.
    Going {
        /// Iterations left before it stops.
        left: u32,
    },
    /// Stopped at an iteration, counting on.
    Stopped {
        /// Where it stopped, plus what came after.
        at: u32,
    },
}

/// More labelled-block shapes a probe wrote: loop bodies whose last expression has no `;`
/// (the yield point added after it broke the macro: "expected `;`"), a block inside a
/// resumable loop that ends with `break 'outer`/`continue 'outer` (refused: "can't get yield
/// points"), a loop inside an `if` in a block (it ran in one step), a `match` arm that is a
/// labelled block using the arm's binding (asked for `let k: u32 = k;`), and a carried
/// variable started from a struct-like variant (E0573 "expected type, found variant").
#[penny::task]
pub fn labelled_block_shapes(opt: Option<u32>, n: u32) -> (u32, u32, Run) {
    let mut k = 0;
    'a: {
        for i in 0..n {
            k += i
        }
        if n == 7 {
            break 'a;
        }
        while k < 50 {
            k += 3
        }
    }
    let mut s = 0u32;
    'rows: for r in 0..n {
        'row: {
            for j in 0..n {
                s = s.wrapping_add(j ^ r);
                if s % 11 == 3 {
                    break 'row;
                }
                penny::yield_now!();
            }
            if r % 3 == 0 {
                continue 'rows;
            }
            break 'rows;
        }
        s += 1;
    }
    'b: {
        if n > 3 {
            for i in 0..n {
                s ^= i.rotate_left(i)
            }
            if n % 4 == 1 {
                break 'b;
            }
            s = s.wrapping_mul(7);
        }
    }
    match opt {
        Some(m) => 'c: {
            for i in 0..n {
                k = k.wrapping_add(m ^ i);
                if k % 97 == 0 {
                    break 'c;
                }
            }
            k = k.wrapping_mul(m);
        }
        None => k ^= 0x5a5a,
    }
    let mut run = Run::Going { left: n % 5 };
    for i in 0..n {
        run = match run {
            Run::Going { left: 0 } => Run::Stopped { at: i },
            Run::Going { left } => Run::Going { left: left - 1 },
            Run::Stopped { at } => Run::Stopped { at: at + 1 },
        };
    }
    (k, s, run)
}
