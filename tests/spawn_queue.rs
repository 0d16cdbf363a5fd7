//! The spawner-side queue (tasks waiting for a slot): a slot that frees goes to the most
//! urgent waiting task; a spawn that must wait for a slot (`queue(0)`) never sleeps through
//! one freeing; a `try_spawn` refused a view lease gives back the slot it had taken.

use penny::{Buffer, Pool, Priority, Progress, Step, Task, TaskStatus, View};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Finishes at once with its value.
#[derive(Clone, Copy)]
struct Tiny(u64);

impl Task for Tiny {
    type Output = u64;
    fn step(&mut self, _: u32) -> Step<u64> {
        Step::Done(self.0)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

#[test]
fn a_spawn_waiting_for_the_only_slot_takes_it_when_it_frees() {
    // One slot, no queue: the second spawn of each round waits for the first task's slot,
    // which frees at any moment of that wait (before the wait began, too).
    let pool: &'static Pool = Box::leak(Box::new(
        Pool::builder().workers(1).slots(1).queue(0).build(),
    ));
    let rounds = Arc::new(AtomicU64::new(0));
    let counted = rounds.clone();
    let spawner = std::thread::spawn(move || {
        for k in 0..20_000u64 {
            let first = pool.spawn(Tiny(k));
            let second = pool.spawn(Tiny(k + 1));
            drop(first);
            assert_eq!(second.join(), Ok(k + 1));
            counted.store(k + 1, SeqCst);
        }
    });
    let mut last = 0;
    let mut since = Instant::now();
    while !spawner.is_finished() {
        std::thread::sleep(Duration::from_millis(50));
        let now = rounds.load(SeqCst);
        if now != last {
            (last, since) = (now, Instant::now());
        }
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "a spawn slept 5 s in round {now} with {} of {} slots free",
            pool.free_slots(),
            pool.slots()
        );
    }
    spawner.join().unwrap();
    assert_eq!(rounds.load(SeqCst), 20_000);
}

#[penny::task]
fn total(src: View<u32>) -> u64 {
    let mut sum = 0u64;
    for i in 0..src.len() {
        sum += u64::from(src[i]);
    }
    sum
}

#[test]
fn a_try_spawn_refused_its_lease_gives_the_slot_back() {
    let pool = Pool::builder().workers(1).slots(2).build();
    // A view whose buffer is already freed: its lease is refused.
    let stale = Buffer::from_vec(vec![1u32, 2, 3]).view();
    for _ in 0..3 {
        let refused = catch_unwind(AssertUnwindSafe(|| pool.try_spawn(Total::new(stale))));
        assert!(refused.is_err(), "a refused lease panics, as in spawn");
        assert_eq!(pool.free_slots(), 2);
    }
    let live = Buffer::from_vec(vec![1u32, 2, 3]);
    let handles: Vec<_> = (0..2)
        .map(|_| pool.spawn(Total::new(live.view())))
        .collect();
    for handle in handles {
        assert_eq!(handle.join(), Ok(6));
    }
}

static OPEN: AtomicBool = AtomicBool::new(false);
static ORDER: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// Holds the only slot (a 50 µs chunk at a time) until `OPEN`.
#[derive(Clone, Copy)]
struct Holder;

impl Task for Holder {
    type Output = ();
    fn step(&mut self, _: u32) -> Step<()> {
        if !OPEN.load(SeqCst) {
            std::thread::sleep(Duration::from_micros(50));
            return Step::Yielded;
        }
        Step::Done(())
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Records its name when it runs.
#[derive(Clone, Copy)]
struct Named(&'static str);

impl Task for Named {
    type Output = ();
    fn step(&mut self, _: u32) -> Step<()> {
        ORDER.lock().unwrap().push(self.0);
        Step::Done(())
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

#[test]
fn a_freed_slot_goes_to_the_most_urgent_waiting_task() {
    let pool = Pool::builder().workers(1).slots(1).queue(8).build();
    let spawn = |task, priority| pool.task(task).priority(priority).spawn();
    let holder = pool.task(Holder).priority(Priority::Background).spawn();
    let waiting = [
        spawn(Named("background 1"), Priority::Background),
        spawn(Named("visible 1"), Priority::UserVisible),
        spawn(Named("background 2"), Priority::Background),
        spawn(Named("blocking"), Priority::UserBlocking),
        spawn(Named("visible 2"), Priority::UserVisible),
    ];
    for handle in &waiting {
        assert_eq!(handle.status(), TaskStatus::Queued);
    }
    OPEN.store(true, SeqCst);
    holder.join().unwrap();
    for handle in waiting {
        handle.join().unwrap();
    }
    // Most urgent first; in spawn order within a priority.
    assert_eq!(
        *ORDER.lock().unwrap(),
        [
            "blocking",
            "visible 1",
            "visible 2",
            "background 1",
            "background 2"
        ]
    );
}
