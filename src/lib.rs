//! # Penny
//!
//! Compute kernels that run in parallel in the browser (Web Workers over a shared
//! `WebAssembly.Memory`) and natively, without ever owning a thread for longer than a chunk.
//!
//! Write a plain kernel and mark it `#[penny::task]`; the attribute keeps the function and
//! adds a `Copy`, `#[repr(C)]` state struct that implements [`Task`]: its
//! [`step`](Task::step) runs at most `budget` loop iterations and stops only at an iteration
//! boundary, so a scheduler can preempt, migrate, cancel and report progress of any task.
//!
//! ```
//! use penny::Task;
//!
//! #[penny::task]
//! fn sum_of_squares(n: u64) -> u64 {
//!     let mut total = 0u64;
//!     for i in 0..n {
//!         total += i * i;
//!     }
//!     total
//! }
//!
//! let mut task = SumOfSquares::new(1000);
//! while task.step(64) == penny::Step::Yielded {}
//! assert_eq!(penny::run_to_completion(task), sum_of_squares(1000));
//! ```

pub use penny_macros::{split, task, yield_now, Pod};
pub use penny_runtime::*;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
