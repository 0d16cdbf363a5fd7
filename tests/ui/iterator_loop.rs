#[penny::task]
fn sum_array(values: [u32; 8]) -> u32 {
    let mut total = 0u32;
    for value in values {
        total += value;
    }
    total
}

fn main() {}
