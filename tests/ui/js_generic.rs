// A `js` kernel can't be generic: JavaScript calls one concrete function.
#[penny::task(js)]
fn scale<T: Copy + Send + 'static>(x: T, n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        acc += i;
    }
    let _ = x;
    acc
}

fn main() {}
