//! Hand-written tasks for the runtime's own checks: the pool's unit tests (under Miri too) and
//! the Rust-API check the JS tests call on wasm (`web::rust_api`, feature `web-checks`).

use crate::{Progress, Step, Task};

/// `start + (start + 1) + ... + (end - 1)`, a budget's worth of iterations per chunk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sum {
    next: u64,
    end: u64,
    total: u64,
}

impl Sum {
    /// The sum over `start..end`.
    pub(crate) fn new(start: u64, end: u64) -> Sum {
        Sum {
            next: start,
            end,
            total: 0,
        }
    }
}

impl Task for Sum {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        let stop = self.end.min(self.next + u64::from(budget));
        while self.next < stop {
            self.total += self.next;
            self.next += 1;
        }
        if self.next == self.end {
            Step::Done(self.total)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.next,
            total: Some(self.end),
        }
    }
}

/// `f(start) + ... + f(end - 1)` (wrapping) with a split loop written by hand the way
/// `#[penny::split(reduce(acc = +))]` lowers one: the pool's split tests drive it. `f(i)`
/// costs `work` rounds of a hash, so chunks take measurable time; `f` panics at `panic_at`.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct SplitSum {
    /// The loop's cursor: iterations of `start..end` finished by this part.
    next: u64,
    /// Where this part stops (`end` unless it split).
    stop: u64,
    start: u64,
    end: u64,
    work: u32,
    panic_at: u64,
    acc: u64,
    /// Halves split off and not joined yet.
    halves: u32,
    /// Whether this state is a half (it stops at `stop` and never returns).
    half: bool,
    /// Where a half started (its progress counts from there).
    first: u64,
    /// Splits made by this part and the halves it joined (returned beside the sum, so a
    /// test sees splits happen).
    splits: u32,
}

#[cfg(test)]
impl SplitSum {
    pub(crate) fn new(start: u64, end: u64, work: u32) -> SplitSum {
        SplitSum {
            next: start,
            stop: end,
            start,
            end,
            work,
            panic_at: u64::MAX,
            acc: 0,
            halves: 0,
            half: false,
            first: start,
            splits: 0,
        }
    }

    /// The same, panicking at `i`.
    pub(crate) fn panicking_at(mut self, i: u64) -> SplitSum {
        self.panic_at = i;
        self
    }

    /// One term.
    pub(crate) fn f(i: u64, work: u32) -> u64 {
        let mut h = i;
        for _ in 0..work {
            h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ i;
        }
        h
    }

    /// The sum, computed plainly (the reference).
    pub(crate) fn expected(start: u64, end: u64, work: u32) -> u64 {
        (start..end).fold(0u64, |acc, i| acc.wrapping_add(SplitSum::f(i, work)))
    }
}

#[cfg(test)]
impl Task for SplitSum {
    /// The sum, and how many splits it took.
    type Output = (u64, u32);
    fn step(&mut self, budget: u32) -> Step<(u64, u32)> {
        if budget == 0 {
            return Step::Yielded;
        }
        let stop = self.stop.min(self.next.saturating_add(u64::from(budget)));
        while self.next < stop {
            assert!(
                self.next != self.panic_at,
                "SplitSum panics at {}",
                self.panic_at
            );
            self.acc = self.acc.wrapping_add(SplitSum::f(self.next, self.work));
            self.next += 1;
        }
        if self.next < self.stop || self.halves > 0 || self.half {
            Step::Yielded
        } else {
            Step::Done((self.acc, self.splits))
        }
    }
    fn progress(&self) -> Progress {
        let done = if self.half {
            self.next - self.first
        } else if self.next == self.stop && self.halves == 0 {
            self.end - self.start
        } else {
            self.next - self.start
        };
        Progress {
            done,
            total: Some(self.end - self.start),
        }
    }
    fn split(&mut self, min_iterations: u64) -> Option<SplitSum> {
        let rest = self.stop - self.next;
        if rest < 2 * min_iterations.max(1) {
            return None;
        }
        let mid = self.next + rest / 2;
        let half = SplitSum {
            next: mid,
            stop: self.stop,
            acc: 0,
            halves: 0,
            half: true,
            first: mid,
            splits: 0,
            ..*self
        };
        self.stop = mid;
        self.halves += 1;
        self.splits += 1;
        Some(half)
    }
    fn split_state(&self) -> crate::SplitState {
        if self.next < self.stop {
            crate::SplitState::Splittable
        } else if self.halves > 0 {
            crate::SplitState::Joining
        } else if self.half {
            crate::SplitState::HalfDone
        } else {
            crate::SplitState::Sequential
        }
    }
    fn join(&mut self, half: &SplitSum) {
        assert_eq!(half.next, half.stop, "joined an unfinished half");
        assert_eq!(half.halves, 0, "joined a half with halves");
        self.acc = self.acc.wrapping_add(half.acc);
        self.stop = half.stop;
        self.next = half.stop;
        self.halves -= 1;
        self.splits += half.splits;
    }
}
