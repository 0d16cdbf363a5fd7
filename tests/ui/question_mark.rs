#[penny::task]
fn parse_all(n: u32) -> Option<u32> {
    let mut total = 0u32;
    for i in 0..n {
        total = total.checked_add(i)?;
    }
    Some(total)
}

fn main() {}
