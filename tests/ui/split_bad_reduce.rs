// Malformed reductions: an unknown operator, `-`, and an option that isn't `reduce`. The
// loops' writes aren't also reported as undeclared reductions.
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
    let mut left = 100u64;
    #[penny::split(reduce(left = -))]
    for i in 0..n {
        left -= i;
    }
    acc + other + left
}

fn main() {}
