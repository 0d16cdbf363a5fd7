// Malformed reductions: an unknown operator, and an option that isn't `reduce`.
#[penny::task]
fn total(n: u64) -> u64 {
    let mut acc = 0u64;
    #[penny::split(reduce(acc = mean))]
    for i in 0..n {
        acc += i;
    }
    let mut other = 0u64;
    #[penny::split(chunks = 4)]
    for i in 0..n {
        other += i;
    }
    acc + other
}

fn main() {}
