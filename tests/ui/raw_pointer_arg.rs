#[penny::task]
fn read(ptr: *const u8, n: u32) -> u32 {
    let mut total = 0u32;
    for _ in 0..n {
        total += ptr as u32;
    }
    total
}

fn main() {}
