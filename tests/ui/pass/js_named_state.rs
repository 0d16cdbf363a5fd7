// `#[penny::task(js, state = Name)]` compiles natively: the JS class exists only on wasm, the
// named state struct everywhere.
#![forbid(unsafe_code)]
#![deny(warnings, missing_debug_implementations)]

/// A kernel exported to JS under the state's name.
#[penny::task(js, state = TriangleTask)]
pub fn triangle(n: u32) -> u32 {
    let mut s = 0u32;
    for i in 0..n {
        s = s.wrapping_add(i);
    }
    s
}

fn main() {
    assert_eq!(penny::run_to_completion(TriangleTask::new(1000)), triangle(1000));
    let pool = penny::Pool::builder().workers(2).build();
    assert_eq!(pool.spawn(TriangleTask::new(5000)).join().unwrap(), triangle(5000));
}
