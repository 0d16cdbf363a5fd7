// A resumable `for` loop over a name that holds no array or slice (an `Option`, which Rust
// iterates): Penny resumes such a loop by index, and says what it can iterate.
#[penny::task]
fn over_an_option(o: Option<u32>, n: u32) -> u32 {
    let mut s = 0u32;
    for i in 0..n {
        for x in o {
            s = s.wrapping_add(x ^ i);
            penny::yield_now!();
        }
    }
    s
}

fn main() {}
