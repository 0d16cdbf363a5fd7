// A split loop that reads a reduction: each part starts its copy at the identity, so a read
// sees only that part's running value (`over` came out 39 or 40 instead of 55 for n = 100).
// One error per variable, at its first read; a custom reduction may read itself only in
// its own update.
#[penny::task]
fn split_read_reduction(n: u32) -> (u32, u32) {
    let mut sum = 0;
    let mut over = 0;
    #[penny::split(reduce(sum = +, over = +))]
    for i in 0..n {
        sum += i;
        if sum > 1000 {
            over += 1;
        }
    }
    (sum, over)
}

/// Reads in an update's own operand, in a macro, and in a closure.
#[penny::task]
fn reads_elsewhere(n: u64) -> (u64, u64, u64) {
    let mut acc = 0u64;
    let mut best = 0u64;
    let mut hist = [0u64; 4];
    #[penny::split(reduce(acc = +, best = max, hist = +))]
    for i in 0..n {
        acc += acc % 7 + i;
        assert!(best < 1_000_000, "{best}");
        best = best.max(i);
        let peek = |k: usize| hist[k];
        hist[(i % 4) as usize] += peek(0);
    }
    (acc, best, hist[0])
}

#[derive(Clone, Copy)]
struct Tally {
    count: u64,
    sum: u64,
}

fn merge(a: Tally, b: Tally) -> Tally {
    Tally {
        count: a.count + b.count,
        sum: a.sum + b.sum,
    }
}

const NONE: Tally = Tally { count: 0, sum: 0 };

/// A custom reduction read outside its own update.
#[penny::task]
fn custom_read(n: u64) -> (u64, u64) {
    let mut t: Tally = NONE;
    let mut late = 0u64;
    #[penny::split(reduce(t = (merge, NONE), late = +))]
    for i in 0..n {
        t = merge(t, Tally { count: 1, sum: i });
        if t.count > 10 {
            late += 1;
        }
    }
    (t.sum, late)
}

fn main() {}
