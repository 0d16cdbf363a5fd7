// An array iterated by value whose body only reads it (read-only methods on it and on its
// elements) or writes a variable of its own that hides it: lowered, and equal to the plain
// function at every budget.
#![forbid(unsafe_code)]
#![deny(warnings)]

use penny::{Step, Task};

#[penny::task]
fn reads_and_shadows(arr: [u32; 4], n: u32) -> u64 {
    let mut acc = 0u64;
    for x in arr {
        let widest = arr.iter().map(|v| v.count_ones()).max().unwrap_or(0);
        acc = acc.wrapping_mul(31) + u64::from(x.wrapping_add(widest)) + arr.len() as u64;
        if let Some(arr) = Some([x; 2]) {
            let mut arr = arr;
            arr[1] += 1;
            acc += u64::from(arr[1]);
        }
        for k in 0..n {
            acc = acc.wrapping_add(u64::from(arr[(k % 4) as usize].rotate_left(k)));
            penny::yield_now!();
        }
    }
    acc
}

fn main() {
    let arr = [3, 0xff00, 7, 1 << 31];
    for budget in [1, 2, 3, 7, 1000, u32::MAX] {
        let mut task = ReadsAndShadows::new(arr, 5);
        let got = loop {
            if let Step::Done(v) = task.step(budget) {
                break v;
            }
        };
        assert_eq!(got, reads_and_shadows(arr, 5), "budget {budget}");
    }
}
