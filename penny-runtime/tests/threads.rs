#![cfg(not(loom))]
//! `Pool` and `TaskHandle` are `Send + Sync`: several threads spawn on one pool at once, and
//! handles are joined, polled and cancelled from threads other than the spawner's.

mod common;

use common::*;
use penny_runtime::{Pool, SpawnBuilder, TaskError, TaskHandle};
use std::sync::Barrier;

fn send_sync<T: Send + Sync>() {}

/// Finding 7: `Pool` was not `Sync` (its worker join closures were only `Send`), so two
/// threads could not spawn on one pool without a mutex.
#[test]
fn two_threads_spawn_on_one_pool_at_once() {
    send_sync::<Pool>();
    send_sync::<TaskHandle<u64>>();
    send_sync::<SpawnBuilder<'static, SumRange>>();
    // Few slots and a short queue, so both spawners also meet backpressure.
    let pool = Pool::builder().workers(2).slots(4).queue(2).build();
    let per_thread = if cfg!(miri) { 10 } else { 2_000 };
    let start = Barrier::new(2);
    let handles: Vec<Vec<(u64, TaskHandle<u64>)>> = std::thread::scope(|s| {
        let spawners: Vec<_> = (0..2u64)
            .map(|t| {
                let (pool, start) = (&pool, &start);
                s.spawn(move || {
                    start.wait();
                    (0..per_thread)
                        .map(|i| {
                            let a = t * 1_000_000 + i;
                            (a, pool.spawn(SumRange::new(a, a + i % 100)))
                        })
                        .collect()
                })
            })
            .collect();
        spawners.into_iter().map(|t| t.join().unwrap()).collect()
    });
    // Joined here, on a thread that spawned none of them.
    for (i, (a, h)) in handles.into_iter().flatten().enumerate() {
        let end = a + (i as u64 % per_thread) % 100;
        assert_eq!(h.join(), Ok(SumRange::reference(a, end)));
    }
    assert!(eventually(WATCHDOG, || pool.free_slots() == 4));
}

/// One handle, shared by reference: one thread polls its progress while another cancels it.
#[test]
fn a_handle_is_polled_and_cancelled_from_other_threads() {
    let pool = Pool::builder().workers(1).slots(2).build();
    let h = pool.spawn(Spin::new(60_000));
    std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let mut last = 0;
            while !h.is_finished() {
                let done = h.progress().done;
                assert!(done >= last, "progress went from {last} to {done}");
                last = done;
            }
        });
        s.spawn(|| {
            assert!(eventually(WATCHDOG, || h.progress().done > 0));
            h.cancel();
        });
        poller.join().unwrap();
    });
    assert_eq!(h.join(), Err(TaskError::Cancelled));
}
