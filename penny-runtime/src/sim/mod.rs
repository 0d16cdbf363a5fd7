//! Deterministic simulation of whole pool runs (tests only).
//!
//! A run is a random workload ([`workload`]) driven through a real [`Pool`](crate::Pool)
//! built on the simulation backend (`crate::backend::sim`): the pool's own code, on real
//! threads, but only one thread runs at a time and a generator seeded by the run's seed
//! picks, at every choice point, which runnable thread goes next. The choice points are where
//! real threads race at chunk granularity: a worker about to look for work (and steal), about
//! to run its next chunk, just after freeing a slot; parking, waking (which parked thread a
//! `wake_one` wakes) and yielding; the start and end of threads; and, on the spawner's side,
//! between its actions (spawns, cancels, joins, progress polls). Task panics come from the
//! workload. Time is a virtual clock per thread, advanced by the simulated work of each
//! iteration. So a run replays exactly from its seed.
//!
//! # Invariants checked
//!
//! After every event, by the party that sees it (a violation records the run's failure):
//! - every task ends exactly once, with the output its plain loop gives (or cancelled, when
//!   it was cancelled; failed, when it panics), and no task is stepped by two workers at
//!   once;
//! - a task's progress, as its handle reports it, never goes backwards (an observer thread
//!   polls every live handle at its turns);
//! - `free_slots()` stays within `0..=slots`;
//! - a cancel of a task whose status was `Queued` ends it at once;
//! - no chunk of a task starts while a more urgent task is queued (stronger than "while a
//!   more urgent task is ready and no worker is free for it": the pool preempts at every
//!   boundary);
//! - a task's first chunk runs at most `budget::FIRST_MAX` iterations, and no later chunk
//!   runs longer than the slice plus one iteration (costs per iteration are fixed per task
//!   in the workload, so the measured cost is the cost);
//! - the run ends: no deadlock (every live thread blocked), no livelock (a step limit).
//!
//! # Running it
//!
//! `cargo test -p penny-runtime --lib sim::` runs seeds `0..SEEDS` (the default range,
//! also part of `cargo xtask test`); `PENNY_SIM_SEEDS=0..100000 cargo test -p penny-runtime
//! --release --lib sim::tests::seeds -- --nocapture` runs a longer range (`cargo xtask sim
//! 0..100000` does the same). A failing seed is printed with the command that replays it
//! with a trace of every choice and event: `PENNY_SIM_SEED=<seed> cargo test -p
//! penny-runtime --lib sim::tests::replay -- --nocapture`.
//!
//! # Showing it finds bugs
//!
//! Findings 4, 5 and 8 of the audit can be put back with the test-only cfg
//! `penny_regress = "finding4" | "finding5" | "finding8"` (declared in `build.rs`); the test
//! `sim::tests::finds_the_regression` then searches seeds until the simulation reports the
//! finding's invariant, and fails if it does not. `cargo xtask sim-regress` builds the
//! runtime's unit tests once per switch (`cargo rustc --profile test -- --cfg ..`) and runs it.

pub(crate) mod workload;

#[cfg(test)]
mod tests;

/// Seeds run by default (`cargo test`, `cargo xtask test`).
pub(crate) const SEEDS: u64 = 300;

/// Runs the simulation for `seed`; the failure, if any, and the trace when `traced`.
pub(crate) fn run(seed: u64, traced: bool) -> (Result<(), String>, Vec<String>) {
    workload::run(seed, traced)
}

/// The command that replays `seed` with a trace.
pub(crate) fn replay_command(seed: u64) -> String {
    format!(
        "PENNY_SIM_SEED={seed} cargo test -p penny-runtime --lib sim::tests::replay -- --nocapture"
    )
}
