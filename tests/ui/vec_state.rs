// A `Vec` carried across iterations can't live in a task's state.
#[penny::task]
fn collect_squares(n: u32) -> u32 {
    let mut squares = Vec::new();
    for i in 0..n {
        squares.push(i * i);
    }
    squares.len() as u32
}

fn main() {}
