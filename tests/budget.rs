//! `step(budget)` runs at most `budget` iterations of the task's resumable loops, and uses
//! what it is given: an inner loop that ends early (a `break`, or a jump to an outer loop)
//! is charged the iterations it ran, not the whole chunk it could have run, so the outer
//! loop goes on in the same step. (It was charged the whole chunk: a kernel whose inner
//! loops break after a few iterations ran one outer iteration per step.)

use std::sync::atomic::{AtomicU64, Ordering};

use penny::{Step, Task};

/// Inner iterations run so far (this file's one test reads it).
static INNER: AtomicU64 = AtomicU64::new(0);

fn tick() {
    INNER.fetch_add(1, Ordering::Relaxed);
}

/// Each row's inner loop stops at its first hit, after at most five iterations; every
/// third row jumps on to the next row from inside the inner loop instead.
#[penny::task]
fn first_hits(n: u32, m: u32) -> u64 {
    let mut found = 0u64;
    'rows: for r in 0..n {
        for c in 0..m {
            tick();
            if r % 3 == 2 && c == 1 {
                continue 'rows;
            }
            if (r * 7 + c) % 5 == 0 {
                found += u64::from(c);
                break;
            }
            penny::yield_now!();
        }
        found += 1;
    }
    found
}

#[test]
fn an_inner_loop_that_breaks_is_charged_what_it_ran() {
    let (n, m, budget) = (30_000u32, 1_000u32, 1_000u32);
    let plain = first_hits(n, m);
    let plain_inner = INNER.swap(0, Ordering::Relaxed);

    let mut task = FirstHits::new(n, m);
    let mut steps = 0u64;
    let output = loop {
        steps += 1;
        let before = INNER.load(Ordering::Relaxed);
        let step = task.step(budget);
        let ran = INNER.load(Ordering::Relaxed) - before;
        assert!(
            ran <= u64::from(budget),
            "step {steps} ran {ran} inner iterations"
        );
        if let Step::Done(output) = step {
            break output;
        }
    };
    assert_eq!(output, plain);
    assert_eq!(INNER.load(Ordering::Relaxed), plain_inner);
    // Each row costs its inner iterations plus one for the row: the steps are about
    // (plain_inner + n) / budget, where charging whole chunks took one step per row.
    let needed = (plain_inner + u64::from(n)).div_ceil(u64::from(budget));
    assert!(
        steps <= needed + 2,
        "{steps} steps for {plain_inner} inner iterations and {n} rows at budget {budget}"
    );
}

/// Rows of a labelled block each (a block inside a resumable loop), whose inner loop is
/// empty for `m = 0`.
#[penny::task]
fn rows_of_blocks(n: u32, m: u32) -> u64 {
    let mut acc = 0u64;
    for r in 0..n {
        'row: {
            for c in 0..m {
                if c == 2 {
                    break 'row;
                }
                acc += u64::from(c ^ r);
                penny::yield_now!();
            }
            acc += 1;
        }
    }
    acc
}

/// A labelled block is a loop run once inside the lowering, but no loop of the user's: it
/// takes no budget. (Each entry took one unit: at budget 1 every other step ran nothing.)
#[test]
fn a_labelled_block_takes_no_budget() {
    for (m, per_row) in [(0u32, 1u64), (1, 2), (5, 4)] {
        let n = 10_000u32;
        let mut task = RowsOfBlocks::new(n, m);
        let mut steps = 0u64;
        let output = loop {
            steps += 1;
            if let Step::Done(output) = task.step(1) {
                break output;
            }
        };
        assert_eq!(output, rows_of_blocks(n, m));
        // Each row: one unit for the row, one per inner iteration that started.
        let needed = u64::from(n) * per_row;
        assert!(
            steps <= needed + 1,
            "m = {m}: {steps} steps at budget 1, {needed} units"
        );
    }
}
