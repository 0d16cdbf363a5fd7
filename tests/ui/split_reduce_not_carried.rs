// A reduction naming something the loop doesn't carry: a name that doesn't exist, and an
// argument the loop never changes (fine: only names that aren't variables are errors).
#[penny::task]
fn total(n: u64) -> u64 {
    let mut acc = 0u64;
    #[penny::split(reduce(acc = +, missing = max))]
    for i in 0..n {
        acc += i;
    }
    acc
}

fn main() {}
