//! Shared by the property tests: the random budget sequences tasks are driven with.

use proptest::prelude::*;

/// One budget: mostly tiny (every boundary is a suspension), sometimes large or unlimited.
pub fn budget() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => Just(1u32),
        2 => Just(2u32),
        4 => 1..64u32,
        2 => 64..10_000u32,
        1 => Just(u32::MAX),
    ]
}

/// A budget sequence; drivers cycle through it until the task is done.
pub fn budgets() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(budget(), 1..8)
}
