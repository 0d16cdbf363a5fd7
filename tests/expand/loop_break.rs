/// A `loop` phase that ends with `break`, and `continue` inside it.
#[penny::task]
fn newton_sqrt(value: f64, max_steps: u32) -> f64 {
    let mut guess = value.max(1.0f64);
    let mut steps = 0u32;
    loop {
        steps += 1;
        let next = 0.5 * (guess + value / guess);
        if steps < 3 {
            guess = next;
            continue;
        }
        if (next - guess).abs() < 1e-12 || steps >= max_steps {
            break;
        }
        guess = next;
    }
    guess
}
