//! Penny on the web: the JS API (`Pool`, `TaskHandle`, and the classes that
//! `#[penny::task(js)]` generates) and the Web Worker side of the wasm backend.
//!
//! - `glue`: the JS functions the runtime calls (`penny-runtime/js/workers.js`).
//! - `worker`: starting workers, the worker entry point, the callbacks JS makes into Rust
//!   on the thread that started them (a completion to wake, a worker that died).
//! - `pool`: the JS `Pool` class.
//! - `handle`: the JS `TaskHandle` class and the small executor that settles each handle's
//!   `result` promise when its task completes (through `Atomics.waitAsync` on a word the
//!   task's waker sets, or a message from the worker that completed it where there is no
//!   `waitAsync`).
//! - `convert`: kernel arguments from JS values (checked: wrong count, type or range is a
//!   `TypeError`) and outputs to JS values.
//! - `out`: the JS `OutArray` class, an `Out<T>` JS views as a typed array.
//! - `buffer`: the JS `SharedBuffer` class, a `Buffer<T>` JS fills and reads as a typed
//!   array and passes to kernels as a `View`, `Stripes` or `Tiles` argument.
//! - `spawn`: what a generated class's `spawn(pool, ...args, options?)` calls.
//! - `rust_api` (feature `web-checks`): a check of the Rust `Pool` API on wasm that the JS
//!   tests call from a dedicated Worker.
//! - `guard_check` (feature `web-checks`): a class made by a JS constructor, for the tests of
//!   freed objects (see `glue::guarded`).
//! - `panic`: the panic hook that fails only the task that panicked (on wasm a panic aborts
//!   its worker; see `pool::lifecycle`).
//!
//! Rule for every function here: the thread that calls it may be a browser's main thread,
//! which must never wait on an atomic. Nothing here blocks: `Pool.start` and `close` are
//! async, results are promises.

pub(crate) mod glue;

mod buffer;
mod convert;
#[cfg(feature = "web-checks")]
mod guard_check;
mod handle;
mod out;
mod panic;
mod pool;
#[cfg(feature = "web-checks")]
mod rust_api;
mod spawn;
mod worker;

pub use buffer::{BufferStripes, BufferTiles, WebBuffer};
pub use convert::{FromJs, IntoJs};
pub use handle::WebHandle;
pub use out::WebOut;
pub use pool::WebPool;
pub use spawn::{spawn, Args};
pub(crate) use worker::{register_pool, start_worker};

#[doc(hidden)]
pub use js_sys;
#[doc(hidden)]
pub use wasm_bindgen;
#[doc(hidden)]
pub use wasm_bindgen::JsValue;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options of `Pool.start`; every field is optional. */
export interface PoolOptions {
  /** Worker count (default: `navigator.hardwareConcurrency` / `os.availableParallelism()`). */
  workers?: number;
  /** Task slots: tasks queued or running at once (default 256); more wait in a queue. */
  slots?: number;
  /** Bytes of task state a slot holds inline (default 256; larger states go beside it). */
  slotBytes?: number;
  /** Longest chunk of a task, in milliseconds, above 0 and at most 3600000 (default 0.5):
   *  bounds how long urgent work waits. */
  timeSliceMs?: number;
}

/** `scheduler.postTask`'s priority names. */
export type TaskPriority = 'user-blocking' | 'user-visible' | 'background';

/** Options of a kernel class's `spawn(pool, ...args, options?)`. */
export interface SpawnOptions {
  /** Default `'user-visible'`. */
  priority?: TaskPriority;
  /** Aborting it cancels the task and rejects `result` with `signal.reason`. */
  signal?: AbortSignal;
}

/** How far a task got: `total` is null when unknown. */
export interface TaskProgress {
  done: number;
  total: number | null;
}

export type TaskStatus = 'queued' | 'running' | 'done' | 'cancelled' | 'failed';
"#;
