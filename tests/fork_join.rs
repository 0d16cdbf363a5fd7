//! Fork/join over tasks and the global pool: `Pool::join`, `join_async`, `fork_n`, `scope`,
//! and `penny::{spawn, join, fork_n, scope}` — results against the plain functions, from a
//! thread and from inside a task on a one-worker pool (no deadlock), and from two threads at
//! once.

use penny::{Out, Pool, Task, TaskError};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

#[penny::task]
fn triangle(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc += i;
    }
    acc
}

#[penny::task]
fn xor_fold(n: u32, seed: u32) -> u32 {
    let mut h = seed;
    for i in 0..n {
        h = (h ^ i).wrapping_mul(0x0100_0193);
    }
    h
}

#[penny::task]
fn fill(out: Out<u32>, from: u32, to: u32) {
    for i in from..to {
        out.set(i as usize, i * 3);
    }
}

#[penny::task]
fn fail_at(n: u32) -> u32 {
    let mut count = 0u32;
    for i in 0..n + 1 {
        if i == n {
            panic!("fail_at {n}");
        }
        count += 1;
    }
    count
}

#[test]
fn join_returns_both_results() {
    let pool = Pool::builder().workers(2).build();
    let (a, b) = pool.join(Triangle::new(100_000), XorFold::new(50_000, 7));
    assert_eq!(a, Ok(triangle(100_000)));
    assert_eq!(b, Ok(xor_fold(50_000, 7)));
    let (ok, failed) = pool.join(Triangle::new(10), FailAt::new(5));
    assert_eq!(ok, Ok(45));
    assert_eq!(failed, Err(TaskError::Panicked("fail_at 5".into())));
    // The plain fn panics with the same message.
    let plain = std::panic::catch_unwind(|| fail_at(5)).unwrap_err();
    assert_eq!(
        plain.downcast_ref::<String>().map(String::as_str),
        Some("fail_at 5")
    );
}

#[test]
fn fork_n_returns_results_in_order() {
    let pool = Pool::builder().workers(2).slots(8).build();
    let results = pool.fork_n(200, |i| XorFold::new(i as u32 * 37, i as u32));
    let expected: Vec<_> = (0..200).map(|i| Ok(xor_fold(i * 37, i))).collect();
    assert_eq!(results, expected);
}

#[test]
fn scope_waits_for_every_task_and_reports_the_first_error() {
    let pool = Pool::builder().workers(2).build();
    let out = Out::<u32>::leak_filled(10_000, 0);
    let value = pool.scope(|s| {
        for part in 0..10 {
            s.spawn(Fill::new(out, part * 1000, (part + 1) * 1000));
        }
        s.spawn(Triangle::new(1000));
        "body ran"
    });
    assert_eq!(value, Ok("body ran"));
    // Every task ended before `scope` returned: all of `out` is written, as the plain fn does.
    let reference = Out::<u32>::leak_filled(10_000, 0);
    fill(reference, 0, 10_000);
    assert_eq!(out.to_vec(), reference.to_vec());

    let out = Out::<u32>::leak_filled(2000, 0);
    let failed = pool.scope(|s| {
        s.spawn(Fill::new(out, 0, 1000));
        s.spawn(FailAt::new(3));
        s.spawn(Fill::new(out, 1000, 2000));
    });
    assert_eq!(failed, Err(TaskError::Panicked("fail_at 3".into())));
    assert_eq!(out.to_vec(), (0..2000).map(|i| i * 3).collect::<Vec<u32>>());
}

/// A pool of one worker that tasks can reach, never dropped.
fn one_worker() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::builder().workers(1).slots(4).build())
}

/// A task that forks two children on the one-worker pool and joins them inside its `step`.
#[derive(Clone, Copy)]
struct Parent {
    n: u64,
}

impl Task for Parent {
    type Output = (u64, u64, usize);
    fn step(&mut self, _budget: u32) -> penny::Step<Self::Output> {
        let pool = one_worker();
        let (a, b) = pool.join(Triangle::new(self.n), Triangle::new(self.n * 2));
        let forked = pool.fork_n(6, |i| Triangle::new(i as u64));
        let scoped = pool.scope(|s| {
            s.spawn(Triangle::new(3));
            s.spawn(Triangle::new(4));
            2
        });
        penny::Step::Done((
            a.unwrap() + b.unwrap(),
            forked.into_iter().map(Result::unwrap).sum(),
            scoped.unwrap(),
        ))
    }
    fn progress(&self) -> penny::Progress {
        penny::Progress::default()
    }
}

#[test]
fn joins_from_inside_a_task_on_one_worker_do_not_deadlock() {
    let pool = one_worker();
    let handles: Vec<_> = (0..3).map(|k| pool.spawn(Parent { n: 1000 + k })).collect();
    for (k, h) in handles.into_iter().enumerate() {
        let n = 1000 + k as u64;
        let forked: u64 = (0..6).map(triangle).sum();
        assert_eq!(h.join(), Ok((triangle(n) + triangle(n * 2), forked, 2)));
    }
}

/// Slots of the pool below: enough parents that helping joins nesting once per parent (each
/// helps the next parent, whose join helps the next) passes std's 2 MiB worker stack.
const MANY_PARENTS: usize = 3000;

/// A one-worker pool with a slot for every [`Waiting`] parent.
fn crowded_worker() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::builder().workers(1).slots(MANY_PARENTS + 8).build())
}

static OPEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Yields until [`OPEN`], then joins two children inside its `step`.
#[derive(Clone, Copy)]
struct Waiting {
    n: u64,
}

impl Task for Waiting {
    type Output = u64;
    fn step(&mut self, _budget: u32) -> penny::Step<u64> {
        if !OPEN.load(std::sync::atomic::Ordering::SeqCst) {
            return penny::Step::Yielded;
        }
        let (a, b) = crowded_worker().join(Triangle::new(self.n), Triangle::new(self.n + 1));
        penny::Step::Done(a.unwrap() + b.unwrap())
    }
    fn progress(&self) -> penny::Progress {
        penny::Progress::default()
    }
}

/// Thousands of parents in slots, all joining at once on one worker: a join helps the other
/// ready parents, which join in turn, nesting on the worker's stack once per parent. It
/// overflowed std's 2 MiB stack (the process aborted); the default stack now grows with the
/// slots.
#[test]
fn thousands_of_parents_joining_on_one_worker_fit_its_stack() {
    let pool = crowded_worker();
    let handles: Vec<_> = (0..MANY_PARENTS as u64)
        .map(|n| pool.spawn(Waiting { n }))
        .collect();
    OPEN.store(true, std::sync::atomic::Ordering::SeqCst);
    for (n, h) in handles.into_iter().enumerate() {
        let n = n as u64;
        assert_eq!(h.join(), Ok(triangle(n) + triangle(n + 1)));
    }
}

/// A one-worker pool of few slots, for [`Chain`].
fn chain_pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::builder().workers(1).slots(8).build())
}

/// The first failure a [`Chain`] link saw in the link below it.
static CHAIN_FAILURE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Spawns the next link of a chain and joins it inside its `step`: `depth` tasks deep. A
/// link whose link below failed records why and returns `u32::MAX` (not a panic of its own:
/// thousands of them, each with a backtrace as deep as the chain, would swamp the test).
#[derive(Clone, Copy)]
struct Chain {
    depth: u32,
}

impl Task for Chain {
    type Output = u32;
    fn step(&mut self, _budget: u32) -> penny::Step<u32> {
        if self.depth == 0 {
            return penny::Step::Done(0);
        }
        match chain_pool()
            .spawn(Chain {
                depth: self.depth - 1,
            })
            .join()
        {
            Ok(u32::MAX) => penny::Step::Done(u32::MAX),
            Ok(below) => penny::Step::Done(below + 1),
            Err(error) => {
                CHAIN_FAILURE
                    .lock()
                    .unwrap()
                    .get_or_insert_with(|| error.to_string());
                penny::Step::Done(u32::MAX)
            }
        }
    }
    fn progress(&self) -> penny::Progress {
        penny::Progress::default()
    }
}

/// A chain of joins far deeper than the pool's slots: past the slots each link runs on the
/// joining worker's stack, one level deeper per link. 3000 links overflowed a 2 MiB worker
/// stack and aborted the process; the link that finds the stack nearly used now fails, and
/// the link above it learns why. A chain that fits still works on the same pool afterwards.
#[test]
fn a_chain_of_joins_deeper_than_the_stack_fails_its_tasks_instead_of_aborting() {
    let pool = chain_pool();
    assert_eq!(pool.spawn(Chain { depth: 20_000 }).join(), Ok(u32::MAX));
    let failure = CHAIN_FAILURE
        .lock()
        .unwrap()
        .clone()
        .expect("a link failed");
    assert!(failure.contains("joins nested too deep"), "{failure}");
    assert_eq!(pool.spawn(Chain { depth: 100 }).join(), Ok(100));
}

/// Wakes by unparking the thread that polls.
struct Unpark(std::thread::Thread);
impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<F: std::future::Future + Unpin>(mut future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = std::pin::Pin::new(&mut future).poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn join_async_resolves_to_both_results() {
    let pool = Pool::builder().workers(2).build();
    for n in [0u64, 1, 1000, 2_000_000] {
        let both = block_on(pool.join_async(Triangle::new(n), XorFold::new(n as u32, 3)));
        assert_eq!(both, (Ok(triangle(n)), Ok(xor_fold(n as u32, 3))));
    }
}

#[test]
fn the_global_pool_from_two_threads_at_once() {
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            std::thread::spawn(move || {
                for k in 0..20 {
                    let n = t * 1000 + k;
                    assert_eq!(penny::spawn(Triangle::new(n)).join(), Ok(triangle(n)));
                    let (a, b) = penny::join(Triangle::new(n), XorFold::new(n as u32, 1));
                    assert_eq!((a, b), (Ok(triangle(n)), Ok(xor_fold(n as u32, 1))));
                }
                let forked = penny::fork_n(50, |i| Triangle::new(i as u64 + t));
                assert_eq!(
                    forked,
                    (0..50).map(|i| Ok(triangle(i + t))).collect::<Vec<_>>()
                );
                assert_eq!(penny::scope(|s| s.spawn(Triangle::new(5))), Ok(()));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(penny::global().workers(), Pool::builder().build().workers());
}

/// A task that takes ~`steps` ms (one sleep per step: long beside a panic hook printing a
/// backtrace) and counts its finish in `FINISHED[id]`.
#[derive(Clone, Copy)]
struct Slow {
    id: usize,
    steps: u32,
    done: u32,
    /// `progress` panics: the spawn of this task panics on the spawner's thread.
    bad_progress: bool,
}

static FINISHED: [std::sync::atomic::AtomicUsize; 4] =
    [const { std::sync::atomic::AtomicUsize::new(0) }; 4];

impl Slow {
    fn new(id: usize) -> Self {
        Slow {
            id,
            steps: 100,
            done: 0,
            bad_progress: false,
        }
    }
}

impl Task for Slow {
    type Output = u32;
    fn step(&mut self, _budget: u32) -> penny::Step<u32> {
        std::thread::sleep(std::time::Duration::from_millis(1));
        self.done += 1;
        if self.done < self.steps {
            return penny::Step::Yielded;
        }
        FINISHED[self.id].fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        penny::Step::Done(self.done)
    }
    fn progress(&self) -> penny::Progress {
        assert!(!self.bad_progress, "progress of a bad task");
        penny::Progress {
            done: u64::from(self.done),
            total: Some(u64::from(self.steps)),
        }
    }
}

fn finished(id: usize) -> usize {
    FINISHED[id].load(std::sync::atomic::Ordering::SeqCst)
}

// Each fork that unwinds (the caller's closure or a spawn panicked) has waited for the tasks
// it had spawned by the time the panic reaches the caller: as rayon's `join` and `scope` do.

#[test]
fn fork_n_whose_maker_panics_waits_for_the_tasks_it_spawned() {
    let pool = Pool::builder().workers(2).build();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.fork_n(5, |i| {
            assert!(i < 3, "no task {i}");
            Slow::new(0)
        })
    }));
    assert!(unwound.is_err());
    assert_eq!(finished(0), 3);
}

#[test]
fn scope_whose_closure_panics_waits_for_the_tasks_it_spawned() {
    let pool = Pool::builder().workers(2).build();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| {
            s.spawn(Slow::new(1));
            s.spawn(Slow::new(1));
            // A spawn that panics (the task's `progress` does), then the closure's own panic
            // is never reached: either way the two spawned tasks are waited for.
            s.spawn(Slow {
                bad_progress: true,
                ..Slow::new(1)
            });
        })
    }));
    assert!(unwound.is_err());
    assert_eq!(finished(1), 2);
}

#[test]
fn join_whose_second_spawn_panics_waits_for_the_first_task() {
    let pool = Pool::builder().workers(2).build();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.join(
            Slow::new(2),
            Slow {
                bad_progress: true,
                ..Slow::new(2)
            },
        )
    }));
    assert!(unwound.is_err());
    assert_eq!(finished(2), 1);
}

#[test]
fn join_async_whose_second_spawn_panics_cancels_the_first_task() {
    let pool = Pool::builder().workers(2).build();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // 1 s of steps: far longer than the panic hook (which runs before the unwinding).
        let first = Slow {
            steps: 1000,
            ..Slow::new(3)
        };
        pool.join_async(
            first,
            Slow {
                bad_progress: true,
                ..Slow::new(3)
            },
        )
    }));
    assert!(unwound.is_err());
    // Cancelled at its next chunk (1 ms after the unwinding began): it never finishes.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(finished(3), 0);
    assert_eq!(pool.free_slots(), pool.slots());
}
