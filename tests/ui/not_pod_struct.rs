// A user struct must opt in with `#[derive(penny::Pod)]`.
#[derive(Clone, Copy)]
struct Point {
    x: f32,
    y: f32,
}

#[penny::task]
fn walk(start: Point, n: u32) -> f32 {
    let mut p: Point = start;
    for _ in 0..n {
        p.x += p.y;
    }
    p.x
}

fn main() {}
