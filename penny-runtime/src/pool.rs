//! The pool: workers, spawning, backpressure and the scheduling loop.
//!
//! # How a worker finds work
//!
//! For each priority from `UserBlocking` down to `Background`, skipping priorities whose
//! queued counter is zero: pop its own deque (LIFO), then the injector (taking a small batch
//! into its deque so idle workers can steal it), then steal (FIFO) from the other workers'
//! deques. With nothing anywhere it polls the work-epoch word (after every pause, ~30 µs in
//! all), yields a few times, then parks on that word.
//!
//! # Counters and parking (no lost wake-ups)
//!
//! The region's queued word holds, per priority, the number of slot indices sitting in any
//! queue. It is raised *before* an index is pushed and lowered *after* one is popped, so it
//! never under-counts. A spawner pushes, bumps the work epoch and wakes one parked worker
//! if the sleeper count is non-zero. A worker about to park raises the sleeper count, reads
//! the epoch, re-reads the queued word and only then waits on the epoch word. All of these
//! are `SeqCst`: either the worker sees the new count, or the spawner sees the sleeper and
//! the changed epoch makes the wait return.
//!
//! # Preemption
//!
//! After every chunk a worker does one relaxed load of the queued word: if a more urgent
//! priority has queued work, the running task goes back (QUEUED) to the worker's deque and the
//! worker picks the urgent task. The preempted task keeps its budget (in its slot) and is
//! taken back by this worker or stolen by an idle one.
//!
//! # Backpressure
//!
//! `spawn` takes a slot from the free list. When none is free, the task waits in a bounded
//! spawner-side queue (`queue` in the builder); a worker that frees a slot moves the oldest
//! waiting task into it. When that queue is full too, `spawn` parks until a slot frees.
//! `try_spawn` never waits: it hands the task back. Either way no task is lost and memory is
//! bounded by `slots + queue` tasks.

use crate::backend::{self, Backend, WorkerJoin};
use crate::budget;
use crate::deque::{Deque, Steal};
use crate::handle::TaskHandle;
use crate::injector::Injector;
use crate::kind::{self, CellHeader, Completion, Kind, Kinds, Writer};
use crate::owned::{self, CellRef, Fresh, Popped, Running};
use crate::priority::{Priority, TrySpawnError};
use crate::region::{self, Config, Layout, Region, PRIORITIES};
use crate::slot::{self, Header, NO_OWNER};
use crate::sync::{AtomicU32, AtomicU64, Ordering::*};
use crate::{Progress, Task};
use core::time::Duration;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Bits per priority in the queued word.
const COUNT_BITS: u32 = 21;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;
/// Most slots a pool can have (the queued counters must not overflow).
pub const MAX_SLOTS: usize = 1 << 20;
/// Most workers a pool can have (the owner field of a slot header is 16 bits).
pub const MAX_WORKERS: usize = 4096;
const DEFAULT_SLOTS: usize = 256;
const DEFAULT_SLOT_BYTES: usize = 256;
const DEFAULT_OUTPUT_BYTES: usize = 64;
const DEFAULT_TIME_SLICE: Duration = Duration::from_micros(500);
const MAX_DEQUE: u32 = 1024;
const INJECT_BATCH: u64 = 8;
/// Idle polls (one pause each, ~30 µs in all) before a worker starts yielding...
const SPINS_BEFORE_PARK: u32 = 1024;
/// ...and yields (each one poll) before it parks.
const YIELDS_BEFORE_PARK: u32 = 32;

/// Configures and builds a [`Pool`]; see [`Pool::builder`].
#[derive(Debug, Clone)]
pub struct PoolBuilder {
    workers: Option<usize>,
    slots: usize,
    slot_bytes: usize,
    output_bytes: usize,
    queue: Option<usize>,
    time_slice: Duration,
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

    /// Bytes of task state a slot holds (default 256, the size `#[penny::task]` checks
    /// unless given `slot = N`). Tasks larger than this are rejected by `spawn`.
    pub fn slot_bytes(mut self, bytes: usize) -> Self {
        self.slot_bytes = bytes;
        self
    }

    /// Bytes of task output a slot holds (default 64).
    pub fn output_bytes(mut self, bytes: usize) -> Self {
        self.output_bytes = bytes;
        self
    }

    /// How many tasks may wait in the spawner-side queue while every slot is taken before
    /// `spawn` blocks (default: as many as there are slots).
    pub fn queue(mut self, n: usize) -> Self {
        self.queue = Some(n);
        self
    }

    /// How long one chunk of a task should take (default 500 µs): budgets adapt toward it, and
    /// it bounds how long an urgent task waits for a busy worker.
    pub fn time_slice(mut self, slice: Duration) -> Self {
        self.time_slice = slice;
        self
    }

    /// Allocates the region and starts the workers.
    ///
    /// # Panics
    /// When `workers` or `slots` is 0 or too large, or a worker cannot be started (on wasm32,
    /// until the Web Worker backend exists).
    pub fn build(self) -> Pool {
        let backend = backend::current();
        let workers = self.workers.unwrap_or_else(|| backend.default_workers());
        assert!(
            (1..=MAX_WORKERS).contains(&workers),
            "penny: a pool needs 1 to {MAX_WORKERS} workers, not {workers}"
        );
        assert!(
            (1..=MAX_SLOTS).contains(&self.slots),
            "penny: a pool needs 1 to {MAX_SLOTS} slots, not {}",
            self.slots
        );
        assert!(self.slot_bytes <= u32::MAX as usize / 2 && self.output_bytes <= u32::MAX as usize / 2);
        let slots_pow2 = (self.slots as u32).next_power_of_two();
        let layout = Layout::new(Config {
            slots: self.slots as u32,
            workers: workers as u32,
            payload_bytes: self.slot_bytes as u32,
            output_bytes: self.output_bytes as u32,
            deque_cap: slots_pow2.min(MAX_DEQUE),
            injector_cap: slots_pow2 * 2,
        });
        let shared = Arc::new(Shared::new(
            layout,
            backend,
            self.queue.unwrap_or(self.slots),
            self.time_slice.as_nanos().clamp(1_000, u64::MAX as u128) as u64,
        ));
        let mut joins = Vec::with_capacity(workers);
        for index in 0..workers {
            let worker = shared.clone();
            match backend.spawn_worker(index, Box::new(move || worker.worker_main(index as u16))) {
                Ok(join) => joins.push(join),
                Err(message) => {
                    shared.shut_down(joins);
                    panic!("{message}");
                }
            }
        }
        Pool { shared, joins }
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
/// `Err(TaskError::Cancelled)`) and joins the workers.
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
            output_bytes: DEFAULT_OUTPUT_BYTES,
            queue: None,
            time_slice: DEFAULT_TIME_SLICE,
        }
    }

    /// A pool with the default configuration.
    pub fn new() -> Pool {
        Pool::builder().build()
    }

    /// Runs `task` at [`Priority::UserVisible`]. When every slot is taken the task waits in
    /// the spawner-side queue, and when that is full this call blocks until a slot frees.
    ///
    /// # Panics
    /// When the task's state or output does not fit the pool's slots (the message names the
    /// sizes and the builder option to raise).
    pub fn spawn<T: Task>(&self, task: T) -> TaskHandle<T::Output> {
        self.spawn_with_priority(task, Priority::UserVisible)
    }

    /// Runs `task` at `priority`; see [`spawn`](Self::spawn).
    pub fn spawn_with_priority<T: Task>(&self, task: T, priority: Priority) -> TaskHandle<T::Output> {
        self.shared.spawn(&self.shared, task, priority)
    }

    /// Runs `task` at [`Priority::UserVisible`] if a slot is free right now; otherwise hands it
    /// back.
    pub fn try_spawn<T: Task>(&self, task: T) -> Result<TaskHandle<T::Output>, TrySpawnError<T>> {
        self.try_spawn_with_priority(task, Priority::UserVisible)
    }

    /// Runs `task` at `priority` if a slot is free right now; otherwise hands it back.
    pub fn try_spawn_with_priority<T: Task>(
        &self,
        task: T,
        priority: Priority,
    ) -> Result<TaskHandle<T::Output>, TrySpawnError<T>> {
        self.shared.try_spawn(&self.shared, task, priority)
    }

    /// Starts a spawn with options: `pool.task(t).priority(Priority::Background).spawn()`.
    pub fn task<T: Task>(&self, task: T) -> SpawnBuilder<'_, T> {
        SpawnBuilder { pool: self, task, priority: Priority::default() }
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
    /// spawned task has ended).
    pub fn free_slots(&self) -> usize {
        self.shared.region.u32(region::H_FREE_COUNT).load(Acquire) as usize
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
        self.pool.spawn_with_priority(self.task, self.priority)
    }

    /// Spawns the task if a slot is free; see [`Pool::try_spawn`].
    pub fn try_spawn(self) -> Result<TaskHandle<T::Output>, TrySpawnError<T>> {
        self.pool.try_spawn_with_priority(self.task, self.priority)
    }
}

/// A task waiting in the spawner-side queue for a slot.
struct Pending {
    kind_index: u32,
    priority: Priority,
    cell: CellRef,
    write: Writer,
}

/// Everything the workers and handles share: the region plus the few things that cannot be
/// plain bytes (the kind table of function pointers, the backend, the spawner-side queue).
pub(crate) struct Shared {
    pub(crate) region: Region,
    pub(crate) layout: Layout,
    kinds: Kinds,
    pub(crate) backend: &'static dyn Backend,
    injectors: [Injector; PRIORITIES],
    pending: Mutex<VecDeque<Pending>>,
    pending_len: AtomicU32,
    pending_cap: usize,
    time_slice_ns: u64,
}

impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Shared").field("layout", &self.layout).finish_non_exhaustive()
    }
}

impl Shared {
    fn new(layout: Layout, backend: &'static dyn Backend, pending_cap: usize, time_slice_ns: u64) -> Shared {
        let region = Region::new(layout);
        slot::init_free_list(&region);
        let injectors =
            [0, 1, 2].map(|p| Injector::new(layout.injector(p), layout.config.injector_cap));
        for injector in &injectors {
            injector.init(&region);
        }
        Shared {
            region,
            layout,
            kinds: Kinds::new(),
            backend,
            injectors,
            pending: Mutex::new(VecDeque::new()),
            pending_len: AtomicU32::new(0),
            pending_cap,
            time_slice_ns,
        }
    }

    fn deque(&self, worker: usize, priority: usize) -> Deque {
        Deque::new(self.layout.deque(worker, priority), self.layout.config.deque_cap)
    }

    fn word(&self, off: usize) -> &AtomicU32 {
        self.region.u32(off)
    }

    fn queued(&self) -> &AtomicU64 {
        self.region.u64(region::H_QUEUED)
    }

    fn is_shut_down(&self) -> bool {
        self.word(region::H_SHUTDOWN).load(Acquire) != 0
    }

    // ---- spawning -------------------------------------------------------------------------

    fn kind_for<T: Task>(&self) -> (u32, &Kind) {
        let (index, kind) = self.kinds.index_of::<T>();
        let c = self.layout.config;
        if kind.size > c.payload_bytes as usize || kind.align > region::MAX_ALIGN {
            panic!(
                "penny: task `{}` needs {} bytes (alignment {}) but this pool's slots hold {} \
                 bytes (alignment {}); build the pool with `.slot_bytes({})`",
                kind.name,
                kind.size,
                kind.align,
                c.payload_bytes,
                region::MAX_ALIGN,
                kind.size.next_multiple_of(8),
            );
        }
        if kind.output_size > c.output_bytes as usize || kind.output_align > region::MAX_ALIGN {
            panic!(
                "penny: the output of task `{}` needs {} bytes (alignment {}) but this pool's \
                 slots hold {} output bytes; build the pool with `.output_bytes({})`",
                kind.name,
                kind.output_size,
                kind.output_align,
                c.output_bytes,
                kind.output_size.next_multiple_of(8),
            );
        }
        (index, kind)
    }

    fn new_cell<T: Task>(task: &T) -> Arc<Completion<T::Output>> {
        Arc::new(Completion::new(task.progress()))
    }

    fn spawn<T: Task>(&self, this: &Arc<Shared>, task: T, priority: Priority) -> TaskHandle<T::Output> {
        let (kind_index, kind) = self.kind_for::<T>();
        let cell = Self::new_cell(&task);
        let handle = TaskHandle::new(this.clone(), cell.clone());
        let cell = CellRef::new::<T>(cell, kind);
        if self.pending_len.load(SeqCst) == 0 {
            if let Some(fresh) = Fresh::pop(&self.region) {
                self.install(fresh, kind_index, kind, priority, cell, kind::writer_in_place(task));
                return handle;
            }
        }
        let mut entry = Pending { kind_index, priority, cell, write: kind::writer(task) };
        let freed = self.word(region::H_FREED_EPOCH);
        let waiters = self.word(region::H_FREED_WAITERS);
        loop {
            let epoch = freed.load(SeqCst);
            {
                let mut queue = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                if queue.len() < self.pending_cap.max(1) {
                    queue.push_back(entry);
                    self.pending_len.fetch_add(1, SeqCst);
                    drop(queue);
                    self.drain_pending();
                    return handle;
                }
            }
            // Queue full: wait for a worker to free a slot (which also drains the queue).
            waiters.fetch_add(1, SeqCst);
            if freed.load(SeqCst) == epoch && self.pending_len.load(SeqCst) as usize >= self.pending_cap.max(1) {
                self.backend.wait(freed, epoch);
            }
            waiters.fetch_sub(1, SeqCst);
            // Keep the entry for the next round (it was not moved into the queue).
            entry = match self.take_back(entry) {
                Some(entry) => entry,
                None => return handle,
            };
        }
    }

    /// Used by `spawn`'s wait loop: if a slot is free now, installs `entry` directly.
    fn take_back(&self, entry: Pending) -> Option<Pending> {
        if self.pending_len.load(SeqCst) == 0 {
            if let Some(fresh) = Fresh::pop(&self.region) {
                self.install_pending(fresh, entry);
                return None;
            }
        }
        Some(entry)
    }

    fn try_spawn<T: Task>(
        &self,
        this: &Arc<Shared>,
        task: T,
        priority: Priority,
    ) -> Result<TaskHandle<T::Output>, TrySpawnError<T>> {
        let (kind_index, kind) = self.kind_for::<T>();
        if self.pending_len.load(SeqCst) != 0 {
            return Err(TrySpawnError::Full(task));
        }
        let Some(fresh) = Fresh::pop(&self.region) else {
            return Err(TrySpawnError::Full(task));
        };
        let cell = Self::new_cell(&task);
        let handle = TaskHandle::new(this.clone(), cell.clone());
        let cell = CellRef::new::<T>(cell, kind);
        self.install(fresh, kind_index, kind, priority, cell, kind::writer_in_place(task));
        Ok(handle)
    }

    /// Fills `fresh` and queues it.
    fn install<F: FnOnce(*mut u8)>(
        &self,
        fresh: Fresh,
        kind_index: u32,
        kind: &Kind,
        priority: Priority,
        cell: CellRef,
        write: Writer<F>,
    ) {
        if cell.header().cancel.load(SeqCst) != 0 {
            // Cancelled while waiting for a slot: it never runs.
            // (Only `drain_pending` meets this; its loop goes on with the freed slot.)
            owned::cancel_unslotted(cell, |w| self.backend.wake_all(w));
            fresh.give_back(&self.region);
            self.bump_freed();
            return;
        }
        let index = fresh.install(&self.region, kind_index, kind, priority.index() as u8, write, cell);
        self.count(priority.index(), 1);
        self.inject(priority.index(), index);
        self.notify_work();
    }

    /// Pushes `index` to the injector of priority `p`. The injector has room for twice the
    /// slots, so it is never full of queued tasks; a push can only find its cell still held
    /// by a consumer that claimed it and has not released it yet (a thread descheduled between
    /// two instructions), so it retries until that consumer moves on.
    fn inject(&self, p: usize, mut index: u32) {
        while let Err(back) = self.injectors[p].push(&self.region, index) {
            index = back;
            self.backend.yield_now();
        }
    }

    fn install_pending(&self, fresh: Fresh, entry: Pending) {
        let Pending { kind_index, priority, cell, write } = entry;
        self.install(fresh, kind_index, self.kinds.get(kind_index), priority, cell, write);
    }

    /// Moves tasks from the spawner-side queue into free slots while both exist.
    fn drain_pending(&self) {
        while self.pending_len.load(SeqCst) != 0 {
            let Some(fresh) = Fresh::pop(&self.region) else { return };
            let entry = self.pending.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            let Some(entry) = entry else {
                fresh.give_back(&self.region);
                return;
            };
            self.pending_len.fetch_sub(1, SeqCst);
            self.install_pending(fresh, entry);
            self.bump_freed();
        }
    }

    /// A slot went back to the free list: feed the spawner-side queue, wake blocked spawners.
    fn slot_freed(&self) {
        if self.pending_len.load(SeqCst) != 0 {
            self.drain_pending();
        }
        self.bump_freed();
    }

    fn bump_freed(&self) {
        let freed = self.word(region::H_FREED_EPOCH);
        freed.fetch_add(1, SeqCst);
        if self.word(region::H_FREED_WAITERS).load(SeqCst) != 0 {
            self.backend.wake_all(freed);
        }
    }

    fn count(&self, priority: usize, delta: i64) {
        let unit = 1u64 << (COUNT_BITS * priority as u32);
        if delta > 0 {
            self.queued().fetch_add(unit, SeqCst);
        } else {
            self.queued().fetch_sub(unit, SeqCst);
        }
    }

    fn notify_work(&self) {
        let epoch = self.word(region::H_WORK_EPOCH);
        epoch.fetch_add(1, SeqCst);
        if self.word(region::H_SLEEPERS).load(SeqCst) != 0 {
            self.backend.wake_one(epoch);
        }
    }

    /// The progress published in slot `index`, if it still holds generation `generation`.
    pub(crate) fn slot_progress(&self, index: u32, generation: u32) -> Option<(Header, Progress)> {
        let off = self.layout.slot(index);
        let word = slot::header(&self.region, index);
        let before = Header(word.load(Acquire));
        if before.generation() != generation {
            return None;
        }
        let done = self.region.u64(off + region::S_PROGRESS_DONE).load(Acquire);
        let total = self.region.u64(off + region::S_PROGRESS_TOTAL).load(Acquire);
        let after = Header(word.load(Acquire));
        (after.generation() == generation && after.state() != slot::FREE)
            .then(|| (after, kind::decode_progress(done, total)))
    }

    /// The slot header for a handle's `(index, generation)`, if still that task's.
    pub(crate) fn slot_header(&self, index: u32, generation: u32) -> Option<Header> {
        let h = Header(slot::header(&self.region, index).load(Acquire));
        (h.generation() == generation).then_some(h)
    }

    // ---- workers --------------------------------------------------------------------------

    fn worker_main(&self, me: u16) {
        let mut rng = 0x9E37_79B9u32 ^ (me as u32).wrapping_mul(0x85EB_CA6B) | 1;
        loop {
            if self.is_shut_down() {
                return;
            }
            if let Some(index) = self.find_task(me as usize, &mut rng) {
                self.run(me, index);
                continue;
            }
            if !self.idle(me as usize, &mut rng) {
                return;
            }
        }
    }

    /// Spins briefly, then parks. Returns false on shutdown.
    fn idle(&self, _me: usize, _rng: &mut u32) -> bool {
        // Every push of work is followed by a bump of the work epoch (`notify_work`), so an
        // idle worker polls the epoch word alone, after every pause (~30 ns on current x86),
        // and notices a spawn within tens of nanoseconds. It stays off the header line that
        // spawners update (free list, queued counters) while they spawn. SeqCst: either the
        // queued load below sees a count raised before it, or that push's epoch bump comes
        // after this epoch load.
        let epoch_word = self.word(region::H_WORK_EPOCH);
        let seen = epoch_word.load(SeqCst);
        if self.queued().load(SeqCst) != 0 || self.is_shut_down() {
            return !self.is_shut_down();
        }
        for spin in 0..SPINS_BEFORE_PARK + YIELDS_BEFORE_PARK {
            if epoch_word.load(Relaxed) != seen {
                return !self.is_shut_down();
            }
            if spin < SPINS_BEFORE_PARK {
                core::hint::spin_loop();
            } else {
                self.backend.yield_now();
            }
        }
        let sleepers = self.word(region::H_SLEEPERS);
        sleepers.fetch_add(1, SeqCst);
        let epoch = epoch_word.load(SeqCst);
        if self.queued().load(SeqCst) == 0 && !self.is_shut_down() {
            self.backend.wait(epoch_word, epoch);
        }
        sleepers.fetch_sub(1, SeqCst);
        !self.is_shut_down()
    }

    fn find_task(&self, me: usize, rng: &mut u32) -> Option<u32> {
        let queued = self.queued().load(Relaxed);
        if queued == 0 {
            return None;
        }
        let workers = self.layout.config.workers as usize;
        for p in 0..PRIORITIES {
            let waiting = queued >> (COUNT_BITS * p as u32) & COUNT_MASK;
            if waiting == 0 {
                continue;
            }
            let own = self.deque(me, p);
            if let Some(index) = own.pop(&self.region) {
                self.count(p, -1);
                return Some(index);
            }
            if let Some(index) = self.injectors[p].pop(&self.region) {
                self.count(p, -1);
                // Take a few more so idle workers can steal them from us.
                let batch = (waiting / (workers as u64 + 1)).min(INJECT_BATCH);
                for _ in 0..batch {
                    let Some(more) = self.injectors[p].pop(&self.region) else { break };
                    if let Err(more) = own.push(&self.region, more) {
                        self.inject(p, more);
                        break;
                    }
                }
                return Some(index);
            }
            *rng ^= *rng << 13;
            *rng ^= *rng >> 17;
            *rng ^= *rng << 5;
            let start = *rng as usize;
            for k in 0..workers {
                let victim = (start + k) % workers;
                if victim == me {
                    continue;
                }
                let deque = self.deque(victim, p);
                loop {
                    match deque.steal(&self.region) {
                        Steal::Success(index) => {
                            self.count(p, -1);
                            return Some(index);
                        }
                        Steal::Empty => break,
                        Steal::Retry => core::hint::spin_loop(),
                    }
                }
            }
        }
        None
    }

    /// Runs the task in slot `index` (just popped by this worker) until it ends or is
    /// preempted.
    fn run(&self, me: u16, index: u32) {
        let mut task = match owned::claim(&self.region, &self.kinds, index, me) {
            Popped::Run(task) => task,
            Popped::Reclaimed => {
                // Cancelled while queued: the handle completed the cell, the slot is free.
                self.slot_freed();
                return;
            }
        };
        let kind = task.kind();
        let priority = task.header().priority() as usize;
        let budget_word = self.region.u32(self.layout.slot(index) + region::S_BUDGET);
        let mut budget = budget_word.load(Relaxed);
        // The clock is read after each chunk that yields, never before the first: a task
        // that finishes in its first chunk reads it not at all, and a later chunk is timed
        // from the end of the one before.
        let mut start = None;
        loop {
            if task.cell().cancel.load(Relaxed) != 0 || self.is_shut_down() {
                return self.finish(task, slot::CANCELLED, None);
            }
            let stepped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.step(&self.region, budget)));
            let done = match stepped {
                Ok(done) => done,
                Err(panic) => {
                    let message = panic_message(&*panic);
                    return self.finish(task, slot::FAILED, Some(message));
                }
            };
            if done {
                if budget != kind.budget_hint.load(Relaxed) {
                    kind.budget_hint.store(budget, Relaxed);
                }
                return self.finish(task, slot::DONE, None);
            }
            if let Some(now) = self.backend.now_nanos() {
                if let Some(then) = start {
                    budget = budget::next(budget, now.saturating_sub(then), self.time_slice_ns);
                    budget_word.store(budget, Relaxed);
                }
                start = Some(now);
            }
            task.publish_progress(&self.region);
            // Preemption: one relaxed load; any queued work more urgent than ours?
            let more_urgent = self.queued().load(Relaxed) & ((1u64 << (COUNT_BITS * priority as u32)) - 1);
            if more_urgent != 0 {
                kind.budget_hint.store(budget, Relaxed);
                let index = task.requeue(&self.region);
                self.count(priority, 1);
                if let Err(index) = self.deque(me as usize, priority).push(&self.region, index) {
                    self.inject(priority, index);
                }
                self.notify_work();
                return;
            }
        }
    }

    fn finish(&self, task: Running<'_>, outcome: u64, panic: Option<String>) {
        task.finish(&self.region, outcome, panic, |w| self.backend.wake_all(w));
        self.slot_freed();
    }

    // ---- shutdown -------------------------------------------------------------------------

    fn shut_down(&self, joins: Vec<WorkerJoin>) {
        self.word(region::H_SHUTDOWN).store(1, SeqCst);
        let epoch = self.word(region::H_WORK_EPOCH);
        epoch.fetch_add(1, SeqCst);
        self.backend.wake_all(epoch);
        self.bump_freed();
        for join in joins {
            join();
        }
        // Workers are gone: cancel what waits for a slot, then everything still queued.
        let pending: Vec<Pending> =
            self.pending.lock().unwrap_or_else(|e| e.into_inner()).drain(..).collect();
        for entry in pending {
            self.pending_len.fetch_sub(1, SeqCst);
            owned::cancel_unslotted(entry.cell, |w| self.backend.wake_all(w));
        }
        let workers = self.layout.config.workers as usize;
        for p in 0..PRIORITIES {
            let mut popped = Vec::new();
            for w in 0..workers {
                while let Some(index) = self.deque(w, p).pop(&self.region) {
                    popped.push(index);
                }
            }
            while let Some(index) = self.injectors[p].pop(&self.region) {
                popped.push(index);
            }
            for index in popped {
                self.count(p, -1);
                if let Popped::Run(task) = owned::claim(&self.region, &self.kinds, index, NO_OWNER - 1) {
                    self.finish(task, slot::CANCELLED, None);
                }
            }
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a task panicked with a non-string payload".to_owned()
    }
}

impl Shared {
    /// `TaskHandle::cancel`: flags the task; if it is still queued, cancels it right away.
    pub(crate) fn cancel(&self, cell: &CellHeader) {
        cell.cancel.store(1, SeqCst);
        let at = cell.slot.load(SeqCst);
        if at == kind::NO_SLOT {
            // Waiting for a slot: whoever installs it sees the flag and cancels it.
            return;
        }
        let (index, generation) = ((at >> 32) as u32, at as u32);
        let progress = self.slot_progress(index, generation).map(|(_, p)| p);
        // On a win (the task is still queued) the handle completes the cell; the worker that
        // pops the index only frees the slot and drops the slot's reference to the cell.
        owned::cancel_queued(&self.region, index, generation, cell, progress, |w| {
            self.backend.wake_all(w)
        });
    }
}

#[cfg(test)]
mod tests {
    //! Small end-to-end runs of the pool, sized so Miri checks the unsafe paths (region
    //! accesses, type-erased steps, completion cells) in reasonable time.
    use super::*;
    use crate::{Step, TaskError, TaskStatus};

    #[derive(Clone, Copy)]
    struct Sum {
        next: u64,
        end: u64,
        total: u64,
    }
    impl Task for Sum {
        type Output = u64;
        fn step(&mut self, budget: u32) -> Step<u64> {
            let stop = self.end.min(self.next + budget as u64);
            while self.next < stop {
                self.total += self.next;
                self.next += 1;
            }
            if self.next == self.end {
                Step::Done(self.total)
            } else {
                Step::Yielded
            }
        }
        fn progress(&self) -> Progress {
            Progress { done: self.next, total: Some(self.end) }
        }
    }

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
        Sum { next: 0, end: n, total: 0 }
    }

    #[test]
    fn spawn_join_cancel_panic_and_backpressure() {
        let n: u64 = if cfg!(miri) { 12 } else { 200 };
        let pool = Pool::builder().workers(2).slots(3).queue(2).build();
        let handles: Vec<_> = (0..n).map(|i| pool.spawn(sum(i * 10))).collect();
        let cancelled = pool.spawn_with_priority(sum(1 << 40), Priority::Background);
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
        assert_eq!(last.progress(), Progress { done: 3, total: Some(3) });
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
