#[penny::task]
fn halves(n: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total += i as u64;
        penny::yield_now!();
        total += 1;
    }
    total
}

fn main() {}
