//! The one place that picks the synchronisation primitives (tokio's `src/loom` pattern).
//!
//! Under `cfg(loom)` the scheduler's data structures use loom's model-checked atomics, so
//! `RUSTFLAGS="--cfg loom" cargo test -p penny-runtime --release --test loom_*` explores their
//! interleavings; otherwise they are `core`'s atomics, which are also what wasm32 with the
//! `atomics` feature lowers to `i32.atomic.*` instructions.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
