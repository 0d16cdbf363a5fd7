//! The one place that picks the synchronisation primitives (tokio's `src/loom` pattern).
//!
//! Under `cfg(loom)` the scheduler's data structures and parking protocols use loom's
//! model-checked atomics (and the loom backend its mutex and condvar), so
//! `RUSTFLAGS="--cfg loom" cargo test -p penny-runtime --release --lib -- loom` explores their
//! interleavings; otherwise they are `core`'s atomics, which are also what wasm32 with the
//! `atomics` feature lowers to `i32.atomic.*` instructions.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex};

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
