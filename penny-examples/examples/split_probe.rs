//! The parallel suite's Penny runs beside sequential ones, without rayon: a quick look at
//! splitting alone (medians of 9 interleaved runs).
//!
//! ```text
//! cargo run --release -p penny-examples --example split_probe -- [workers] [name filter]
//! ```

use std::time::{Duration, Instant};
fn main() {
    let workers: usize = std::env::args().nth(1).map_or(2, |a| a.parse().unwrap());
    let only = std::env::args().nth(2).unwrap_or_default();
    let pool = penny::Pool::builder()
        .workers(workers)
        .time_slice(Duration::from_micros(500))
        .build();
    let cases = penny_examples::parallel_table::cases(1.0);
    for mut case in cases.into_iter().filter(|c| c.name.contains(&only)) {
        let mut v = Vec::new();
        let mut s = Vec::new();
        for _ in 0..9 {
            let t = Instant::now();
            (case.penny)(&pool);
            v.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            (case.sequential)();
            s.push(t.elapsed().as_secs_f64() * 1e3);
        }
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{:<15} penny {:7.2} ms  seq {:7.2} ms  speed-up {:.2}",
            case.name,
            v[4],
            s[4],
            s[4] / v[4]
        );
    }
}
