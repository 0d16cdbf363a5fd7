// A `where` clause as rustfmt writes it, one predicate a line each ending with a comma: the
// generated state and its impls take it as written (`T: A,,` once failed to parse), and
// `#[derive(penny::Pod)]` too, with or without the last comma.
#![deny(warnings)]

#[penny::task]
pub fn sum_where<T, U>(a: [T; 4], b: [U; 4], n: u32) -> f64
where
    T: Copy + Into<f64> + Send + 'static,
    U: Copy + Into<f64> + Send + 'static,
{
    let mut s = 0.0;
    for i in 0..n {
        s += a[i as usize % 4].into() * b[i as usize % 4].into();
    }
    s
}

#[derive(Clone, Copy, penny::Pod)]
pub struct Pair<T>
where
    T: Copy,
    T: penny::Pod,
{
    pub a: T,
    pub b: T,
}

#[derive(Clone, Copy, penny::Pod)]
pub struct One<T> where T: Copy + penny::Pod { pub a: T }

fn main() {
    let (a, b) = ([1.0f32, 2.0, 3.0, 4.0], [1u8, 0, 2, 5]);
    let task = SumWhere::new(a, b, 10);
    assert_eq!(penny::run_to_completion(task), sum_where(a, b, 10));
    let zero = <Pair<u32> as penny::Pod>::ZERO;
    assert_eq!((zero.a, zero.b), (0, 0));
    assert_eq!(<One<u8> as penny::Pod>::ZERO.a, 0);
}
