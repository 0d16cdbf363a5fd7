/// A reduction: one phase, a float accumulator.
#[penny::task]
fn sum_sqrt(n: u32) -> f64 {
    let mut acc = 0.0f64;
    for i in 0..n {
        acc += (i as f64).sqrt();
    }
    acc
}
