// A closure that is a block's value, used after the loop's boundary: Penny creates closures
// again on resume only when a `let` binds the closure itself; the block's locals it captures
// would be gone. The message says to move them out of the block.
#[penny::task]
fn scaled(n: u32, k: u32) -> u32 {
    let f = {
        let k2 = k * 2;
        move |i: u32| i.wrapping_mul(k2)
    };
    let mut s = 0u32;
    for i in 0..n {
        s = s.wrapping_add(f(i));
    }
    s
}

fn main() {}
