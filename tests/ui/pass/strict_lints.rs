// Generated code compiles in a crate that forbids `unsafe` and denies every warning, and its
// state structs implement `Debug` (showing what their field types allow).
#![forbid(unsafe_code)]
#![deny(warnings, missing_debug_implementations)]

/// A type without `Debug`, carried in a state.
#[allow(missing_debug_implementations)]
#[derive(Clone, Copy)]
pub struct Opaque(pub u32);

/// Parenthesised range bounds: no `unused_parens` from the expansion.
#[penny::task]
pub fn top_of_range(extra: u64) -> u64 {
    let mut count = 0;
    for i in (u64::MAX - extra)..u64::MAX {
        count += i & 1;
    }
    count
}

/// A user type that isn't `Debug`, a generic parameter, a closure and a branch.
#[penny::task]
pub fn mixed<T: Copy + Send + 'static>(seed: Opaque, marker: T, n: u32) -> (u32, T) {
    let twice = |x: u32| x * 2;
    let mut acc = seed;
    if n % 2 == 0 {
        for i in 0..n {
            acc = Opaque(acc.0.wrapping_add(twice(i)));
        }
    }
    (acc.0, marker)
}

/// A variable named like a constant, allowed on the kernel: the allow reaches the state's field
/// of that name and the generated `step` too.
#[penny::task]
#[allow(non_snake_case)]
pub fn shouting(n: u32) -> u32 {
    let mut TOTAL = 0u32;
    for i in 0..n {
        TOTAL = TOTAL.wrapping_add(i);
    }
    TOTAL
}

fn main() {
    assert_eq!(penny::run_to_completion(Shouting::new(10)), shouting(10));
    let task = TopOfRange::new(3);
    let shown = format!("{task:?}");
    assert!(shown.starts_with("TopOfRange { extra: 3"), "{shown}");
    let task = Mixed::new(Opaque(1), 'x', 4);
    let shown = format!("{task:?}");
    assert!(shown.contains("seed: .."), "{shown}");
    assert_eq!(penny::run_to_completion(task), mixed(Opaque(1), 'x', 4));
    assert_eq!(penny::run_to_completion(TopOfRange::new(3)), top_of_range(3));
}
