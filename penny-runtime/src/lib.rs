//! The Penny runtime: the [`Task`] contract that `#[penny::task]` lowers kernels to, and the
//! task pool, work-stealing deques and scheduler that run them ([`Pool`], with fork/join and a
//! global default pool) — on std threads natively, and on Web Workers or Node `worker_threads`
//! over the shared `WebAssembly.Memory` on wasm, where `web` adds the JS API.
//!
//! A task is a plain, `Copy` state struct plus a [`Task::step`] function that runs at most
//! `budget` loop iterations and stops only at an iteration boundary. Because a suspended
//! task is nothing but bytes, any worker can resume it, and the scheduler can preempt,
//! cancel or migrate it between chunks.

#![warn(missing_docs)]
// The wasm backend parks on `memory.atomic.wait32` (threaded wasm builds are nightly-only).
#![cfg_attr(
    all(target_arch = "wasm32", target_feature = "atomics"),
    feature(stdarch_wasm_atomic_wait)
)]

mod io;
mod pod;
mod task;

mod backend;
#[cfg(not(loom))]
mod budget;
#[cfg(not(loom))]
mod buffer;
#[cfg(not(loom))]
mod completion;
#[cfg_attr(loom, allow(dead_code))]
mod deque;
#[cfg(not(loom))]
mod handle;
#[cfg_attr(loom, allow(dead_code))]
mod injector;
#[cfg(not(loom))]
mod kind;
#[cfg(not(loom))]
mod lock;
#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(not(loom))]
mod owned;
mod park;
#[cfg(not(loom))]
mod pool;
#[cfg_attr(loom, allow(dead_code))]
mod priority;
mod region;
#[cfg(all(test, not(loom)))]
mod sim;
mod slot;
mod sync;
#[cfg(all(
    not(loom),
    any(test, all(target_arch = "wasm32", feature = "web-checks"))
))]
mod test_tasks;
#[cfg(all(target_arch = "wasm32", not(loom)))]
#[doc(hidden)]
pub mod web;

#[doc(hidden)]
pub mod __private;
pub mod reference;

pub use io::{AtomicElem, In, Out};
pub use pod::Pod;
pub use task::{run_to_completion, Progress, SplitState, Step, Task, MAX_TASK_ALIGN};

#[cfg(not(loom))]
pub use buffer::{
    Buffer, BufferBusy, BufferMut, BufferRef, Stripes, StripesGuard, StripesPart, Tiles,
    TilesGuard, TilesPart, View, ViewGuard, ViewRef, ViewSlice,
};
#[cfg(not(loom))]
pub use handle::{CancelHandle, TaskHandle};
#[cfg(not(loom))]
pub use pool::{
    fork_n, global, join, scope, spawn, JoinBoth, Pool, PoolBuilder, Scope, SpawnBuilder,
    TaskResult, MAX_SLOTS, MAX_WORKERS, MIN_STACK_SIZE,
};
pub use priority::{Priority, TaskError, TaskStatus, TrySpawnError};
