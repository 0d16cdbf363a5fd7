macro_rules! stop_at {
    ($i:expr, $limit:expr) => {
        if $i == $limit {
            break;
        }
    };
}

#[penny::task]
fn until(n: u32, limit: u32) -> u32 {
    let mut total = 0u32;
    for i in 0..n {
        stop_at!(i, limit);
        total += i;
    }
    total
}

fn main() {}
