//! Adaptive chunk budgets: how many iterations a task runs before it returns to the
//! scheduler.
//!
//! The first task of a kind starts at [`INITIAL`] iterations; later tasks of the same kind
//! start where the previous one got to (the kind's budget hint), so short tasks of a
//! well-known kind do not pay for the ramp every time. While a chunk takes less than a quarter of the
//! time slice the budget doubles (a cheap body reaches a 0.5 ms slice in a dozen chunks);
//! after that it follows an exponentially weighted moving average toward the budget that
//! would take exactly the slice, so one slow chunk (a page fault, a preempted thread) moves
//! it by a quarter of the way, not all of it. The worker reads the clock once per chunk that yields
//! (a chunk is timed from the end of the one before), so a task that finishes in its first
//! chunk never reads it.
//! The budget lives in the task's slot, so it travels with the task when it is stolen.

/// Budget of a task's first chunk.
pub(crate) const INITIAL: u32 = 64;
/// Largest budget ever given.
pub(crate) const MAX: u32 = 1 << 30;

/// The budget for the next chunk, given that `budget` iterations took `elapsed_ns`.
pub(crate) fn next(budget: u32, elapsed_ns: u64, target_ns: u64) -> u32 {
    let budget = budget.max(1);
    if elapsed_ns.saturating_mul(4) < target_ns {
        return budget.saturating_mul(2).min(MAX);
    }
    let ideal =
        (budget as u128 * target_ns as u128 / elapsed_ns.max(1) as u128).min(MAX as u128) as u64;
    let blended = (3 * budget as u64 + ideal) / 4;
    blended.clamp(1, MAX as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task whose iterations each take `ns_per_iter`.
    fn converge(ns_per_iter: u64, target: u64) -> (u32, usize) {
        let mut budget = INITIAL;
        for chunk in 0..200 {
            let next = next(budget, budget as u64 * ns_per_iter, target);
            if next == budget {
                return (budget, chunk);
            }
            budget = next;
        }
        (budget, 200)
    }

    #[test]
    fn doubles_then_settles_near_the_slice() {
        let target = 500_000;
        for ns in [1u64, 10, 1_000, 100_000] {
            let (budget, chunks) = converge(ns, target);
            let chunk_ns = budget as u64 * ns;
            assert!(
                chunk_ns <= target * 11 / 10 && chunk_ns >= target * 9 / 10,
                "{ns} ns/iter: {budget}"
            );
            assert!(chunks < 60, "{ns} ns/iter took {chunks} chunks");
        }
    }

    #[test]
    fn slow_iterations_shrink_toward_one() {
        // One iteration takes 4 time slices: the budget goes down to 1 and stays there.
        let (budget, _) = converge(2_000_000, 500_000);
        assert_eq!(budget, 1);
    }

    #[test]
    fn one_outlier_moves_a_quarter_of_the_way() {
        assert_eq!(next(1000, 500_000, 500_000), 1000);
        // A chunk that took 10x too long: 1000 -> (3000 + 100) / 4.
        assert_eq!(next(1000, 5_000_000, 500_000), 775);
    }

    #[test]
    fn never_overflows() {
        assert_eq!(next(MAX, 0, 500_000), MAX);
        assert_eq!(next(0, u64::MAX, 1), 1);
    }
}
