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
