//! The simulation backend: real threads that run one at a time.
//!
//! A [`Sched`] hands a baton between the threads of one simulated run. Only the thread
//! holding it runs; at every choice point (the backend's `point`, `yield_now` and `wait`, a
//! thread's start and end) a generator seeded by the run's seed picks which runnable thread
//! holds it next. Waiting is futex-like: `wait(word, expected)` blocks the thread while the
//! word holds `expected`, `wake_one` (one blocked thread, picked by the generator) and
//! `wake_all` make waiters runnable again. So everything between two choice points happens
//! atomically, and the whole run follows from the seed.
//!
//! Time is virtual: each thread has a clock, advanced only by simulated work
//! ([`advance`]); a woken thread's clock catches up with its waker's (it resumes after the
//! wake). The pool reads it through `now_nanos`, so budgets adapt to simulated costs.
//!
//! When every thread that has not ended is blocked, the run is deadlocked: the failure is
//! recorded and thread 0 (the run's own thread) gets the baton back with a [`Stop`] panic;
//! the blocked threads are left blocked (leaked: only failing runs do this).

use super::{Backend, Spins, WorkerJoin};
use crate::sync::{AtomicU32, Ordering::SeqCst};
use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard, Once};

/// Why a thread stopped: the run is over (deadlock, too many steps). Thread 0 unwinds with
/// it; the harness catches it.
#[derive(Debug)]
pub(crate) struct Stop;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Runnable,
    /// Blocked on a key: a word's address, or [`join_key`] of a thread.
    Blocked(usize),
    Done,
}

#[derive(Debug)]
struct Thread {
    name: String,
    state: State,
    clock: u64,
    /// The OS thread, unparked when it gets the baton (`None` until it started).
    os: Option<std::thread::Thread>,
}

#[derive(Debug)]
struct Inner {
    threads: Vec<Thread>,
    running: usize,
    rng: u64,
    steps: u64,
    max_steps: u64,
    failure: Option<String>,
    /// The run is over (deadlock or too many steps): nothing is scheduled any more.
    stopped: bool,
    trace: Option<Vec<String>>,
}

impl Inner {
    fn next_random(&mut self) -> u64 {
        // splitmix64: a good spread from consecutive seeds.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<T: Copy>(&mut self, among: &[T]) -> Option<T> {
        if among.is_empty() {
            return None;
        }
        let at = (self.next_random() % among.len() as u64) as usize;
        Some(among[at])
    }

    fn runnable(&self) -> Vec<usize> {
        (0..self.threads.len())
            .filter(|&i| self.threads[i].state == State::Runnable)
            .collect()
    }

    fn log(&mut self, line: impl FnOnce() -> String) {
        if let Some(trace) = &mut self.trace {
            trace.push(line());
        }
    }

    fn fail(&mut self, message: String) {
        self.log(|| format!("FAILURE: {message}"));
        self.failure.get_or_insert(message);
    }
}

/// The scheduler of one simulated run.
#[derive(Debug)]
pub(crate) struct Sched {
    inner: Mutex<Inner>,
}

thread_local! {
    static CURRENT: RefCell<Option<(Arc<Sched>, usize)>> = const { RefCell::new(None) };
}

fn join_key(id: usize) -> usize {
    usize::MAX - id
}

/// The simulated thread running on this OS thread, if any.
fn current() -> Option<(Arc<Sched>, usize)> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Advances the calling simulated thread's clock by `ns` (simulated work).
pub(crate) fn advance(ns: u64) {
    if let Some((sched, me)) = current() {
        let mut g = sched.lock();
        g.threads[me].clock += ns;
    }
}

/// Records a failure of the run the calling thread belongs to (the first one is kept).
pub(crate) fn fail(message: String) {
    if let Some((sched, _)) = current() {
        sched.lock().fail(message);
    }
}

/// Adds a line to the run's trace, when it keeps one.
pub(crate) fn trace(line: impl FnOnce() -> String) {
    if let Some((sched, me)) = current() {
        let mut g = sched.lock();
        let clock = g.threads[me].clock;
        let name = g.threads[me].name.clone();
        g.log(|| format!("{clock:>10} {name:<12} {}", line()));
    }
}

/// A choice point for the calling simulated thread (other threads may run).
pub(crate) fn point() {
    if let Some((sched, me)) = current() {
        sched.point(me);
    }
}

/// Starts a simulated thread of the calling thread's run.
pub(crate) fn spawn(name: String, body: impl FnOnce() + Send + 'static) -> SimJoin {
    let (sched, _) = current().expect("penny sim: spawn outside a simulated run");
    let id = sched.spawn(name, Box::new(body));
    SimJoin { sched, id }
}

/// Waits for a simulated thread to end.
#[derive(Debug)]
pub(crate) struct SimJoin {
    sched: Arc<Sched>,
    id: usize,
}

impl SimJoin {
    /// Blocks (a choice point) until the thread ended; `Err` with its panic message if it
    /// panicked.
    pub(crate) fn join(self) -> Result<(), String> {
        let (_, me) = current().expect("penny sim: join outside a simulated run");
        let id = self.id;
        self.sched
            .block(me, join_key(id), |g| g.threads[id].state != State::Done);
        Ok(())
    }
}

impl Sched {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `body` as thread 0 of a run seeded with `seed`, on the calling thread. Returns
    /// the first failure recorded (or the panic of `body`, or the deadlock), and the trace
    /// when `traced`.
    pub(crate) fn run(
        seed: u64,
        max_steps: u64,
        traced: bool,
        body: impl FnOnce(),
    ) -> (Result<(), String>, Vec<String>) {
        let sched = Arc::new(Sched {
            inner: Mutex::new(Inner {
                threads: vec![Thread {
                    name: "main".to_owned(),
                    state: State::Runnable,
                    clock: 0,
                    os: Some(std::thread::current()),
                }],
                running: 0,
                rng: seed ^ 0x5DEE_CE66_D1CE_5EED,
                steps: 0,
                max_steps,
                failure: None,
                stopped: false,
                trace: traced.then(Vec::new),
            }),
        });
        quiet_panics();
        CURRENT.with(|c| *c.borrow_mut() = Some((sched.clone(), 0)));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
        CURRENT.with(|c| *c.borrow_mut() = None);
        let mut g = sched.lock();
        if let Err(panic) = outcome {
            if panic.downcast_ref::<Stop>().is_none() {
                let message = crate::pool::payload_text(&*panic);
                g.fail(format!("main panicked: {message}"));
            }
        }
        if !g.stopped {
            let alive: Vec<String> = g.threads[1..]
                .iter()
                .filter(|t| t.state != State::Done)
                .map(|t| t.name.clone())
                .collect();
            if !alive.is_empty() {
                g.fail(format!("threads still alive at the end: {alive:?}"));
            }
        }
        let failure = g.failure.clone();
        let trace = g.trace.take().unwrap_or_default();
        (failure.map_or(Ok(()), Err), trace)
    }

    /// Hands the baton to a runnable thread picked at random (maybe `me`, if runnable), and
    /// returns once `me` holds it again.
    fn hand_over<'a>(&'a self, mut g: MutexGuard<'a, Inner>, me: usize) -> MutexGuard<'a, Inner> {
        g.steps += 1;
        if g.steps > g.max_steps && !g.stopped {
            let steps = g.max_steps;
            g.fail(format!("no end after {steps} scheduling steps (livelock?)"));
            return self.stop(g, me);
        }
        let runnable = g.runnable();
        match g.pick(&runnable) {
            Some(next) => {
                if next != me {
                    let name = g.threads[next].name.clone();
                    g.log(|| format!("{:>10} -> {name}", ""));
                    Self::give(&mut g, next);
                }
            }
            None => {
                let blocked: Vec<String> = g
                    .threads
                    .iter()
                    .filter(|t| t.state != State::Done)
                    .map(|t| t.name.clone())
                    .collect();
                g.fail(format!(
                    "deadlock: every live thread is blocked: {blocked:?}"
                ));
                return self.stop(g, me);
            }
        }
        self.wait_turn(g, me)
    }

    /// Gives the baton to `next`: one unpark, so only that thread wakes.
    fn give(g: &mut Inner, next: usize) {
        g.running = next;
        if let Some(os) = &g.threads[next].os {
            os.unpark();
        }
    }

    /// Returns once `me` holds the baton and is runnable (parking the OS thread meanwhile).
    fn wait_turn<'a>(&'a self, mut g: MutexGuard<'a, Inner>, me: usize) -> MutexGuard<'a, Inner> {
        while g.running != me || g.threads[me].state != State::Runnable {
            if g.stopped && me == 0 {
                drop(g);
                std::panic::panic_any(Stop);
            }
            drop(g);
            std::thread::park();
            g = self.lock();
        }
        g
    }

    /// Ends the run: thread 0 unwinds with [`Stop`], every other thread stays blocked.
    fn stop<'a>(&'a self, mut g: MutexGuard<'a, Inner>, me: usize) -> MutexGuard<'a, Inner> {
        g.stopped = true;
        Self::give(&mut g, 0);
        if me == 0 {
            drop(g);
            std::panic::panic_any(Stop);
        }
        drop(g);
        loop {
            std::thread::park();
        }
    }

    fn point(&self, me: usize) {
        let g = self.lock();
        if g.stopped {
            return;
        }
        drop(self.hand_over(g, me));
    }

    /// Blocks `me` on `key` while `still(..)` holds (checked under the lock, as a futex
    /// checks its word).
    fn block(&self, me: usize, key: usize, still: impl Fn(&Inner) -> bool) {
        let mut g = self.lock();
        if g.stopped || !still(&g) {
            return;
        }
        g.threads[me].state = State::Blocked(key);
        drop(self.hand_over(g, me));
    }

    fn wake(&self, me: usize, key: usize, all: bool) {
        let mut g = self.lock();
        let waiting: Vec<usize> = (0..g.threads.len())
            .filter(|&i| g.threads[i].state == State::Blocked(key))
            .collect();
        let chosen = if all {
            waiting
        } else {
            g.pick(&waiting).into_iter().collect()
        };
        let clock = g.threads[me].clock;
        for i in chosen {
            let t = &mut g.threads[i];
            t.state = State::Runnable;
            t.clock = t.clock.max(clock);
        }
    }

    fn spawn(self: &Arc<Self>, name: String, body: Box<dyn FnOnce() + Send>) -> usize {
        let mut g = self.lock();
        let id = g.threads.len();
        let clock = current().map_or(0, |(_, me)| g.threads[me].clock);
        g.threads.push(Thread {
            name: name.clone(),
            state: State::Runnable,
            clock,
            os: None,
        });
        g.log(|| format!("{:>10} spawn {name}", ""));
        drop(g);
        let sched = self.clone();
        std::thread::Builder::new()
            .name(format!("penny-sim-{name}"))
            .spawn(move || {
                CURRENT.with(|c| *c.borrow_mut() = Some((sched.clone(), id)));
                let mut g = sched.lock();
                g.threads[id].os = Some(std::thread::current());
                drop(sched.wait_turn(g, id));
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
                let mut g = sched.lock();
                if let Err(panic) = outcome {
                    let message = crate::pool::payload_text(&*panic);
                    let name = g.threads[id].name.clone();
                    g.fail(format!("thread {name} panicked: {message}"));
                }
                g.threads[id].state = State::Done;
                drop(g);
                sched.wake(id, join_key(id), true);
                let mut g = sched.lock();
                if g.stopped {
                    return;
                }
                // Pass the baton on; this thread is done and never gets it back.
                let runnable = g.runnable();
                match g.pick(&runnable) {
                    Some(next) => Self::give(&mut g, next),
                    None => {
                        g.fail("deadlock: every live thread is blocked".to_owned());
                        g.stopped = true;
                        Self::give(&mut g, 0);
                    }
                }
            })
            .expect("penny sim: cannot start a thread");
        id
    }
}

/// Task panics are part of the workloads: don't print them for simulated threads (the
/// run's failure, if any, says what went wrong). Other threads keep the default output.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let simulated = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("penny-sim-"))
                || current().is_some();
            if !simulated {
                default(info);
            }
        }));
    });
}

/// The pool's backend in a simulated run.
#[derive(Debug)]
pub(crate) struct Sim;

fn me() -> (Arc<Sched>, usize) {
    current().expect("penny sim: a pool built on the simulation backend is used outside its run")
}

impl Backend for Sim {
    fn spawn_worker(
        &self,
        _pool: usize,
        index: usize,
        _stack: usize,
        body: Box<dyn FnOnce() + Send>,
    ) -> Result<WorkerJoin, String> {
        let join = spawn(format!("worker-{index}"), body);
        Ok(Box::new(move || {
            join.join()
                .map_err(|m| Box::new(m) as Box<dyn std::any::Any + Send>)
        }))
    }

    fn wait(&self, word: &AtomicU32, expected: u32) {
        let (sched, me) = me();
        let key = word as *const AtomicU32 as usize;
        sched.block(me, key, |_| word.load(SeqCst) == expected);
    }

    fn wake_one(&self, word: &AtomicU32) {
        let (sched, me) = me();
        sched.wake(me, word as *const AtomicU32 as usize, false);
    }

    fn wake_all(&self, word: &AtomicU32) {
        let (sched, me) = me();
        sched.wake(me, word as *const AtomicU32 as usize, true);
    }

    fn yield_now(&self) {
        let (sched, me) = me();
        sched.point(me);
    }

    fn now_nanos(&self) -> Option<u64> {
        let (sched, me) = me();
        let g = sched.lock();
        Some(g.threads[me].clock)
    }

    fn default_workers(&self) -> usize {
        2
    }

    fn spins(&self) -> Spins {
        Spins {
            idle: 0,
            idle_yields: 1,
            join: 0,
        }
    }

    fn simulated(&self) -> bool {
        true
    }

    fn point(&self) {
        let (sched, me) = me();
        sched.point(me);
    }
}
