//! Penny's kernel suite: plain kernels marked `#[penny::task]`, used by the equivalence
//! tests (each lowered task against its own plain function), the benchmarks and the demo.

pub mod bench_kernels;
pub mod demo_kernels;
pub mod fractal;
pub mod kernels;
pub mod parallel;
#[cfg(not(target_arch = "wasm32"))]
pub mod parallel_rayon;
#[cfg(not(target_arch = "wasm32"))]
pub mod parallel_table;
pub mod parallel_web;
pub mod web_bench_kernels;
pub mod web_kernels;
