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
        assert_eq!(
            drive(SumSqrt::new(1000), b).to_bits(),
            sum_sqrt(1000).to_bits()
        );
        assert_eq!(drive(Nested::new(5, 7), b), nested(5, 7));
        assert_eq!(drive(Early::new(50), b), early(50));
        assert_eq!(drive(Early::new(5000), b), early(5000));
    }
}

#[penny::task]
fn jumps(n: u32, m: u32) -> u64 {
    let mut total = 0u64;
    'outer: for i in 0..n {
        let scale: u64 = i as u64 + 1;
        'inner: for j in 0..m {
            if j == i {
                continue 'outer;
            }
            if i * j == 12 {
                break 'outer;
            }
            if j % 5 == 4 {
                continue 'inner;
            }
            total += scale * j as u64;
            penny::yield_now!();
        }
        if total > 400 {
            return total * 2;
        }
        total += 7;
    }
    total
}

#[penny::task]
fn while_outer(limit: u64) -> (u64, u32) {
    let mut x = 1u64;
    let mut rounds = 0u32;
    while x < limit {
        rounds += 1;
        let mut k: u64 = 0;
        loop {
            k += 1;
            if k > x % 7 {
                break;
            }
            x += k;
            penny::yield_now!();
        }
        x = x * 2 + 1;
    }
    (x, rounds)
}

#[penny::task]
fn wild_nested(n: u32) -> u32 {
    let mut count = 0u32;
    for _ in 0..n {
        for j in (0..n).rev().step_by(2) {
            count = count.wrapping_mul(3).wrapping_add(j);
            penny::yield_now!();
        }
    }
    count
}

#[test]
fn tricky_control_flow() {
    for b in [1, 2, 3, 5, 8, 13, 1000, u32::MAX] {
        for n in 0..8 {
            for m in 0..8 {
                assert_eq!(drive(Jumps::new(n, m), b), jumps(n, m), "n={n} m={m} b={b}");
            }
            assert_eq!(drive(WildNested::new(n), b), wild_nested(n));
        }
        for limit in [0, 1, 2, 50, 1000] {
            assert_eq!(drive(WhileOuter::new(limit), b), while_outer(limit));
        }
    }
}

#[test]
fn zero_budget_does_nothing_and_done_repeats() {
    let mut t = Jumps::new(5, 5);
    let before = t.progress();
    assert_eq!(t.step(0), Step::Yielded);
    assert_eq!(t.progress(), before);
    let v = drive(t, 3);
    let mut t2 = Jumps::new(5, 5);
    while t2.step(2) == Step::Yielded {}
    assert_eq!(t2.step(0), Step::Done(v));
    assert_eq!(t2.step(9), Step::Done(v));
}

#[penny::task]
fn shadowing(n: u32, scale: u64) -> u64 {
    let n = n / 2 + 1;
    let mut acc = 0u64;
    for i in 0..n {
        acc += i as u64 * scale;
    }
    let acc = acc * 3;
    let mut extra = 0u64;
    for j in 0..n {
        extra += acc ^ j as u64;
    }
    acc + extra + n as u64
}

#[test]
fn function_level_shadowing_reuses_the_field() {
    for b in [1, 2, 7, u32::MAX] {
        for n in 0..20 {
            assert_eq!(drive(Shadowing::new(n, 3), b), shadowing(n, 3));
            let mut task = Shadowing::new(n, 3);
            let mut last = task.progress().done;
            while task.step(b) == Step::Yielded {
                assert!(task.progress().done >= last);
                last = task.progress().done;
            }
            let end = task.progress();
            assert_eq!(Some(end.done), end.total);
        }
    }
}

#[penny::task]
fn epilogue_lets(n: u32) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc += i as u64;
    }
    let doubled = acc * 2;
    if doubled > 100 {
        return doubled;
    }
    doubled + 1
}

#[test]
fn the_tail_sees_the_epilogue() {
    for n in 0..30 {
        assert_eq!(drive(EpilogueLets::new(n), 4), epilogue_lets(n));
    }
}
