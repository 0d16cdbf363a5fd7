// Several unrelated mistakes: each is reported at its own span.
#[penny::task]
fn messy(values: Vec<u32>, n: u32) -> u32 {
    let mut total = 0;
    for i in 0..n {
        penny::yield_now!();
        total += i;
    }
    for v in values.iter() {
        total += v;
    }
    total
}

fn main() {}
