//! Penny's native demo: a pool busy with long background Mandelbrot bands lets an urgent
//! task jump ahead at the next chunk boundary, reports progress while the bands run, and
//! cancels one of them — then checks every result against the plain functions. Then the
//! parallel suite: each kernel one task whose `#[penny::split]` loop spreads over every
//! worker, beside its sequential run and rayon, results checked.
//!
//! Run with `cargo xtask demo` (or `cargo run --release -p penny-examples --bin demo`).

use std::time::{Duration, Instant};

use penny::{Out, Pool, Priority, TaskError, TaskStatus};
use penny_examples::demo_kernels::{checksum, mandelbrot_band, Checksum, MandelbrotBand};

const WIDTH: u32 = 1600;
const HEIGHT: u32 = 1200;
const MAX_ITER: u32 = 2000;

fn main() {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pool = Pool::builder()
        .workers(workers)
        .time_slice(Duration::from_micros(500))
        .build();
    println!("Penny demo: {workers} workers, {WIDTH}x{HEIGHT} Mandelbrot, max_iter {MAX_ITER}");

    let image = Out::leak_filled((WIDTH * HEIGHT) as usize, 0u32);
    let bands = (workers as u32 * 2).max(4);
    let rows = HEIGHT / bands;
    let started = Instant::now();
    let handles: Vec<_> = (0..bands)
        .map(|b| {
            let end = if b + 1 == bands {
                HEIGHT
            } else {
                (b + 1) * rows
            };
            let task = MandelbrotBand::new(image, WIDTH, HEIGHT, b * rows, end, MAX_ITER);
            (
                b,
                end,
                pool.task(task).priority(Priority::Background).spawn(),
            )
        })
        .collect();

    // Let the background bands take every worker, then ask for something urgent.
    std::thread::sleep(Duration::from_millis(100));
    let urgent_start = Instant::now();
    let urgent = pool
        .task(Checksum::new(200_000, 7))
        .priority(Priority::UserBlocking)
        .spawn();
    let urgent_value = urgent.join().expect("the urgent task finishes");
    let urgent_latency = urgent_start.elapsed();
    assert_eq!(urgent_value, checksum(200_000, 7));
    println!(
        "urgent UserBlocking task done in {:.2} ms while {bands} background bands kept running",
        urgent_latency.as_secs_f64() * 1e3
    );

    // Cancel the last band; it stops at its next chunk boundary.
    let cancelled = bands - 1;
    handles[cancelled as usize].2.cancel();

    // Progress, read from the tasks' loop cursors while they run.
    loop {
        let mut line = String::new();
        let mut running = 0;
        for (b, _, handle) in &handles {
            let progress = handle.progress();
            let percent = progress.fraction().map_or(0.0, |f| f * 100.0);
            line.push_str(&format!("{b}:{percent:>3.0}% "));
            if !handle.status().is_finished() {
                running += 1;
            }
        }
        println!("  {line}");
        if running == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    let elapsed = started.elapsed();

    // Check every band against the plain function run on this thread.
    let reference = Out::leak_filled((WIDTH * HEIGHT) as usize, 0u32);
    let mut checked = 0;
    for (b, end, handle) in handles {
        match handle.join() {
            Ok(escaped) => {
                let expected = mandelbrot_band(reference, WIDTH, HEIGHT, b * rows, end, MAX_ITER);
                assert_eq!(escaped, expected, "band {b}");
                let range = (b * rows * WIDTH) as usize..(end * WIDTH) as usize;
                for px in range {
                    assert_eq!(image.get(px), reference.get(px), "pixel {px}");
                }
                checked += 1;
            }
            Err(TaskError::Cancelled) => {
                assert_eq!(b, cancelled);
                println!("band {b} was cancelled, as asked");
            }
            Err(other) => panic!("band {b} failed: {other:?}"),
        }
        debug_assert_ne!(TaskStatus::Queued, TaskStatus::Done);
    }
    println!(
        "{checked} bands match the plain function pixel for pixel; all bands took {:.0} ms",
        elapsed.as_secs_f64() * 1e3
    );

    // One task per kernel, its split loop spread over every worker (rayon beside it: native).
    #[cfg(not(target_arch = "wasm32"))]
    parallel_table(&pool, workers);
}

#[cfg(not(target_arch = "wasm32"))]
fn parallel_table(pool: &Pool, workers: usize) {
    let reps = 5;
    println!(
        "\nParallel loops: one task per kernel (#[penny::split]), {workers} workers, rayon \
         beside it; medians of {reps} runs, every result checked against the sequential one"
    );
    let rows =
        penny_examples::parallel_table::measure(pool, 1.0, reps).unwrap_or_else(|e| panic!("{e}"));
    print!("{}", penny_examples::parallel_table::markdown(&rows));
}
