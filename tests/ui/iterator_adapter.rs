// Iterators other than ranges and `iter()`/`enumerate()`/`zip()`/`chunks()` over arrays and
// `In` buffers can't be resumed by index.
#[penny::task]
fn sum_pairs(values: [u32; 8]) -> u32 {
    let mut total = 0u32;
    for pair in values.windows(2) {
        total += pair[0] * pair[1];
    }
    for doubled in values.iter().map(|v| v * 2) {
        total += doubled;
    }
    total
}

fn main() {
    let _ = SumPairs::new([0; 8]);
}
