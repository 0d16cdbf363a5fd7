/// A long inner loop made resumable by an explicit yield point.
#[penny::task]
fn triangle(n: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        let weight: u64 = i as u64 + 1;
        for j in 0..i {
            total += weight * j as u64;
            penny::yield_now!();
        }
        total += 1;
    }
    total
}
