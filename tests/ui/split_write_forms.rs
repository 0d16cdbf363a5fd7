// Writes to reductions no operator check can see into: a destructuring assignment, and a
// method that may write through `&mut self`. Each says what to write instead.
use std::ops::AddAssign;

#[penny::task]
pub fn pair(n: u64) -> (u64, u64) {
    let mut s = 0u64;
    let mut x = 0u64;
    #[penny::split(reduce(s = +, x = ^))]
    for i in 0..n {
        (s, x) = (s + i, x ^ i);
    }
    (s, x)
}

#[penny::task]
pub fn add_up(n: u64) -> (u64, u64) {
    let mut total = 0u64;
    let mut other = 0u64;
    #[penny::split(reduce(total = +, other = +))]
    for i in 0..n {
        total.add_assign(i);
        (other).add_assign(i * 2);
    }
    (total, other)
}

fn main() {}
