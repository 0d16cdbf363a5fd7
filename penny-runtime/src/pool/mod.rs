//! The pool: workers, spawning, backpressure and the scheduling loop.
//!
//! The pool is split by concept, each file carrying the invariants of the code it holds:
//!
//! - `shared`: `Shared`, the state workers and handles share; handle-side queries and
//!   cancellation; shutdown.
//! - `counters`: the queued word (per-priority counters), the work epoch and parking.
//! - `spawn`: slot allocation, the spawner-side (backpressure) queue, `spawn` / `try_spawn`.
//! - `worker`: the worker loop: finding a task, running its chunks, preemption, idling.
//! - `split`: splitting a running loop into halves and joining them without blocking.
//! - `join`: joining from inside a task: the joining worker helps instead of blocking.
//! - `fork`: fork/join over tasks (`join`, `join_async`, `fork_n`, `scope`).
//! - `global`: the global default pool and the free functions on it.

mod counters;
mod fork;
mod global;
mod join;
mod lifecycle;
mod shared;
mod spawn;
mod split;
mod worker;

pub use fork::{JoinBoth, Scope, TaskResult};
pub use global::{fork_n, global, join, scope, spawn};
pub(crate) use join::mark_stack;
#[cfg(target_arch = "wasm32")]
pub(crate) use join::{after_trap, record_panic};
pub(crate) use shared::Shared;
#[cfg(any(test, target_arch = "wasm32"))]
pub(crate) use worker::payload_text;

use crate::backend::{self, WorkerJoin};
use crate::handle::TaskHandle;
use crate::priority::{Priority, TrySpawnError};
use crate::region::{self, Config, Layout};
use crate::sync::Ordering::*;
use crate::Task;
use core::time::Duration;
use std::sync::Arc;

/// Most slots a pool can have (the queued counters must not overflow).
pub const MAX_SLOTS: usize = 1 << 20;
/// Most workers a pool can have (the owner field of a slot header is 16 bits).
pub const MAX_WORKERS: usize = 4096;
const DEFAULT_SLOTS: usize = 256;
const DEFAULT_SLOT_BYTES: usize = 256;
const DEFAULT_TIME_SLICE: Duration = Duration::from_micros(500);
/// A worker's stack when the pool has few slots (std's default for spawned threads).
const MIN_WORKER_STACK: usize = 2 << 20;
/// Stack reserved per slot beyond that: a worker joining a task helps run other ready tasks,
/// and one of those joining in turn nests another helping join on the same stack, at most
/// once per task in a slot. Measured at 1.4 KiB (release) to 4.2 KiB (debug) a level for a
/// small `step`; a `step` with large locals needs `stack_size`.
const STACK_PER_SLOT: usize = 8 << 10;
/// The most stack a pool gives a worker by default (it is address space, committed only
/// as it is used).
const MAX_DEFAULT_STACK: usize = 512 << 20;
const MAX_DEQUE: u32 = 1024;
/// The least stack [`PoolBuilder::stack_size`] accepts: a worker's own frames and a `step`
/// with a few KiB of locals (a 16 KiB stack overflowed, aborting the process, on the first
/// kernel with an 8 KiB argument in a debug build).
pub const MIN_STACK_SIZE: usize = 64 << 10;

/// Configures and builds a [`Pool`]; see [`Pool::builder`].
#[derive(Debug, Clone)]
pub struct PoolBuilder {
    workers: Option<usize>,
    slots: usize,
    slot_bytes: usize,
    queue: Option<usize>,
    time_slice: Duration,
    stack_size: Option<usize>,
}

impl PoolBuilder {
    /// Number of worker threads (default: the number of CPUs). Panics in
    /// [`build`](Self::build) when 0 or above [`MAX_WORKERS`].
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// Number of task slots: how many tasks can be queued or running at once (default 256).
    /// Panics in [`build`](Self::build) when 0 or above [`MAX_SLOTS`].
    pub fn slots(mut self, n: usize) -> Self {
        self.slots = n;
        self
    }

    /// Bytes of task state a slot holds inline (default 256). Any task runs whatever its
    /// size: a state larger than this (or aligned to more than 64 bytes) is stored out of
    /// line, in one allocation per spawn, freed when the task ends. Outputs take no room in
    /// slots.
    pub fn slot_bytes(mut self, bytes: usize) -> Self {
        self.slot_bytes = bytes;
        self
    }

    /// How many tasks may wait in the spawner-side queue while every slot is taken before
    /// `spawn` blocks (default: as many as there are slots).
    pub fn queue(mut self, n: usize) -> Self {
        self.queue = Some(n);
        self
    }

    /// How long one chunk of a task may take (default 500 µs), which bounds how long an
    /// urgent task waits for a busy worker. A task's first chunk runs at most 256 iterations
    /// (fewer when tasks of its kind settled on fewer) and is not timed; every later chunk
    /// is sized from a measured chunk of the same task so that it takes at most the slice
    /// plus one iteration (the second chunk, the first one timed, runs one iteration).
    pub fn time_slice(mut self, slice: Duration) -> Self {
        self.time_slice = slice;
        self
    }

    /// Bytes of stack for each worker thread, natively (default: 2 MiB, plus 8 KiB per slot
    /// above 256 slots, at most 512 MiB; committed only as it is used). A task that joins
    /// other tasks from inside `step` makes its worker help run ready tasks meanwhile, and a
    /// helped task that joins too nests on the same stack: at most once per task in a slot,
    /// so the default grows with the slots. Raise it for `step`s with large locals that
    /// join. A chain of tasks each joining the next, deeper than the slots, nests once per
    /// task: the join that finds less than a quarter of the stack left panics, failing its
    /// task, rather than overflow the stack. At least [`MIN_STACK_SIZE`] (64 KiB; less is a
    /// build error). A `step` call's locals and the task's output (returned by value from
    /// `step`) live on this stack: a task with an output of a good fraction of it needs
    /// more. On wasm a worker's stack is fixed when the module is linked, and this is
    /// ignored.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Allocates the region and starts the workers.
    ///
    /// # Panics
    /// When `workers` or `slots` is 0 or too large, or a worker cannot be started; see
    /// [`try_build`](Self::try_build).
    pub fn build(self) -> Pool {
        self.try_build()
            .unwrap_or_else(|message| panic!("{message}"))
    }

    /// Allocates the region and starts the workers, or says why it can't (a bad
    /// configuration, a worker that could not start).
    pub fn try_build(self) -> Result<Pool, String> {
        self.build_on(backend::current())
    }

    /// Builds the pool on `backend` (the simulation's, in tests).
    pub(crate) fn build_on(self, backend: &'static dyn backend::Backend) -> Result<Pool, String> {
        let workers = self.workers.unwrap_or_else(|| backend.default_workers());
        if !(1..=MAX_WORKERS).contains(&workers) {
            return Err(format!(
                "penny: a pool needs 1 to {MAX_WORKERS} workers, not {workers}"
            ));
        }
        if !(1..=MAX_SLOTS).contains(&self.slots) {
            return Err(format!(
                "penny: a pool needs 1 to {MAX_SLOTS} slots, not {}",
                self.slots
            ));
        }
        if let Some(bytes) = self.stack_size.filter(|b| *b < MIN_STACK_SIZE) {
            return Err(format!(
                "penny: stack_size {bytes} is below the {MIN_STACK_SIZE} bytes a worker needs"
            ));
        }
        if self.slot_bytes > u32::MAX as usize / 2 {
            return Err(format!(
                "penny: slot_bytes {} is too large",
                self.slot_bytes
            ));
        }
        let slots_pow2 = (self.slots as u32).next_power_of_two();
        let layout = Layout::try_new(Config {
            slots: self.slots as u32,
            workers: workers as u32,
            payload_bytes: self.slot_bytes as u32,
            deque_cap: slots_pow2.min(MAX_DEQUE),
            injector_cap: slots_pow2 * 2,
        })
        .ok_or_else(|| {
            format!(
                "penny: {} slots of {} bytes for {workers} workers need more memory than this \
                 platform can address: use fewer or smaller slots",
                self.slots, self.slot_bytes
            )
        })?;
        let shared = Shared::new(
            layout,
            backend,
            self.queue.unwrap_or(self.slots),
            self.time_slice.as_nanos().clamp(1_000, u64::MAX as u128) as u64,
            self.stack_size.unwrap_or_else(|| {
                self.slots
                    .saturating_mul(STACK_PER_SLOT)
                    .clamp(MIN_WORKER_STACK, MAX_DEFAULT_STACK)
            }),
        )
        .ok_or_else(|| {
            format!(
                "penny: {} slots of {} bytes for {workers} workers need {} bytes, which could \
                 not be allocated: use fewer or smaller slots",
                self.slots, self.slot_bytes, layout.size
            )
        })?;
        let shared = Arc::new(shared);
        // Deaths of workers (wasm: a panic aborts its worker) are recovered on this thread.
        #[cfg(target_arch = "wasm32")]
        crate::web::register_pool(&shared);
        let mut joins = Vec::with_capacity(workers);
        for index in 0..workers {
            match Shared::start_worker(&shared, index as u16) {
                Ok(join) => joins.push(join),
                Err(message) => {
                    shared.shut_down(joins);
                    return Err(message);
                }
            }
        }
        Ok(Pool { shared, joins })
    }
}

/// A fixed pool of worker threads that runs [`Task`]s in chunks, by priority, with work
/// stealing.
///
/// ```
/// use penny_runtime::{Pool, Priority, Progress, Step, Task};
///
/// #[derive(Clone, Copy)]
/// struct Sum { next: u64, end: u64, total: u64 }
/// impl Task for Sum {
///     type Output = u64;
///     fn step(&mut self, budget: u32) -> Step<u64> {
///         let stop = self.end.min(self.next + budget as u64);
///         while self.next < stop { self.total += self.next; self.next += 1; }
///         if self.next == self.end { Step::Done(self.total) } else { Step::Yielded }
///     }
///     fn progress(&self) -> Progress { Progress { done: self.next, total: Some(self.end) } }
/// }
///
/// let pool = Pool::builder().workers(2).slots(64).build();
/// let a = pool.spawn(Sum { next: 0, end: 1000, total: 0 });
/// let b = pool.task(Sum { next: 0, end: 10, total: 0 }).priority(Priority::UserBlocking).spawn();
/// assert_eq!(a.join(), Ok(499_500));
/// assert_eq!(b.join(), Ok(45));
/// ```
///
/// Dropping the pool cancels the tasks that have not finished (their handles return
/// `Err(TaskError::Cancelled)`) and joins the workers. Dropped inside one of its own tasks,
/// it joins none of them (another worker may be joining that very task, which can't end
/// before the drop returns): the workers leave once their chunks return, and the last one
/// out cancels what is left.
pub struct Pool {
    shared: Arc<Shared>,
    joins: Vec<WorkerJoin>,
}

impl core::fmt::Debug for Pool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers())
            .field("slots", &self.slots())
            .field("free_slots", &self.free_slots())
            .finish()
    }
}

impl Pool {
    /// A builder with the defaults: one worker per CPU, 256 slots of 256 bytes, 500 µs slices.
    pub fn builder() -> PoolBuilder {
        PoolBuilder {
            workers: None,
            slots: DEFAULT_SLOTS,
            slot_bytes: DEFAULT_SLOT_BYTES,
            queue: None,
            time_slice: DEFAULT_TIME_SLICE,
            stack_size: None,
        }
    }

    /// A pool with the default configuration.
    pub fn new() -> Pool {
        Pool::builder().build()
    }

    /// Runs `task` at [`Priority::UserVisible`]. When every slot is taken the task waits in
    /// the spawner-side queue, and when that is full this call blocks until a slot frees.
    /// For another priority: `pool.task(task).priority(p).spawn()`.
    ///
    /// # Panics
    /// When the task's state or output is aligned to more than [`MAX_TASK_ALIGN`](crate::MAX_TASK_ALIGN)
    /// bytes, or when it would be the 1025th task type spawned on this pool (a pool registers
    /// at most 1024). A panic in the task's `progress`, which `spawn` reads once, reaches the
    /// caller (nothing is taken from the pool before).
    pub fn spawn<T: Task>(&self, task: T) -> TaskHandle<T::Output> {
        self.shared.spawn(&self.shared, task, Priority::UserVisible)
    }

    /// Runs `task` at [`Priority::UserVisible`] if a slot is free right now; otherwise hands it
    /// back. For another priority: `pool.task(task).priority(p).try_spawn()`.
    pub fn try_spawn<T: Task>(&self, task: T) -> Result<TaskHandle<T::Output>, TrySpawnError<T>> {
        self.shared
            .try_spawn(&self.shared, task, Priority::UserVisible)
    }

    /// Starts a spawn with options: `pool.task(t).priority(Priority::Background).spawn()`.
    pub fn task<T: Task>(&self, task: T) -> SpawnBuilder<'_, T> {
        SpawnBuilder {
            pool: self,
            task,
            priority: Priority::default(),
        }
    }

    /// An id of this pool, stable while it lives.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn id(&self) -> usize {
        self.shared.id()
    }

    /// Shuts the pool down without waiting (what `Drop` does but the joins): workers leave
    /// their loops and the last one cancels what is still queued. For the JS `close()`.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn shut_down_now(&self) {
        self.shared.shut_down(Vec::new());
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.shared.layout.config.workers as usize
    }

    /// Number of task slots.
    pub fn slots(&self) -> usize {
        self.shared.layout.config.slots as usize
    }

    /// Number of slots free right now (racy; equal to [`slots`](Self::slots) once every
    /// spawned task has ended and, for a task cancelled while queued, been taken off its
    /// queue by a worker: see [`TaskHandle::cancel`](crate::TaskHandle::cancel)).
    pub fn free_slots(&self) -> usize {
        self.shared.region.u32(region::H_FREE_COUNT).load(Acquire) as usize
    }

    /// How many tasks wait in the spawner-side queue for a slot (for the simulation's checks).
    #[cfg(test)]
    pub(crate) fn waiting_for_slot(&self) -> usize {
        self.shared.pending_len.load(SeqCst) as usize
    }

    /// How many queued tasks are more urgent than `priority` (for the simulation's checks).
    #[cfg(test)]
    pub(crate) fn queued_more_urgent_than(&self, priority: Priority) -> u64 {
        self.shared.queued_more_urgent_than(priority.index())
    }
}

impl Default for Pool {
    fn default() -> Self {
        Pool::new()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.shut_down(core::mem::take(&mut self.joins));
    }
}

/// A spawn being configured; see [`Pool::task`].
#[derive(Debug)]
#[must_use = "call .spawn() to run the task"]
pub struct SpawnBuilder<'p, T> {
    pool: &'p Pool,
    task: T,
    priority: Priority,
}

impl<T: Task> SpawnBuilder<'_, T> {
    /// Sets the priority (default [`Priority::UserVisible`]).
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Spawns the task; see [`Pool::spawn`].
    pub fn spawn(self) -> TaskHandle<T::Output> {
        let shared = &self.pool.shared;
        shared.spawn(shared, self.task, self.priority)
    }

    /// Spawns the task; a refused view lease is an `Err` with the reason instead of a panic,
    /// and with `cancelled` the task ends as cancelled at once, never taking a slot or
    /// running. For the JS `spawn`, where a panic would trap the calling thread.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn spawn_checked(self, cancelled: bool) -> Result<TaskHandle<T::Output>, String> {
        let shared = &self.pool.shared;
        shared.spawn_checked(shared, self.task, self.priority, cancelled)
    }

    /// Spawns the task if a slot is free; see [`Pool::try_spawn`].
    pub fn try_spawn(self) -> Result<TaskHandle<T::Output>, TrySpawnError<T>> {
        let shared = &self.pool.shared;
        shared.try_spawn(shared, self.task, self.priority)
    }
}

#[cfg(test)]
mod tests {
    //! Small end-to-end runs of the pool, sized so Miri checks the unsafe paths (region
    //! accesses, type-erased steps, completion cells) in reasonable time.
    use super::*;
    use crate::test_tasks::Sum;
    use crate::{Progress, Step, TaskError, TaskStatus};

    #[derive(Clone, Copy)]
    struct Boom;
    impl Task for Boom {
        type Output = (u8, u32);
        fn step(&mut self, _: u32) -> Step<(u8, u32)> {
            panic!("boom")
        }
        fn progress(&self) -> Progress {
            Progress::default()
        }
    }

    fn sum(n: u64) -> Sum {
        Sum::new(0, n)
    }

    #[test]
    fn spawn_join_cancel_panic_and_backpressure() {
        let n: u64 = if cfg!(miri) { 12 } else { 200 };
        let pool = Pool::builder().workers(2).slots(3).queue(2).build();
        let handles: Vec<_> = (0..n).map(|i| pool.spawn(sum(i * 10))).collect();
        let cancelled = pool
            .task(sum(1 << 40))
            .priority(Priority::Background)
            .spawn();
        cancelled.cancel();
        let failed = pool.task(Boom).priority(Priority::UserBlocking).spawn();
        for (i, h) in handles.into_iter().enumerate() {
            let n = i as u64 * 10;
            assert_eq!(h.join(), Ok(n * n.saturating_sub(1) / 2));
        }
        assert_eq!(cancelled.join(), Err(TaskError::Cancelled));
        assert_eq!(failed.join(), Err(TaskError::Panicked("boom".into())));
        let last = pool.spawn(sum(3));
        while !last.is_finished() {
            std::thread::yield_now();
        }
        assert_eq!(last.status(), TaskStatus::Done);
        assert_eq!(
            last.progress(),
            Progress {
                done: 3,
                total: Some(3)
            }
        );
    }

    /// Reads a view (its lease is what `spawn_checked` may refuse).
    #[derive(Clone, Copy)]
    struct Reads(crate::View<u32>);
    impl Task for Reads {
        type Output = u32;
        fn step(&mut self, _: u32) -> Step<u32> {
            Step::Done(self.0.open().iter().sum())
        }
        fn progress(&self) -> Progress {
            Progress::default()
        }
        fn views(&self, visit: &mut dyn FnMut(crate::ViewRef)) {
            visit(self.0.view_ref());
        }
    }

    #[test]
    fn spawn_checked_refuses_without_panicking_and_cancels_before_running() {
        let pool = Pool::builder().workers(1).slots(2).build();
        // Spawned cancelled: ends at once, never steps (`Boom` would panic), takes no slot.
        let never = pool.task(Boom).spawn_checked(true).unwrap();
        assert_eq!(never.status(), TaskStatus::Cancelled);
        assert_eq!(never.join(), Err(TaskError::Cancelled));
        assert_eq!(pool.free_slots(), 2);
        // A view of a freed buffer: its lease is refused, as an `Err` saying why.
        let stale = crate::Buffer::from_vec(vec![1u32, 2]).view();
        let refused = pool.task(Reads(stale)).spawn_checked(false);
        assert!(refused.unwrap_err().contains("freed"));
        assert_eq!(pool.free_slots(), 2);
        let live = crate::Buffer::from_vec(vec![1u32, 2]);
        assert_eq!(
            pool.task(Reads(live.view()))
                .spawn_checked(false)
                .unwrap()
                .join(),
            Ok(3)
        );
    }

    /// A state bigger than the payload, one aligned beyond it and one that fits, through
    /// yields, a cancel and a panic: the out-of-line path under Miri.
    #[test]
    fn out_of_line_states() {
        #[derive(Clone, Copy)]
        #[repr(align(128))]
        struct Wide {
            words: [u64; 40],
            i: usize,
        }
        impl Task for Wide {
            type Output = [u64; 40];
            fn step(&mut self, budget: u32) -> Step<[u64; 40]> {
                assert_eq!(self as *const Self as usize % 128, 0);
                for _ in 0..budget {
                    if self.i == 40 {
                        break;
                    }
                    self.words[self.i] = self.i as u64 * 3;
                    self.i += 1;
                }
                if self.i == 40 {
                    Step::Done(self.words)
                } else {
                    Step::Yielded
                }
            }
            fn progress(&self) -> Progress {
                Progress {
                    done: self.i as u64,
                    total: Some(40),
                }
            }
        }
        let wide = Wide {
            words: [0; 40],
            i: 0,
        };
        let pool = Pool::builder().workers(2).slots(2).slot_bytes(64).build();
        let a = pool.spawn(wide);
        let b = pool.spawn(sum(10));
        let c = pool.spawn(Wide { i: 0, ..wide });
        c.cancel();
        let d = pool.spawn(Boom);
        let e = pool.spawn(Wide { i: 0, ..wide });
        let expected: [u64; 40] = core::array::from_fn(|i| i as u64 * 3);
        assert_eq!(a.join(), Ok(expected));
        assert_eq!(b.join(), Ok(45));
        assert_eq!(c.join(), Err(TaskError::Cancelled));
        assert_eq!(d.join(), Err(TaskError::Panicked("boom".into())));
        assert_eq!(e.join(), Ok(expected));
    }

    /// Tasks that spawn and join children on one worker with two slots: the joiners help,
    /// and run children that got no slot inline (the `Inline` path, under Miri).
    #[test]
    fn joins_from_tasks_help_and_run_slotless_children_inline() {
        /// The pool, in a static so tasks can reach it, and out of it again at the end, so
        /// its workers are joined (Miri wants every thread joined).
        type Shared = std::sync::Mutex<Option<Pool>>;
        static POOL: Shared = std::sync::Mutex::new(None);
        fn spawn_on(pool: &Shared, task: Tree) -> TaskHandle<u64> {
            pool.lock().unwrap().as_ref().unwrap().spawn(task)
        }
        #[derive(Clone, Copy)]
        struct Tree {
            depth: u32,
            pool: &'static Shared,
        }
        impl Task for Tree {
            type Output = u64;
            fn step(&mut self, _: u32) -> Step<u64> {
                if self.depth == 0 {
                    return Step::Done(1);
                }
                let child = Tree {
                    depth: self.depth - 1,
                    pool: self.pool,
                };
                let (a, b) = (spawn_on(self.pool, child), spawn_on(self.pool, child));
                Step::Done(a.join().unwrap() + b.join().unwrap())
            }
            fn progress(&self) -> Progress {
                Progress::default()
            }
        }
        *POOL.lock().unwrap() = Some(Pool::builder().workers(1).slots(2).queue(1).build());
        let depth = if cfg!(miri) { 3 } else { 8 };
        let root = spawn_on(&POOL, Tree { depth, pool: &POOL });
        assert_eq!(root.join(), Ok(1 << depth));
        drop(POOL.lock().unwrap().take());
    }

    #[test]
    fn drop_cancels_queued_and_pending_tasks() {
        let pool = Pool::builder().workers(1).slots(2).queue(4).build();
        let handles: Vec<_> = (0..6).map(|_| pool.spawn(sum(1 << 40))).collect();
        let detached = pool.try_spawn(sum(5));
        assert!(matches!(detached, Err(TrySpawnError::Full(_))));
        drop(pool);
        for h in handles {
            assert_eq!(h.join(), Err(TaskError::Cancelled));
        }
    }
}
