// A split loop that assigns a carried variable it doesn't declare as a reduction: halves
// would each update their own copy.
#[penny::task]
fn sum_and_count(n: u64) -> (u64, u64) {
    let mut sum = 0u64;
    let mut count = 0u64;
    #[penny::split(reduce(sum = +))]
    for i in 0..n {
        sum += i;
        count += 1;
    }
    (sum, count)
}

fn main() {}
