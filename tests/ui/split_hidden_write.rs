// Writes to an outer variable that Penny's own checks can't see (a `&mut self` method, a
// destructuring assignment, `&raw mut`): each part of the split loop would write its own
// copy and the task would keep one part's. The variables the body uses but doesn't reduce
// are immutable inside the loop, so rustc refuses each write.
use std::ops::AddAssign;

fn hash(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7
}

#[penny::task]
pub fn add_up(n: u64) -> u64 {
    let mut total = 0u64;
    #[penny::split]
    for i in 0..n {
        total.add_assign(hash(i) % 1000);
    }
    total
}

#[penny::task]
pub fn last_hit(n: u64) -> (u64, u64) {
    let mut at = 0u64;
    let mut what = 0u64;
    #[penny::split]
    for i in 0..n {
        if hash(i) % 1000 == 0 {
            (at, what) = (i, hash(i) % 10);
        }
    }
    (at, what)
}

#[penny::task]
pub fn byte_sums(n: u64) -> [u64; 4] {
    let mut acc = [0u64; 4];
    #[penny::split]
    for i in 0..n {
        for (k, a) in acc.iter_mut().enumerate() {
            *a += (hash(i) >> (k * 8)) & 0xff;
        }
    }
    acc
}

fn main() {}
