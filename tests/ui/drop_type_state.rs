// A type with `Drop` isn't plain data, even when it only holds integers.
struct Counter {
    hits: u32,
}

impl Drop for Counter {
    fn drop(&mut self) {}
}

#[penny::task]
fn count(n: u32) -> u32 {
    let mut counter: Counter = Counter { hits: 0 };
    for _ in 0..n {
        counter.hits += 1;
    }
    counter.hits
}

fn main() {}
