//! The simulation's property test, its replay, and the proof that it finds findings 4, 5
//! and 8 when they are put back (`penny_regress`).

use super::*;
use core::ops::Range;

/// `PENNY_SIM_SEEDS=a..b`, or the default range.
fn seed_range() -> Range<u64> {
    let Ok(spec) = std::env::var("PENNY_SIM_SEEDS") else {
        return 0..SEEDS;
    };
    let (a, b) = spec
        .split_once("..")
        .expect("PENNY_SIM_SEEDS is a range like 0..10000");
    a.trim().parse().expect("range start")..b.trim().parse().expect("range end")
}

/// Runs `seeds` and returns the first failing seed with its failure.
fn first_failure(seeds: Range<u64>) -> Option<(u64, String)> {
    for seed in seeds {
        if let (Err(failure), _) = run(seed, false) {
            return Some((seed, failure));
        }
    }
    None
}

/// The property test: every seed of the range runs to its end with every invariant held.
#[test]
#[cfg_attr(
    miri,
    ignore = "thousands of threads; the pool's unsafe paths have their own Miri tests"
)]
fn seeds() {
    let seeds = seed_range();
    let count = seeds.end - seeds.start;
    if let Some((seed, failure)) = first_failure(seeds) {
        panic!(
            "simulation seed {seed} failed: {failure}\nreplay it with a trace:\n    {}",
            replay_command(seed)
        );
    }
    eprintln!("simulation: {count} seeds passed");
}

/// Replays `PENNY_SIM_SEED` and prints its trace (every choice of the scheduler and every
/// event), then fails the way the run failed, if it did. Without the variable, replays seed
/// 0 twice and checks that both traces are the same (the run is deterministic).
#[test]
#[cfg_attr(miri, ignore = "threads")]
fn replay() {
    match std::env::var("PENNY_SIM_SEED") {
        Ok(seed) => {
            let seed: u64 = seed.trim().parse().expect("PENNY_SIM_SEED is a number");
            let (result, trace) = run(seed, true);
            for line in &trace {
                println!("{line}");
            }
            if let Err(failure) = result {
                panic!("seed {seed}: {failure}");
            }
        }
        Err(_) => {
            let (a, first) = run(7, true);
            let (b, second) = run(7, true);
            assert_eq!(a, b);
            assert!(
                first.len() > 100,
                "a run has a trace: {} lines",
                first.len()
            );
            assert_eq!(first, second, "the same seed gave two different runs");
        }
    }
}

/// Different seeds make different runs (the generator reaches the pool's choices).
#[test]
#[cfg_attr(miri, ignore = "threads")]
fn seeds_make_different_runs() {
    let traces: Vec<Vec<String>> = (0..4).map(|seed| run(seed, true).1).collect();
    for a in 0..traces.len() {
        for b in a + 1..traces.len() {
            assert_ne!(traces[a], traces[b], "seeds {a} and {b} ran the same");
        }
    }
}

/// With one of findings 4, 5 and 8 put back (`--cfg penny_regress="findingN"`), the
/// simulation finds it: some seed fails with that finding's invariant.
#[cfg(any(
    penny_regress = "finding4",
    penny_regress = "finding5",
    penny_regress = "finding8"
))]
#[test]
fn finds_the_regression() {
    let (finding, symptom) = if cfg!(penny_regress = "finding4") {
        ("finding 4", "did not end it at once")
    } else if cfg!(penny_regress = "finding5") {
        ("finding 5", "progress went back")
    } else {
        ("finding 8", "first chunk runs")
    };
    let seeds = if std::env::var("PENNY_SIM_SEEDS").is_ok() {
        seed_range()
    } else {
        0..20_000
    };
    for seed in seeds.clone() {
        if let (Err(failure), _) = run(seed, false) {
            if failure.contains(symptom)
                || (finding == "finding 8" && failure.contains("overruns the slice"))
            {
                eprintln!(
                    "{finding} put back: the simulation found it at seed {seed}: {failure}\n    {}",
                    replay_command(seed)
                );
                return;
            }
        }
    }
    panic!("{finding} put back, but no seed in {seeds:?} showed it");
}
