// Each option once, and each with the value it takes: a repeated key, `slot` without a
// number (or with a negative one) and `js = true` get Penny's word, at the key or the value.
#[penny::task(slot = 8192, slot = 4096)]
fn twice(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

#[penny::task(slot = -1)]
fn negative(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

#[penny::task(slot)]
fn no_value(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

#[penny::task(js = true)]
fn js_value(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

fn main() {}
