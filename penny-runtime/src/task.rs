//! The contract between a lowered kernel and whoever drives it: [`Task`], and what its
//! `step` and `progress` return. The invariants are on the trait.

/// What one call to [`Task::step`] ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "a task that yielded must be stepped again to finish"]
pub enum Step<T> {
    /// The budget ran out at an iteration boundary; call `step` again to continue.
    Yielded,
    /// The function returned this value.
    Done(T),
}

impl<T> Step<T> {
    /// The output, if the task finished.
    pub fn done(self) -> Option<T> {
        match self {
            Step::Yielded => None,
            Step::Done(value) => Some(value),
        }
    }

    /// Whether the task finished.
    pub fn is_done(&self) -> bool {
        matches!(self, Step::Done(_))
    }
}

/// How far a task got, read from its loop cursors.
///
/// `done` counts iterations of the task's outermost resumable loops (its phases): one unit
/// per iteration, except that a phase whose body holds resumable loops of its own counts
/// [`Progress::NESTED_UNITS`] units per iteration, shared among those inner loops and
/// advanced by their cursors, so progress moves while they run. `total` is known when every
/// phase is a range loop whose length can be computed from the state (it may become known
/// only once the task reached the loop); it is `None` for `while` and `loop` until they end.
/// `done` never goes down, never passes `total`, and equals it once the task finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Progress {
    /// Units of work finished so far.
    pub done: u64,
    /// Units of work in all, when known. A handle reports `Some(u64::MAX)` as `None`: the
    /// pool stores "unknown" as that value.
    pub total: Option<u64>,
}

impl Progress {
    /// Units one iteration of a phase with resumable inner loops counts.
    pub const NESTED_UNITS: u64 = 1 << 16;

    /// `done / total` in `0.0..=1.0`, when the total is known (an empty task counts as 1.0).
    pub fn fraction(&self) -> Option<f64> {
        self.total.map(|total| {
            if total == 0 {
                1.0
            } else {
                self.done as f64 / total as f64
            }
        })
    }
}

/// A resumable computation whose whole state is `Self`.
///
/// Implemented by the state struct `#[penny::task]` generates for a kernel; hand-written
/// implementations (the pool's tests have several) must keep the same invariants.
///
/// # Invariants
///
/// - **The state is the task.** Everything the computation needs is in `Self`, which is
///   plain data (`Copy`, `Send`, `'static`): copying the bytes of a suspended task and
///   stepping the copy continues exactly where the original stopped. A pool moves a task
///   between workers only as those bytes (it never moves them in memory while the task
///   lives, but may run each chunk on a different thread).
/// - **`step(budget)` stops at iteration boundaries.** It runs at most `budget` iterations
///   of the task's resumable loops (each iteration boundary counts one) and returns only at
///   such a boundary or at the end of the function. The pool sizes budgets so a chunk takes
///   about its time slice, which only works if the work per call grows with `budget`.
/// - **`step(0)` does no work** and returns [`Step::Yielded`] (or [`Step::Done`] again when
///   the task already finished).
/// - **Done is final.** Once `step` returned `Done(v)`, every later call returns `Done(v)`
///   again.
/// - **`progress` only reads.** It derives the progress from the state, without side effects,
///   cheaply (the pool calls it once at spawn, after every chunk that yields, and when the
///   task ends), and `done` never decreases from one chunk to the next.
/// - **Panics fail the task.** A panic in `step`, in `progress` (or in the `Drop` of a panic
///   payload) ends this task with `TaskError::Panicked` and nothing else on a native pool;
///   a panic in the `progress` call at spawn reaches the caller of `spawn`. Output and
///   state are plain data, so a half-finished `step` leaves nothing to clean up.
/// - **Alignment.** A pool accepts states and outputs aligned to at most
///   [`MAX_TASK_ALIGN`] bytes; any size is accepted.
pub trait Task: Copy + Send + 'static {
    /// What the kernel returns (`()` when it returns nothing).
    type Output: Copy + Send + 'static;

    /// Runs at most `budget` loop iterations, stopping at an iteration boundary (see the
    /// trait's invariants).
    fn step(&mut self, budget: u32) -> Step<Self::Output>;

    /// How far the task got, read from its loop cursors, with no side effects.
    fn progress(&self) -> Progress;

    /// Splits off the upper part of the remaining iterations of the split loop
    /// (`#[penny::split]`) the task stands in ([`SplitState::Splittable`]), when each part
    /// keeps at least `min_iterations` of them: `self` keeps the lower part, the returned half (a copy of
    /// the state with the upper part and its reductions at their identity) runs the upper
    /// part and stops at the loop's end ([`SplitState::HalfDone`]). `None` (the default)
    /// when the task is not between chunks of a split loop, or the rest is too short.
    ///
    /// Called only between chunks; the half is stepped like any task and joined back with
    /// [`Task::join`]. No task code runs in user terms: the generated method only moves
    /// cursors.
    fn split(&mut self, min_iterations: u64) -> Option<Self> {
        let _ = min_iterations;
        None
    }

    /// Where the task stands with its split loop's halves (see [`SplitState`]).
    fn split_state(&self) -> SplitState {
        SplitState::Sequential
    }

    /// Folds a half this task split off (its latest one not joined yet), which has reached
    /// [`SplitState::HalfDone`], into `self`: its reductions are combined after this task's
    /// own (halves cover the iterations right after this task's part, latest split first).
    fn join(&mut self, half: &Self) {
        let _ = half;
    }

    /// Names the buffer views the task holds (`#[penny::task]` generates it for view
    /// arguments): a pool leases each while the task is in flight — see
    /// [`Buffer`](crate::Buffer). The default holds none.
    #[cfg(not(loom))]
    fn views(&self, visit: &mut dyn FnMut(crate::ViewRef)) {
        let _ = visit;
    }
}

/// Where a task stands with respect to the halves of its split loop.
///
/// A task that never splits is always [`SplitState::Sequential`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SplitState {
    /// Not between chunks of a split loop: step it; nothing to split.
    Sequential,
    /// At the start of a split loop, none of its iterations run yet: step it. What the
    /// task ran before says nothing about what this loop's iterations cost, so the pool
    /// measures them afresh (the next chunk is a one-iteration probe) before it splits.
    Starting,
    /// Between chunks of a split loop with iterations left: step it, or offer it a split.
    Splittable,
    /// It finished its part of a split loop, and halves it split off are not joined yet:
    /// `step` does nothing until every one of them, latest first, was [`Task::join`]ed.
    Joining,
    /// A half that finished its part (and joined its own halves): it waits to be joined
    /// into the task it was split from, and never runs what follows the loop.
    HalfDone,
}

/// Steps `task` with an unlimited budget until it finishes, and returns its output.
pub fn run_to_completion<T: Task>(mut task: T) -> T::Output {
    loop {
        if let Step::Done(output) = task.step(u32::MAX) {
            return output;
        }
    }
}

/// The largest alignment of a task's state or output that a [`Pool`](crate::Pool) accepts
/// (a page). States up to the slot's payload size and 64-byte alignment are stored in their
/// slot; larger or more aligned ones out of line; outputs go to the completion cell.
pub const MAX_TASK_ALIGN: usize = 4096;
