// `#[penny::task(slot = 8192)]` raises the state limit: a state over 4 KiB compiles, runs
// equal to its plain function step by step, and on a default pool (stored out of line there).
#![forbid(unsafe_code)]
#![deny(warnings, missing_debug_implementations)]

/// A histogram of 1500 counters: the state is over 6 KiB.
#[penny::task(slot = 8192)]
pub fn big_histogram(n: u32) -> u64 {
    let mut bins = [0u32; 1500];
    for i in 0..n {
        let k = (i.wrapping_mul(2_654_435_761) % 1500) as usize;
        bins[k] = bins[k].wrapping_add(i);
    }
    let mut check = 0u64;
    for (k, b) in bins.iter().enumerate() {
        check = check.wrapping_mul(31).wrapping_add(u64::from(*b) ^ k as u64);
    }
    check
}

fn main() {
    assert!(core::mem::size_of::<BigHistogram>() > 4096);
    assert!(core::mem::size_of::<BigHistogram>() <= 8192);
    let expected = big_histogram(100_000);
    assert_eq!(penny::run_to_completion(BigHistogram::new(100_000)), expected);
    let mut task = BigHistogram::new(100_000);
    while penny::Task::step(&mut task, 777) == penny::Step::Yielded {}
    let pool = penny::Pool::builder().build();
    let handles: Vec<_> = (0..8).map(|_| pool.spawn(BigHistogram::new(100_000))).collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), expected);
    }
}
