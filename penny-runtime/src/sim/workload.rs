//! Random workloads and the invariant checks of a simulated run (see the module above).

use crate::backend::sim::{self as simb, Sched, Sim};
use crate::budget::FIRST_MAX;
use crate::{Pool, Priority, Progress, SplitState, Step, Task, TaskError, TaskHandle, TaskStatus};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Observer turns a slot may stay free while a task waits for one.
const STARVED_TURNS: u32 = 400;
/// Scheduling steps after which a run counts as a livelock.
const MAX_STEPS: u64 = 400_000;
/// The pool's time slice in simulated nanoseconds.
const SLICE_NS: u64 = 50_000;
/// Most simulated work in one task.
const MAX_TASK_NS: u64 = 60 * SLICE_NS;

/// What one simulated task does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    /// Iterations.
    pub n: u64,
    /// Simulated nanoseconds per iteration.
    pub cost: u64,
    pub priority: Priority,
    /// `step` panics on reaching this iteration.
    pub panic_at: Option<u64>,
    /// `progress` panics once a chunk ran.
    pub progress_panics: bool,
    /// A task it spawns and joins in its first chunk (an index into the specs).
    pub child: Option<usize>,
    /// Spawned with `try_spawn` (which may refuse it).
    pub try_spawn: bool,
    /// Its loop is a split loop: the pool may split it into halves (its result is then a
    /// xor-reduction over the iterations instead of a chain).
    pub split: bool,
}

/// What the spawner does, in order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Action {
    /// Spawns spec `i` (a top-level one).
    Spawn(usize),
    /// Cancels the `k`th spawned task.
    Cancel(usize),
    /// Joins the `k`th spawned task now.
    Join(usize),
}

/// A whole run's input.
#[derive(Debug, Clone)]
pub(crate) struct Workload {
    pub workers: usize,
    pub slots: usize,
    pub queue: usize,
    pub specs: Vec<Spec>,
    pub actions: Vec<Action>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

impl Workload {
    /// The workload of `seed`.
    pub(crate) fn generate(seed: u64) -> Workload {
        let mut rng = Rng(seed ^ 0xC0FF_EE00_D15E_A5E5);
        let mut specs = Vec::new();
        let top = 4 + rng.below(20) as usize;
        let mut roots = Vec::new();
        for _ in 0..top {
            let root = Self::spec(&mut rng, &mut specs, 0);
            roots.push(root);
        }
        let mut actions = Vec::new();
        let mut spawned = 0;
        for root in roots {
            actions.push(Action::Spawn(root));
            spawned += 1;
            if rng.chance(15) {
                actions.push(Action::Cancel(rng.below(spawned) as usize));
            }
            if rng.chance(10) {
                actions.push(Action::Join(rng.below(spawned) as usize));
            }
        }
        Workload {
            workers: 1 + rng.below(4) as usize,
            slots: 1 + rng.below(6) as usize,
            queue: rng.below(4) as usize,
            specs,
            actions,
        }
    }

    fn spec(rng: &mut Rng, specs: &mut Vec<Spec>, depth: u32) -> usize {
        let n = match rng.below(10) {
            0 => 0,
            1..=3 => 1 + rng.below(30),
            4..=7 => 30 + rng.below(600),
            _ => 600 + rng.below(4000),
        };
        let cost = [1, 20, 300, 5_000, 40_000, 120_000][rng.below(6) as usize];
        // At most ~60 slices of simulated work per task: long enough to be preempted and to
        // migrate many times, short enough that a run stays a few thousand steps.
        let n = n.min(MAX_TASK_NS / cost + 1);
        let priority = Priority::ALL[rng.below(3) as usize];
        let panic_at = (n > 0 && rng.chance(6)).then(|| rng.below(n));
        let progress_panics = panic_at.is_none() && rng.chance(3);
        let try_spawn = depth == 0 && rng.chance(10);
        let split = n >= 2 && rng.chance(30);
        let index = specs.len();
        specs.push(Spec {
            n,
            cost,
            priority,
            panic_at,
            progress_panics,
            child: None,
            try_spawn,
            split,
        });
        // A child only under a task that does not fail (so its join's result is known).
        if depth < 2 && panic_at.is_none() && !progress_panics && rng.chance(12) {
            let child = Self::spec(rng, specs, depth + 1);
            let child = Self::without_failures(specs, child);
            specs[index].child = Some(child);
        }
        index
    }

    fn without_failures(specs: &mut [Spec], i: usize) -> usize {
        specs[i].panic_at = None;
        specs[i].progress_panics = false;
        i
    }

    /// What spec `i` returns when it runs to its end, or `None` when it fails.
    pub(crate) fn expected(&self, i: usize) -> Option<u64> {
        let s = self.specs[i];
        if s.panic_at.is_some() || s.progress_panics {
            return None;
        }
        let mut acc = seed_of(i);
        if let Some(c) = s.child {
            acc ^= self.expected(c).expect("children do not fail");
        }
        for k in 0..s.n {
            acc = if s.split {
                acc ^ mix(SPLIT_SALT, k)
            } else {
                mix(acc, k)
            };
        }
        Some(acc)
    }
}

/// What an iteration of a split task contributes: `mix(SPLIT_SALT, k)`, xored in.
const SPLIT_SALT: u64 = 0x5151_5151;

fn seed_of(i: usize) -> u64 {
    0x243F_6A88_85A3_08D3 ^ (i as u64).wrapping_mul(0x1357_9BDF_2468_ACE1)
}

fn mix(mut acc: u64, i: u64) -> u64 {
    acc ^= i.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    acc ^= acc >> 31;
    acc.wrapping_mul(0x94D0_49BB_1331_11EB)
}

/// Per-task counters that catch a task stepped twice at once or ending twice.
#[derive(Debug, Default)]
struct Probe {
    in_step: AtomicU32,
    done: AtomicU32,
}

/// A spawned task: its spec, its handle, the largest progress seen through the handle.
type Live = (usize, TaskHandle<u64>, u64);

/// What the tasks, the spawner and the observer of one run share.
struct RunState {
    workload: Workload,
    probes: Vec<Probe>,
    pool: Mutex<Option<Arc<Pool>>>,
    /// Spawned handles, with the largest progress seen (taken out when joined).
    live: Mutex<Vec<Option<Live>>>,
    done: AtomicBool,
}

impl RunState {
    fn pool(&self) -> Option<Arc<Pool>> {
        self.pool.lock().unwrap().clone()
    }
}

/// A simulated task: iterations of `mix` that each cost `cost` simulated nanoseconds. A
/// split spec's loop is a split loop written as the macro lowers one (`stop`, `halves`,
/// `half`), reducing with `^`.
#[derive(Clone, Copy)]
struct SimTask {
    spec: usize,
    i: u64,
    acc: u64,
    chunks: u32,
    /// Where this part stops.
    stop: u64,
    /// Halves split off and not joined.
    halves: u32,
    /// Whether this is a half.
    half: bool,
    run: &'static RunState,
}

impl SimTask {
    fn new(spec: usize, run: &'static RunState) -> SimTask {
        SimTask {
            spec,
            i: 0,
            acc: seed_of(spec),
            chunks: 0,
            stop: run.workload.specs[spec].n,
            halves: 0,
            half: false,
            run,
        }
    }
}

impl Task for SimTask {
    type Output = u64;

    fn step(&mut self, budget: u32) -> Step<u64> {
        let run = self.run;
        let spec = run.workload.specs[self.spec];
        let probe = &run.probes[self.spec];
        let id = self.spec;
        // The halves of a split task run at once by design; any other task never does.
        if !spec.split && probe.in_step.swap(1, SeqCst) != 0 {
            simb::fail(format!("task {id} is stepped by two workers at once"));
        }
        self.chunks += 1;
        let chunk = self.chunks;
        if let Some(pool) = run.pool() {
            let more = pool.queued_more_urgent_than(spec.priority);
            if more != 0 {
                simb::fail(format!(
                    "task {id} ({:?}) starts chunk {chunk} while {more} more urgent tasks are queued",
                    spec.priority
                ));
            }
        }
        let take = (self.stop - self.i).min(budget as u64);
        simb::trace(|| {
            format!(
                "task {id} chunk {chunk}: budget {budget}, runs {take} x {} ns",
                spec.cost
            )
        });
        if chunk == 1 && take > FIRST_MAX as u64 {
            simb::fail(format!(
                "task {id}'s first chunk runs {take} iterations (more than {FIRST_MAX})"
            ));
        }
        if chunk >= 2 && take * spec.cost > SLICE_NS + spec.cost {
            simb::fail(format!(
                "task {id}'s chunk {chunk} overruns the slice: {take} iterations of {} ns = {} ns > {SLICE_NS} + {} ns",
                spec.cost,
                take * spec.cost,
                spec.cost
            ));
        }
        if chunk == 1 {
            if let Some(child) = spec.child {
                let pool = run.pool().expect("the pool lives while tasks run");
                let h = pool
                    .task(SimTask::new(child, run))
                    .priority(run.workload.specs[child].priority)
                    .spawn();
                drop(pool);
                match h.join() {
                    Ok(v) => self.acc ^= v,
                    Err(e) => simb::fail(format!("task {id}'s child {child} ended with {e}")),
                }
            }
        }
        if let Some(at) = spec.panic_at {
            if at >= self.i && at < self.i + take {
                simb::advance((at - self.i) * spec.cost);
                if !spec.split {
                    probe.in_step.store(0, SeqCst);
                }
                panic!("sim panic");
            }
        }
        simb::advance(take * spec.cost);
        for k in self.i..self.i + take {
            self.acc = if spec.split {
                self.acc ^ mix(SPLIT_SALT, k)
            } else {
                mix(self.acc, k)
            };
        }
        self.i += take;
        if !spec.split {
            probe.in_step.store(0, SeqCst);
        }
        if self.i < self.stop || self.halves != 0 || self.half {
            return Step::Yielded;
        }
        if self.i == spec.n {
            if probe.done.fetch_add(1, SeqCst) != 0 {
                simb::fail(format!("task {id} finished twice"));
            }
            Step::Done(self.acc)
        } else {
            Step::Yielded
        }
    }

    fn progress(&self) -> Progress {
        if self.chunks > 0 && self.run.workload.specs[self.spec].progress_panics {
            panic!("sim progress panic");
        }
        Progress {
            done: self.i,
            total: Some(self.run.workload.specs[self.spec].n),
        }
    }

    fn split(&mut self, min_iterations: u64) -> Option<SimTask> {
        // The pool took a free slot for the half before asking: other threads may run now
        // (a slot freed meanwhile must still reach a spawner waiting for one).
        simb::point();
        if !self.run.workload.specs[self.spec].split || self.i >= self.stop {
            return None;
        }
        let rest = self.stop - self.i;
        if rest < 2 * min_iterations.max(1) {
            return None;
        }
        let mid = self.i + rest / 2;
        let half = SimTask {
            i: mid,
            acc: 0,
            halves: 0,
            half: true,
            ..*self
        };
        self.stop = mid;
        self.halves += 1;
        simb::trace(|| format!("task {} splits at {mid}", self.spec));
        Some(half)
    }

    fn split_state(&self) -> SplitState {
        match (self.i < self.stop, self.halves, self.half) {
            (true, _, _) => SplitState::Splittable,
            (false, 0, true) => SplitState::HalfDone,
            (false, 0, false) => SplitState::Sequential,
            (false, _, _) => SplitState::Joining,
        }
    }

    fn join(&mut self, half: &SimTask) {
        if half.i != half.stop || half.halves != 0 {
            simb::fail(format!("task {} joined an unfinished half", self.spec));
        }
        self.acc ^= half.acc;
        self.i = half.stop;
        self.stop = half.stop;
        self.halves -= 1;
    }
}

/// Runs the workload of `seed` in the simulation.
pub(crate) fn run(seed: u64, traced: bool) -> (Result<(), String>, Vec<String>) {
    let workload = Workload::generate(seed);
    Sched::run(seed, MAX_STEPS, traced, move || drive(workload))
}

static SIM: Sim = Sim;

/// The spawner: builds the pool, runs the actions, joins everything, checks the results.
/// On a deadlock it unwinds (`Stop`) and leaks the pool and the run's state on purpose: the
/// pool's blocked threads never run again.
fn drive(workload: Workload) {
    let state: &'static RunState = Box::leak(Box::new(RunState {
        probes: (0..workload.specs.len())
            .map(|_| Probe::default())
            .collect(),
        workload,
        pool: Mutex::new(None),
        live: Mutex::new(Vec::new()),
        done: AtomicBool::new(false),
    }));
    let w = &state.workload;
    simb::trace(|| format!("workload: {w:?}"));
    let pool = ManuallyDrop::new(Arc::new(
        Pool::builder()
            .workers(w.workers)
            .slots(w.slots)
            .queue(w.queue)
            .time_slice(Duration::from_nanos(SLICE_NS))
            .build_on(&SIM)
            .expect("the simulated pool builds"),
    ));
    *state.pool.lock().unwrap() = Some(Arc::clone(&pool));
    let observer = simb::spawn("observer".to_owned(), move || observe(state));
    let mut cancelled = Vec::new();
    for &action in &w.actions {
        simb::point();
        match action {
            Action::Spawn(i) => {
                let spec = w.specs[i];
                let task = SimTask::new(i, state);
                let builder = pool.task(task).priority(spec.priority);
                simb::trace(|| format!("spawn task {i}"));
                let handle = if spec.try_spawn {
                    builder.try_spawn().ok()
                } else {
                    Some(builder.spawn())
                };
                cancelled.push(false);
                state.live.lock().unwrap().push(handle.map(|h| (i, h, 0)));
            }
            Action::Cancel(k) => {
                cancelled[k] = true;
                let live = state.live.lock().unwrap();
                if let Some((i, h, _)) = &live[k] {
                    let before = h.status();
                    simb::trace(|| format!("cancel task {i} ({before:?})"));
                    h.cancel();
                    if before == TaskStatus::Queued && !h.is_finished() {
                        simb::fail(format!("cancelling queued task {i} did not end it at once"));
                    }
                }
            }
            Action::Join(k) => join(state, k, cancelled[k]),
        }
    }
    for (k, &cancelled) in cancelled.iter().enumerate() {
        join(state, k, cancelled);
    }
    state.done.store(true, SeqCst);
    if let Err(e) = observer.join() {
        simb::fail(format!("observer: {e}"));
    }
    // A task cancelled while queued ended when its handle cancelled it; its slot is freed
    // when a worker pops its index. Let the workers get there, then every slot is free.
    let mut turns = 0;
    while pool.free_slots() != w.slots && turns < 10_000 {
        simb::point();
        turns += 1;
    }
    if pool.free_slots() != w.slots {
        simb::fail(format!(
            "slot leak: {} of {} slots free after every task ended",
            pool.free_slots(),
            w.slots
        ));
    }
    *state.pool.lock().unwrap() = None;
    drop(ManuallyDrop::into_inner(pool));
    for (i, probe) in state.probes.iter().enumerate() {
        if probe.in_step.load(SeqCst) != 0 {
            simb::fail(format!("task {i} was left mid-step"));
        }
    }
}

/// Joins the `k`th spawned task (if still there) and checks its result.
fn join(state: &'static RunState, k: usize, cancelled: bool) {
    let taken = state.live.lock().unwrap()[k].take();
    let Some((i, h, _)) = taken else {
        return;
    };
    simb::trace(|| format!("join task {i}"));
    let result = h.join();
    let expected = state.workload.expected(i);
    simb::trace(|| format!("task {i} ended: {result:?}"));
    let ok = match (&result, expected) {
        (Ok(v), Some(e)) => *v == e,
        (Err(TaskError::Cancelled), _) => cancelled,
        (Err(TaskError::Panicked(m)), None) => m == "sim panic" || m == "sim progress panic",
        _ => false,
    };
    if !ok {
        simb::fail(format!(
            "task {i} ended with {result:?}, expected {expected:?} (cancelled: {cancelled})"
        ));
    }
    let done = state.probes[i].done.load(SeqCst);
    if done > 1 {
        simb::fail(format!("task {i} finished {done} times"));
    }
}

/// The observer: at each of its turns, polls every live handle's progress (it must never go
/// backwards) and the pool's free slots (within bounds).
fn observe(state: &'static RunState) {
    // Observer turns in a row that found a slot free while a task waited for one.
    let mut starved = 0u32;
    while !state.done.load(SeqCst) {
        simb::point();
        if let Some(pool) = state.pool() {
            let free = pool.free_slots();
            if free > pool.slots() {
                simb::fail(format!("free_slots() = {free} with {} slots", pool.slots()));
            }
            // A freed slot goes to a waiting task within a few steps (whoever frees one
            // drains the spawner-side queue); one left free for long is a lost wake-up.
            if free > 0 && pool.waiting_for_slot() > 0 {
                starved += 1;
                if starved > STARVED_TURNS {
                    simb::fail(format!(
                        "a slot stayed free for {STARVED_TURNS} observer turns while {} task(s) waited for one",
                        pool.waiting_for_slot()
                    ));
                }
            } else {
                starved = 0;
            }
        }
        let mut live = state.live.lock().unwrap();
        for (i, h, seen) in live.iter_mut().flatten() {
            let done = h.progress().done;
            if done < *seen {
                simb::fail(format!(
                    "task {i}'s progress went back from {seen} to {done}"
                ));
            }
            *seen = done.max(*seen);
        }
    }
}
