// A loop in the `else` block of a `let ... else` at function level would run without yield
// points; Penny says how to test the pattern in an `if` statement instead.
#[penny::task]
fn first_or_scan(opt: Option<u32>, n: u32) -> u32 {
    let mut s = 0u32;
    let Some(v) = opt else {
        for i in 0..n {
            s = s.wrapping_add(i);
        }
        return s;
    };
    for i in 0..n {
        s ^= v.wrapping_mul(i);
    }
    s
}

fn main() {}
