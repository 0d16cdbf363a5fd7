// A reduction naming something the loop doesn't carry: a name that doesn't exist, and an
// argument the loop never changes (fine: only names that aren't variables are errors). Both
// errors of `misnamed` show in one compile: the reduction naming nothing, and the variable
// actually updated.
#[penny::task]
fn total(n: u64) -> u64 {
    let mut acc = 0u64;
    #[penny::split(reduce(acc = +, missing = max))]
    for i in 0..n {
        acc += i;
    }
    acc
}

#[penny::task]
fn misnamed(n: u64) -> u64 {
    let mut s = 0u64;
    #[penny::split(reduce(sum = +))]
    for i in 0..n {
        s += i;
    }
    s
}

fn main() {}
