//! The global default pool, for code that doesn't want to own one (what rayon users reach
//! for): [`spawn`], [`join`], [`fork_n`] and [`scope`] run on a pool with the default
//! configuration, built on first use and never dropped.
//!
//! On wasm, start pools from JavaScript (`Pool.start`) instead: blocking calls such as
//! [`join`] must not run on a page's main thread.

use super::fork::{Scope, TaskResult};
use super::Pool;
use crate::handle::TaskHandle;
use crate::Task;
use std::sync::OnceLock;

/// The global pool: `Pool::new()` (one worker per CPU), built on first use.
pub fn global() -> &'static Pool {
    static GLOBAL: OnceLock<Pool> = OnceLock::new();
    GLOBAL.get_or_init(Pool::new)
}

/// Spawns `task` on the [global pool](global); see [`Pool::spawn`].
pub fn spawn<T: Task>(task: T) -> TaskHandle<T::Output> {
    global().spawn(task)
}

/// Runs `a` and `b` in parallel on the [global pool](global); see [`Pool::join`].
pub fn join<A: Task, B: Task>(a: A, b: B) -> (TaskResult<A::Output>, TaskResult<B::Output>) {
    global().join(a, b)
}

/// Runs `make(0..n)` on the [global pool](global); see [`Pool::fork_n`].
pub fn fork_n<T: Task>(n: usize, make: impl FnMut(usize) -> T) -> Vec<TaskResult<T::Output>> {
    global().fork_n(n, make)
}

/// A scope on the [global pool](global); see [`Pool::scope`].
pub fn scope<R>(f: impl FnOnce(&Scope<'_>) -> R) -> TaskResult<R> {
    global().scope(f)
}
