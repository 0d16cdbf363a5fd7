// A carried variable assigned in a split loop without a reduction is an error even where the
// body binds the same name in another scope (a `let` in another block, a closure parameter):
// those bindings don't reach the write, which is to the outer variable (it used to be
// skipped, and each part kept its own copy).
#[penny::task]
pub fn evens(n: u64) -> u64 {
    let mut count = 0u64;
    #[penny::split]
    for i in 0..n {
        if i % 2 == 0 {
            count += 1;
        } else {
            let count = i % 5;
            let _ = count;
        }
    }
    count
}

#[penny::task]
pub fn hits(n: u64) -> u64 {
    let mut hits = 0u64;
    #[penny::split]
    for i in 0..n {
        let double = |hits: u64| hits * 2;
        if i % 3 == 0 {
            hits += double(1);
        }
    }
    hits
}

fn main() {}
