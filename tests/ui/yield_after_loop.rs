#[penny::task]
fn after(n: u32) -> u32 {
    let mut total = 0u32;
    for i in 0..n {
        total += i;
    }
    penny::yield_now!();
    total
}

fn main() {}
