// A reduction read through a format string's capture: raw strings (`r"{acc}"`,
// `r#"{acc}"#`) and a width argument (`{:w$}`) capture too.
#[penny::task]
pub fn digits(n: u64) -> (u64, u64) {
    let mut acc = 0u64;
    let mut long = 0u64;
    #[penny::split(reduce(acc = +, long = +))]
    for i in 0..n {
        acc += i;
        if format!(r"{acc}").len() > 10 {
            long += 1;
        }
    }
    (acc, long)
}

#[penny::task]
pub fn hashes(n: u64) -> u64 {
    let mut acc = 0u64;
    #[penny::split(reduce(acc = +))]
    for i in 0..n {
        acc += i;
        assert!(!format!(r#"{acc}"#).is_empty());
    }
    acc
}

#[penny::task]
pub fn width(n: u64) -> (u64, u64) {
    let mut w = 0usize;
    let mut total = 0u64;
    #[penny::split(reduce(w = +, total = +))]
    for i in 0..n {
        w += 1;
        total += format!("{:w$}", i).len() as u64;
    }
    (w as u64, total)
}

fn main() {}
