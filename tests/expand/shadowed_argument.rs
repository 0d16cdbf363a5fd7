/// Shadowing an argument at the function level with the same type reuses its field.
#[penny::task]
fn halved_sum(n: u32) -> u64 {
    let n = n / 2;
    let mut acc = 0u64;
    for i in 0..n {
        acc += i as u64;
    }
    acc
}
