// A binding from a `match` pattern that lives across a loop needs its type written.
#[derive(Clone, Copy)]
enum Shape {
    Square(u32),
    Line(u32),
}

#[penny::task]
fn area(shape: Shape) -> u64 {
    let mut total = 0u64;
    match shape {
        Shape::Square(side) => {
            for i in 0..side {
                total += u64::from(side + i);
            }
        }
        Shape::Line(len) => total = u64::from(len),
    }
    total
}

fn main() {}
