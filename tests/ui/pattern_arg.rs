// An argument bound to a pattern has no name to become a field of the state.
#[penny::task]
fn ignored(_: u32, n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        acc += i;
    }
    acc
}

#[penny::task]
fn pair((a, b): (u32, u32), n: u32) -> u32 {
    let mut acc = a;
    for _ in 0..n {
        acc += b;
    }
    acc
}

fn main() {}
