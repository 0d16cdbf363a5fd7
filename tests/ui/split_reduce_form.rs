// Writes to a built-in reduction in a form its operator doesn't combine: each is an error at
// the write naming the variable, the operator and the forms it takes.
fn bump(x: &mut u64) {
    *x += 1;
}

#[penny::task]
fn wrong_forms(n: u64) -> (u64, u64, u64, u64, u64) {
    let mut last = 0u64;
    let mut total = 1u64;
    let mut count = 0u64;
    let mut worst = u64::MAX;
    let mut scale = 1u64;
    #[penny::split(reduce(last = max, total = +, count = +, worst = min, scale = *))]
    for i in 0..n {
        last = i;
        total = total * 2;
        bump(&mut count);
        worst = worst.max(i);
        scale /= 2;
    }
    (last, total, count, worst, scale)
}

/// Carried variables assigned without a reduction: the hint names the operator the write
/// calls for, for a plain overwrite says why no operator fits, and for a running position
/// the loop reads that no reduction helps.
#[penny::task]
fn undeclared(n: u64, out: penny::Out<u64>) -> (u64, u64, u64, bool) {
    let mut pos = 0u64;
    let mut last = 0u64;
    let mut bits = 0u64;
    let mut lo = u64::MAX;
    let mut seen = false;
    #[penny::split]
    for i in 0..n {
        pos += 2;
        out.set(pos as usize, i);
        last = i;
        bits |= 1 << (i % 64);
        lo = lo.min(i * 3 % 17);
        if i == 5 {
            seen = true;
        }
    }
    (last, bits, lo, seen)
}

fn main() {}
