// An inner loop inside an `if` can't be made resumable.
#[penny::task]
fn guarded(n: u32, m: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        if i % 2 == 0 {
            for j in 0..m {
                total += j as u64;
                penny::yield_now!();
            }
        }
    }
    total
}

fn main() {}
