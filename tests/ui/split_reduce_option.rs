// A built-in reduction of a variable whose type is an `Option`, a tuple or a type parameter:
// one Penny error at the reduction, which says to name a combine function (not errors from
// rustc at every use, or advice to add a bound on Penny's private trait).
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

#[penny::task]
fn total<T: Copy + core::ops::Add<Output = T> + Default + Send + 'static>(xs: [T; 8]) -> T {
    let mut s: T = T::default();
    #[penny::split(reduce(s = +))]
    for i in 0..8 {
        s = s + xs[i];
    }
    s
}

fn main() {
    let _ = FirstEven::new(10);
    let _ = Total::new([1u32; 8]);
}
