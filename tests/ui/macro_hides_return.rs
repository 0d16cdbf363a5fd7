#[penny::task]
fn checked(n: u32) -> u32 {
    let mut total = 0u32;
    for i in 0..n {
        assert!({ if i > 100 { return 0; } true });
        total += i;
    }
    total
}

fn main() {}
