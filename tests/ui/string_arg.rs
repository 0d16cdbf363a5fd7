// Heap-owning arguments are rejected at their type.
#[penny::task]
fn count_chars(text: String, limit: u32) -> u32 {
    let mut count = 0u32;
    for _ in 0..limit {
        count += text.len() as u32;
    }
    count
}

fn main() {}
