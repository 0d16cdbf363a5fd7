#[penny::task]
fn in_closure(n: u32) -> u32 {
    let mut total = 0u32;
    for i in 0..n {
        let add = |x: u32| {
            penny::yield_now!();
            x + 1
        };
        total += add(i);
    }
    total
}

fn main() {}
