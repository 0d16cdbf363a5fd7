// Items declared inside the kernel can't name the type of a variable kept in the state: the
// state struct is outside the function. (Used elsewhere, in a range or the body, they work.)
#[penny::task]
fn counts(n: u32) -> u64 {
    const N: usize = 4;
    #[derive(Clone, Copy)]
    struct Pair {
        hits: u32,
        misses: u32,
    }
    type Acc = u64;
    use std::num::Wrapping;
    let mut bins = [0u32; N];
    let mut pair = Pair { hits: 0, misses: 0 };
    let mut acc: Acc = 0;
    let mut hash = Wrapping(0u32);
    for i in 0..n {
        bins[i as usize % N] += i;
        if i % 3 == 0 {
            pair.hits += 1;
        } else {
            pair.misses += 1;
        }
        acc += u64::from(i);
        hash += Wrapping(i);
    }
    acc + u64::from(bins[0]) + u64::from(pair.hits) + u64::from(hash.0)
}

fn main() {
    let _ = Counts::new(10);
}
