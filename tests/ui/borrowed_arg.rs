// A slice argument borrows data the task may outlive.
#[penny::task]
fn sum(values: &[f32]) -> f32 {
    let mut total = 0.0f32;
    for i in 0..values.len() {
        total += values[i];
    }
    total
}

fn main() {}
