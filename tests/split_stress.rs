//! Split stress: many split tasks at once on pools of several sizes, at random priorities,
//! with random cancels (queued, running, mid-split) and urgent work arriving meanwhile.
//! Every task ends Done with the plain function's result or Cancelled when cancelled,
//! progress never goes back and ends at the total, and every slot comes back.

use penny::{Pool, Priority, TaskError};
use penny_examples::parallel::{collatz, histogram, Collatz, Histogram};
use std::time::Duration;
use support::xorshift;

mod support;

/// The stress runs' generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        xorshift(&mut self.0)
    }
}

#[test]
fn split_tasks_with_cancels_and_priorities() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for workers in [2, 3, 4, 8] {
        let pool = Pool::builder()
            .workers(workers)
            .slots(48)
            .time_slice(Duration::from_micros(50))
            .build();
        let mut tasks = Vec::new();
        for k in 0..40u64 {
            let priority = [
                Priority::UserBlocking,
                Priority::UserVisible,
                Priority::Background,
            ][(rng.next() % 3) as usize];
            let n = 1_000 + rng.next() % 60_000;
            let cancel_after =
                (rng.next() % 4 == 0).then(|| Duration::from_micros(rng.next() % 3000));
            let handle = if k % 2 == 0 {
                Ok(pool.task(Collatz::new(n)).priority(priority).spawn())
            } else {
                Err(pool.task(Histogram::new(n * 20)).priority(priority).spawn())
            };
            tasks.push((k, n, cancel_after, handle));
        }
        // Cancel some while they run or wait; watch progress of the others meanwhile.
        let started = std::time::Instant::now();
        let mut seen = vec![0u64; tasks.len()];
        while tasks.iter().any(|t| !match &t.3 {
            Ok(h) => h.is_finished(),
            Err(h) => h.is_finished(),
        }) {
            for (i, (_, _, cancel_after, handle)) in tasks.iter().enumerate() {
                let due = cancel_after.is_some_and(|d| started.elapsed() >= d);
                let done = match handle {
                    Ok(h) => {
                        if due {
                            h.cancel();
                        }
                        h.progress().done
                    }
                    Err(h) => {
                        if due {
                            h.cancel();
                        }
                        h.progress().done
                    }
                };
                assert!(done >= seen[i], "progress went back");
                seen[i] = done;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        for (k, n, cancel_after, handle) in tasks {
            match handle {
                Ok(h) => match h.join() {
                    Ok(v) => assert_eq!(v, collatz(n), "task {k}"),
                    Err(TaskError::Cancelled) => assert!(cancel_after.is_some(), "task {k}"),
                    Err(e) => panic!("task {k}: {e:?}"),
                },
                Err(h) => match h.join() {
                    Ok(v) => assert_eq!(v, histogram(n * 20), "task {k}"),
                    Err(TaskError::Cancelled) => assert!(cancel_after.is_some(), "task {k}"),
                    Err(e) => panic!("task {k}: {e:?}"),
                },
            }
        }
        for _ in 0..10_000 {
            if pool.free_slots() == pool.slots() {
                break;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        assert_eq!(
            pool.free_slots(),
            pool.slots(),
            "slots leaked with {workers} workers"
        );
    }
}
