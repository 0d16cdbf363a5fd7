//! The native column of the JS benchmark (`cargo xtask bench web`): the same kernels, totals
//! and splits as `bench-web/bench.mjs`, timed natively.
//!
//! ```sh
//! cargo run --release -p penny-examples --example web_bench_native -- [--workers W] [--rounds N] [--json PATH]
//! ```
//!
//! - throughput: each case (kernel, K parts) as the plain function called for the K parts in
//!   turn on this thread, on a penny `Pool` of 1 worker and of W workers (K tasks spawned,
//!   then joined in order), and on a rayon pool of W threads (`par_iter` over the parts):
//!   wall-clock medians (and minima) of N rounds, the four run in an order that rotates every
//!   round, and the cores each really had (process CPU time ÷ wall time, median);
//! - round trip: spawn → join of a trivial task on an idle W-worker pool, one at a time; and
//!   bursts of 1,024 spawns, then joins (µs per spawn call, per task);
//! - urgent latency: every worker busy with `Background` spin tasks, spawn → join of a
//!   trivial `UserBlocking` task, at random gaps of 0–2 ms.
//!
//! A summary goes to stderr; `--json PATH` writes the figures as one JSON object (what
//! `bench-web/report.mjs` reads).

use penny::{Pool, Priority, TaskStatus};
use penny_examples::web_bench_kernels::*;
use penny_examples::web_kernels::Spin;
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// The benches' helpers (the CPU clock).
#[path = "../benches/common/mod.rs"]
#[allow(dead_code)]
mod common;

/// One throughput case: the kernel and how many parts (tasks) its total is split into.
#[derive(Clone, Copy)]
struct Case {
    kernel: &'static str,
    parts: u32,
}

const CASES: [Case; 4] = [
    Case {
        kernel: "sum_sqrt",
        parts: 64,
    },
    Case {
        kernel: "sum_sqrt",
        parts: 1024,
    },
    Case {
        kernel: "rng_histogram",
        parts: 64,
    },
    Case {
        kernel: "mandelbrot",
        parts: 64,
    },
];

/// A case's combined result, as a string every side prints alike (the cross-check).
type Check = String;

fn hist_check(bins: &[u32; 256]) -> Check {
    let weighted: u64 = bins
        .iter()
        .enumerate()
        .map(|(i, &c)| (i as u64 + 1) * c as u64)
        .sum();
    format!("{weighted}/{}/{}", bins[0], bins[255])
}

fn merge(into: &mut [u32; 256], part: &[u32; 256]) {
    for (a, b) in into.iter_mut().zip(part) {
        *a += b;
    }
}

/// The plain functions, part after part on this thread.
fn plain(case: Case) -> Check {
    let k = case.parts;
    match case.kernel {
        "sum_sqrt" => {
            let parts = (0..k).map(|i| part_range(SUM_SQRT_TOTAL, k, i));
            format!(
                "{:?}",
                parts.map(|(a, b)| sum_sqrt_range(a, b)).sum::<f64>()
            )
        }
        "rng_histogram" => {
            let mut bins = [0u32; 256];
            for i in 0..k {
                let (a, b) = part_range(HISTOGRAM_TOTAL, k, i);
                merge(&mut bins, &rng_histogram_part(HISTOGRAM_SEED, i, b - a));
            }
            hist_check(&bins)
        }
        _ => {
            let (w, h, m) = MANDELBROT;
            let sum: u64 = (0..k)
                .map(|i| part_range(h, k, i))
                .map(|(a, b)| mandelbrot_rows_sum(w, h, a, b, m))
                .sum();
            sum.to_string()
        }
    }
}

fn join<T: Copy + Send + 'static>(h: penny::TaskHandle<T>) -> T {
    h.join().expect("task failed")
}

/// K tasks spawned on `pool`, then joined in part order (the JS harness awaits in order too).
fn on_pool(pool: &Pool, case: Case) -> Check {
    let k = case.parts;
    match case.kernel {
        "sum_sqrt" => {
            let handles: Vec<_> = (0..k)
                .map(|i| part_range(SUM_SQRT_TOTAL, k, i))
                .map(|(a, b)| pool.spawn(SumSqrtRange::new(a, b)))
                .collect();
            format!("{:?}", handles.into_iter().map(join).sum::<f64>())
        }
        "rng_histogram" => {
            let handles: Vec<_> = (0..k)
                .map(|i| (i, part_range(HISTOGRAM_TOTAL, k, i)))
                .map(|(i, (a, b))| pool.spawn(RngHistogramPart::new(HISTOGRAM_SEED, i, b - a)))
                .collect();
            let mut bins = [0u32; 256];
            for h in handles {
                merge(&mut bins, &join(h));
            }
            hist_check(&bins)
        }
        _ => {
            let (w, h, m) = MANDELBROT;
            let handles: Vec<_> = (0..k)
                .map(|i| part_range(h, k, i))
                .map(|(a, b)| pool.spawn(MandelbrotRowsSum::new(w, h, a, b, m)))
                .collect();
            handles.into_iter().map(join).sum::<u64>().to_string()
        }
    }
}

/// The parts as a rayon `par_iter` on `pool` (collected, then combined in part order).
fn on_rayon(pool: &rayon::ThreadPool, case: Case) -> Check {
    let k = case.parts;
    pool.install(|| match case.kernel {
        "sum_sqrt" => {
            let parts: Vec<f64> = (0..k)
                .into_par_iter()
                .map(|i| part_range(SUM_SQRT_TOTAL, k, i))
                .map(|(a, b)| sum_sqrt_range(a, b))
                .collect();
            format!("{:?}", parts.into_iter().sum::<f64>())
        }
        "rng_histogram" => {
            let parts: Vec<[u32; 256]> = (0..k)
                .into_par_iter()
                .map(|i| (i, part_range(HISTOGRAM_TOTAL, k, i)))
                .map(|(i, (a, b))| rng_histogram_part(HISTOGRAM_SEED, i, b - a))
                .collect();
            let mut bins = [0u32; 256];
            parts.iter().for_each(|p| merge(&mut bins, p));
            hist_check(&bins)
        }
        _ => {
            let (w, h, m) = MANDELBROT;
            let sum: u64 = (0..k)
                .into_par_iter()
                .map(|i| part_range(h, k, i))
                .map(|(a, b)| mandelbrot_rows_sum(w, h, a, b, m))
                .sum();
            sum.to_string()
        }
    })
}

/// CPU time of the whole process (every thread) in ns: divided by the wall time of a sample,
/// how many cores the sample really had (on a shared machine other processes take some).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn process_cpu_ns() -> Option<u64> {
    const CLOCK_PROCESS_CPUTIME_ID: i64 = 2;
    common::cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID)
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn process_cpu_ns() -> Option<u64> {
    None
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// A small xorshift for the random gaps (no dependency for it).
fn gap(state: &mut u64) -> Duration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    Duration::from_micros(*state % 2000)
}

/// Urgent-task latencies (µs, sorted), with what shows the load was real: the share of
/// samples spawned while every worker ran a background task, and the background iterations
/// done meanwhile.
struct Urgent {
    workers: usize,
    us: Vec<f64>,
    all_busy: f64,
    advanced: u64,
}

/// 2 x `workers` background spins (`workers` running, as many queued behind them), then 1,000
/// `UserBlocking` tiny tasks spawned one at a time at random gaps of 0–2 ms, each timed from
/// spawn to join.
fn urgent(pool: &Pool, workers: usize) -> Urgent {
    let background: Vec<_> = (0..2 * workers)
        .map(|_| {
            pool.task(Spin::new(u64::MAX))
                .priority(Priority::Background)
                .spawn()
        })
        .collect();
    let running = || {
        background
            .iter()
            .filter(|h| h.status() == TaskStatus::Running)
            .count()
    };
    while running() < workers {
        std::thread::yield_now();
    }
    let progress = || background.iter().map(|h| h.progress().done).sum::<u64>();
    let before = progress();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut busy = 0;
    let mut us: Vec<f64> = (0..1000)
        .map(|i| {
            std::thread::sleep(gap(&mut state));
            // Spawn while every worker runs a background task (as the JS harness: wait up to
            // 50 ms for the one the last urgent task preempted to be taken up again).
            let wait_until = Instant::now() + Duration::from_millis(50);
            while running() != workers && Instant::now() < wait_until {
                std::thread::yield_now();
            }
            busy += (running() == workers) as u32;
            let t = Instant::now();
            let h = pool
                .task(Tiny::new(i))
                .priority(Priority::UserBlocking)
                .spawn();
            assert_eq!(h.join().unwrap(), i + 1);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let advanced = progress() - before;
    for h in &background {
        h.cancel();
    }
    us.sort_by(f64::total_cmp);
    Urgent {
        workers,
        all_busy: busy as f64 / us.len() as f64,
        us,
        advanced,
    }
}

struct Options {
    workers: usize,
    rounds: usize,
    json: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        rounds: 7,
        json: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("a value");
        let number = |v: String| v.parse().expect("a number");
        match arg.as_str() {
            "--workers" => o.workers = number(value()),
            "--rounds" => o.rounds = number(value()),
            "--json" => o.json = Some(value()),
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

fn main() {
    let o = options();
    let w = o.workers;
    let pool1 = Pool::builder().workers(1).build();
    let pool_w = Pool::builder().workers(w).build();
    let rayon_w = rayon::ThreadPoolBuilder::new()
        .num_threads(w)
        .build()
        .unwrap();

    // Throughput: one warm-up round, then `rounds` rounds with a rotating order.
    let configs = ["plain", "pool1", "poolW", "rayon"];
    let mut cases_json = Vec::new();
    for case in CASES {
        // (wall ms, process CPU ms, check)
        let run = |c: &str| -> (f64, Option<f64>, Check) {
            let cpu = process_cpu_ns();
            let t = Instant::now();
            let check = match c {
                "plain" => plain(case),
                "pool1" => on_pool(&pool1, case),
                "poolW" => on_pool(&pool_w, case),
                _ => on_rayon(&rayon_w, case),
            };
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let cpu = cpu.zip(process_cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e6);
            (ms, cpu, check)
        };
        let want = run("plain").2;
        let mut samples = vec![Vec::new(); configs.len()];
        let mut cores = vec![Vec::new(); configs.len()];
        for round in 0..=o.rounds {
            for j in 0..configs.len() {
                let c = (j + round) % configs.len();
                let (ms, cpu, check) = run(configs[c]);
                assert_eq!(
                    check, want,
                    "{} K={} on {}",
                    case.kernel, case.parts, configs[c]
                );
                if round > 0 {
                    samples[c].push(ms);
                    cores[c].extend(cpu.map(|cpu| cpu / ms));
                }
            }
        }
        // `"way":value` for each way `f` gives a value for.
        let figures = |f: &dyn Fn(&mut Vec<f64>) -> Option<f64>, of: &mut [Vec<f64>]| {
            let items: Vec<String> = configs
                .iter()
                .zip(of)
                .filter_map(|(c, s)| f(s).map(|v| format!("\"{c}\":{v:.3}")))
                .collect();
            items.join(",")
        };
        let medians = figures(&|s| Some(median(s)), &mut samples);
        let mins = figures(&|s| s.iter().copied().reduce(f64::min), &mut samples);
        let cores = figures(&|s| (!s.is_empty()).then(|| median(s)), &mut cores);
        eprintln!(
            "{} K={}: {medians} (cores used: {cores})",
            case.kernel, case.parts
        );
        cases_json.push(format!(
            "{{\"kernel\":\"{}\",\"parts\":{},\"check\":\"{want}\",\"ms\":{{{medians}}},\
             \"min\":{{{mins}}},\"cores\":{{{cores}}}}}",
            case.kernel, case.parts,
        ));
    }

    // Round trip on the idle W-worker pool.
    let mut rt: Vec<f64> = (0..20_500)
        .map(|i| {
            let t = Instant::now();
            assert_eq!(pool_w.spawn(Tiny::new(i)).join().unwrap(), i + 1);
            t.elapsed().as_secs_f64() * 1e6
        })
        .skip(500)
        .collect();
    rt.sort_by(f64::total_cmp);

    // Bursts of 1,024 spawns, then joins in order (as the JS harness's spawnBurst): µs per
    // spawn call and per task, medians of 15 bursts after 3.
    let (mut spawn_us, mut task_us) = (Vec::new(), Vec::new());
    for round in 0..18 {
        let t = Instant::now();
        let handles: Vec<_> = (0..1024).map(|i| pool_w.spawn(Tiny::new(i))).collect();
        let spawned = t.elapsed();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), i as u32 + 1);
        }
        if round >= 3 {
            spawn_us.push(spawned.as_secs_f64() * 1e6 / 1024.0);
            task_us.push(t.elapsed().as_secs_f64() * 1e6 / 1024.0);
        }
    }
    let burst = format!(
        "{{\"n\":1024,\"spawnUs\":{:.3},\"taskUs\":{:.3}}}",
        median(&mut spawn_us),
        median(&mut task_us)
    );
    eprintln!("spawn burst µs: {burst}");

    // Urgent latency with every worker busy, on W workers (the main thread competes with
    // them for the cores) and on W - 1 (a core left for it).
    let pool_less = (w > 1).then(|| Pool::builder().workers(w - 1).build());
    let urgent_w = urgent(&pool_w, w);
    let urgent_less = pool_less.as_ref().map(|p| urgent(p, w - 1));

    let stats = |s: &[f64]| {
        format!(
            "{{\"n\":{},\"p50\":{:.2},\"p99\":{:.2},\"max\":{:.2},\"mean\":{:.2}}}",
            s.len(),
            percentile(s, 0.5),
            percentile(s, 0.99),
            s[s.len() - 1],
            s.iter().sum::<f64>() / s.len() as f64
        )
    };
    eprintln!("round trip µs: {}", stats(&rt));
    let urgent_json = |u: &Urgent| {
        format!(
            "{{\"workers\":{},\"us\":{},\"allBusy\":{:.4},\"backgroundIterations\":{}}}",
            u.workers,
            stats(&u.us),
            u.all_busy,
            u.advanced
        )
    };
    let urgent_all: Vec<String> = [Some(&urgent_w), urgent_less.as_ref()]
        .into_iter()
        .flatten()
        .map(urgent_json)
        .collect();
    for u in &urgent_all {
        eprintln!("urgent: {u}");
    }
    if let Some(path) = &o.json {
        let json = format!(
            "{{\"platform\":\"native\",\"workers\":{w},\"rounds\":{},\"throughput\":[{}],\
             \"roundTrip\":{},\"spawnBurst\":{burst},\"urgent\":[{}]}}",
            o.rounds,
            cases_json.join(","),
            stats(&rt),
            urgent_all.join(",")
        );
        std::fs::write(path, json).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}
