// A binding that is a reference into the matched value (`ref k`, or any binding of a pattern
// matched against `&x`) can't be carried across a loop: the error says to bind by value or
// copy it with `*`, not to write `let k: T = k;` (which would not compile for a reference).
#[penny::task]
fn by_ref(opt: Option<u32>, n: u32) -> u32 {
    let mut acc = 0u32;
    if let Some(ref k) = opt {
        for i in 0..n {
            acc += i * *k;
        }
    }
    match &opt {
        Some(k) => {
            for i in 0..n {
                acc ^= i + k;
            }
        }
        None => {}
    }
    acc
}

fn main() {}
