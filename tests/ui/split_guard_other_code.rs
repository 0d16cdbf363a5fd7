// A min/max guard `if e > best { best = e }` is the update of `best` only when it guards
// nothing else: inside a part `best` is that part's running value, so other code under the
// guard (more statements, an `else`, a `continue`, another guard in an `else if`) would run
// on other iterations than in the plain loop. Each of these compiled and gave wrong results
// on 2+ workers; now each is an error at the guard's read.
fn hash(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7
}

#[penny::task]
pub fn records(n: u64) -> (u64, u64) {
    let mut best = 0u64;
    let mut records = 0u64;
    #[penny::split(reduce(best = max, records = +))]
    for i in 0..n {
        let v = hash(i);
        if v > best {
            best = v;
            records += 1;
        }
    }
    (best, records)
}

#[penny::task]
pub fn argmax(n: u64) -> (u64, u64) {
    let mut best = 0u64;
    let mut idx = 0u64;
    #[penny::split(reduce(best = max, idx = max))]
    for i in 0..n {
        let v = hash(i);
        if v > best {
            best = v;
            if i > idx {
                idx = i;
            }
        }
    }
    (best, idx)
}

#[penny::task]
pub fn not_new_min(n: u64) -> (u64, u64) {
    let mut lo = u64::MAX;
    let mut others = 0u64;
    #[penny::split(reduce(lo = min, others = +))]
    for i in 0..n {
        let v = hash(i);
        if v < lo {
            lo = v;
        } else {
            others += 1;
        }
    }
    (lo, others)
}

#[penny::task]
pub fn guard_continue(n: u64) -> (u64, u64) {
    let mut lo = u64::MAX;
    let mut rest = 0u64;
    #[penny::split(reduce(lo = min, rest = +))]
    for i in 0..n {
        let v = hash(i);
        if v < lo {
            lo = v;
            continue;
        }
        rest += 1;
    }
    (lo, rest)
}

#[penny::task]
pub fn low_or_high(n: u64) -> (u64, u64) {
    let mut lo = u64::MAX;
    let mut hi = 0u64;
    #[penny::split(reduce(lo = min, hi = max))]
    for i in 0..n {
        let v = hash(i);
        if v < lo {
            lo = v;
        } else if v > hi {
            hi = v;
        }
    }
    (lo, hi)
}

#[derive(Clone, Copy)]
pub struct Best {
    pub d: u64,
    pub i: u64,
}

fn pick(a: Best, b: Best) -> Best {
    if b.d < a.d || (b.d == a.d && b.i < a.i) {
        b
    } else {
        a
    }
}

const WORST: Best = Best {
    d: u64::MAX,
    i: u64::MAX,
};

/// A custom reduction's guard too: its condition may read it only when the block is just
/// its assignment.
#[penny::task]
pub fn custom_guard(n: u64) -> (u64, u64) {
    let mut best: Best = WORST;
    let mut improvements = 0u64;
    #[penny::split(reduce(best = (pick, WORST), improvements = +))]
    for i in 0..n {
        let d = hash(i);
        if d < best.d {
            best = Best { d, i };
            improvements += 1;
        }
    }
    (best.i, improvements)
}

fn main() {}
