#[penny::task]
fn apply(n: u32) -> u32 {
    let square = |x: u32| x * x;
    let mut total = 0u32;
    for i in 0..n {
        total += square(i);
    }
    total
}

fn main() {}
