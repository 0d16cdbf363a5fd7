//! Kernels written the way a Rust programmer writes them first: untyped literals, iterator
//! loops over arrays, `let x = loop { break v }`, loops in `if`/`match` arms, `let ... else`,
//! shadowing that changes a type, closures, generics, `char` ranges, user `Copy` types with no
//! extra derive. Each keeps its plain function as the reference.

/// Untyped literals whose types the code implies: `acc` is `f32` from `a`, `best` is `u64`
/// from `x`, `found` is `Option<usize>` from `i`, `count` is rustc's default `i32`.
#[penny::task]
pub fn untyped_literals(
    a: [f32; 8],
    b: [f32; 8],
    seed: u64,
    n: usize,
) -> (f32, u64, Option<usize>, u64) {
    let mut acc = 0.0;
    for i in 0..8 {
        acc += a[i] * b[i];
    }
    let mut best = 0;
    let mut found = None;
    let mut count = 0;
    for i in 0..n {
        let x = seed.wrapping_mul(i as u64 + 1) >> 7;
        if x > best {
            best = x;
        }
        if x % 5 == 0 {
            found = Some(i);
        }
        count += 1;
    }
    (acc, best, found, count as u64)
}

/// `let step; if c { step = 1u32 } else { step = 2 }` and a tuple of untyped literals.
#[allow(clippy::needless_late_init)] // written the way the newcomer wrote it
#[penny::task]
pub fn deferred_and_tuple(n: u32, odd: bool) -> (u32, u64, i32) {
    let step;
    if odd {
        step = 1u32;
    } else {
        step = 2;
    }
    let (mut a, mut b) = (1, 0);
    for i in (0..n).step_by(step as usize) {
        a = a * 3 % 1_000_003 + u64::from(i);
        b += 1;
    }
    (step, a, b)
}

/// Iterator loops over arrays and `In` buffers, resumed by index.
#[penny::task]
pub fn array_iterators(
    values: [u32; 16],
    weights: [u32; 16],
    data: penny::In<u64>,
) -> (u64, u64, u64, u64, u64) {
    let mut sum = 0u64;
    for v in values.iter() {
        sum += u64::from(*v);
    }
    let mut weighted = 0u64;
    for (i, w) in weights.iter().enumerate() {
        weighted += u64::from(*w) * i as u64;
    }
    let mut dot = 0u64;
    for (v, w) in values.iter().zip(weights.iter()) {
        dot += u64::from(v * w);
    }
    let mut chunk_max = 0u64;
    for chunk in data.chunks(3) {
        let mut s = 0u64;
        for x in chunk {
            s = s.wrapping_add(*x);
        }
        chunk_max = chunk_max.max(s);
    }
    let mut by_value = 0u64;
    for v in values {
        by_value = by_value.wrapping_mul(31).wrapping_add(u64::from(v));
    }
    (sum, weighted, dot, chunk_max, by_value)
}

/// Chunk sizes computed from an argument (`k + 1`: an expression, not a literal), in
/// `chunks`, `chunks_exact` and an enumerated `chunks`.
#[penny::task]
pub fn computed_chunks(data: penny::In<u64>, k: usize) -> (u64, u64, u64) {
    let mut ragged = 0u64;
    for chunk in data.chunks(k + 1) {
        ragged = ragged
            .wrapping_mul(7)
            .wrapping_add(chunk.len() as u64 + chunk[0]);
    }
    let mut exact = 0u64;
    for chunk in data.chunks_exact(k + 1) {
        exact = exact.wrapping_add(chunk[k]);
    }
    let mut numbered = 0u64;
    for (i, chunk) in data.chunks(2 * k + 1).enumerate() {
        numbered ^= (i as u64) << (chunk.len() % 48);
    }
    (ragged, exact, numbered)
}

/// `let r = loop { .. break i; }`: a value out of a resumable `loop`.
#[penny::task]
pub fn loop_with_value(seed: u32, limit: u32) -> (u32, u32) {
    let mut x = seed | 1;
    let mut i = 0u32;
    let found = loop {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        i += 1;
        if x % 1000 == 7 || i >= limit {
            break i;
        }
    };
    let mut sum = 0u32;
    for k in 0..found {
        sum = sum.wrapping_add(k ^ x);
    }
    (found, sum)
}

/// A `loop` as the function's tail: its `break` value is the output.
#[penny::task]
pub fn tail_loop(n: u64) -> u64 {
    let mut a = 0u64;
    let mut b = 1u64;
    let mut k = 0u64;
    loop {
        if k == n {
            break a;
        }
        let next = a.wrapping_add(b);
        a = b;
        b = next;
        k += 1;
    }
}

/// Loops in the arms of an `if` and a `match` at the function level.
#[penny::task]
pub fn loops_in_branches(n: u32, mode: u8) -> u64 {
    let mut total = 0u64;
    if n % 2 == 0 {
        for i in 0..n {
            total += u64::from(i);
        }
    } else {
        let half = n / 2;
        for i in 0..half {
            total += u64::from(i) * 3;
        }
        total += 1;
    }
    match mode % 3 {
        0 => {
            for i in (0..n).rev() {
                total = total.wrapping_mul(7).wrapping_add(u64::from(i));
            }
        }
        1 => {
            let mut k = n;
            while k > 1 {
                k /= 2;
                total += u64::from(k);
            }
        }
        _ => total += 1_000,
    }
    total
}

/// The tail of the function is a `match` whose arms hold loops.
#[penny::task]
pub fn tail_match(n: u32, mode: u8) -> u64 {
    let base = u64::from(n) * 2;
    match mode % 2 {
        0 => {
            let mut s = base;
            for i in 0..n {
                s += u64::from(i % 7);
            }
            s
        }
        _ => {
            let mut p = 1u64;
            for i in 1..=n.min(20) {
                p = p.wrapping_mul(u64::from(i));
            }
            p + base
        }
    }
}

/// Tail `if`/`match` arms that end in a `loop` with a value, are a bare `loop`, or hold a
/// `let r = loop {..}`: the arms' values are the output. (A `match` arm written as a bare
/// expression, and a tail branch built from a copy of the user's code, once lost their
/// yield points: "this loop can't get yield points".)
#[penny::task]
pub fn tail_loops_in_arms(mode: u8, n: u32) -> u32 {
    let mut acc = 1;
    let mut i = 0;
    if mode % 4 == 3 {
        let r = loop {
            acc = acc * 7 % 1_000_003;
            i += 1;
            if i >= n {
                break acc ^ i;
            }
            penny::yield_now!();
        };
        r + 1
    } else {
        match mode % 4 {
            0 => loop {
                acc = acc * 3 % 1_000_003;
                i += 1;
                if i >= n {
                    break acc + i;
                }
                penny::yield_now!();
            },
            1 => {
                loop {
                    acc = acc * 5 % 1_000_003;
                    i += 1;
                    if i >= n {
                        break;
                    }
                    penny::yield_now!();
                }
                acc
            }
            _ => acc + n,
        }
    }
}

/// `let ... else` in the prologue whose binding is carried.
#[penny::task]
pub fn let_else_prologue(values: [u32; 4], n: u32) -> u32 {
    fn first_odd(values: [u32; 4]) -> Option<u32> {
        values.iter().copied().find(|v| v % 2 == 1)
    }
    let Some(first) = first_odd(values) else {
        return 0;
    };
    let mut acc = first;
    for i in 0..n {
        acc = acc.wrapping_mul(first).wrapping_add(i);
    }
    acc
}

/// Shadowing that changes a type between loops.
#[penny::task]
pub fn shadow_changes_type(n: u32) -> u64 {
    let mut total = 0u32;
    for i in 0..n {
        total = total.wrapping_add(i);
    }
    let total = total as u64 * 1_000_000;
    let mut sum = total;
    for i in 0..n {
        sum += total / (u64::from(i) + 1);
    }
    sum
}

/// A carried local named like the function that initialises it.
#[penny::task]
pub fn local_named_like_fn(n: u32) -> [u32; 4] {
    fn bodies() -> [u32; 4] {
        [1, 2, 3, 4]
    }
    let mut bodies: [u32; 4] = bodies();
    for i in 0..n {
        bodies[(i % 4) as usize] = bodies[(i % 4) as usize].wrapping_mul(3).wrapping_add(i);
    }
    bodies
}

/// A closure defined before the loop, capturing nothing that changes.
#[penny::task]
pub fn closure_before_loop(n: u32, scale: u32) -> u32 {
    let square = |x: u32| x.wrapping_mul(x);
    let scaled = |x: u32| x.wrapping_mul(scale);
    let mut total = 0u32;
    for i in 0..n {
        total = total.wrapping_add(scaled(square(i)));
    }
    total
}

/// A 2-D point with no Penny derive: `Copy` is all a task's state needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// x coordinate.
    pub x: f32,
    /// y coordinate.
    pub y: f32,
}

/// An enum carried across boundaries, again with no Penny derive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heading {
    /// Positive x.
    East,
    /// Positive y.
    North,
}

/// User `Copy` types as argument, carried state and output.
#[penny::task]
pub fn walk_points(start: Point, n: u32) -> (Point, Heading) {
    let mut p = start;
    let mut heading = Heading::East;
    for i in 0..n {
        match heading {
            Heading::East => p.x += 0.5 + i as f32,
            Heading::North => p.y -= 0.25 * i as f32,
        }
        if i % 3 == 0 {
            heading = if heading == Heading::East {
                Heading::North
            } else {
                Heading::East
            };
        }
    }
    (p, heading)
}

/// A state machine's state, with a variant holding data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Waiting for the count to reach the limit.
    Counting(u32),
    /// Blinking, as many times as it holds.
    Blinking(u8),
    /// Done for good.
    Off,
}

/// Carried variables that start from an enum variant, unit or holding data, with no
/// annotation (`let mut heading = Heading::East; let mut signal = Signal::Counting(0);`): the
/// type is the path's enum. They needed `let heading: Heading = ..` before.
#[penny::task]
pub fn signal_machine(n: u32, limit: u32) -> (Signal, Heading, u32) {
    let mut heading = Heading::East;
    let mut signal = Signal::Counting(0);
    let mut blinks = 0;
    for i in 0..n {
        signal = match signal {
            Signal::Counting(c) if c + i % 7 >= limit => Signal::Blinking((i % 4) as u8),
            Signal::Counting(c) => Signal::Counting(c + i % 7),
            Signal::Blinking(0) => Signal::Off,
            Signal::Blinking(k) => {
                blinks += 1;
                Signal::Blinking(k - 1)
            }
            Signal::Off if i % 50 == 0 => Signal::Counting(i % 3),
            Signal::Off => Signal::Off,
        };
        if blinks % 2 == 1 {
            heading = if heading == Heading::North {
                Heading::East
            } else {
                Heading::North
            };
        }
    }
    (signal, heading, blinks)
}

/// A closure without `move` that reads a `mut` variable set before it (and a `mut` argument):
/// it borrows them, so rustc allows no change while it is used, and the closure created
/// again on resume sees the same values. It was refused as "mentions `k`, which can change".
#[penny::task]
pub fn closure_reads_mut(n: u32, mut table: [u32; 4]) -> u32 {
    let mut k = 1;
    k += n % 5;
    table[0] ^= k;
    let f = |x: u32| x.wrapping_mul(k) ^ table[(x % 4) as usize];
    let mut s = 0u32;
    for i in 0..n {
        s = s.wrapping_add(f(i));
    }
    for i in 0..n / 2 {
        s ^= f(s ^ i);
    }
    s
}

/// `&'static str` as argument, carried variable (from a literal, unannotated) and output:
/// `Copy`, `Send` and `'static`, so plain data for a task. It was refused as "a borrowed
/// value", and a carried `let mut name = "none"` asked for a type.
#[penny::task]
pub fn static_labels(n: u32, words: [&'static str; 3]) -> (&'static str, usize, &'static str) {
    let mut name = "none";
    let mut longest: &'static str = "";
    let mut total = 0usize;
    for i in 0..n {
        let w = words[(i % 3) as usize];
        total += w.len();
        if w.len() > longest.len() {
            longest = w;
        }
        if total > 20 && name == "none" {
            name = "past twenty";
        }
    }
    (name, total, longest)
}

/// Names an `if let` or `match` arm binds, used across a loop in the arm, typed from the
/// matched value (`opt: Option<u32>`, a tuple of arguments): they needed `let k: u32 = k;`
/// first ("it is bound by a pattern").
#[penny::task]
pub fn pattern_bindings_across_loops(opt: Option<u32>, pair: (u8, i64), n: u32) -> (u32, i64) {
    let mut s = 0u32;
    let mut t = 0i64;
    if let Some(k) = opt {
        for i in 0..n {
            s = s.wrapping_add(i.wrapping_mul(k));
        }
        s ^= k;
    }
    match (pair, opt) {
        ((small, big), Some(k)) if small > 3 => {
            for i in 0..n {
                t = t.wrapping_add(big ^ i64::from(i + k));
            }
            t = t.wrapping_mul(i64::from(small));
        }
        ((small, big), _) => {
            for i in 0..n % 17 {
                t ^= big.rotate_left(i) + i64::from(small);
            }
        }
    }
    (s, t)
}

/// A `Result` argument matched with `Ok(v)` / `Err(e)` whose bindings live across loops, and an
/// untyped `let mut last = Ok(0)` set to `Ok`/`Err` in a loop: each needed an annotation
/// (`Result` was not modeled, only `Option`).
#[penny::task]
pub fn result_arms(r: Result<u32, u8>, n: u32) -> (u32, u32, bool) {
    let mut acc = 0;
    let mut bad = 0;
    match r {
        Ok(v) => {
            for i in 0..n {
                acc ^= i.wrapping_mul(v);
            }
        }
        Err(e) => {
            for i in 0..n {
                bad += u32::from(e) + i % 3;
            }
        }
    }
    let mut last = Ok(0);
    for i in 0..n {
        if i % 7 == 3 {
            last = Err(i as u8);
        } else if i % 5 == 0 {
            last = Ok(i);
        }
    }
    (acc.wrapping_add(last.unwrap_or(7)), bad, last.is_err())
}

/// A generic enum of the user's, for [`generic_enum_state`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Acc<T> {
    /// Nothing seen yet.
    Empty,
    /// The running value.
    Has(T),
}

/// A carried generic enum started from a variant with its argument written on the enum
/// (`Acc::<u32>::Empty`): its type is that path. Without the argument the enum's generics
/// can't be told from inside the fn (rustc then asks for them, E0107 at the path).
#[penny::task]
pub fn generic_enum_state(n: u32, seed: u32) -> (u32, bool) {
    let mut a = Acc::<u32>::Empty;
    for i in 0..n {
        let x = seed.wrapping_mul(i | 1).rotate_left(i % 31);
        a = match a {
            Acc::Empty if x % 3 == 0 => Acc::Empty,
            Acc::Empty => Acc::Has(x),
            Acc::Has(v) if v > x => Acc::Has(v - x),
            Acc::Has(v) => Acc::Has(v ^ x),
        };
    }
    match a {
        Acc::Empty => (0, false),
        Acc::Has(v) => (v, true),
    }
}

/// Even and odd indices go to different sums (`i % 2 == 0`), as interleaved data is read.
/// The lowered chunk starts at a runtime index, where LLVM kept a parity test in every
/// iteration; chunks now run their middle from a multiple of 64 (`__private::peel`).
#[penny::task]
pub fn interleaved_parts(n: u32, seed: u32) -> (u32, u32) {
    let mut re = 0;
    let mut im = 0;
    for i in 0..n {
        let x = seed.wrapping_mul(i | 1).rotate_left(7);
        if i % 2 == 0 {
            re ^= x;
        } else {
            im = (im ^ x) >> 1;
        }
    }
    (re, im)
}

/// Closures whose parameters have no type (`|i| i * 2`), typed by their calls. The lowering
/// creates a closure again after each resume point, where nothing calls it: rustc then had
/// no type for the parameter (E0284 in generated code). A closure handed to a helper
/// (`F: Fn(&u32)`) keeps its parameter untyped: the helper's bound decides it.
#[penny::task]
pub fn untyped_closure_params(n: u32, k: u32) -> (u32, u32, i32) {
    let f = |i| i * 2;
    let g = move |i| i * (k % 4096) % 1000;
    let h = |x| x + 1;
    let dec = |z| z - 1;
    let mut s = 0u32;
    let mut u = 0;
    let mut w = 0;
    for i in 0..n {
        s = s.wrapping_add(f(i) + g(i));
        u += by_ref_helper(|x| x + h(i), i) % 7;
        w += dec(3);
    }
    (s, u, w)
}

/// A helper whose closure takes a reference, for [`untyped_closure_params`].
fn by_ref_helper<F: Fn(&u32) -> u32>(f: F, x: u32) -> u32 {
    f(&(x % 1000)) + 1
}

/// Untyped closures handed to helpers by name, by reference and to an iterator adapter, one
/// also called directly: the helper's bound types the parameter. The lowering created each
/// closure again at resume points where nothing used it, where rustc had no type for the
/// parameter (E0284 in generated code); a closure an arm doesn't use is no longer created
/// there.
#[penny::task]
pub fn closures_passed_by_name(n: u32) -> (u32, u64, u32) {
    let f = |i| i % 17;
    let g = |x| x * 3;
    let h = |x| x + 1;
    let mut s = 0u32;
    let mut t = 0u64;
    let mut m = 0u32;
    for i in 0..n {
        s = s.wrapping_add(f(i) + apply_by_value(f, i));
        t ^= apply_by_ref(&g, u64::from(i));
        m = m.wrapping_add([i, i / 2].iter().copied().map(h).sum::<u32>());
    }
    (s, t, m)
}

/// A helper taking a closure by value, for [`closures_passed_by_name`].
fn apply_by_value<F: Fn(u32) -> u32>(f: F, x: u32) -> u32 {
    f(x) + 1
}

/// A helper taking a closure by reference, for [`closures_passed_by_name`].
fn apply_by_ref<F: Fn(u64) -> u64>(f: &F, x: u64) -> u64 {
    f(x) ^ 5
}

/// Untyped carried literals typed only through closures: `total` adds up what a closure
/// returns (`u64`), `k` is read by a closure with a typed parameter, then shadowed by one
/// that adds to a call's result. Each asked for a suffix: the closures' bodies and calls
/// were not read.
#[penny::task]
pub fn literals_through_closures(n: u32) -> u32 {
    let sq = |x: u32| u64::from(x) * u64::from(x);
    let mut total = 0;
    for i in 0..n {
        total += sq(i);
    }
    let k = 3;
    let f = |x: u32| x.wrapping_mul(k);
    let k = 10;
    let mut s = 0;
    for i in 0..n {
        s = f(i).wrapping_add(s) + k;
    }
    s ^ (total % 1_000_003) as u32
}

/// A const-generic kernel: the state struct takes the same generics.
#[allow(clippy::needless_range_loop)] // an index loop, as newcomers write it
#[penny::task]
pub fn sum_array<const N: usize>(a: [u32; N]) -> u64 {
    let mut s = 0u64;
    for i in 0..N {
        s += u64::from(a[i]);
    }
    s
}

/// A generic kernel over any `Copy` number type.
#[penny::task]
pub fn scale_sum<T: Copy + core::ops::Mul<Output = T> + core::ops::Add<Output = T>>(
    x: T,
    zero: T,
    n: u32,
) -> T {
    let mut acc = zero;
    for _ in 0..n {
        acc = acc + x * x;
    }
    acc
}

/// `char` ranges.
#[penny::task]
pub fn char_ranges(shift: u32) -> (u32, char) {
    let mut hash = 0u32;
    let mut last = 'a';
    for c in 'a'..='z' {
        hash = hash.wrapping_mul(31).wrapping_add(c as u32 + shift);
        last = c;
    }
    for c in ('\u{D7F0}'..'\u{E010}').step_by(7) {
        hash ^= c as u32;
    }
    (hash, last)
}

/// 64 `u64` bins: a state of about half a KiB, over the old 256-byte slot.
#[penny::task]
pub fn wide_histogram(n: u32, seed: u32) -> [u64; 64] {
    let mut bins = [0u64; 64];
    let mut x = seed;
    for _ in 0..n {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        bins[(x >> 26) as usize] += 1;
    }
    bins
}

/// An 8x8 matrix product: arguments and result make a state of about 800 bytes.
#[penny::task]
pub fn matmul8(a: [[f32; 8]; 8], b: [[f32; 8]; 8]) -> [[f32; 8]; 8] {
    let mut c = [[0.0f32; 8]; 8];
    for i in 0..8 {
        for j in 0..8 {
            let mut s = 0.0f32;
            for k in 0..8 {
                s += a[i][k] * b[k][j];
            }
            c[i][j] = s;
        }
    }
    c
}

/// A loop with yield points inside an `if` in a resumable loop's body.
#[penny::task]
pub fn guarded_inner(n: u32, m: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        if i % 2 == 0 {
            for j in 0..m {
                total += u64::from(j ^ i);
                penny::yield_now!();
            }
        } else {
            total += 1;
        }
    }
    total
}

/// The work sits in an iterator chain: it lowers, with a warning that it can't be preempted.
#[allow(deprecated)] // the warning: no resumable loop
#[penny::task]
pub fn iterator_chain(n: u64) -> u64 {
    (1..=n).map(|k| k * k % 7).sum()
}

/// Another crate's `Copy` types carried across boundaries (std's here; cgmath's `Vector3`
/// works the same): no derive of Penny's can reach them, and none is needed. The macro can't
/// see what another crate's function or constant is, so these are annotated.
#[penny::task]
pub fn foreign_copy_types(n: u32, step: core::time::Duration) -> (u64, u128) {
    let mut hash: core::num::Wrapping<u64> = core::num::Wrapping(0xcbf2_9ce4_8422_2325);
    let mut elapsed: core::time::Duration = core::time::Duration::ZERO;
    for i in 0..n {
        hash ^= core::num::Wrapping(u64::from(i));
        hash *= core::num::Wrapping(0x0100_0000_01b3);
        elapsed += step;
    }
    (hash.0, elapsed.as_nanos())
}

/// An array changed before a loop that iterates it by value, and, inside the loop, a copy
/// iterated while the array itself changes: what Penny's error for `for x in arr { arr = .. }`
/// tells the user to write.
#[penny::task]
pub fn iterate_a_copy(arr: [u32; 8], n: u32) -> (u32, [u32; 8]) {
    let mut arr = arr;
    for i in 0..n {
        arr[(i % 8) as usize] ^= i;
    }
    let mut s = 0u32;
    for x in arr {
        s = s.wrapping_mul(31).wrapping_add(x);
    }
    let items = arr;
    for x in items {
        s = s.rotate_left(5) ^ x;
        arr = [s; 8];
    }
    (s, arr)
}

/// Inner resumable loops over a reference to a row (`for row in grid.iter()`) and over a
/// chunk (`for c in a.chunks(3)`), which Rust iterates by reference (`x: &u32`), and one over
/// an array by value (`x: u32`). The lowering once bound every bare-name source's items by
/// value: `*x` failed to compile, and a body whose result depends on the item's type (here
/// `size_of_val(&x)`) gave another result in the chunked steps than in one whole step.
#[penny::task]
#[allow(clippy::size_of_ref)] // the point: the size of the item itself, a reference
pub fn items_by_reference(grid: [[u32; 3]; 4], a: [u32; 10], n: u32) -> u64 {
    let mut s = 0u64;
    for row in grid.iter() {
        for x in row {
            s = s.wrapping_mul(3) + u64::from(*x) + core::mem::size_of_val(&x) as u64;
            penny::yield_now!();
        }
    }
    for c in a.chunks(3) {
        for &x in c {
            s = s.wrapping_mul(5) + u64::from(x);
            penny::yield_now!();
        }
        for x in c.iter().copied() {
            s = s.wrapping_mul(11) + u64::from(x) + core::mem::size_of_val(&x) as u64;
            penny::yield_now!();
        }
    }
    for x in a {
        for k in 0..n {
            s = s.wrapping_mul(7) + u64::from(x ^ k) + core::mem::size_of_val(&x) as u64;
            penny::yield_now!();
        }
    }
    s
}
