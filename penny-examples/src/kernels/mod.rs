//! The equivalence suite kernels.
