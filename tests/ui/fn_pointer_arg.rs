// A function pointer can't be task state: call the function by name inside the kernel.
#[penny::task]
fn apply(f: fn(u32) -> u32, n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        acc = acc.wrapping_add(f(i));
    }
    acc
}

fn main() {}
