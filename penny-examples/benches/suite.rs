//! P1 over the whole suite: every `#[penny::task]` kernel of `penny_examples` (the
//! equivalence-suite kernels in `kernels/`, the newcomer kernels, the benchmark kernels and
//! the demo kernels) run three ways — its plain function, its task at budget `u32::MAX`, and
//! its task stepped in chunks of about 100 µs — and the ratio task ÷ plain for both budgets.
//!
//! ```text
//! cargo bench -p penny-examples --bench suite                     # every kernel, 15 rounds
//! cargo bench -p penny-examples --bench suite -- newcomer --rounds 31
//! cargo bench -p penny-examples --bench suite -- --list
//! ```
//!
//! Arguments: any number of filters (a kernel runs when its name, `module::kernel`, contains
//! one of them), `--rounds N` (default 15), `--markdown PATH` (default
//! `target/penny-suite.md`), `--list` (print the names and stop), `--hand` (also run the
//! hand-lowered variants that back the macro proposals in BENCHMARKS.md).
//!
//! How each kernel is measured:
//!
//! - **Inputs** are sized so one plain run takes about 2 ms or more where the kernel has a
//!   size; a kernel whose work is fixed by its nature (a bisection, `0..=255u8`) is run
//!   `reps` times per sample instead, so that every sample takes at least ~2 ms. Inputs go
//!   through `black_box` on every call, outputs through `black_box` after it.
//! - **Checks first.** The task's output at `u32::MAX`, at budget 4096 and at the chunk
//!   budget must equal the plain output bit for bit ([`BitEq`]), and so must the `Out` buffer
//!   a kernel writes; every timed sample's output is checked again after its clock stops.
//! - **Chunk budget.** The number of budget units a run takes (iterations of resumable
//!   loops) is counted by stepping the task, the plain run's CPU time per unit follows, and
//!   the budget is the number of units in 100 µs. A kernel shorter than one chunk runs in one
//!   `step` (the table says `1` chunk).
//! - **Rounds.** `--rounds` rounds, each running plain, task at `u32::MAX` and task in chunks
//!   once, in an order that rotates every round, on the thread's CPU clock. The ratio
//!   reported is the ratio of the minima over the rounds (the least disturbed sample of each
//!   variant); the ratio of medians is printed beside it.

use std::fmt::{Debug, Write as _};
use std::hint::black_box as bb;
use std::path::PathBuf;

use penny::{run_to_completion, In, Out, Step, Task};
use penny_examples::bench_kernels::{self, data_f32, data_f64};
use penny_examples::demo_kernels;
use penny_examples::kernels::{arrays, control, nested, newcomer, phases, reductions, BitEq};

mod common;
use common::{drive, thread_cpu_ns};

/// CPU time one chunk should take.
const TARGET_CHUNK_NS: f64 = 100_000.0;
/// Least CPU time of one sample (a kernel shorter than this runs several times per sample).
const MIN_SAMPLE_NS: f64 = 2_000_000.0;

/// What the command line asked for.
struct Options {
    filters: Vec<String>,
    rounds: usize,
    markdown: PathBuf,
    list: bool,
    hand: bool,
}

impl Options {
    fn parse() -> Options {
        let mut opts = Options {
            filters: Vec::new(),
            rounds: 15,
            markdown: default_markdown(),
            list: false,
            hand: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                // `cargo bench` passes `--bench` to every bench binary.
                "--bench" => {}
                "--list" => opts.list = true,
                "--hand" => opts.hand = true,
                "--rounds" => {
                    opts.rounds = args
                        .next()
                        .and_then(|n| n.parse().ok())
                        .filter(|&n| n > 0)
                        .expect("--rounds takes a positive number")
                }
                "--markdown" => {
                    opts.markdown = args.next().expect("--markdown takes a path").into();
                }
                flag if flag.starts_with("--") => panic!(
                    "unknown option `{flag}` (filters, --rounds N, --markdown PATH, --list, --hand)"
                ),
                filter => opts.filters.push(filter.to_owned()),
            }
        }
        opts
    }

    fn selected(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }
}

/// `target/penny-suite.md` of the workspace (the bench binary runs from `target/release/deps`).
fn default_markdown() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the bench binary");
    exe.ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "target"))
        .map_or_else(
            || PathBuf::from("penny-suite.md"),
            |t| t.join("penny-suite.md"),
        )
}

/// One kernel's result.
struct Row {
    name: String,
    /// Least CPU time of one plain call, in ns.
    plain_ns: f64,
    /// Calls per sample.
    reps: u32,
    /// Budget units (iterations of resumable loops) of one run.
    units: f64,
    budget: u32,
    /// Chunks one chunked run takes.
    chunks: u64,
    /// task ÷ plain at `u32::MAX` and in chunks: (ratio of minima, ratio of medians).
    max: (f64, f64),
    chunked: (f64, f64),
}

impl Row {
    fn worst(&self) -> f64 {
        self.max.0.max(self.chunked.0)
    }
}

/// Runs the selected kernels and keeps their rows.
struct Suite {
    opts: Options,
    rows: Vec<Row>,
    hand_rows: Vec<Row>,
}

impl Suite {
    /// Measures kernel `name` if it is selected: `setup` builds its inputs and calls
    /// [`Kernel::run`] or [`Kernel::run_out`].
    fn case(&mut self, name: &str, setup: impl FnOnce(&mut Kernel)) {
        self.measure(name, false, setup);
    }

    /// A hand-lowered variant (`--hand`): measured like a kernel, reported apart.
    #[allow(dead_code)] // the hand-lowered variants come with the macro proposals
    fn hand(&mut self, name: &str, setup: impl FnOnce(&mut Kernel)) {
        if self.opts.hand {
            self.measure(name, true, setup);
        }
    }

    fn measure(&mut self, name: &str, hand: bool, setup: impl FnOnce(&mut Kernel)) {
        if !self.opts.selected(name) {
            return;
        }
        if self.opts.list {
            println!("{name}");
            return;
        }
        let mut kernel = Kernel {
            name: name.to_owned(),
            rounds: self.opts.rounds,
            row: None,
        };
        setup(&mut kernel);
        let row = kernel.row.expect("the setup ran the kernel");
        println!(
            "{:34} plain {:>10} x{:<5} | u32::MAX {:.3} (med {:.3}) | chunks of {:>9} ({:>5} chunks) {:.3} (med {:.3})",
            row.name,
            fmt_ns(row.plain_ns),
            row.reps,
            row.max.0,
            row.max.1,
            row.budget,
            row.chunks,
            row.chunked.0,
            row.chunked.1,
        );
        if hand {
            self.hand_rows.push(row);
        } else {
            self.rows.push(row);
        }
    }
}

/// One kernel being measured.
struct Kernel {
    name: String,
    rounds: usize,
    row: Option<Row>,
}

impl Kernel {
    /// A kernel whose only result is its output.
    fn run<O, T>(&mut self, plain: impl Fn() -> O, make: impl Fn() -> T)
    where
        O: BitEq + Debug + Copy,
        T: Task<Output = O>,
    {
        self.run_out(plain, make, || (), || ());
    }

    /// A kernel that also writes shared memory: `snapshot` reads what it wrote, `reset`
    /// clears it before each checked run.
    fn run_out<O, T, S>(
        &mut self,
        plain: impl Fn() -> O,
        make: impl Fn() -> T,
        snapshot: impl Fn() -> S,
        reset: impl Fn(),
    ) where
        O: BitEq + Debug + Copy,
        T: Task<Output = O>,
        S: BitEq + Debug,
    {
        let name = &self.name;
        reset();
        let want = plain();
        let want_written = snapshot();
        let check = |got: O, how: &str| {
            assert!(
                got.bit_eq(&want),
                "{name}: the task ({how}) returned {got:?}, the plain function {want:?}"
            );
            let written = snapshot();
            assert!(
                written.bit_eq(&want_written),
                "{name}: the task ({how}) wrote other values than the plain function"
            );
        };
        reset();
        check(run_to_completion(make()), "budget u32::MAX");
        reset();
        check(drive(make(), 4096), "budget 4096");

        // Calibration: the plain call's time, the units of one run, the chunk budget.
        let plain_ns = (0..3)
            .map(|_| sample(1, &plain).0)
            .min()
            .expect("three samples") as f64;
        let reps = (MIN_SAMPLE_NS / plain_ns.max(1.0)).ceil().clamp(1.0, 1e6) as u32;
        let units = count_units(&make);
        let budget = (TARGET_CHUNK_NS * units / plain_ns.max(1.0))
            .round()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
        let chunks = count_steps(&make, budget);
        reset();
        check(drive(make(), budget), &format!("budget {budget}"));

        // Paired rounds, rotating the order of the three variants.
        let mut times: [Vec<u64>; 3] = Default::default();
        for round in 0..self.rounds {
            for k in 0..3 {
                let which = (round + k) % 3;
                let (ns, got) = match which {
                    0 => sample(reps, &plain),
                    1 => sample(reps, || run_to_completion(make())),
                    _ => sample(reps, || drive(make(), bb(budget))),
                };
                check(got, ["plain", "u32::MAX, timed", "chunked, timed"][which]);
                times[which].push(ns);
            }
        }
        for t in &mut times {
            t.sort_unstable();
        }
        let min = |t: &Vec<u64>| t[0] as f64;
        let med = |t: &Vec<u64>| median(&t.iter().map(|&x| x as f64).collect::<Vec<_>>());
        self.row = Some(Row {
            name: self.name.clone(),
            plain_ns: min(&times[0]) / f64::from(reps),
            reps,
            units,
            budget,
            chunks,
            max: (
                min(&times[1]) / min(&times[0]),
                med(&times[1]) / med(&times[0]),
            ),
            chunked: (
                min(&times[2]) / min(&times[0]),
                med(&times[2]) / med(&times[0]),
            ),
        });
    }
}

/// CPU time of `reps` calls of `f`, and the last call's output.
#[inline(never)]
fn sample<O>(reps: u32, f: impl Fn() -> O) -> (u64, O) {
    let start = thread_cpu_ns();
    let mut out = bb(f());
    for _ in 1..reps {
        out = bb(f());
    }
    (thread_cpu_ns() - start, out)
}

/// `step` calls a fresh task takes with `budget`.
fn count_steps<T: Task>(make: impl Fn() -> T, budget: u32) -> u64 {
    let mut task = make();
    let mut steps = 0;
    loop {
        steps += 1;
        if let Step::Done(_) = task.step(budget) {
            return steps;
        }
    }
}

/// About how many budget units one run takes: every `step` but the last uses its whole
/// budget, so with `s` steps of budget `b` the run took between `(s - 1) b` and `s b` units.
/// The budget shrinks until there are enough steps for a 1 % estimate.
fn count_units<T: Task>(make: impl Fn() -> T) -> f64 {
    let mut budget: u32 = 1 << 16;
    loop {
        let steps = count_steps(&make, budget);
        if steps >= 64 || budget == 1 {
            return (steps as f64 - 0.5) * f64::from(budget);
        }
        budget = ((u64::from(budget) * steps / 256) as u32).max(1);
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The value below which `q` of the sorted values lie (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn leak<T>(items: Vec<T>) -> In<T> {
    In::new(Vec::leak(items))
}

/// Bits of an `f32` buffer, for bit-for-bit comparison.
fn f32_bits(out: Out<f32>) -> Vec<u32> {
    out.to_vec().into_iter().map(f32::to_bits).collect()
}

/// A kernel whose only inputs are its arguments: `kernel!(s, module, function, Task(args))`.
macro_rules! kernel {
    ($s:ident, $m:ident, $f:ident, $t:ident ( $($arg:expr),* $(,)? )) => {
        $s.case(concat!(stringify!($m), "::", stringify!($f)), |k| {
            k.run(|| $m::$f($(bb($arg)),*), || $m::$t::new($(bb($arg)),*))
        })
    };
}

fn reductions(s: &mut Suite) {
    kernel!(s, reductions, sum_squares, SumSquares(20_000_000u32));
    kernel!(
        s,
        reductions,
        harmonic_f32,
        HarmonicF32(1_000_000u32, 3.5f32)
    );
    kernel!(
        s,
        reductions,
        wrapping_product,
        WrappingProduct(2_000_000u32, 0x1234_5678_9abc_def0u64)
    );
    kernel!(s, reductions, min_max, MinMax(4_000_000u32, 0x9e37_79b9u32));
    s.case("reductions::dot", |k| {
        let a = leak(data_f64(1 << 20, 1));
        let b = leak(data_f64(1 << 20, 2));
        k.run(
            || reductions::dot(bb(a), bb(b)),
            || reductions::Dot::new(bb(a), bb(b)),
        );
    });
    s.case("reductions::prefix_min", |k| {
        let v = leak(
            data_f64(1 << 21, 5)
                .into_iter()
                .map(|x| (x * 1e6) as i64)
                .collect(),
        );
        k.run(
            || reductions::prefix_min(bb(v)),
            || reductions::PrefixMin::new(bb(v)),
        );
    });
}

fn arrays(s: &mut Suite) {
    kernel!(s, arrays, histogram, Histogram(4_000_000u32, 7u32));
    kernel!(s, arrays, four_lanes, FourLanes(200_000u32, 0.001f64));
    kernel!(s, arrays, fibonacci_pair, FibonacciPair(4_000_000u32));
    kernel!(s, arrays, last_match, LastMatch(4_000_000u32, 7u32));
    kernel!(s, arrays, running_stats, RunningStats(200_000u32, 0.01f64));
    s.case("arrays::squares_out", |k| {
        let out = Out::leak_filled(1 << 20, 0u64);
        k.run_out(
            || arrays::squares_out(bb(out), bb(3)),
            || arrays::SquaresOut::new(bb(out), bb(3)),
            || out.to_vec(),
            || out.fill(0),
        );
    });
    s.case("arrays::prefix_sum_out", |k| {
        let input = leak(data_f32(1 << 20, 6));
        let out = Out::leak_filled(1 << 20, 0.0f32);
        k.run_out(
            || arrays::prefix_sum_out(bb(input), bb(out)),
            || arrays::PrefixSumOut::new(bb(input), bb(out)),
            || f32_bits(out),
            || out.fill(0.0),
        );
    });
    kernel!(s, arrays, destructure, Destructure(4_000_000u32));
    kernel!(s, arrays, wide, Wide(2_000_000u32));
    kernel!(s, arrays, grid, Grid(4_000_000u32));
    kernel!(s, arrays, option_take, OptionTake(4_000_000u32));
    s.case("arrays::fill_out", |k| {
        let out = Out::leak_filled(1 << 20, 0i32);
        k.run_out(
            || arrays::fill_out(bb(out), bb(5)),
            || arrays::FillOut::new(bb(out), bb(5)),
            || out.to_vec(),
            || out.fill(0),
        );
    });
    kernel!(s, arrays, heap_in_iteration, HeapInIteration(20_000u32));
    kernel!(s, arrays, tuple_struct, TupleStruct(4_000_000u32));
    s.case("arrays::unit_return", |k| {
        let out = Out::leak_filled(1 << 20, 0u32);
        k.run_out(
            || arrays::unit_return(bb(out), bb(1_000_000)),
            || arrays::UnitReturn::new(bb(out), bb(1_000_000)),
            || out.to_vec(),
            || out.fill(0),
        );
    });
    kernel!(s, arrays, literals, Literals(2_000_000u32));
}

fn control(s: &mut Suite) {
    kernel!(
        s,
        control,
        collatz_steps,
        CollatzSteps(837_799u64, 10_000u32)
    );
    kernel!(s, control, gcd_steps, GcdSteps(10_000_000u64, 3u64));
    kernel!(s, control, cube_root, CubeRoot(12_345.678f64, 200u32));
    kernel!(s, control, find_first, FindFirst(4_000_000u32, 11u32, 0u32));
    kernel!(
        s,
        control,
        find_in_grid,
        FindInGrid(2_000u32, 2_000u32, 1_000u32)
    );
    kernel!(
        s,
        control,
        first_pair_with_sum,
        FirstPairWithSum(3_000u32, 3u32)
    );
    kernel!(
        s,
        control,
        skip_rows,
        SkipRows(2_000u32, 2_000u32, 1_000_003u32)
    );
    kernel!(
        s,
        control,
        labeled_resumable,
        LabeledResumable(1_000u32, 1_000u32, u64::MAX)
    );
    kernel!(s, control, newton_sqrt, NewtonSqrt(12_345.678f64, 1_000u32));
    kernel!(s, control, lcg_until, LcgUntil(12_345u32, 10_000_000u32));
    kernel!(s, control, while_continue, WhileContinue(4_000_000u32));
    kernel!(
        s,
        control,
        state_machine,
        StateMachine(4_000_000u32, 0x2545_f491u32)
    );
    kernel!(s, control, macros_in_body, MacrosInBody(100_000u32));
    kernel!(
        s,
        control,
        two_phase_early,
        TwoPhaseEarly(2_000_000u32, u32::MAX)
    );
    kernel!(s, control, closure_return, ClosureReturn(4_000_000u32));
    kernel!(s, control, inner_fn, InnerFn(4_000_000u32));
    kernel!(s, control, plain_breaks, PlainBreaks(2_000u32, 500u32));
    kernel!(s, control, checked_sum, CheckedSum(250u32, u32::MAX));
    kernel!(s, control, labeled_block, LabeledBlock(4_000_000u32));
    kernel!(
        s,
        control,
        shadow_in_iteration,
        ShadowInIteration(4_000_000u32)
    );
    kernel!(
        s,
        control,
        loop_var_named_like_carried,
        LoopVarNamedLikeCarried(4_000_000u32)
    );
    kernel!(
        s,
        control,
        closure_mutates_carried,
        ClosureMutatesCarried(4_000_000u32)
    );
    kernel!(s, control, match_guard_loop, MatchGuardLoop(4_000_000u32));
}

fn nested(s: &mut Suite) {
    kernel!(s, nested, row_checksum, RowChecksum(2_000u32, 2_000u32));
    kernel!(s, nested, matmul_sum, MatmulSum(150u32));
    kernel!(s, nested, triangular, Triangular(3_000u32));
    kernel!(
        s,
        nested,
        resumable_inner,
        ResumableInner(1_000u32, 2_000u32)
    );
    kernel!(
        s,
        nested,
        resumable_middle,
        ResumableMiddle(1_000u32, 1_000u32)
    );
    kernel!(s, nested, collatz_total, CollatzTotal(100_000u32));
    kernel!(
        s,
        nested,
        return_inner,
        ReturnInner(2_000u32, 2_000u32, 1_000u64)
    );
    kernel!(s, nested, break_resumable, BreakResumable(100u32, 100u32));
    kernel!(s, nested, three_levels, ThreeLevels(300u32));
    kernel!(s, nested, while_outer, WhileOuter(u64::MAX / 2));
    kernel!(s, nested, loop_outer, LoopOuter(3_000u32));
    kernel!(
        s,
        nested,
        inner_range_reads_outer_body,
        InnerRangeReadsOuterBody(1_000_000u32)
    );
}

fn phases(s: &mut Suite) {
    kernel!(
        s,
        phases,
        mean_deviation,
        MeanDeviation(4_000_000u32, 0x5bd1_e995u32)
    );
    kernel!(s, phases, three_phases, ThreePhases(4_000_000u32, 42u64));
    kernel!(s, phases, strided, Strided(2_000_000i64, 3usize));
    kernel!(
        s,
        phases,
        range_shapes,
        RangeShapes(-2_000_000i32, 2_000_000i32, 3usize)
    );
    kernel!(s, phases, u8_ranges, U8Ranges(3u8, 200u8));
    kernel!(
        s,
        phases,
        maybe_empty,
        MaybeEmpty(4_000_000u32, 1_000_000u32)
    );
    kernel!(
        s,
        phases,
        prologue_epilogue,
        PrologueEpilogue(2_000_000usize, -7i32)
    );
    kernel!(s, phases, i8_full, I8Full(1usize));
    kernel!(s, phases, early_prologue, EarlyPrologue(4_000_000u32));
    kernel!(s, phases, prologue_range, PrologueRange(4_000_000u32));
    kernel!(s, phases, empty_body, EmptyBody(4_000_000u32));
    kernel!(s, phases, mut_arg, MutArg(17u64, 4_000_000u32));
    kernel!(s, phases, full_rev, FullRev(4_000_000u32));
    kernel!(s, phases, full_rev_step, FullRevStep(5u32));
    kernel!(s, phases, shadow_arg, ShadowArg(4_000_000u32));
    kernel!(s, phases, epilogue_let, EpilogueLet(4_000_000u32));
}

fn newcomer(s: &mut Suite) {
    use newcomer::*;
    kernel!(s, newcomer, rev_step_madd, RevStepMadd(REV_STEP_N));
    kernel!(
        s,
        newcomer,
        lcg_histogram,
        LcgHistogram(LCG_HIST_N, 0x2545_f491u32)
    );
    kernel!(
        s,
        newcomer,
        xorshift_pi,
        XorshiftPi(XORSHIFT_PI_N, 0x9e37_79b9u32)
    );
    kernel!(s, newcomer, generated_dot, GeneratedDot(GEN_DOT_N));
    kernel!(s, newcomer, grid_sum, GridSum(GRID_SIDE));
    kernel!(s, newcomer, popcount_sum, PopcountSum(POPCOUNT_N));
    kernel!(s, newcomer, odd_harmonic, OddHarmonic(ODD_HARMONIC_N));
    kernel!(s, newcomer, count_primes, CountPrimes(PRIMES_N));
}

fn bench_kernels(s: &mut Suite) {
    use bench_kernels::*;
    kernel!(s, bench_kernels, sum_sqrt, SumSqrt(2_000_000u32));
    s.case("bench_kernels::dot", |k| {
        let a = leak(data_f64(DOT_LEN, 1));
        let b = leak(data_f64(DOT_LEN, 2));
        k.run(|| dot(bb(a), bb(b)), || Dot::new(bb(a), bb(b)));
    });
    s.case("bench_kernels::mandelbrot_rows", |k| {
        let (w, h, m) = (256u32, 128u32, 256u32);
        let out = Out::leak_filled((w * h) as usize, 0u32);
        k.run_out(
            || mandelbrot_rows(bb(out), bb(w), bb(h), bb(m)),
            || MandelbrotRows::new(bb(out), bb(w), bb(h), bb(m)),
            || out.to_vec(),
            || out.fill(0),
        );
    });
    kernel!(
        s,
        bench_kernels,
        rng_histogram,
        RngHistogram(4_000_000u32, 0x9e37_79b9u32)
    );
    s.case("bench_kernels::matmul", |k| {
        let n = 128u32;
        let len = (n * n) as usize;
        let a = leak(data_f32(len, 3));
        let b = leak(data_f32(len, 4));
        let c = Out::leak_filled(len, 0.0f32);
        k.run_out(
            || matmul(bb(a), bb(b), bb(c), bb(n)),
            || Matmul::new(bb(a), bb(b), bb(c), bb(n)),
            || f32_bits(c),
            || c.fill(0.0),
        );
    });
}

fn demo_kernels(s: &mut Suite) {
    use demo_kernels::*;
    s.case("demo_kernels::mandelbrot_band", |k| {
        let (w, h, m) = (256u32, 128u32, 256u32);
        let out = Out::leak_filled((w * h) as usize, 0u32);
        k.run_out(
            || mandelbrot_band(bb(out), bb(w), bb(h), bb(0), bb(h), bb(m)),
            || MandelbrotBand::new(bb(out), bb(w), bb(h), bb(0), bb(h), bb(m)),
            || out.to_vec(),
            || out.fill(0),
        );
    });
    kernel!(s, demo_kernels, checksum, Checksum(4_000_000u64, 99u64));
}

/// The distribution of one column of ratios, as a markdown line.
fn distribution(label: &str, rows: &[Row], ratio: impl Fn(&Row) -> f64) -> String {
    let mut values: Vec<f64> = rows.iter().map(&ratio).collect();
    values.sort_by(f64::total_cmp);
    let worst = rows
        .iter()
        .max_by(|a, b| ratio(a).total_cmp(&ratio(b)))
        .expect("rows");
    format!(
        "| {label} | {} | {:.3} | {:.3} | {:.3} | {:.3} ({}) | {:.3} |",
        values.len(),
        values[0],
        median(&values),
        quantile(&values, 0.9),
        values[values.len() - 1],
        worst.name,
        values.iter().filter(|&&v| v > 1.05).count() as f64 / values.len() as f64,
    )
}

fn table(rows: &[&Row]) -> String {
    let mut md = String::from(
        "| kernel | plain (one call) | calls per sample | units per run | chunk budget | chunks | task u32::MAX ÷ plain (min; med) | task chunked ÷ plain (min; med) |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.0} | {} | {} | {:.3}; {:.3} | {:.3}; {:.3} |",
            r.name,
            fmt_ns(r.plain_ns),
            r.reps,
            r.units,
            r.budget,
            r.chunks,
            r.max.0,
            r.max.1,
            r.chunked.0,
            r.chunked.1
        );
    }
    md
}

fn report(suite: &Suite) -> String {
    let rows = &suite.rows;
    let mut md = format!(
        "## P1 over the suite: task ÷ plain, ratio of minima over {} paired rounds (thread CPU time)\n\n",
        suite.opts.rounds
    );
    md.push_str(
        "| budget | kernels | best | median | p90 | worst | share > 1.05 |\n|---|---|---|---|---|---|---|\n",
    );
    md.push_str(&distribution("u32::MAX", rows, |r| r.max.0));
    md.push('\n');
    md.push_str(&distribution("~100 µs chunks", rows, |r| r.chunked.0));
    md.push('\n');
    md.push_str(&distribution("worse of the two", rows, Row::worst));
    md.push_str("\n\n### Worst ten (by the worse of the two ratios)\n\n");
    let mut by_worst: Vec<&Row> = rows.iter().collect();
    by_worst.sort_by(|a, b| b.worst().total_cmp(&a.worst()));
    md.push_str(&table(&by_worst[..by_worst.len().min(10)]));
    md.push_str("\n### Every kernel\n\n");
    md.push_str(&table(&rows.iter().collect::<Vec<_>>()));
    if !suite.hand_rows.is_empty() {
        md.push_str("\n### Hand-lowered variants (`--hand`)\n\n");
        md.push_str(&table(&suite.hand_rows.iter().collect::<Vec<_>>()));
    }
    md
}

fn main() {
    let mut suite = Suite {
        opts: Options::parse(),
        rows: Vec::new(),
        hand_rows: Vec::new(),
    };
    reductions(&mut suite);
    arrays(&mut suite);
    control(&mut suite);
    nested(&mut suite);
    phases(&mut suite);
    newcomer(&mut suite);
    bench_kernels(&mut suite);
    demo_kernels(&mut suite);
    if suite.opts.list {
        return;
    }
    if suite.rows.is_empty() && suite.hand_rows.is_empty() {
        println!("no kernel matches {:?}", suite.opts.filters);
        return;
    }
    if suite.rows.is_empty() {
        println!("\n{}", table(&suite.hand_rows.iter().collect::<Vec<_>>()));
        return;
    }
    let md = report(&suite);
    println!("\n{md}");
    match std::fs::write(&suite.opts.markdown, &md) {
        Ok(()) => println!("written to {}", suite.opts.markdown.display()),
        Err(e) => eprintln!("could not write {}: {e}", suite.opts.markdown.display()),
    }
}
