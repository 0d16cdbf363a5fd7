// A carried variable whose only value is a call of a module-level function: the macro sees
// no module items, so Penny asks for an annotation.
fn helper(x: u32) -> u32 {
    x.wrapping_mul(3)
}

#[penny::task]
fn repeat(n: u32) -> u32 {
    let seed = helper(n);
    let mut acc = 0u32;
    for i in 0..n {
        acc = acc.wrapping_add(seed ^ i);
    }
    acc
}

fn main() {}
