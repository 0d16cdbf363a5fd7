// Changes to an array iterated by value that the check used to miss, each of which gave a
// wrong result once the loop resumed: a method that takes `&mut self` (`reverse`), and a write
// in a body that binds a variable of the same name elsewhere (after the write, in another
// scope). Both kernels have a resumable inner loop, so the outer loop reads `arr` by index on
// every iteration.
#[penny::task]
fn reversed_in_body(mut arr: [u32; 4], n: u32) -> u64 {
    let mut acc = 0u64;
    for x in arr {
        arr.reverse();
        for k in 0..n {
            acc = acc * 7 + (x + k) as u64;
            penny::yield_now!();
        }
    }
    acc + arr[0] as u64
}

#[penny::task]
fn written_beside_a_shadow(mut arr: [u32; 4], n: u32) -> u64 {
    let mut acc = 0u64;
    for x in arr {
        arr[0] += 5;
        for k in 0..n {
            acc = acc * 7 + (x + k) as u64;
            penny::yield_now!();
        }
        if acc == 3 {
            let arr = 1u64;
            acc += arr;
        }
    }
    acc + arr[0] as u64
}

#[derive(Clone, Copy)]
struct Walker {
    at: u32,
}

impl Walker {
    fn advance(&mut self) {
        self.at += 1;
    }
}

#[penny::task]
fn element_method(mut walkers: [Walker; 3]) -> u32 {
    let mut total = 0u32;
    for w in walkers {
        walkers[2].advance();
        total += w.at;
    }
    total
}

// A destructuring assignment to an element, and a `ref mut` binding of one: changes too.
#[penny::task]
fn destructured_in_body(a: [u32; 3]) -> u32 {
    let mut b = a;
    let mut s = 0u32;
    for x in b {
        for _ in 0..1 {
            s = s * 10 + x;
            penny::yield_now!();
        }
        (b[2], s) = (9, s);
    }
    let mut c = a;
    for x in c {
        for _ in 0..1 {
            s = s * 10 + x;
            penny::yield_now!();
        }
        let [_, _, ref mut q] = c;
        *q = 9;
    }
    s
}

fn main() {}
