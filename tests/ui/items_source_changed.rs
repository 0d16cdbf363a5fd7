// `for x in arr` iterates a copy of `arr` taken when the loop starts; a resumable loop reads
// `arr` itself on every resume, so a body that changes `arr` is refused (assignment, an
// element, and the by-value side of a `zip`).
#[penny::task]
fn rewrites_what_it_reads(arr: [u32; 4], other: [u32; 4]) -> u32 {
    let mut arr = arr;
    let mut other = other;
    let mut s = 0u32;
    for x in arr {
        s = s.wrapping_add(x);
        arr = [s; 4];
    }
    for (x, y) in arr.iter().zip(other) {
        s = s.wrapping_add(x ^ y);
        other[0] = s;
    }
    s ^ arr[0] ^ other[0]
}

fn main() {
    let _ = RewritesWhatItReads::new([1; 4], [2; 4]);
}
