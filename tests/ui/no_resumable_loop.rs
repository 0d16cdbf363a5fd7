// A kernel whose work is an iterator chain runs in one step: Penny warns (denied here so the
// warning shows as an error).
#![deny(deprecated)]

#[penny::task]
fn sum_of_squares(n: u64) -> u64 {
    (0..n).map(|i| i * i).sum()
}

fn main() {}
