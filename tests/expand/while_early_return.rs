/// A `while` phase with an early `return` from inside the loop.
#[penny::task]
fn collatz_steps(start: u64, limit: u32) -> u32 {
    let mut x = start;
    let mut steps = 0u32;
    while x != 1 {
        if steps == limit {
            return u32::MAX;
        }
        x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
        steps += 1;
    }
    steps
}
