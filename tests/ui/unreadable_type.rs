// The macro sees no module items: a variable whose only typed use is an argument of a module
// function could be any integer type, so Penny asks for an annotation.
fn bump(x: u16) -> u16 {
    x.wrapping_add(3)
}

#[penny::task]
fn average(n: u32) -> u64 {
    let mut count = 0;
    for _ in 0..n {
        count = bump(count);
    }
    count as u64
}

fn main() {}
