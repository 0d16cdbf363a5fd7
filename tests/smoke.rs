use penny::{Step, Task};

#[penny::task]
fn sum_sqrt(n: u32) -> f64 {
    let mut acc = 0.0f64;
    for i in 0..n {
        acc += (i as f64).sqrt();
    }
    acc
}

#[penny::task]
fn nested(n: u32, m: u32) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        let base: u64 = (i as u64) * 10;
        for j in 0..m {
            if j == 3 && i == 2 {
                continue;
            }
            total += base + j as u64;
            penny::yield_now!();
        }
        total += 1;
    }
    total
}

#[penny::task]
fn early(n: u32) -> i32 {
    let mut k = 0i32;
    while k < 1000 {
        k += 3;
        if k as u32 > n {
            return k;
        }
    }
    -1
}

fn drive<T: Task>(mut t: T, budget: u32) -> T::Output {
    loop {
        if let Step::Done(v) = t.step(budget) {
            return v;
        }
    }
}

#[test]
fn smoke() {
    for b in [1, 2, 3, 7, 100, u32::MAX] {
        assert_eq!(drive(SumSqrt::new(1000), b).to_bits(), sum_sqrt(1000).to_bits());
        assert_eq!(drive(Nested::new(5, 7), b), nested(5, 7));
        assert_eq!(drive(Early::new(50), b), early(50));
        assert_eq!(drive(Early::new(5000), b), early(5000));
    }
}
