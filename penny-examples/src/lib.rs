//! Penny's kernel suite: plain kernels marked `#[penny::task]`, used by the equivalence
//! tests (each lowered task against its own plain function), the benchmarks and the demo.

pub mod bench_kernels;
pub mod demo_kernels;
pub mod fractal;
pub mod kernels;

// The JS API is still to come; until then this links wasm-bindgen into the .wasm, which its
// threads transform needs (`cargo xtask web`).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen as _;
