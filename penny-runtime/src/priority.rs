//! The public vocabulary of the scheduler: priorities, task states and errors.

use core::fmt;

/// How urgent a task is. The names follow the web's `scheduler.postTask` priorities.
///
/// Workers always take the most urgent queued task first, and a running task is preempted at
/// its next chunk boundary when a more urgent one is waiting.
///
/// When every slot is taken, tasks wait for one in the spawner-side queue, and a slot that
/// frees goes to the most urgent of them (in spawn order within a priority). A preempted task
/// keeps its slot, so a task waiting for a slot can't take a running one's: give the pool
/// more slots than the tasks it keeps in flight, to leave room for urgent ones.
///
/// Priorities are strict: a preempted task makes no progress for as long as more urgent
/// work keeps every worker busy, however long that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum Priority {
    /// Work the user is waiting on right now (input responses, the next frame).
    UserBlocking = 0,
    /// Work whose result the user will see soon (the default).
    #[default]
    UserVisible = 1,
    /// Work nobody is waiting on (prefetching, indexing, analytics).
    Background = 2,
}

impl Priority {
    pub(crate) const ALL: [Priority; 3] = [
        Priority::UserBlocking,
        Priority::UserVisible,
        Priority::Background,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn from_index(index: u8) -> Priority {
        Priority::ALL[index as usize]
    }
}

/// Where a task is in its life, as seen from its handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Waiting for a worker (in a queue, or in the spawner-side queue while slots are full).
    Queued,
    /// A worker is stepping it (or finishing it right now).
    Running,
    /// It returned; [`TaskHandle::join`](crate::TaskHandle::join) gives its output.
    Done,
    /// It was cancelled (by its handle, or because the pool was dropped) before it finished.
    Cancelled,
    /// It panicked; the handle's result carries the message.
    Failed,
}

impl TaskStatus {
    /// Whether the task ended (done, cancelled or failed).
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            TaskStatus::Done | TaskStatus::Cancelled | TaskStatus::Failed
        )
    }
}

/// Why a task produced no output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskError {
    /// It was cancelled before it finished: by [`TaskHandle::cancel`](crate::TaskHandle::cancel),
    /// or because its pool was dropped.
    Cancelled,
    /// Its `step` panicked, with this message. The worker and every other task carried on.
    Panicked(String),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("the task was cancelled"),
            TaskError::Panicked(message) => write!(f, "the task panicked: {message}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// [`Pool::try_spawn`](crate::Pool::try_spawn) could not take the task; it is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySpawnError<T> {
    /// Every slot is taken (or tasks are already waiting for one); try again later, or use
    /// [`Pool::spawn`](crate::Pool::spawn), which waits.
    Full(T),
}

impl<T> TrySpawnError<T> {
    /// The task that was not spawned.
    pub fn into_task(self) -> T {
        match self {
            TrySpawnError::Full(task) => task,
        }
    }

    /// The task that was not spawned (same as [`into_task`](Self::into_task)).
    pub fn into_inner(self) -> T {
        self.into_task()
    }
}

impl<T> fmt::Debug for TrySpawnError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySpawnError::Full(_) => f.write_str("Full(..)"),
        }
    }
}

impl<T> fmt::Display for TrySpawnError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySpawnError::Full(_) => f.write_str("every task slot of the pool is taken"),
        }
    }
}

impl<T> std::error::Error for TrySpawnError<T> {}
