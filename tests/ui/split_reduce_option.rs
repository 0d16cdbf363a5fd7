// A built-in reduction of a variable whose type is an `Option` or a tuple: one Penny error at
// the reduction, which says to name a combine function (not an error from rustc at every use).
#[penny::task]
fn first_even(n: u64) -> (Option<u64>, u64) {
    let mut found = None;
    let mut pair = (0u64, 0u64);
    #[penny::split(reduce(found = min, pair = +))]
    for i in 0..n {
        if i % 2 == 0 && found.is_none() {
            found = Some(i);
        }
        pair = (pair.0 + i, pair.1 ^ i);
    }
    (found, pair.0 + pair.1)
}

fn main() {
    let _ = FirstEven::new(10);
}
