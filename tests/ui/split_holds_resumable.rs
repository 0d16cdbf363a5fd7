// A split loop can't hold resumable loops: split the innermost.
#[penny::task]
fn rows(n: u32, w: u32) -> u64 {
    let mut total = 0u64;
    #[penny::split(reduce(total = +))]
    for y in 0..n {
        for x in 0..w {
            total += u64::from(y * w + x);
            penny::yield_now!();
        }
    }
    total
}

fn main() {}
