// The output is kept in the task's state and handed to whoever joins it, so it must be `Copy`.
pub struct Report {
    total: u64,
}

#[penny::task]
fn summarize(n: u32) -> Report {
    let mut total = 0u64;
    for i in 0..n {
        total += i as u64;
    }
    Report { total }
}

fn main() {}
