/// Two sequential phases with state flowing from the first to the second.
#[penny::task]
fn mean_deviation(n: u32, seed: u32) -> f64 {
    let mut sum = 0.0f64;
    for i in 0..n {
        sum += ((i ^ seed) % 97) as f64;
    }
    let mean = sum / n.max(1) as f64;
    let mut deviation = 0.0f64;
    for i in 0..n {
        deviation += (((i ^ seed) % 97) as f64 - mean).abs();
    }
    deviation / n.max(1) as f64
}
