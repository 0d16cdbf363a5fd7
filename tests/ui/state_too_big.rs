// 600 u64 bins are 4,800 bytes: over the default 4,096-byte limit of a task's state.
#[penny::task]
fn wide_histogram(n: u32) -> u64 {
    let mut bins = [0u64; 600];
    for i in 0..n {
        bins[(i % 600) as usize] += 1;
    }
    bins[0]
}

fn main() {}
