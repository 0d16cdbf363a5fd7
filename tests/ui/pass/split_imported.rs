// `use penny::{split, task};` then `#[task]` and `#[split(..)]`, as rayon users import names:
// the split loop runs on a pool and equals the plain function.
#![forbid(unsafe_code)]
#![deny(warnings)]

use penny::{split, task, Pool};

#[task]
pub fn imported(n: u64) -> u64 {
    let mut s = 0u64;
    #[split(reduce(s = +))]
    for i in 0..n {
        s = s.wrapping_add(i * i % 1009);
    }
    s
}

fn main() {
    let pool = Pool::builder().workers(2).build();
    for n in [0u64, 1, 1000, 200_000] {
        let got = pool.spawn(Imported::new(n)).join().unwrap();
        assert_eq!(got, imported(n));
    }
}
