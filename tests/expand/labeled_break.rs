/// Labeled `break` out of a resumable loop from inside a plain inner loop.
#[penny::task]
fn first_pair_with_sum(n: u32, target: u32) -> Option<(u32, u32)> {
    let mut found: Option<(u32, u32)> = None;
    'search: for a in 0..n {
        for b in a..n {
            if a * a + b * b == target {
                found = Some((a, b));
                break 'search;
            }
        }
    }
    found
}
