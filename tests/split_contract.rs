//! What the pool does when a hand-written `Task` breaks the split contract, or user code
//! around splits does something unusual: the task fails alone with a message (never a hang,
//! a lost slot or an output nobody wrote), a pool dropped by its own task while another task
//! joins that task ends, halves leave a slot for new spawns, and oversized pools are refused
//! with an `Err`.

use penny::{Pool, Priority, Progress, SplitState, Step, Task, TaskError, TaskHandle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Waits up to `secs` for `handle` to end; fails the test (instead of hanging) if it doesn't.
fn join_within<T: Copy + Send + 'static>(handle: TaskHandle<T>, secs: u64) -> Result<T, TaskError> {
    let until = Instant::now() + Duration::from_secs(secs);
    while !handle.is_finished() {
        assert!(
            Instant::now() < until,
            "the task never ended: {:?}",
            handle.status()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    handle.join()
}

fn panicked(result: Result<impl core::fmt::Debug, TaskError>) -> String {
    match result {
        Err(TaskError::Panicked(message)) => message,
        other => panic!("expected a panicked task, got {other:?}"),
    }
}

/// Counts to 10, one per step; `split_state` says what `says` says at 3.
#[derive(Clone, Copy)]
struct Claims {
    n: u32,
    says: SplitState,
}

impl Task for Claims {
    type Output = &'static str;
    fn step(&mut self, _: u32) -> Step<&'static str> {
        self.n += 1;
        if self.n > 10 {
            Step::Done("done")
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: u64::from(self.n),
            total: Some(10),
        }
    }
    fn split_state(&self) -> SplitState {
        if self.n == 3 {
            self.says
        } else {
            SplitState::Sequential
        }
    }
}

#[test]
fn joining_without_halves_fails_the_task_instead_of_parking_for_ever() {
    let pool = Pool::builder().workers(2).build();
    let handle = pool.spawn(Claims {
        n: 0,
        says: SplitState::Joining,
    });
    assert!(panicked(join_within(handle, 10)).contains("`Joining` for a task with no halves"));
}

/// Sums `cur..end` in one split loop; a half says `Joining` (not `HalfDone`) at its end.
#[derive(Clone, Copy)]
struct HalfSaysJoining {
    cur: u64,
    end: u64,
    acc: u64,
    halves: u32,
    half: bool,
}

static HALVES_MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Task for HalfSaysJoining {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        let stop = self.end.min(self.cur + u64::from(budget));
        while self.cur < stop {
            self.acc += self.cur;
            self.cur += 1;
        }
        if self.cur < self.end || self.halves > 0 || self.half {
            Step::Yielded
        } else {
            Step::Done(self.acc)
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.cur,
            total: Some(self.end),
        }
    }
    fn split_state(&self) -> SplitState {
        if self.cur < self.end {
            SplitState::Splittable
        } else if self.halves > 0 || self.half {
            SplitState::Joining
        } else {
            SplitState::Sequential
        }
    }
    fn split(&mut self, min: u64) -> Option<Self> {
        if self.end - self.cur < 2 * min.max(1) {
            return None;
        }
        let mid = self.cur + (self.end - self.cur) / 2;
        let half = HalfSaysJoining {
            cur: mid,
            end: self.end,
            acc: 0,
            halves: 0,
            half: true,
        };
        self.end = mid;
        self.halves += 1;
        HALVES_MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(half)
    }
    fn join(&mut self, half: &Self) {
        self.acc += half.acc;
        self.end = half.end;
        self.halves -= 1;
    }
}

#[test]
fn a_half_saying_joining_without_halves_fails_instead_of_spinning_for_ever() {
    use std::sync::atomic::Ordering::Relaxed;
    let pool = Pool::builder().workers(2).build();
    // A half exists only when a worker was idle to take it: retry until one was made.
    for _ in 0..50 {
        let before = HALVES_MADE.load(Relaxed);
        let handle = pool.spawn(HalfSaysJoining {
            cur: 0,
            end: 20_000_000,
            acc: 0,
            halves: 0,
            half: false,
        });
        let result = join_within(handle, 20);
        if HALVES_MADE.load(Relaxed) != before {
            assert!(panicked(result).contains("`Joining` for a task with no halves"));
            return;
        }
    }
    panic!("no run split its loop");
}

#[test]
fn half_done_on_a_task_that_is_no_half_fails_it_instead_of_reading_an_unwritten_output() {
    let pool = Pool::builder().workers(2).build();
    let handle = pool.spawn(Claims {
        n: 0,
        says: SplitState::HalfDone,
    });
    assert!(panicked(join_within(handle, 10))
        .contains("`HalfDone` for a task that is not a split half"));
}

/// Always splittable; its `split` panics.
#[derive(Clone, Copy)]
struct SplitPanics {
    next: u64,
}

impl Task for SplitPanics {
    type Output = u64;
    fn step(&mut self, budget: u32) -> Step<u64> {
        self.next = (self.next + u64::from(budget)).min(1 << 40);
        if self.next == 1 << 40 {
            Step::Done(self.next)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        Progress {
            done: self.next,
            total: Some(1 << 40),
        }
    }
    fn split_state(&self) -> SplitState {
        SplitState::Splittable
    }
    fn split(&mut self, _: u64) -> Option<Self> {
        panic!("split panics")
    }
}

#[test]
fn a_panicking_split_gives_back_the_slot_it_took_for_the_half() {
    let pool = Pool::builder().workers(2).slots(4).build();
    for _ in 0..6 {
        assert_eq!(
            panicked(join_within(pool.spawn(SplitPanics { next: 0 }), 10)),
            "split panics"
        );
    }
    let until = Instant::now() + Duration::from_secs(5);
    while pool.free_slots() != 4 {
        assert!(
            Instant::now() < until,
            "{} of 4 slots free",
            pool.free_slots()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);
static CHILD: Mutex<Option<TaskHandle<u32>>> = Mutex::new(None);

/// Drops the pool it runs on (after its parent started joining it).
#[derive(Clone, Copy)]
struct DropsItsPool;

impl Task for DropsItsPool {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        std::thread::sleep(Duration::from_millis(50));
        drop(POOL.lock().unwrap().take());
        Step::Done(7)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Joins the `DropsItsPool` task.
#[derive(Clone, Copy)]
struct JoinsIt;

impl Task for JoinsIt {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        let child = CHILD.lock().unwrap().take().expect("spawned first");
        Step::Done(child.join().unwrap_or(0) + 1)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

#[test]
fn a_pool_dropped_by_a_task_that_another_task_joins_ends() {
    let pool = Pool::builder().workers(2).build();
    *CHILD.lock().unwrap() = Some(pool.spawn(DropsItsPool));
    let parent = pool.spawn(JoinsIt);
    *POOL.lock().unwrap() = Some(pool);
    // The parent saw its child end (7) or was cancelled by the shutdown.
    match join_within(parent, 20) {
        Ok(8) | Err(TaskError::Cancelled) => {}
        other => panic!("{other:?}"),
    }
}

#[penny::task]
fn hash_sum(n: u64, work: u32) -> u64 {
    let mut acc = 0u64;
    #[penny::split(reduce(acc = +))]
    for i in 0..n {
        let mut h = i;
        for _ in 0..work {
            h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ i;
        }
        acc = acc.wrapping_add(h);
    }
    acc
}

#[test]
fn split_halves_leave_a_slot_for_new_spawns() {
    // A finished half keeps its slot until its root joins it at the loop's end: halves that
    // took every free slot made urgent spawns wait for the whole loop (0.4-0.7 s here).
    let pool = Pool::builder().workers(2).slots(8).build();
    let background = pool
        .task(HashSum::new(400_000, 400))
        .priority(Priority::Background)
        .spawn();
    let (mut urgent_while_running, mut fewest_free) = (0, 8);
    while !background.is_finished() {
        fewest_free = fewest_free.min(pool.free_slots());
        pool.task(HashSum::new(10, 1))
            .priority(Priority::UserBlocking)
            .spawn()
            .join()
            .unwrap();
        if !background.is_finished() {
            urgent_while_running += 1;
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    assert_eq!(background.join(), Ok(hash_sum(400_000, 400)));
    assert!(fewest_free >= 1, "the halves took every slot");
    assert!(
        urgent_while_running >= 5,
        "only {urgent_while_running} urgent tasks ran beside the loop"
    );
}

#[test]
fn generated_split_takes_any_minimum() {
    let mut task = HashSum::new(1000, 1);
    assert!(!task.step(10).is_done());
    assert_eq!(task.split_state(), SplitState::Splittable);
    // The pool never asks this much; the trait allows it: `None`, the rest is too short.
    assert!(task.split(u64::MAX).is_none());
    assert!(task.split(1).is_some());
}

#[test]
fn a_pool_whose_memory_cannot_be_had_is_an_err() {
    let built = Pool::builder()
        .workers(1)
        .slots(1 << 20)
        .slot_bytes(u32::MAX as usize / 2)
        .try_build();
    let message = built.expect_err("refused");
    assert!(message.contains("could not be allocated"), "{message}");
}
