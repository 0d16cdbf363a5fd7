fn plain(n: u32) -> u32 {
    let mut total = 0;
    for i in 0..n {
        total += i;
        penny::yield_now!();
    }
    total
}

fn main() {
    plain(3);
}
