// A loop of the function body inside an expression (a `let`'s value, an `if` used as a
// value) can't get yield points: Penny says so instead of running it unpreemptible inside
// one step. (A labelled block is a loop run once, and lowers: `labelled_blocks`.)
#[penny::task]
fn hidden(n: u32, skip: bool) -> u32 {
    let mut acc = 0;
    let first = if skip {
        0
    } else {
        let mut s = 0;
        for i in 0..n {
            s += i;
        }
        s
    };
    for i in 0..n {
        acc ^= i;
    }
    acc + first
}

fn main() {
    let _ = Hidden::new(10, false);
}
