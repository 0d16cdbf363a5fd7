// Items declared inside a branch arm or a resumable loop's body whose name also occurs outside
// that block: the lowering declares a kernel's items once for all of `step`, where each would
// hide the module's item (or the other arm's) in code outside its own block.
pub const K: u64 = 1;

#[penny::task]
fn item_shadow_arm(n: u32, c: bool) -> u64 {
    let mut t = 0u64;
    for _ in 0..n {
        t += K;
    }
    if c {
        const K: u64 = 100;
        for _ in 0..n {
            t += K;
        }
    }
    for i in 0..n {
        fn twice(x: u64) -> u64 {
            x * 2
        }
        for _ in 0..2u32 {
            t = twice(t) + u64::from(i);
            penny::yield_now!();
        }
    }
    t
}

#[penny::task]
fn same_name_in_two_arms(n: u32, c: bool) -> u32 {
    let mut t = 0u32;
    if c {
        const M: u32 = 5;
        for i in 0..n {
            t += i * M;
        }
    } else {
        const M: u32 = 9;
        for i in 0..n {
            t += i * M;
        }
    }
    t
}

// The name used only inside a format string outside the arm: a use all the same.
#[penny::task]
fn named_in_a_format_string(n: u32) -> usize {
    let mut s = 0u32;
    if n > 2 {
        const K: u32 = 1000;
        for i in 0..n {
            s += i + K;
        }
    }
    format!("{K}").len() + s as usize
}

fn main() {}
