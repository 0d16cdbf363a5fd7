//! Documented promises of the runtime that no other suite checked, each against an
//! independent reference (the plain function, a value computed here, the documented message):
//! a child that fails inside a helping join (run inline without a slot, or holding one) fails
//! only its own handle; a split task's panic or cancel stops every half before `join`
//! returns; a view nested in a struct argument is leased by no one; a dropped handle's task
//! runs to its end; `scope` reports the first error in spawn order; a non-string panic
//! payload's message; `TaskHandle::priority`; the `queue(n)` bound; the builder's errors and
//! `TaskError`'s messages.
//!
//! Tasks that must wait are held by gates (a static flag the test opens), not by sleeps.

use penny::{
    Buffer, BufferBusy, Pool, Priority, Progress, Step, Stripes, Task, TaskError, TaskStatus, View,
    MAX_SLOTS, MAX_WORKERS, MIN_STACK_SIZE,
};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

// ---- helpers ----------------------------------------------------------------------------

/// A fresh gate, closed.
fn gate() -> &'static AtomicBool {
    Box::leak(Box::new(AtomicBool::new(false)))
}

/// Polls `ready` until it holds, failing the test after 10 s.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "waited 10 s for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Yields until its gate opens, then finishes with `value`: holds its worker (and slot) for
/// as long as the test wants.
#[derive(Clone, Copy)]
struct Gate {
    open: &'static AtomicBool,
    value: u32,
}

impl Gate {
    fn new(open: &'static AtomicBool, value: u32) -> Gate {
        Gate { open, value }
    }
}

impl Task for Gate {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        if self.open.load(SeqCst) {
            return Step::Done(self.value);
        }
        std::thread::sleep(Duration::from_micros(100));
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Yields `left` times, then finishes with `value`.
#[derive(Clone, Copy)]
struct Yields {
    left: u32,
    value: u32,
}

impl Task for Yields {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        if self.left == 0 {
            return Step::Done(self.value);
        }
        self.left -= 1;
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Yields `left` times, then panics with `message`.
#[derive(Clone, Copy)]
struct PanicsAfter {
    left: u32,
    message: &'static str,
}

impl Task for PanicsAfter {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        if self.left == 0 {
            panic!("{}", self.message);
        }
        self.left -= 1;
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

// ---- 1. a child failing inside a helping join --------------------------------------------

/// What a parent saw of its child.
#[derive(Debug, Clone, PartialEq)]
struct ChildReport {
    /// Right after the spawn: waiting for a slot (`Queued`, no priority) ...
    waited_for_a_slot: bool,
    /// ... or holding one.
    held_a_slot: bool,
    /// The child's `join`.
    result: Result<u32, TaskError>,
}

/// Yields `left` times, then finishes with `value`; its `progress` panics once it finished.
#[derive(Clone, Copy)]
struct ProgressPanicsAtEnd {
    left: u32,
    value: u32,
    finished: bool,
}

impl Task for ProgressPanicsAtEnd {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        if self.left == 0 {
            self.finished = true;
            return Step::Done(self.value);
        }
        self.left -= 1;
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        assert!(!self.finished, "progress boom");
        Progress::default()
    }
}

/// Yields until its gate opens, then panics with "child boom".
#[derive(Clone, Copy)]
struct PanicsWhenOpen(&'static AtomicBool);

impl Task for PanicsWhenOpen {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        if self.0.load(SeqCst) {
            panic!("child boom");
        }
        std::thread::sleep(Duration::from_micros(100));
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

#[derive(Clone, Copy)]
enum Child {
    /// Panics in `step` after a few chunks.
    Panics,
    /// Would finish fine, but is cancelled before the join.
    CancelledFirst,
    /// Its `progress` panics once it finished.
    ProgressPanics,
    /// Panics once the parent saw it hold a slot and opened the gate.
    PanicsWhenOpen(&'static AtomicBool),
}

/// Spawns a child on its own pool, joins it, writes what it saw to `report` and finishes
/// with `value`.
#[derive(Clone, Copy)]
struct Parent {
    pool: &'static Pool,
    child: Child,
    report: &'static Mutex<Option<ChildReport>>,
    value: u32,
}

fn watch_child<T: Task<Output = u32>>(
    pool: &Pool,
    child: T,
    before_join: impl FnOnce(&penny::TaskHandle<u32>),
) -> ChildReport {
    let h = pool.spawn(child);
    let waited_for_a_slot = h.status() == TaskStatus::Queued && h.priority().is_none();
    let held_a_slot = h.priority().is_some();
    before_join(&h);
    ChildReport {
        waited_for_a_slot,
        held_a_slot,
        result: h.join(),
    }
}

impl Task for Parent {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        let report = match self.child {
            Child::Panics => watch_child(
                self.pool,
                PanicsAfter {
                    left: 3,
                    message: "child boom",
                },
                |_| {},
            ),
            Child::CancelledFirst => {
                watch_child(self.pool, Yields { left: 3, value: 5 }, |h| h.cancel())
            }
            Child::ProgressPanics => watch_child(
                self.pool,
                ProgressPanicsAtEnd {
                    left: 3,
                    value: 5,
                    finished: false,
                },
                |_| {},
            ),
            Child::PanicsWhenOpen(open) => watch_child(self.pool, PanicsWhenOpen(open), |_| {
                open.store(true, SeqCst)
            }),
        };
        *self.report.lock().unwrap() = Some(report);
        Step::Done(self.value)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Runs a parent with `child` on `pool`: the parent's result and its report.
fn run_parent(pool: &'static Pool, child: Child) -> (Result<u32, TaskError>, ChildReport) {
    let report: &'static Mutex<Option<ChildReport>> = Box::leak(Box::new(Mutex::new(None)));
    let parent = pool.spawn(Parent {
        pool,
        child,
        report,
        value: 77,
    });
    let result = parent.join();
    let seen = report.lock().unwrap().take().expect("the parent ran");
    (result, seen)
}

/// One worker, one slot: a child the parent spawns waits for the slot the parent holds, so
/// the parent's join runs it inline (`pool::join`'s `run_inline`).
fn one_slot_pool() -> &'static Pool {
    Box::leak(Box::new(
        Pool::builder().workers(1).slots(1).queue(1).build(),
    ))
}

#[test]
fn an_inline_child_panicking_in_a_helping_join_fails_only_its_handle() {
    let pool = one_slot_pool();
    for _ in 0..3 {
        let (parent, child) = run_parent(pool, Child::Panics);
        assert_eq!(parent, Ok(77), "the parent finishes with its own result");
        assert_eq!(
            child,
            ChildReport {
                waited_for_a_slot: true,
                held_a_slot: false,
                result: Err(TaskError::Panicked("child boom".into())),
            }
        );
        assert_eq!(pool.free_slots(), 1, "no slot is lost");
    }
    assert_eq!(pool.spawn(Yields { left: 2, value: 9 }).join(), Ok(9));
}

#[test]
fn an_inline_child_cancelled_before_the_join_reports_cancelled() {
    let pool = one_slot_pool();
    for _ in 0..3 {
        let (parent, child) = run_parent(pool, Child::CancelledFirst);
        assert_eq!(parent, Ok(77));
        assert_eq!(
            child,
            ChildReport {
                waited_for_a_slot: true,
                held_a_slot: false,
                result: Err(TaskError::Cancelled),
            }
        );
        assert_eq!(pool.free_slots(), 1);
    }
    assert_eq!(pool.spawn(Yields { left: 2, value: 9 }).join(), Ok(9));
}

#[test]
fn an_inline_child_whose_final_progress_panics_fails_with_that_message() {
    let pool = one_slot_pool();
    for _ in 0..3 {
        let (parent, child) = run_parent(pool, Child::ProgressPanics);
        assert_eq!(parent, Ok(77));
        assert_eq!(
            child,
            ChildReport {
                waited_for_a_slot: true,
                held_a_slot: false,
                result: Err(TaskError::Panicked("progress boom".into())),
            }
        );
        assert_eq!(pool.free_slots(), 1);
    }
    // The same child on the pool, not inline: the same outcome.
    let direct = pool
        .spawn(ProgressPanicsAtEnd {
            left: 3,
            value: 5,
            finished: false,
        })
        .join();
    assert_eq!(direct, Err(TaskError::Panicked("progress boom".into())));
    assert_eq!(pool.spawn(Yields { left: 2, value: 9 }).join(), Ok(9));
}

#[test]
fn a_child_holding_a_slot_panicking_in_a_helping_join_fails_only_its_handle() {
    let pool: &'static Pool = Box::leak(Box::new(
        Pool::builder().workers(2).slots(2).queue(1).build(),
    ));
    for _ in 0..3 {
        let (parent, child) = run_parent(pool, Child::PanicsWhenOpen(gate()));
        assert_eq!(parent, Ok(77));
        assert_eq!(
            child,
            ChildReport {
                waited_for_a_slot: false,
                held_a_slot: true,
                result: Err(TaskError::Panicked("child boom".into())),
            }
        );
        assert_eq!(pool.free_slots(), 2);
    }
    assert_eq!(pool.spawn(Yields { left: 2, value: 9 }).join(), Ok(9));
}

// ---- 2. a split task's panic or cancel stops every half before `join` returns -----------

/// Iterations of [`counted_fill`] run, by any part, ever.
static COUNTED: AtomicU64 = AtomicU64::new(0);
/// Bumped per round; a thread that runs an iteration of a new round counts itself once.
static ROUND: AtomicU64 = AtomicU64::new(0);
static THREADS_IN_ROUND: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static LAST_ROUND: Cell<u64> = const { Cell::new(0) };
}

fn count_iteration() {
    COUNTED.fetch_add(1, SeqCst);
    let round = ROUND.load(SeqCst);
    if LAST_ROUND.with(|r| r.replace(round)) != round {
        THREADS_IN_ROUND.fetch_add(1, SeqCst);
    }
}

fn mix(i: u64, rounds: u32) -> u64 {
    let mut h = i;
    for _ in 0..rounds {
        h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7);
    }
    h
}

/// Writes `mix(i)` to element `i` (and sums them), counting iterations; panics at iteration
/// `fail_at`.
#[penny::task]
fn counted_fill(out: Stripes<u64>, fail_at: u64, rounds: u32) -> u64 {
    let mut sum = 0u64;
    #[penny::split(reduce(sum = +))]
    for i in 0..out.len() {
        count_iteration();
        let h = mix(i as u64, rounds);
        if i as u64 == fail_at {
            panic!("half boom");
        }
        out[i] = h;
        sum = sum.wrapping_add(h);
    }
    sum
}

/// After `join` returned: no iteration runs any more, and the owner has its buffer back.
fn assert_every_half_stopped(buf: &mut Buffer<u64>, what: &str) {
    let at_join = COUNTED.load(SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        COUNTED.load(SeqCst),
        at_join,
        "{what}: iterations ran after join returned"
    );
    assert!(
        buf.try_write().is_ok(),
        "{what}: the buffer is still leased after join returned"
    );
}

#[test]
fn a_split_tasks_panic_or_cancel_stops_every_half_before_join_returns() {
    let pool = Pool::builder().workers(4).build();
    let n = 300_000usize;
    let rounds = 64;
    let mut most_threads = 0;
    for _ in 0..3 {
        // A panic late in the loop (in an upper half, once split).
        let mut buf = Buffer::<u64>::zeroed(n);
        ROUND.fetch_add(1, SeqCst);
        THREADS_IN_ROUND.store(0, SeqCst);
        let fail_at = (n - n / 7) as u64;
        let h = pool.spawn(CountedFill::new(buf.stripes(1), fail_at, rounds));
        assert_eq!(h.join(), Err(TaskError::Panicked("half boom".into())));
        assert_every_half_stopped(&mut buf, "panic");
        most_threads = most_threads.max(THREADS_IN_ROUND.load(SeqCst));

        // A cancel while the halves run.
        let mut buf = Buffer::<u64>::zeroed(n);
        ROUND.fetch_add(1, SeqCst);
        THREADS_IN_ROUND.store(0, SeqCst);
        let start = COUNTED.load(SeqCst);
        let h = pool.spawn(CountedFill::new(buf.stripes(1), u64::MAX, rounds));
        wait_until("the split loop to run", || {
            COUNTED.load(SeqCst) - start >= 2_000
        });
        h.cancel();
        assert_eq!(h.join(), Err(TaskError::Cancelled));
        assert_every_half_stopped(&mut buf, "cancel");
        most_threads = most_threads.max(THREADS_IN_ROUND.load(SeqCst));
    }
    assert!(
        most_threads >= 2,
        "the loop never split, so no half was checked"
    );
    // The same kernel finishing: equal to the plain function.
    let mut buf = Buffer::<u64>::zeroed(10_000);
    let got = pool
        .spawn(CountedFill::new(buf.stripes(1), u64::MAX, rounds))
        .join();
    let mut plain = Buffer::<u64>::zeroed(10_000);
    let want = counted_fill(plain.stripes(1), u64::MAX, rounds);
    assert_eq!(got, Ok(want));
    assert_eq!(buf.to_vec(), plain.to_vec());
}

// ---- 3. a view nested in a struct argument is leased by no one ----------------------------

#[derive(Debug, Clone, Copy)]
pub struct Scaled {
    src: View<u32>,
    scale: u32,
}

/// Sums `scale * src[i]`, opening the nested view each iteration.
#[penny::task]
fn nested_sum(w: Scaled) -> u64 {
    let mut sum = 0u64;
    for i in 0..w.src.len() {
        let g = w.src.open();
        sum += u64::from(g[i]) * u64::from(w.scale);
    }
    sum
}

#[derive(Debug, Clone, Copy)]
pub struct Target {
    dst: Stripes<u32>,
}

/// Writes `value` everywhere, opening the nested view each iteration.
#[penny::task]
fn nested_fill(w: Target, value: u32) {
    for i in 0..w.dst.len() {
        let mut g = w.dst.open();
        g[i] = value;
    }
}

#[test]
fn a_view_nested_in_a_struct_argument_is_leased_by_no_one() {
    let pool = Pool::builder().workers(1).build();
    let original: Vec<u32> = (1..=64).collect();
    let want_sum: u64 = original.iter().map(|&v| u64::from(v) * 3).sum();
    let mut buf = Buffer::from_vec(original.clone());
    let plain_sum = nested_sum(Scaled {
        src: buf.view(),
        scale: 3,
    });
    assert_eq!(plain_sum, want_sum);
    let written = BufferBusy::Written.to_string();

    // Reading: queued behind a hog, the owner may write meanwhile; the open then fails.
    let hog_gate = gate();
    let hog = pool.spawn(Gate::new(hog_gate, 1));
    let h = pool.spawn(NestedSum::new(Scaled {
        src: buf.view(),
        scale: 3,
    }));
    assert_eq!(h.status(), TaskStatus::Queued);
    assert!(buf.try_write().is_ok(), "the nested view was leased");
    let guard = buf.write();
    hog_gate.store(true, SeqCst);
    assert_eq!(hog.join(), Ok(1));
    let result = h.join();
    drop(guard);
    match result {
        Err(TaskError::Panicked(m)) => assert!(m.contains(&written), "{m}"),
        other => panic!("the open should have failed: {other:?}"),
    }
    assert_eq!(buf.to_vec(), original);
    // Not written meanwhile: the same task reads it.
    let again = pool.spawn(NestedSum::new(Scaled {
        src: buf.view(),
        scale: 3,
    }));
    assert_eq!(again.join(), Ok(want_sum));

    // Writing: the task's open fails while the owner writes, and no element changes.
    let hog_gate = gate();
    let hog = pool.spawn(Gate::new(hog_gate, 2));
    let h = pool.spawn(NestedFill::new(
        Target {
            dst: buf.stripes(1),
        },
        0xDEAD,
    ));
    assert_eq!(h.status(), TaskStatus::Queued);
    assert!(buf.try_write().is_ok(), "the nested stripes were leased");
    let guard = buf.write();
    hog_gate.store(true, SeqCst);
    assert_eq!(hog.join(), Ok(2));
    let result = h.join();
    drop(guard);
    match result {
        Err(TaskError::Panicked(m)) => assert!(m.contains(&written), "{m}"),
        other => panic!("the open should have failed: {other:?}"),
    }
    assert_eq!(buf.to_vec(), original, "an element changed");
    // With the owner's guard gone, the same task writes.
    let again = pool.spawn(NestedFill::new(
        Target {
            dst: buf.stripes(1),
        },
        0xBEEF,
    ));
    assert_eq!(again.join(), Ok(()));
    let mut plain = Buffer::from_vec(original.clone());
    nested_fill(
        Target {
            dst: plain.stripes(1),
        },
        0xBEEF,
    );
    assert_eq!(plain.to_vec(), vec![0xBEEF; original.len()]);
    assert_eq!(buf.to_vec(), plain.to_vec());
}

// ---- 4. a dropped handle's task still runs to its end ------------------------------------

/// Writes `mix(i)` to element `i`.
#[penny::task]
fn hash_fill(out: Stripes<u64>, rounds: u32) {
    #[penny::split]
    for i in 0..out.len() {
        out[i] = mix(i as u64, rounds);
    }
}

#[test]
fn a_dropped_handles_task_still_runs_to_its_end() {
    let n = 200_000;
    let mut plain = Buffer::<u64>::zeroed(n);
    hash_fill(plain.stripes(1), 32);
    let want = plain.to_vec();
    let ended = |pool: &Pool, buf: &Buffer<u64>| {
        wait_until("the detached task to end", || {
            pool.free_slots() == pool.slots() && buf.try_read().is_ok()
        });
    };

    // Dropped while it waits behind a hog on one worker.
    let pool = Pool::builder().workers(1).build();
    let hog_gate = gate();
    let hog = pool.spawn(Gate::new(hog_gate, 1));
    let mut buf = Buffer::<u64>::zeroed(n);
    let h = pool.spawn(HashFill::new(buf.stripes(1), 32));
    assert_eq!(h.status(), TaskStatus::Queued);
    drop(h);
    hog_gate.store(true, SeqCst);
    assert_eq!(hog.join(), Ok(1));
    ended(&pool, &buf);
    assert_eq!(buf.to_vec(), want);

    // Dropped at once on four workers, where it splits.
    let pool = Pool::builder().workers(4).build();
    for _ in 0..3 {
        let mut buf = Buffer::<u64>::zeroed(n);
        drop(pool.spawn(HashFill::new(buf.stripes(1), 32)));
        ended(&pool, &buf);
        assert_eq!(buf.to_vec(), want);
    }
}

// ---- 5. scope reports the first error in spawn order --------------------------------------

/// Yields until `seen` is set, then a little longer, then panics with `message`.
#[derive(Clone, Copy)]
struct FailsAfter {
    seen: &'static AtomicBool,
    extra: u32,
    message: &'static str,
}

impl Task for FailsAfter {
    type Output = ();
    fn step(&mut self, _: u32) -> Step<()> {
        if self.seen.load(SeqCst) {
            if self.extra == 0 {
                panic!("{}", self.message);
            }
            self.extra -= 1;
        }
        std::thread::sleep(Duration::from_micros(200));
        Step::Yielded
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Sets `started`, then panics with `message` at once.
#[derive(Clone, Copy)]
struct FailsNow {
    started: &'static AtomicBool,
    message: &'static str,
}

impl Task for FailsNow {
    type Output = ();
    fn step(&mut self, _: u32) -> Step<()> {
        self.started.store(true, SeqCst);
        panic!("{}", self.message);
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

#[test]
fn scope_reports_the_first_error_in_spawn_order() {
    let pool = Pool::builder().workers(2).build();
    for _ in 0..3 {
        let early_started = gate();
        let result = pool.scope(|s| {
            s.spawn(Yields { left: 3, value: 1 });
            s.spawn(FailsAfter {
                seen: early_started,
                extra: 100,
                message: "late",
            });
            s.spawn(FailsNow {
                started: early_started,
                message: "early",
            });
            5
        });
        assert!(early_started.load(SeqCst));
        assert_eq!(result, Err(TaskError::Panicked("late".into())));
    }
    // Nothing failing: the closure's value.
    let ok = pool.scope(|s| {
        s.spawn(Yields { left: 3, value: 1 });
        5
    });
    assert_eq!(ok, Ok(5));
}

// ---- 6. a non-string panic payload -------------------------------------------------------

/// The message `TaskError::Panicked` carries for a payload that is no `&str` or `String`
/// (`pool::worker::payload_text`).
const NON_STRING: &str = "a task panicked with a non-string payload";

#[derive(Clone, Copy)]
struct StepPanicsWithU32;

impl Task for StepPanicsWithU32 {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        std::panic::panic_any(42u32)
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Its `progress` panics with a `u32` once a chunk ran.
#[derive(Clone, Copy)]
struct ProgressPanicsWithU32 {
    chunks: u32,
}

impl Task for ProgressPanicsWithU32 {
    type Output = u32;
    fn step(&mut self, _: u32) -> Step<u32> {
        self.chunks += 1;
        if self.chunks > 3 {
            Step::Done(1)
        } else {
            Step::Yielded
        }
    }
    fn progress(&self) -> Progress {
        if self.chunks > 0 {
            std::panic::panic_any(42u32);
        }
        Progress::default()
    }
}

#[test]
fn a_non_string_panic_payload_has_the_documented_message() {
    let pool = Pool::builder().workers(1).build();
    for _ in 0..3 {
        assert_eq!(
            pool.spawn(StepPanicsWithU32).join(),
            Err(TaskError::Panicked(NON_STRING.into()))
        );
        assert_eq!(
            pool.spawn(ProgressPanicsWithU32 { chunks: 0 }).join(),
            Err(TaskError::Panicked(NON_STRING.into()))
        );
        // The worker that caught them runs the next task.
        assert_eq!(pool.spawn(Yields { left: 3, value: 8 }).join(), Ok(8));
    }
    assert_eq!(pool.free_slots(), pool.slots());
}

// ---- 7. TaskHandle::priority -------------------------------------------------------------

#[test]
fn a_handle_has_a_priority_only_while_its_task_holds_a_slot() {
    let pool = Pool::builder().workers(1).slots(2).queue(4).build();
    let (g_hog, g_a, g_b) = (gate(), gate(), gate());
    let hog = pool
        .task(Gate::new(g_hog, 1))
        .priority(Priority::UserBlocking)
        .spawn();
    // Takes the second slot; waits behind the hog.
    let a = pool
        .task(Gate::new(g_a, 2))
        .priority(Priority::Background)
        .spawn();
    // No slot left: waits for one.
    let b = pool
        .task(Gate::new(g_b, 3))
        .priority(Priority::UserVisible)
        .spawn();
    assert_eq!(hog.priority(), Some(Priority::UserBlocking));
    assert_eq!(a.priority(), Some(Priority::Background));
    assert_eq!(b.status(), TaskStatus::Queued);
    assert_eq!(b.priority(), None, "a task waiting for a slot has none");

    // The hog ends: its handle has none; its slot goes to `b`, which then has one.
    g_hog.store(true, SeqCst);
    wait_until("the hog to end", || hog.is_finished());
    assert_eq!(hog.priority(), None, "a finished task has none");
    wait_until("b to take the freed slot", || b.priority().is_some());
    assert_eq!(b.priority(), Some(Priority::UserVisible));
    assert_eq!(a.priority(), Some(Priority::Background));

    g_b.store(true, SeqCst);
    wait_until("b to end", || b.is_finished());
    assert_eq!(b.priority(), None);
    g_a.store(true, SeqCst);
    wait_until("a to end", || a.is_finished());
    assert_eq!(a.priority(), None);
    assert_eq!((hog.join(), a.join(), b.join()), (Ok(1), Ok(2), Ok(3)));
}

// ---- 8. the queue(n) bound ---------------------------------------------------------------

#[test]
fn spawn_blocks_past_a_queue_of_two() {
    let pool = &Pool::builder().workers(1).slots(1).queue(2).build();
    let hog_gate = gate();
    let hog = pool.spawn(Gate::new(hog_gate, 1));
    assert_eq!(pool.free_slots(), 0);
    let (first_two, third) = std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel();
        let spawner = s.spawn(move || {
            let a = pool.spawn(Yields { left: 2, value: 10 });
            let b = pool.spawn(Yields { left: 2, value: 11 });
            tx.send(()).unwrap();
            (a, b)
        });
        let two_returned = rx.recv_timeout(Duration::from_secs(2)).is_ok();
        let (tx, rx) = mpsc::channel();
        let third = s.spawn(move || {
            let c = pool.spawn(Yields { left: 2, value: 12 });
            tx.send(()).unwrap();
            c
        });
        let third_blocked = rx.recv_timeout(Duration::from_millis(200)).is_err();
        // Let everything go before any assertion, so a failure doesn't hang the test.
        hog_gate.store(true, SeqCst);
        let third_returned = rx.recv_timeout(Duration::from_secs(10)).is_ok();
        assert!(two_returned, "a spawn within the queue's bound blocked");
        assert!(
            third_blocked,
            "a spawn past the queue's bound returned at once"
        );
        assert!(third_returned, "the blocked spawn never returned");
        (spawner.join().unwrap(), third.join().unwrap())
    });
    assert_eq!(hog.join(), Ok(1));
    assert_eq!(first_two.0.join(), Ok(10));
    assert_eq!(first_two.1.join(), Ok(11));
    assert_eq!(third.join(), Ok(12));
    assert_eq!(pool.free_slots(), 1);
}

// ---- 9. builder errors and TaskError's messages -----------------------------------------

fn build_error(builder: penny::PoolBuilder) -> String {
    match builder.try_build() {
        Ok(_) => panic!("built a pool with a bad configuration"),
        Err(message) => message,
    }
}

#[test]
fn bad_builder_options_are_errors_naming_the_option() {
    assert_eq!(MAX_SLOTS, 1 << 20);
    assert_eq!(MAX_WORKERS, 4096);
    let slots = |n: usize| format!("penny: a pool needs 1 to {MAX_SLOTS} slots, not {n}");
    let workers = |n: usize| format!("penny: a pool needs 1 to {MAX_WORKERS} workers, not {n}");
    assert_eq!(build_error(Pool::builder().workers(1).slots(0)), slots(0));
    assert_eq!(
        build_error(Pool::builder().workers(1).slots(MAX_SLOTS + 1)),
        slots(MAX_SLOTS + 1)
    );
    assert_eq!(
        build_error(Pool::builder().workers(MAX_WORKERS + 1)),
        workers(MAX_WORKERS + 1)
    );
    assert_eq!(build_error(Pool::builder().workers(0)), workers(0));
    // `build` panics with the same message.
    let panicked = std::panic::catch_unwind(|| Pool::builder().workers(1).slots(0).build());
    let message = panicked
        .err()
        .and_then(|p| p.downcast::<String>().ok())
        .map(|m| *m);
    assert_eq!(message, Some(slots(0)));
    // The bounds themselves are fine.
    assert!(Pool::builder().workers(1).slots(1).try_build().is_ok());
    // A stack too small for a worker is refused, not an abort at the first task.
    assert_eq!(MIN_STACK_SIZE, 64 << 10);
    for bytes in [0, 1, 16 << 10, MIN_STACK_SIZE - 1] {
        assert_eq!(
            build_error(Pool::builder().workers(1).stack_size(bytes)),
            format!("penny: stack_size {bytes} is below the {MIN_STACK_SIZE} bytes a worker needs")
        );
    }
    let pool = Pool::builder()
        .workers(1)
        .stack_size(MIN_STACK_SIZE)
        .build();
    let task = Yields { left: 3, value: 7 };
    assert_eq!(pool.spawn(task).join(), Ok(7));
}

#[test]
fn task_errors_display_their_documented_messages() {
    assert_eq!(TaskError::Cancelled.to_string(), "the task was cancelled");
    assert_eq!(
        TaskError::Panicked("boom".into()).to_string(),
        "the task panicked: boom"
    );
    let err: Box<dyn std::error::Error> = Box::new(TaskError::Cancelled);
    assert_eq!(err.to_string(), "the task was cancelled");
}

/// Reports `total` as its progress's total, and finishes at once.
#[derive(Clone, Copy)]
struct Totals {
    total: Option<u64>,
}

impl Task for Totals {
    type Output = ();
    fn step(&mut self, _: u32) -> Step<()> {
        Step::Done(())
    }
    fn progress(&self) -> Progress {
        Progress {
            done: 3,
            total: self.total,
        }
    }
}

/// `Progress::total`: a handle reports what the task said, except `Some(u64::MAX)`, which
/// reads back as `None` (the pool's mark for "unknown"), as the field's docs say.
#[test]
fn a_total_of_u64_max_reads_back_as_unknown() {
    let pool = Pool::builder().workers(1).build();
    for (said, reported) in [
        (Some(7), Some(7)),
        (None, None),
        (Some(u64::MAX - 1), Some(u64::MAX - 1)),
        (Some(u64::MAX), None),
    ] {
        let handle = pool.spawn(Totals { total: said });
        let progress = handle.progress();
        assert_eq!(progress.total, reported, "a task that said {said:?}");
        handle.join().unwrap();
    }
}

/// `cancel()` (its docs): a task waiting for a slot gives up its place at once, and a queued
/// task that holds a slot is cancelled at once and gives the slot back once a worker takes it
/// off its queue (here: after the task that keeps the only worker busy ends).
#[test]
fn a_cancelled_queued_task_ends_at_once_and_its_slot_comes_back() {
    static OPEN: AtomicBool = AtomicBool::new(false);
    let pool = Pool::builder().workers(1).slots(2).queue(4).build();
    let busy = pool.spawn(Gate::new(&OPEN, 1));
    // Holds the second slot, queued behind `busy` on the one worker.
    let queued = pool.spawn(Yields { left: 2, value: 2 });
    // No slot left: waits in the spawner-side queue.
    let waiting = pool.spawn(Yields { left: 2, value: 3 });
    // Both end while `busy` still holds the worker (a join that waited for it would hang).
    waiting.cancel();
    queued.cancel();
    assert!(waiting.is_finished() && queued.is_finished());
    assert_eq!(waiting.join(), Err(TaskError::Cancelled));
    assert_eq!(queued.join(), Err(TaskError::Cancelled));
    OPEN.store(true, SeqCst);
    assert_eq!(busy.join(), Ok(1));
    let until = Instant::now() + Duration::from_secs(5);
    while pool.free_slots() != 2 {
        assert!(
            Instant::now() < until,
            "{} of 2 slots free",
            pool.free_slots()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `join` takes the handle, so a thread waiting in it can't cancel the task too; a
/// `CancelHandle` (cloned, sent to another thread) can, and is a no-op once the task ended.
#[test]
fn a_cancel_handle_cancels_while_another_thread_joins() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    static OPEN: AtomicBool = AtomicBool::new(false);
    let pool = Pool::builder().workers(1).build();
    let handle = pool.spawn(Gate::new(&OPEN, 5));
    let cancel = handle.cancel_handle();
    send_sync(&cancel);
    let joiner = std::thread::spawn(move || handle.join());
    let button = cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        assert!(!button.is_finished());
        button.cancel();
    });
    canceller.join().unwrap();
    assert_eq!(joiner.join().unwrap(), Err(TaskError::Cancelled));
    assert!(cancel.is_finished());
    cancel.cancel();

    // A cancel after the end changes nothing.
    let done = pool.spawn(Yields { left: 2, value: 9 });
    let late = done.cancel_handle();
    assert_eq!(done.join(), Ok(9));
    late.cancel();
    assert!(late.is_finished());
}
