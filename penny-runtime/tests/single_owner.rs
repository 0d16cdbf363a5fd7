#![cfg(not(loom))]
//! Single owner: a task is never stepped by two workers at once, even while it is preempted,
//! re-queued and stolen over and over. Each task flips an "in step" flag in its own probe
//! and counts any overlap.

mod common;

use common::*;
use penny_runtime::{Pool, Priority};
use std::sync::atomic::Ordering::*;
use std::time::Duration;

#[test]
fn preempted_and_stolen_tasks_are_never_stepped_twice_at_once() {
    let tasks = if cfg!(miri) { 8 } else { 64 };
    let n: u64 = if cfg!(debug_assertions) {
        200_000
    } else {
        2_000_000
    };
    let pool = Pool::builder()
        .workers(4)
        .slots(128)
        .time_slice(Duration::from_micros(50))
        .build();
    let probes = probes(tasks);
    let background: Vec<_> = probes
        .iter()
        .map(|p| {
            pool.task(Watched::new(p, n))
                .priority(Priority::Background)
                .spawn()
        })
        .collect();
    // A stream of urgent tasks preempts the background ones at their chunk boundaries;
    // the preempted tasks go back to their worker's deque, where idle workers steal them.
    let urgent_probes = probes_for_urgent();
    for p in urgent_probes {
        let h = pool
            .task(Watched::new(p, 5_000))
            .priority(Priority::UserBlocking)
            .spawn();
        assert_eq!(h.join(), Ok(Watched::reference(5_000)));
    }
    let expected = Watched::reference(n);
    for h in background {
        assert_eq!(h.join(), Ok(expected));
    }
    for p in probes.iter().chain(urgent_probes) {
        assert_eq!(
            p.overlaps.load(SeqCst),
            0,
            "a task was stepped by two workers at once"
        );
        assert_eq!(p.done.load(SeqCst), 1);
    }
    let chunks: u64 = probes.iter().map(|p| p.steps.load(SeqCst)).sum();
    assert!(
        chunks > tasks as u64 * 2,
        "tasks ran in {chunks} chunks: no preemption happened"
    );
}

fn probes_for_urgent() -> &'static [Probe] {
    probes(100)
}

#[test]
fn preempted_tasks_migrate_to_idle_workers_without_overlap() {
    // Whether a started task moves depends on how the OS schedules 4 workers on the
    // machine's cores: on a loaded machine the idle worker may not get to steal before the
    // background tasks end. Each attempt checks single ownership in full; migration has to
    // show up in one of a few attempts.
    let mut migrations = 0;
    for attempt in 1..=5 {
        migrations = migration_attempt();
        eprintln!("attempt {attempt}: {migrations} migrations of started background tasks");
        if migrations > 0 {
            break;
        }
    }
    assert!(
        migrations > 0,
        "no started task ever moved to another worker in 5 attempts"
    );
}

/// Three long Background tasks on four workers: the fourth is idle. Each urgent task preempts
/// the background task of the worker that takes it; that task goes back to the worker's
/// deque, the idle worker is woken and steals it (a started task moves). Returns how many
/// times a started background task moved; asserts no task was ever stepped twice at once.
fn migration_attempt() -> u32 {
    let n: u64 = if cfg!(debug_assertions) {
        10_000_000
    } else {
        100_000_000
    };
    let pool = Pool::builder()
        .workers(4)
        .slots(32)
        .time_slice(Duration::from_micros(100))
        .build();
    let probes = probes(3);
    let background: Vec<_> = probes
        .iter()
        .map(|p| {
            pool.task(Watched::new(p, n))
                .priority(Priority::Background)
                .spawn()
        })
        .collect();
    let urgent = probes_for_urgent();
    for p in urgent.iter().cycle().take(1000) {
        let h = pool
            .task(Watched::new(p, 100_000))
            .priority(Priority::UserBlocking)
            .spawn();
        assert_eq!(h.join(), Ok(Watched::reference(100_000)));
        if background.iter().all(|h| h.is_finished()) {
            break;
        }
    }
    let expected = Watched::reference(n);
    for h in background {
        assert_eq!(h.join(), Ok(expected));
    }
    for p in probes.iter().chain(urgent) {
        assert_eq!(
            p.overlaps.load(SeqCst),
            0,
            "a task was stepped by two workers at once"
        );
    }
    probes.iter().map(|p| p.migrations.load(SeqCst)).sum()
}
