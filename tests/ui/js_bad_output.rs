// A `js` kernel's output must be something JavaScript can receive.
#[derive(Clone, Copy)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

#[penny::task(js)]
fn centroid(n: u32) -> Point {
    let mut p = Point { x: 0.0, y: 0.0 };
    for i in 0..n {
        p.x += i as f32;
        p.y -= i as f32;
    }
    p
}

fn main() {}
