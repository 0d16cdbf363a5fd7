//! Chunk budgets: how many iterations a task runs before it returns to the scheduler.
//!
//! # The promise
//!
//! The time slice is a promise to urgent work: **a task's first chunk starts small, and
//! after it no chunk runs longer than the slice plus one iteration's measured cost.** It
//! holds as long as a task's iterations cost what its earlier chunks measured (a task whose
//! iterations get slower can overrun once, by the change, before the next measurement
//! catches it).
//!
//! # How budgets follow from measurements ([`Meter`])
//!
//! - **First chunk: small and untimed.** A new task runs at most [`FIRST_MAX`] iterations,
//!   fewer when the last task of its kind settled on fewer (the kind's hint). It is not
//!   timed, so a task that finishes in its first chunk never reads the clock: the
//!   spawn→join round trip has no clock read.
//! - **Second chunk: a one-iteration probe.** Nothing is known yet about this task's
//!   iterations (the kind's hint is about *other* tasks, whose iterations may cost a
//!   thousand times less), so the first timed chunk runs a single iteration.
//! - **Every later chunk: from the last measurement.** With `ideal` = the budget that would
//!   have taken exactly the slice at the last chunk's measured per-iteration cost, the next
//!   budget is `ideal` when that is smaller (an overrun shrinks the budget at once), and
//!   halfway from the current budget to `ideal` when larger (growth is smoothed; a cheap
//!   body reaches a 500 µs slice in about eight chunks). It never exceeds `ideal`.
//! - **A split loop's start: a probe again.** A task whose chunk stops at the start of a
//!   `#[penny::split]` loop ([`SplitState::Starting`](crate::SplitState)) gets the
//!   one-iteration probe next: the budget it had came from another loop's iterations, and a
//!   budget learnt on cheap ones would run the whole split loop in one chunk, unsplit
//!   ([`Meter::reprobe`]).
//! - **Timing.** A chunk is timed from the end of the chunk before it in the same run, so a
//!   run reads the clock once per chunk that yields. A task resumed after preemption or
//!   migration reads the clock once more before its first chunk in the new run: every
//!   chunk after the first is timed, also for a task preempted after every chunk. Time a
//!   worker spends helping other tasks while a chunk waits in `join` is not counted
//!   against that chunk.
//!
//! The meter's state (budget and [`Phase`]) lives in the task's slot, so it travels with
//! the task. On a backend without a clock the budget stays at its first value.

/// Budget of a kind's first task's first chunk (the kind's hint starts here).
pub(crate) const INITIAL: u32 = 64;
/// Largest first chunk: the first chunk of a task is untimed, so it is kept small.
pub(crate) const FIRST_MAX: u32 = 256;
/// Budget of the first timed chunk, which nothing is known about yet.
pub(crate) const PROBE: u32 = 1;
/// Largest budget ever given.
pub(crate) const MAX: u32 = 1 << 30;

/// Where a task's budget stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Phase {
    /// It has not run a chunk yet: the next one is the small, untimed first chunk.
    Fresh = 0,
    /// It ran only untimed chunks: the next one is the probe.
    Untimed = 1,
    /// Its budget comes from a measured chunk.
    Timed = 2,
}

impl Phase {
    /// The phase stored as `word` in a slot.
    pub(crate) fn from_word(word: u32) -> Phase {
        match word {
            0 => Phase::Fresh,
            1 => Phase::Untimed,
            _ => Phase::Timed,
        }
    }
}

/// A task's budget and what it is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meter {
    /// The budget (for `Timed`: the measured one; for `Fresh`: the first chunk's).
    pub budget: u32,
    pub phase: Phase,
}

impl Meter {
    /// A new task of a kind whose last task settled on `hint`.
    pub(crate) fn fresh(hint: u32) -> Meter {
        // Test-only switch: finding 8 (a first chunk as large as the kind's hint).
        #[cfg(penny_regress = "finding8")]
        let budget = hint.max(1);
        #[cfg(not(penny_regress = "finding8"))]
        let budget = hint.clamp(1, FIRST_MAX);
        Meter {
            budget,
            phase: Phase::Fresh,
        }
    }

    /// Whether the chunk a run starts with is timed (a clock read before it): for every
    /// task but a fresh one.
    pub(crate) fn times_first_chunk_of_run(&self) -> bool {
        self.phase != Phase::Fresh
    }

    /// The budget of the next chunk.
    pub(crate) fn next_budget(&self) -> u32 {
        match self.phase {
            Phase::Fresh | Phase::Timed => self.budget,
            // Test-only switch: finding 8 (no probe: the second chunk at the first's budget).
            #[cfg(penny_regress = "finding8")]
            Phase::Untimed => self.budget,
            #[cfg(not(penny_regress = "finding8"))]
            Phase::Untimed => PROBE,
        }
    }

    /// After a chunk of `ran` iterations yielded: `elapsed_ns` is its measured duration, or
    /// `None` when it was not timed; `clock` says whether the backend has a clock at all.
    pub(crate) fn after_chunk(
        &mut self,
        ran: u32,
        elapsed_ns: Option<u64>,
        target_ns: u64,
        clock: bool,
    ) {
        match elapsed_ns {
            Some(elapsed) => {
                self.budget = next(ran, elapsed, target_ns);
                self.phase = Phase::Timed;
            }
            // Without a clock nothing is ever measured: keep the first budget.
            None if !clock => {}
            None => {
                if self.phase == Phase::Fresh {
                    self.phase = Phase::Untimed;
                }
            }
        }
    }

    /// At the start of a split loop ([`SplitState::Starting`](crate::SplitState)): the
    /// iterations measured so far were another loop's, so the next chunk is the
    /// one-iteration probe again and later budgets follow from it.
    pub(crate) fn reprobe(&mut self) {
        if self.phase == Phase::Timed {
            self.phase = Phase::Untimed;
        }
    }

    /// What a finished task leaves as its kind's hint, if anything.
    pub(crate) fn hint(&self) -> Option<u32> {
        (self.phase == Phase::Timed).then_some(self.budget)
    }
}

/// The budget for the next chunk, given that `budget` iterations took `elapsed_ns`: never
/// more than the budget that would have taken exactly `target_ns`.
pub(crate) fn next(budget: u32, elapsed_ns: u64, target_ns: u64) -> u32 {
    let budget = budget.max(1);
    let ideal = (budget as u128 * target_ns as u128 / elapsed_ns.max(1) as u128)
        .clamp(1, MAX as u128) as u32;
    if ideal <= budget {
        ideal
    } else {
        // Rounded up, so a budget a few iterations short of `ideal` still reaches it.
        budget + (ideal - budget).div_ceil(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The budgets a task with iterations of `ns_per_iter` gets, chunk after chunk, from
    /// its first (the kind's hint being `hint`); the clock is exact.
    fn budgets(ns_per_iter: u64, hint: u32, target: u64, chunks: usize) -> Vec<u32> {
        let mut meter = Meter::fresh(hint);
        let mut out = Vec::new();
        let mut timed = false;
        for _ in 0..chunks {
            let b = meter.next_budget();
            out.push(b);
            meter.after_chunk(b, timed.then_some(b as u64 * ns_per_iter), target, true);
            timed = true;
        }
        out
    }

    #[test]
    fn first_chunk_is_small_whatever_the_hint() {
        assert_eq!(budgets(1, 1_000_000, 500_000, 1), [FIRST_MAX]);
        assert_eq!(budgets(1, 10, 500_000, 1), [10]);
        assert_eq!(budgets(1, INITIAL, 500_000, 2), [INITIAL, PROBE]);
    }

    #[test]
    fn no_chunk_after_the_first_overruns_the_slice() {
        let target = 500_000;
        for ns in [1u64, 10, 1_000, 2_000, 100_000, 2_000_000] {
            for hint in [1, INITIAL, FIRST_MAX, MAX] {
                let got = budgets(ns, hint, target, 60);
                for (chunk, &b) in got.iter().enumerate().skip(1) {
                    assert!(
                        b as u64 * ns <= target + ns,
                        "{ns} ns/iter, hint {hint}: chunk {chunk} budget {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn settles_near_the_slice_within_a_few_chunks() {
        let target = 500_000;
        for ns in [1u64, 10, 1_000, 100_000] {
            let got = budgets(ns, INITIAL, target, 25);
            let last = *got.last().unwrap() as u64 * ns;
            assert!(
                last >= target * 9 / 10 && last <= target,
                "{ns} ns/iter settled at {last} ns: {got:?}"
            );
        }
    }

    #[test]
    fn a_split_loop_start_probes_its_iterations_afresh() {
        // Cheap iterations (1 ns) grew the budget; the loop starting now costs 100 µs per
        // iteration: without the probe the next chunk would run ~250,000 of them (25 s).
        let mut meter = Meter::fresh(INITIAL);
        meter.after_chunk(INITIAL, None, 500_000, true);
        for _ in 0..30 {
            let b = meter.next_budget();
            meter.after_chunk(b, Some(b as u64), 500_000, true);
        }
        assert!(meter.next_budget() > 100_000);
        meter.reprobe();
        assert_eq!(meter.next_budget(), PROBE);
        meter.after_chunk(PROBE, Some(100_000), 500_000, true);
        assert!(meter.next_budget() <= 5, "{}", meter.next_budget());
        // Reprobing a task that measured nothing yet changes nothing.
        let mut fresh = Meter::fresh(10);
        fresh.reprobe();
        assert_eq!(fresh, Meter::fresh(10));
    }

    #[test]
    fn slow_iterations_shrink_to_one() {
        // One iteration takes 4 time slices: after the probe the budget stays at 1.
        assert!(budgets(2_000_000, INITIAL, 500_000, 10)[1..]
            .iter()
            .all(|&b| b == 1));
    }

    #[test]
    fn an_overrun_shrinks_at_once() {
        assert_eq!(next(1000, 500_000, 500_000), 1000);
        // A chunk that took 10x too long: straight to the budget that fits.
        assert_eq!(next(1000, 5_000_000, 500_000), 100);
        // Growth goes halfway, rounded up.
        assert_eq!(next(1000, 250_000, 500_000), 1500);
        assert_eq!(next(4, 400_000, 500_000), 5);
    }

    #[test]
    fn without_a_clock_the_first_budget_stays() {
        let mut meter = Meter::fresh(100);
        for _ in 0..5 {
            let b = meter.next_budget();
            assert_eq!(b, 100);
            meter.after_chunk(b, None, 500_000, false);
        }
        assert_eq!(meter.hint(), None);
    }

    #[test]
    fn never_overflows() {
        assert_eq!(next(MAX, 0, 500_000), MAX);
        assert_eq!(next(0, u64::MAX, 1), 1);
    }
}
