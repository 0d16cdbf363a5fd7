//! Benchmark kernels.
