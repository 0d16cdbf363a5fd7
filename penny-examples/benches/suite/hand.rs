//! Hand-lowered variants behind the macro proposals in BENCHMARKS.md ("P1 over the whole
//! suite"), measured by `cargo bench -p penny-examples --bench suite -- --hand`.
//!
//! Each state `…Hand<P>` runs its kernel's `step` as the macro generates it today when
//! `P = false` (copied from `cargo expand`, so this copy, compiled in the bench crate, shows
//! the same ratio as the real task), and with only the proposed change when `P = true`. Both
//! run against the kernel's plain function in the same paired rounds. Kept as evidence only.

// The copies keep the generated code's shape (`!(cond)`), which the macro allows the same way.
#![allow(clippy::nonminimal_bool)]

use penny::{Progress, Step, Task};

/// The state fields, `new` and the `Task` impl around a `step` body. The body gets the state
/// as `s` and the budget as `budget`; `$inline` is the attribute on `step`.
macro_rules! hand_task {
    ($name:ident -> $out:ty { $($field:ident : $ty:ty),* $(,)? } #[$inline:meta] |$s:ident, $budget:ident| $body:block) => {
        #[derive(Clone, Copy, Debug)]
        pub struct $name<const P: bool> {
            $($field: $ty,)*
            phase: u32,
            output: Option<$out>,
        }
        impl<const P: bool> Task for $name<P> {
            type Output = $out;
            #[$inline]
            fn step(&mut self, $budget: u32) -> Step<$out> {
                let $s = self;
                if let Some(output) = $s.output {
                    return Step::Done(output);
                }
                if $budget == 0 {
                    return Step::Yielded;
                }
                let penny_result = $body;
                if let Step::Done(output) = penny_result {
                    $s.output = Some(output);
                }
                penny_result
            }
            fn progress(&self) -> Progress {
                Progress::default()
            }
        }
        impl<const P: bool> $name<P> {
            /// A task that runs the kernel from the start with these arguments.
            pub fn new($($field: $ty),*) -> Self {
                Self { $($field,)* phase: 0, output: None }
            }
        }
    };
}

// ---- gcd_steps: a leaf `while` (proposal B: the budget joins the loop condition) ----------

hand_task! {
    GcdStepsHand -> (u64, u32) { a: u64, b: u64, x: u64, y: u64, steps: u32, loop0_done: u64 }
    #[inline(never)]
    |s, budget| {
        let mut penny_budget = u64::from(budget);
        let (a, b) = (s.a, s.b);
        let (mut x, mut y, mut steps) = (s.x, s.y, s.steps);
        let r = 'penny_resume: loop {
            match s.phase {
                0 => {
                    x = a;
                    y = b;
                    steps = 0u32;
                    s.loop0_done = 0;
                    s.phase = 1;
                }
                1 if !P => {
                    let mut penny_ran = 0u64;
                    let penny_finished = loop {
                        if penny_ran == penny_budget {
                            break false;
                        }
                        if !(x != 0 && y != 0) {
                            break true;
                        }
                        penny_ran += 1;
                        if x >= y {
                            x -= y;
                        } else {
                            y -= x;
                        }
                        steps += 1;
                    };
                    penny_budget -= penny_ran;
                    s.loop0_done += penny_ran;
                    if !penny_finished {
                        break 'penny_resume Step::Yielded;
                    }
                    s.phase = 2;
                }
                1 => {
                    // One exit: `budget left && cond`. The condition is evaluated once per
                    // iteration, and not at all once the budget is spent (as today).
                    let mut penny_left = penny_budget;
                    while penny_left != 0 && (x != 0 && y != 0) {
                        penny_left -= 1;
                        if x >= y {
                            x -= y;
                        } else {
                            y -= x;
                        }
                        steps += 1;
                    }
                    s.loop0_done += penny_budget - penny_left;
                    penny_budget = penny_left;
                    if penny_left == 0 {
                        break 'penny_resume Step::Yielded;
                    }
                    s.phase = 2;
                }
                2 => break 'penny_resume Step::Done((x.max(y), steps)),
                _ => unreachable!("corrupt task state: no such phase"),
            }
        };
        s.x = x;
        s.y = y;
        s.steps = steps;
        r
    }
}

// ---- while_continue: a leaf `while` with `continue` (proposal B) --------------------------

hand_task! {
    WhileContinueHand -> (u64, u32) { n: u32, i: u32, sum: u64, skipped: u32, loop0_done: u64 }
    #[inline(never)]
    |s, budget| {
        let mut penny_budget = u64::from(budget);
        let n = s.n;
        let (mut i, mut sum, mut skipped) = (s.i, s.sum, s.skipped);
        let r = 'penny_resume: loop {
            match s.phase {
                0 => {
                    i = 0u32;
                    sum = 0u64;
                    skipped = 0u32;
                    s.loop0_done = 0;
                    s.phase = 1;
                }
                1 if !P => {
                    let mut penny_ran = 0u64;
                    let penny_finished = loop {
                        if penny_ran == penny_budget {
                            break false;
                        }
                        if !(i < n) {
                            break true;
                        }
                        penny_ran += 1;
                        i += 1;
                        if i % 3 == 0 || i % 7 == 0 {
                            skipped += 1;
                            continue;
                        }
                        sum += (i as u64) * (i as u64);
                    };
                    penny_budget -= penny_ran;
                    s.loop0_done += penny_ran;
                    if !penny_finished {
                        break 'penny_resume Step::Yielded;
                    }
                    s.phase = 2;
                }
                1 => {
                    let mut penny_left = penny_budget;
                    while penny_left != 0 && (i < n) {
                        penny_left -= 1;
                        i += 1;
                        if i % 3 == 0 || i % 7 == 0 {
                            skipped += 1;
                            continue;
                        }
                        sum += (i as u64) * (i as u64);
                    }
                    s.loop0_done += penny_budget - penny_left;
                    penny_budget = penny_left;
                    if penny_left == 0 {
                        break 'penny_resume Step::Yielded;
                    }
                    s.phase = 2;
                }
                2 => break 'penny_resume Step::Done((sum, skipped)),
                _ => unreachable!("corrupt task state: no such phase"),
            }
        };
        s.i = i;
        s.sum = sum;
        s.skipped = skipped;
        r
    }
}

// ---- loop_outer: a resumable inner `loop { if j >= i { break; } .. }` (proposal B') ------

hand_task! {
    LoopOuterHand -> u32 { n: u32, i: u32, acc: u32, j: u32, loop0_done: u64 }
    #[inline(never)]
    |s, budget| {
        let mut penny_budget = u64::from(budget);
        let n = s.n;
        let (mut i, mut acc, mut j) = (s.i, s.acc, s.j);
        let r = 'penny_resume: loop {
            match s.phase {
                0 => {
                    i = 0u32;
                    acc = 0u32;
                    s.loop0_done = 0;
                    s.phase = 1;
                }
                1 => {
                    if penny_budget == 0 {
                        break 'penny_resume Step::Yielded;
                    }
                    penny_budget -= 1;
                    s.loop0_done += 1;
                    if i >= n {
                        s.phase = 4;
                        continue 'penny_resume;
                    }
                    j = 0u32;
                    s.phase = 2;
                }
                2 if !P => {
                    let mut penny_ran = 0u64;
                    let penny_finished = loop {
                        if penny_ran == penny_budget {
                            break false;
                        }
                        penny_ran += 1;
                        if j >= i {
                            break true;
                        }
                        acc = acc.wrapping_add(i * j);
                        j += 1;
                    };
                    penny_budget -= penny_ran;
                    if !penny_finished {
                        break 'penny_resume Step::Yielded;
                    }
                    s.phase = 3;
                }
                2 => {
                    // A `loop` whose body starts with `if c { break; }` is `while !c`; the
                    // budget joins the condition. The iteration that breaks counts against
                    // the budget today, so it does here.
                    let mut penny_left = penny_budget;
                    while penny_left != 0 && !(j >= i) {
                        penny_left -= 1;
                        acc = acc.wrapping_add(i * j);
                        j += 1;
                    }
                    if penny_left == 0 {
                        break 'penny_resume Step::Yielded;
                    }
                    penny_budget = penny_left - 1;
                    s.phase = 3;
                }
                3 => {
                    i += 1;
                    s.phase = 1;
                }
                4 => break 'penny_resume Step::Done(acc),
                _ => unreachable!("corrupt task state: no such phase"),
            }
        };
        s.i = i;
        s.acc = acc;
        s.j = j;
        r
    }
}

// ---- empty_body: the fixed cost of a task (proposal D: `#[inline]` on `step`) -------------

macro_rules! empty_body_step {
    ($s:ident, $budget:ident) => {{
        let s = &mut *$s;
        let mut penny_budget = u64::from($budget);
        let n = s.n;
        let mut i = s.i;
        let r = 'penny_resume: loop {
            match s.phase {
                0 => {
                    s.loop0_done = 0;
                    s.loop0_len = penny::__private::range(0, n).len();
                    s.phase = 1;
                }
                1 => {
                    let penny_range = penny::__private::range(0, n);
                    let penny_len = penny_range.len();
                    let penny_end =
                        core::cmp::min(s.loop0_done.saturating_add(penny_budget), penny_len);
                    let penny_take = penny_end - s.loop0_done;
                    if penny_take == penny_len {
                        for _ in 0..n {}
                    } else {
                        for _ in penny_range.chunk(s.loop0_done, penny_end) {}
                    }
                    penny_budget -= penny_take;
                    s.loop0_done = penny_end;
                    if penny_end < penny_len {
                        break 'penny_resume Step::Yielded;
                    }
                    s.phase = 2;
                }
                2 => {
                    i = 0u32;
                    s.loop1_done = 0;
                    s.phase = 3;
                }
                3 => {
                    let mut penny_ran = 0u64;
                    let penny_finished = loop {
                        if penny_ran == penny_budget {
                            break false;
                        }
                        if !(i < n) {
                            break true;
                        }
                        penny_ran += 1;
                        i += 1;
                    };
                    penny_budget -= penny_ran;
                    s.loop1_done += penny_ran;
                    if !penny_finished {
                        break 'penny_resume Step::Yielded;
                    }
                    s.phase = 4;
                }
                4 => break 'penny_resume Step::Done(i),
                _ => unreachable!("corrupt task state: no such phase"),
            }
        };
        s.i = i;
        r
    }};
}

hand_task! {
    EmptyBodyHand -> u32 { n: u32, i: u32, loop0_done: u64, loop0_len: u64, loop1_done: u64 }
    #[inline(never)]
    |s, budget| { empty_body_step!(s, budget) }
}

hand_task! {
    EmptyBodyInline -> u32 { n: u32, i: u32, loop0_done: u64, loop0_len: u64, loop1_done: u64 }
    #[inline]
    |s, budget| { empty_body_step!(s, budget) }
}

// ---- resumable_inner: a resumable loop inside a resumable loop (proposal E: structured
// resumption instead of a dispatcher loop)

hand_task! {
    ResumableInnerHand -> u64 { n: u32, m: u32, total: u64, weight: u64, i_done: u64, i_len: u64, j_done: u64 }
    #[inline(never)]
    |s, budget| {
        let mut penny_budget = u64::from(budget);
        let (n, m) = (s.n, s.m);
        let (mut total, mut weight) = (s.total, s.weight);
        if !P {
            let r = 'penny_resume: loop {
                match s.phase {
                    0 => {
                        total = 0u64;
                        s.i_done = 0;
                        s.i_len = penny::__private::range(0, n).len();
                        s.phase = 1;
                    }
                    1 => {
                        let penny_range = penny::__private::range(0, n);
                        if s.i_done == penny_range.len() {
                            s.phase = 4;
                            continue 'penny_resume;
                        }
                        if penny_budget == 0 {
                            break 'penny_resume Step::Yielded;
                        }
                        penny_budget -= 1;
                        let i = penny_range.nth(s.i_done);
                        weight = i as u64 + 1;
                        total = total.wrapping_mul(7);
                        s.j_done = 0;
                        s.phase = 2;
                    }
                    2 => {
                        let i = penny::__private::range(0, n).nth(s.i_done);
                        let penny_range = penny::__private::range(0, m + i);
                        let penny_len = penny_range.len();
                        let penny_end =
                            core::cmp::min(s.j_done.saturating_add(penny_budget), penny_len);
                        let penny_take = penny_end - s.j_done;
                        if penny_take == penny_len {
                            for j in 0..m + i {
                                total = total.wrapping_add(weight * j as u64);
                            }
                        } else {
                            for j in penny_range.chunk(s.j_done, penny_end) {
                                total = total.wrapping_add(weight * j as u64);
                            }
                        }
                        penny_budget -= penny_take;
                        s.j_done = penny_end;
                        if penny_end < penny_len {
                            break 'penny_resume Step::Yielded;
                        }
                        s.phase = 3;
                    }
                    3 => {
                        total ^= weight;
                        s.i_done += 1;
                        s.phase = 1;
                    }
                    4 => break 'penny_resume Step::Done(total),
                    _ => unreachable!("corrupt task state: no such phase"),
                }
            };
            s.total = total;
            s.weight = weight;
            r
        } else {
            // Structured: the phase is read once, to find where to resume; from there the
            // code is the kernel's own two loops, and a phase change is a constant stored
            // in a local that the next `if` tests (LLVM threads it), not a jump back to a
            // `match` at the top of a dispatcher loop (which LLVM can't thread without
            // making the loop irreducible, so it stays an indirect jump per transition).
            let mut penny_phase = s.phase;
            let (mut i_done, mut j_done) = (s.i_done, s.j_done);
            let r = 'penny_resume: {
                if penny_phase == 0 {
                    total = 0u64;
                    i_done = 0;
                    s.i_len = penny::__private::range(0, n).len();
                    penny_phase = 1;
                }
                if penny_phase == 4 {
                    break 'penny_resume Step::Done(total);
                }
                loop {
                    let penny_range = penny::__private::range(0, n);
                    if penny_phase == 1 {
                        if i_done == penny_range.len() {
                            penny_phase = 4;
                            break 'penny_resume Step::Done(total);
                        }
                        if penny_budget == 0 {
                            break 'penny_resume Step::Yielded;
                        }
                        penny_budget -= 1;
                        let i = penny_range.nth(i_done);
                        weight = i as u64 + 1;
                        total = total.wrapping_mul(7);
                        j_done = 0;
                        penny_phase = 2;
                    }
                    let i = penny_range.nth(i_done);
                    if penny_phase == 2 {
                        let penny_range = penny::__private::range(0, m + i);
                        let penny_len = penny_range.len();
                        let penny_end =
                            core::cmp::min(j_done.saturating_add(penny_budget), penny_len);
                        let penny_take = penny_end - j_done;
                        if penny_take == penny_len {
                            for j in 0..m + i {
                                total = total.wrapping_add(weight * j as u64);
                            }
                        } else {
                            for j in penny_range.chunk(j_done, penny_end) {
                                total = total.wrapping_add(weight * j as u64);
                            }
                        }
                        penny_budget -= penny_take;
                        j_done = penny_end;
                        if penny_end < penny_len {
                            break 'penny_resume Step::Yielded;
                        }
                    }
                    total ^= weight;
                    i_done += 1;
                    penny_phase = 1;
                }
            };
            s.phase = penny_phase;
            s.i_done = i_done;
            s.j_done = j_done;
            s.total = total;
            s.weight = weight;
            r
        }
    }
}
