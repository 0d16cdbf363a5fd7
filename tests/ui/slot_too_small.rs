// 64 u64 bins don't fit the default 256-byte slot.
#[penny::task]
fn wide_histogram(n: u32) -> u64 {
    let mut bins = [0u64; 64];
    for i in 0..n {
        bins[(i % 64) as usize] += 1;
    }
    bins[0]
}

fn main() {}
