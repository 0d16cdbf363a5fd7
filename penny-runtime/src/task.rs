//! The contract between a lowered kernel and whoever drives it.
//!
//! Invariants every implementation keeps (the macro's output does, and hand-written tasks
//! must):
//! - `step(0)` does no work and returns [`Step::Yielded`] (or [`Step::Done`] again when the
//!   task already finished).
//! - `step(b)` runs at most `b` iterations of the task's resumable loops, each iteration
//!   boundary counting one, and returns only at a boundary or at the end of the function.
//! - Once `step` returned `Done(v)`, every later call returns `Done(v)` again.
//! - The whole state is in `Self`: copying the bytes of a suspended task and stepping the copy
//!   continues exactly where the original stopped.

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
/// `done` counts iterations of the task's outermost resumable loops. `total` is known when
/// every outermost loop is a range loop whose length can be computed from the state (it may
/// become known only once the task reached the loop); it is `None` for `while` and `loop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Progress {
    /// Outermost-loop iterations finished so far.
    pub done: u64,
    /// Outermost-loop iterations in all, when known.
    pub total: Option<u64>,
}

impl Progress {
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
/// Implemented by the state struct `#[penny::task]` generates for a kernel; see the crate
/// docs for the invariants.
pub trait Task: Copy + Send + 'static {
    /// What the kernel returns (`()` when it returns nothing).
    type Output: Copy + Send + 'static;

    /// Runs at most `budget` loop iterations, stopping at an iteration boundary.
    fn step(&mut self, budget: u32) -> Step<Self::Output>;

    /// How far the task got, read from its loop cursors.
    fn progress(&self) -> Progress;
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
