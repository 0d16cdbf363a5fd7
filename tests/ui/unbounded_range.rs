// An unbounded range has no length to resume against.
#[penny::task]
fn first_square_over(limit: u64) -> u64 {
    let mut found = 0u64;
    for i in 0u64.. {
        if i * i > limit {
            found = i;
            break;
        }
    }
    found
}

fn main() {}
