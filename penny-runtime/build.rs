//! Declares the test-only `penny_regress` cfg: each value puts one fixed bug back, so a test
//! can show the deterministic simulation finds it (see `src/sim/mod.rs`). Never set in
//! normal builds.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(penny_regress, values(\"finding4\", \"finding5\", \"finding8\"))");
}
