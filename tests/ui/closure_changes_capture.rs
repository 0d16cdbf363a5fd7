// A closure that changes a variable it captures (an `FnMut`), used after an iteration
// boundary: Penny would create it again on resume, and a new closure can't share the
// variable with the old one. Penny says to make the change outside the closure.
#[penny::task]
fn count(n: u32) -> u32 {
    let mut cnt = 0u32;
    let mut inc = |x: u32| cnt += x;
    for i in 0..n {
        inc(i);
    }
    cnt
}

fn main() {}
