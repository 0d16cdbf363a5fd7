// Unsuffixed literals could be several types; the macro asks for an annotation.
#[penny::task]
fn average(n: u32) -> f64 {
    let mut sum = 0.0;
    let mut count = 0;
    for i in 0..n {
        sum += i as f64;
        count += 1;
    }
    sum / count as f64
}

fn main() {}
