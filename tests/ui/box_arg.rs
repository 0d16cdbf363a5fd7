#[penny::task]
fn boxed(value: Box<u64>, n: u32) -> u64 {
    let mut total = 0u64;
    for _ in 0..n {
        total += *value;
    }
    total
}

fn main() {}
