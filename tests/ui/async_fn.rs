async fn fetch() -> u32 {
    1
}

#[penny::task]
async fn wait_and_sum(n: u32) -> u32 {
    let mut total = 0u32;
    for _ in 0..n {
        total += fetch().await;
    }
    total
}

fn main() {}
