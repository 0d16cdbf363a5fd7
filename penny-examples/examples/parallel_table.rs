//! Prints the parallel suite's table (sequential, rayon, Penny; medians, results checked).
//!
//! ```text
//! cargo run --release -p penny-examples --example parallel_table -- [reps] [scale]
//! ```

fn main() {
    let mut args = std::env::args().skip(1);
    let reps: usize = args.next().map_or(11, |a| a.parse().expect("reps"));
    let scale: f64 = args.next().map_or(1.0, |a| a.parse().expect("scale"));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pool = penny::Pool::builder().workers(workers).build();
    let rows = penny_examples::parallel_table::measure(&pool, scale, reps)
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{workers} workers (rayon: its default pool), medians of {reps} runs, scale {scale}\n"
    );
    print!("{}", penny_examples::parallel_table::markdown(&rows));
}
