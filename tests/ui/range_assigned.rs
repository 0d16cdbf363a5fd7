// The range is re-created from `end` on resume, so the body must not change `end`.
#[penny::task]
fn shrinking(n: u32) -> u32 {
    let mut end = n;
    let mut total = 0u32;
    for i in 0..end {
        total += i;
        end -= 1;
    }
    total + end
}

fn main() {}
