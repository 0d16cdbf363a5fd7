#[penny::task]
fn sometimes(n: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total += i as u64;
        if i % 2 == 0 {
            penny::yield_now!();
        }
    }
    total
}

fn main() {}
