//! Fork/join over tasks, in the spirit of the 2012 proposal's `fork` / `forkN` / `get`:
//! [`Pool::join`] runs two tasks and returns both results, [`Pool::fork_n`] runs `n` tasks of
//! one kind and returns their results in order, [`Pool::scope`] runs any tasks and returns
//! once all of them ended. [`Pool::join_async`] is `join` as a future.
//!
//! All of them spawn, then join through [`TaskHandle::join`]: from a thread that blocks (never
//! a browser's main thread); from inside a task of the same pool, the joining worker runs
//! other work meanwhile (see `pool::join`), so nothing deadlocks, on one worker too.
//!
//! A fork that unwinds before it joined (a `make` or `scope` closure panicked, or a spawn
//! did: the task's `progress`, a refused view lease) first waits for every task it already
//! spawned, then goes on unwinding — as rayon's `join` and `scope` do: when the panic
//! reaches the caller, nothing the fork started is still running. (`join_async`, which
//! returns a future and may not block, cancels its first task instead.)

use super::Pool;
use crate::handle::TaskHandle;
use crate::priority::TaskError;
use crate::Task;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// A task's result: its output, or why there is none.
pub type TaskResult<T> = Result<T, TaskError>;

impl Pool {
    /// Runs `a` and `b` in parallel and returns both results once both ended.
    ///
    /// ```
    /// # use penny_runtime::{Pool, Progress, Step, Task};
    /// # #[derive(Clone, Copy)] struct Sq(u64);
    /// # impl Task for Sq { type Output = u64;
    /// #   fn step(&mut self, _: u32) -> Step<u64> { Step::Done(self.0 * self.0) }
    /// #   fn progress(&self) -> Progress { Progress::default() } }
    /// let pool = Pool::builder().workers(2).build();
    /// assert_eq!(pool.join(Sq(3), Sq(4)), (Ok(9), Ok(16)));
    /// ```
    pub fn join<A: Task, B: Task>(
        &self,
        a: A,
        b: B,
    ) -> (TaskResult<A::Output>, TaskResult<B::Output>) {
        let a = Forked(vec![self.spawn(a)]);
        let b = self.spawn(b);
        (a.join_all().remove(0), b.join())
    }

    /// [`join`](Self::join) as a future: resolves to both results once both tasks ended.
    ///
    /// If spawning `b` panics, `a` is cancelled before the panic goes on (a future's maker
    /// may not block to wait for it, as `join` does).
    pub fn join_async<A: Task, B: Task>(&self, a: A, b: B) -> JoinBoth<A::Output, B::Output> {
        let a = self.spawn(a);
        let cancel_a = CancelOnUnwind(&a);
        let b = self.spawn(b);
        core::mem::forget(cancel_a);
        JoinBoth {
            a: Half::Running(a),
            b: Half::Running(b),
        }
    }

    /// Spawns `make(0)`, ..., `make(n - 1)` and returns their results in that order.
    pub fn fork_n<T: Task>(
        &self,
        n: usize,
        make: impl FnMut(usize) -> T,
    ) -> Vec<TaskResult<T::Output>> {
        let mut make = make;
        let mut forked = Forked(Vec::with_capacity(n));
        for i in 0..n {
            let task = make(i);
            forked.0.push(self.spawn(task));
        }
        forked.join_all()
    }

    /// Runs `f`, which may spawn any tasks through the [`Scope`], and returns once every one
    /// of them ended: `Ok` with `f`'s value, or the first task error (in spawn order). Tasks
    /// hand results back through their outputs' side effects (`Out` views); for outputs use
    /// [`join`](Self::join) or [`fork_n`](Self::fork_n).
    pub fn scope<R>(&self, f: impl FnOnce(&Scope<'_>) -> R) -> TaskResult<R> {
        let scope = Scope {
            pool: self,
            spawned: core::cell::RefCell::new(Vec::new()),
        };
        // If `f` (or a spawn in it) panics, `Scope`'s drop waits for what was spawned.
        let value = f(&scope);
        let mut first_error = None;
        for wait in scope.spawned.take() {
            if let Err(e) = wait() {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }
}

/// What [`Pool::scope`]'s closure spawns through.
pub struct Scope<'p> {
    pool: &'p Pool,
    /// A join per spawned task, run when the scope ends (by `Pool::scope`, or by the drop
    /// when the scope unwinds).
    spawned: core::cell::RefCell<Vec<Wait<'p>>>,
}

impl Drop for Scope<'_> {
    /// Only on unwinding is anything left here: waits for every task spawned so far.
    fn drop(&mut self) {
        for wait in self.spawned.take() {
            let _ = wait();
        }
    }
}

/// Cancels the task of a handle when dropped: only while unwinding (the normal path forgets
/// it).
struct CancelOnUnwind<'h, T: Copy + Send + 'static>(&'h TaskHandle<T>);

impl<T: Copy + Send + 'static> Drop for CancelOnUnwind<'_, T> {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Handles a fork joins; should it unwind before it does, the drop joins them, so no task
/// it spawned outlives the panic's arrival at the caller.
struct Forked<T: Copy + Send + 'static>(Vec<TaskHandle<T>>);

impl<T: Copy + Send + 'static> Forked<T> {
    /// Joins every handle, in spawn order.
    fn join_all(mut self) -> Vec<TaskResult<T>> {
        core::mem::take(&mut self.0)
            .into_iter()
            .map(TaskHandle::join)
            .collect()
    }
}

impl<T: Copy + Send + 'static> Drop for Forked<T> {
    fn drop(&mut self) {
        for handle in self.0.drain(..) {
            let _ = handle.join();
        }
    }
}

/// Joins one task a scope spawned.
type Wait<'p> = Box<dyn FnOnce() -> TaskResult<()> + 'p>;

impl core::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scope")
            .field("spawned", &self.spawned.borrow().len())
            .finish()
    }
}

impl Scope<'_> {
    /// Spawns `task`; the scope waits for it before it returns.
    pub fn spawn<T: Task>(&self, task: T) {
        let handle = self.pool.spawn(task);
        self.spawned
            .borrow_mut()
            .push(Box::new(move || handle.join().map(drop)));
    }

    /// The pool the scope spawns on.
    pub fn pool(&self) -> &Pool {
        self.pool
    }
}

/// One side of a [`JoinBoth`].
#[derive(Debug)]
enum Half<T> {
    Running(TaskHandle<T>),
    Ended(TaskResult<T>),
    Taken,
}

impl<T: Copy + Send + 'static> Half<T> {
    /// Polls a running half; true once it ended.
    fn poll(&mut self, cx: &mut Context<'_>) -> bool {
        if let Half::Running(handle) = self {
            match Pin::new(handle).poll(cx) {
                Poll::Ready(result) => *self = Half::Ended(result),
                Poll::Pending => return false,
            }
        }
        true
    }

    fn take(&mut self) -> TaskResult<T> {
        match core::mem::replace(self, Half::Taken) {
            Half::Ended(result) => result,
            _ => panic!("penny: the `join_async` future was polled after it returned `Ready`"),
        }
    }
}

/// The future of [`Pool::join_async`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited (the tasks run anyway)"]
pub struct JoinBoth<A, B> {
    a: Half<A>,
    b: Half<B>,
}

// No field is pinned structurally (the handles are polled through `Pin::new`), so the
// future may move whatever the outputs are.
impl<A, B> Unpin for JoinBoth<A, B> {}

impl<A: Copy + Send + 'static, B: Copy + Send + 'static> Future for JoinBoth<A, B> {
    type Output = (TaskResult<A>, TaskResult<B>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Both halves register the waker, so whichever ends last wakes the future.
        let a = this.a.poll(cx);
        let b = this.b.poll(cx);
        if a && b {
            Poll::Ready((this.a.take(), this.b.take()))
        } else {
            Poll::Pending
        }
    }
}
