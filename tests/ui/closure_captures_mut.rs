// A closure used after an iteration boundary is created again on resume, so it may only
// mention variables that never change.
#[penny::task]
fn apply(n: u32) -> u32 {
    let mut k = 2u32;
    let scale = move |x: u32| x * k;
    k += 1;
    let mut total = 0u32;
    for i in 0..n {
        total += scale(i) + k;
    }
    total
}

fn main() {}
