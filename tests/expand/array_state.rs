/// An array carried across iterations; `for i in 0..16` indexes it.
#[penny::task]
fn histogram(n: u32, seed: u32) -> [u32; 16] {
    let mut bins = [0u32; 16];
    let mut state = seed;
    for _ in 0..n {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bins[(state % 16) as usize] += 1;
    }
    let mut folded = [0u32; 16];
    for i in 0..16 {
        folded[i] = bins[i] + bins[15 - i];
    }
    folded
}
