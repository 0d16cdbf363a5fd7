//! Shared by the workspace tests: the random budget sequences tasks are driven with, a
//! single-threaded driver that splits, and a small deterministic generator.

use proptest::prelude::*;

/// One budget: mostly tiny (every boundary is a suspension), sometimes large or unlimited.
#[allow(dead_code)]
pub fn budget() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => Just(1u32),
        2 => Just(2u32),
        4 => 1..64u32,
        2 => 64..10_000u32,
        1 => Just(u32::MAX),
    ]
}

/// A budget sequence; drivers cycle through it until the task is done.
#[allow(dead_code)]
pub fn budgets() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(budget(), 1..8)
}

/// Runs `task` to its end the way a pool does, on one thread, with splits: after every
/// chunk that yields, the part that ran splits when `choices` says so (`split(min)` with a
/// `min` from the choices too), a part at its join waits until all its halves are done and
/// then joins them latest first, and the next part to run is picked by the choices. Checks
/// the `Task` contract on the way (a half never returns, `step(0)` does no work).
#[allow(dead_code)]
pub fn run_with_splits<T: penny::Task>(task: T, budgets: &[u32], choices: &[u32]) -> T::Output
where
    T::Output: PartialEq + core::fmt::Debug,
{
    run_counting_splits(task, budgets, choices).0
}

/// [`run_with_splits`], also returning how many splits happened.
#[allow(dead_code)]
pub fn run_counting_splits<T: penny::Task>(
    task: T,
    budgets: &[u32],
    choices: &[u32],
) -> (T::Output, usize)
where
    T::Output: PartialEq + core::fmt::Debug,
{
    use penny::{SplitState, Step};
    struct Part<T> {
        state: T,
        parent: Option<usize>,
        halves: Vec<usize>,
        waiting: bool,
        finished: bool,
    }
    let mut parts = vec![Part {
        state: task,
        parent: None,
        halves: Vec::new(),
        waiting: false,
        finished: false,
    }];
    let mut ready = vec![0usize];
    let (mut b, mut c) = (0usize, 0usize);
    let mut next_choice = || {
        let v = choices[c % choices.len()];
        c += 1;
        v
    };
    loop {
        assert!(
            !ready.is_empty(),
            "no part can run: the split protocol is stuck"
        );
        let pick = next_choice() as usize % ready.len();
        let me = ready.swap_remove(pick);
        let budget = budgets[b % budgets.len()];
        b += 1;
        let before = parts[me].state;
        assert!(
            matches!(parts[me].state.step(0), Step::Yielded),
            "step(0) of an unfinished part yields"
        );
        let _ = before;
        match parts[me].state.step(budget) {
            Step::Done(out) => {
                assert!(parts[me].parent.is_none(), "a half returned");
                assert!(
                    parts[me].halves.is_empty(),
                    "returned with halves not joined"
                );
                assert_eq!(parts[me].state.step(1), Step::Done(out), "Done repeats");
                return (out, parts.len() - 1);
            }
            Step::Yielded => {}
        }
        match parts[me].state.split_state() {
            SplitState::Sequential | SplitState::Starting | SplitState::Splittable => {
                let choice = next_choice();
                if choice % 3 == 0 {
                    let min = [1u64, 2, 7, 100][(choice as usize / 3) % 4];
                    if let Some(half) = parts[me].state.split(min) {
                        let id = parts.len();
                        parts.push(Part {
                            state: half,
                            parent: Some(me),
                            halves: Vec::new(),
                            waiting: false,
                            finished: false,
                        });
                        parts[me].halves.push(id);
                        ready.push(id);
                    }
                }
                ready.push(me);
            }
            SplitState::Joining => {
                assert!(!parts[me].halves.is_empty(), "Joining with no halves");
                parts[me].waiting = true;
            }
            SplitState::HalfDone => {
                assert!(
                    parts[me].parent.is_some(),
                    "HalfDone on a task split from none"
                );
                assert!(parts[me].halves.is_empty(), "HalfDone with halves");
                parts[me].finished = true;
            }
        }
        // Join every waiting part whose halves are all finished (a joined part may finish
        // a half its own parent waits for: repeat until nothing changes).
        let mut changed = true;
        while changed {
            changed = false;
            for p in 0..parts.len() {
                if !parts[p].waiting || !parts[p].halves.iter().all(|&h| parts[h].finished) {
                    continue;
                }
                while let Some(h) = parts[p].halves.pop() {
                    let half = parts[h].state;
                    parts[p].state.join(&half);
                }
                parts[p].waiting = false;
                ready.push(p);
                changed = true;
            }
        }
    }
}

/// xorshift64: a small deterministic generator (nonzero `state`), so a failing stress run
/// names a reproducible case.
#[allow(dead_code)]
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
