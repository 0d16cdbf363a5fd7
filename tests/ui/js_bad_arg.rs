// A `js` kernel's arguments must be what JavaScript can pass: numbers, BigInts, booleans,
// chars (and `Out`s of numbers).
#[penny::task(js)]
fn total(weights: [u32; 4], n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        acc = acc.wrapping_add(weights[i as usize % 4]);
    }
    acc
}

fn main() {}
