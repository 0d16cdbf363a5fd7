// A condition or scrutinee that writes a carried variable which the pattern of the arm it
// leads to binds again, in a branch whose arm holds a resumable loop: the arm can't store the
// outer variable under its own name, so the change would be lost.
fn next(c: &mut u32) -> Option<u32> {
    *c += 1;
    (*c % 3 != 0).then_some(*c)
}

#[penny::task]
fn rebinds_what_it_wrote(n: u32) -> u32 {
    let mut c = 0u32;
    let mut acc = 0u32;
    for _ in 0..n {
        if let Some(c) = next(&mut c) {
            let c: u32 = c;
            for k in 0..c {
                acc = acc.wrapping_add(k);
                penny::yield_now!();
            }
        }
        match {
            c += 2;
            c
        } {
            c if c > 10 => {
                let c: u32 = c;
                for k in 0..c {
                    acc ^= k;
                    penny::yield_now!();
                }
            }
            _ => {}
        }
    }
    acc + c
}

fn main() {}
