// `split` on loops that don't know their iterations in advance, and an iteration that
// leaves the split loop early.
#[penny::task]
fn search(n: u64) -> u64 {
    let mut i = 0u64;
    #[penny::split]
    while i < n {
        i += 1;
    }
    #[penny::split]
    loop {
        break;
    }
    let mut found = 0u64;
    #[penny::split(reduce(found = max))]
    for k in 0..n {
        if k * k == 49 {
            found = found.max(k);
            break;
        }
    }
    found
}

fn main() {}
