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
//!   size. A kernel whose work is fixed by its nature (a bisection, `0..=255u8`), or that
//!   LLVM reduced to a closed form, is called several times per sample instead: each variant
//!   gets its own count of calls per sample, so that each of its samples takes at least 2 ms,
//!   and ratios compare times per call. Inputs go through `black_box` on every call, outputs
//!   through `black_box` after it.
//! - **Checks first.** The task's output at `u32::MAX`, at budget 4096 and at the chunk
//!   budget must equal the plain output bit for bit ([`BitEq`]), and so must the `Out` buffer
//!   a kernel writes; every timed sample's output is checked again after its clock stops.
//! - **Chunk budget.** The number of budget units a run takes (iterations of resumable
//!   loops) is counted by stepping the task, the plain run's CPU time per unit follows, and
//!   the budget is the number of units in 100 µs. A kernel shorter than one chunk runs in one
//!   `step` (the table says `1` chunk).
//! - **Rounds.** `--rounds` rounds; in each, every selected kernel runs plain, task at
//!   `u32::MAX` and task in chunks once, in an order that rotates every round, on the
//!   thread's CPU clock. A kernel's samples are thus spread over the whole run, so a burst of
//!   load from elsewhere spoils a few samples of many kernels instead of every sample of one.
//!   The ratio reported is the ratio of the minima over the rounds (the least disturbed
//!   sample of each variant); the ratio of medians is printed beside it.

use std::fmt::{Debug, Write as _};
use std::hint::black_box as bb;
use std::path::PathBuf;

use penny::{run_to_completion, In, Out, Step, Task};
use penny_examples::bench_kernels::{self, data_f32, data_f64};
use penny_examples::demo_kernels;
use penny_examples::kernels::{
    arrays, control, evaluated_once, idioms, loop_nests, nested, newcomer, phases, reductions,
    shadowing, BitEq,
};

mod common;
use common::{drive, thread_cpu_ns};

#[path = "suite/hand.rs"]
mod hand;

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
    /// Calls per sample: plain, task at `u32::MAX`, task in chunks.
    reps: [u32; 3],
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
    /// Kernels checked and calibrated, waiting for their rounds (`true`: hand-lowered).
    cases: Vec<(bool, Box<dyn Measured>)>,
    rows: Vec<Row>,
    hand_rows: Vec<Row>,
}

impl Suite {
    /// Checks and calibrates kernel `name` if it is selected: `setup` builds its inputs and
    /// calls [`Kernel::run`] or [`Kernel::run_out`]. Its rounds run later, with every other
    /// kernel's (see [`Suite::run_rounds`]).
    fn case(&mut self, name: &str, setup: impl FnOnce(&mut Kernel)) {
        self.add(name, false, setup);
    }

    /// A hand-lowered variant (`--hand`): measured like a kernel, reported apart.
    fn hand(&mut self, name: &str, setup: impl FnOnce(&mut Kernel)) {
        if self.opts.hand {
            self.add(name, true, setup);
        }
    }

    fn add(&mut self, name: &str, hand: bool, setup: impl FnOnce(&mut Kernel)) {
        if !self.opts.selected(name) {
            return;
        }
        if self.opts.list {
            println!("{name}");
            return;
        }
        let mut kernel = Kernel {
            name: name.to_owned(),
            case: None,
        };
        setup(&mut kernel);
        let case = kernel.case.expect("the setup ran the kernel");
        let c = case.calibration();
        println!(
            "checked {name:40} plain {:>10} x{:<14} | {:>11.0} units | chunks of {:>10} ({:>5} chunks)",
            fmt_ns(c.plain_ns),
            format!("{}/{}/{}", c.reps[0], c.reps[1], c.reps[2]),
            c.units,
            c.budget,
            c.chunks,
        );
        self.cases.push((hand, case));
    }

    /// The paired rounds: in each round every kernel runs its three variants once, in an
    /// order that rotates every round. Spreading one kernel's samples over the whole run
    /// means a burst of load from elsewhere on the machine spoils a few samples of many
    /// kernels rather than all samples of one; the ratio of minima then skips them.
    fn run_rounds(&mut self) {
        let rounds = self.opts.rounds;
        for round in 0..rounds {
            let start = std::time::Instant::now();
            for (_, case) in &mut self.cases {
                case.round(round);
            }
            println!(
                "round {}/{rounds}: {:.1} s",
                round + 1,
                start.elapsed().as_secs_f64()
            );
        }
        for (hand, case) in &self.cases {
            let row = case.row();
            println!(
                "{:40} plain {:>10} x{:<14} | u32::MAX {:.3} (med {:.3}) | chunks of {:>10} ({:>5} chunks) {:.3} (med {:.3})",
                row.name,
                fmt_ns(row.plain_ns),
                format!("{}/{}/{}", row.reps[0], row.reps[1], row.reps[2]),
                row.max.0,
                row.max.1,
                row.budget,
                row.chunks,
                row.chunked.0,
                row.chunked.1,
            );
            if *hand {
                self.hand_rows.push(row);
            } else {
                self.rows.push(row);
            }
        }
    }
}

/// One kernel being set up.
struct Kernel {
    name: String,
    case: Option<Box<dyn Measured>>,
}

/// What calibration decided for one kernel.
struct Calibration {
    /// Least CPU time of one plain call, in ns.
    plain_ns: f64,
    /// Calls per sample of plain, task at `u32::MAX`, task in chunks: each sample of each
    /// variant takes at least `MIN_SAMPLE_NS`.
    reps: [u32; 3],
    units: f64,
    budget: u32,
    chunks: u64,
}

/// A checked, calibrated kernel: its rounds and its result.
trait Measured {
    fn calibration(&self) -> &Calibration;
    /// Runs plain, task at `u32::MAX` and task in chunks once each (order rotated by `round`).
    fn round(&mut self, round: usize);
    fn row(&self) -> Row;
}

/// The three variants of one kernel and the reference they must reproduce.
struct Case<O, S, P, M, W, R> {
    name: String,
    plain: P,
    make: M,
    snapshot: W,
    reset: R,
    want: O,
    want_written: S,
    calibration: Calibration,
    /// CPU time of each sample: plain, task at `u32::MAX`, task in chunks.
    times: [Vec<u64>; 3],
}

impl<O, T, S, P, M, W, R> Case<O, S, P, M, W, R>
where
    O: BitEq + Debug + Copy,
    T: Task<Output = O>,
    S: BitEq + Debug,
    P: Fn() -> O,
    M: Fn() -> T,
    W: Fn() -> S,
    R: Fn(),
{
    /// Panics unless `got`, and what the run wrote, are the plain function's bits.
    fn check(&self, got: O, how: &str) {
        let name = &self.name;
        let want = &self.want;
        assert!(
            got.bit_eq(want),
            "{name}: the task ({how}) returned {got:?}, the plain function {want:?}"
        );
        assert!(
            (self.snapshot)().bit_eq(&self.want_written),
            "{name}: the task ({how}) wrote other values than the plain function"
        );
    }
}

impl<O, T, S, P, M, W, R> Measured for Case<O, S, P, M, W, R>
where
    O: BitEq + Debug + Copy,
    T: Task<Output = O>,
    S: BitEq + Debug,
    P: Fn() -> O,
    M: Fn() -> T,
    W: Fn() -> S,
    R: Fn(),
{
    fn calibration(&self) -> &Calibration {
        &self.calibration
    }

    fn round(&mut self, round: usize) {
        let Calibration { reps, budget, .. } = self.calibration;
        for k in 0..3 {
            let which = (round + k) % 3;
            let (ns, got) = match which {
                0 => sample(reps[0], &self.plain),
                1 => sample(reps[1], || run_to_completion((self.make)())),
                _ => sample(reps[2], || drive((self.make)(), bb(budget))),
            };
            self.check(got, ["plain", "u32::MAX, timed", "chunked, timed"][which]);
            self.times[which].push(ns);
        }
    }

    fn row(&self) -> Row {
        let c = &self.calibration;
        // Per call: the variants may run different numbers of calls per sample.
        let per_call = |i: usize| {
            let mut t: Vec<f64> = self.times[i]
                .iter()
                .map(|&x| x as f64 / f64::from(c.reps[i]))
                .collect();
            t.sort_by(f64::total_cmp);
            t
        };
        let [plain, max, chunked] = [0, 1, 2].map(per_call);
        Row {
            name: self.name.clone(),
            plain_ns: plain[0],
            reps: c.reps,
            units: c.units,
            budget: c.budget,
            chunks: c.chunks,
            max: (max[0] / plain[0], median(&max) / median(&plain)),
            chunked: (chunked[0] / plain[0], median(&chunked) / median(&plain)),
        }
    }
}

impl Kernel {
    /// A kernel whose only result is its output.
    fn run<O, T>(&mut self, plain: impl Fn() -> O + 'static, make: impl Fn() -> T + 'static)
    where
        O: BitEq + Debug + Copy + 'static,
        T: Task<Output = O>,
    {
        self.run_out(plain, make, || (), || ());
    }

    /// A kernel that also writes shared memory: `snapshot` reads what it wrote, `reset`
    /// clears it before each checked run. Checks the task against the plain function at
    /// budgets `u32::MAX`, 4096 and the chunk budget, and calibrates.
    fn run_out<O, T, S>(
        &mut self,
        plain: impl Fn() -> O + 'static,
        make: impl Fn() -> T + 'static,
        snapshot: impl Fn() -> S + 'static,
        reset: impl Fn() + 'static,
    ) where
        O: BitEq + Debug + Copy + 'static,
        T: Task<Output = O>,
        S: BitEq + Debug + 'static,
    {
        reset();
        let want = plain();
        let want_written = snapshot();
        let mut case = Case {
            name: self.name.clone(),
            plain,
            make,
            snapshot,
            reset,
            want,
            want_written,
            calibration: Calibration {
                plain_ns: 0.0,
                reps: [1; 3],
                units: 0.0,
                budget: 1,
                chunks: 1,
            },
            times: Default::default(),
        };
        (case.reset)();
        case.check(run_to_completion((case.make)()), "budget u32::MAX");
        (case.reset)();
        case.check(drive((case.make)(), 4096), "budget 4096");

        // Calibration: the plain call's time, the units of one run, the chunk budget, and
        // for each variant the calls per sample that make a sample take MIN_SAMPLE_NS (so the
        // two clock reads, a syscall each, stay far below a sample even for kernels whose
        // plain call takes a nanosecond).
        let (plain_reps, plain_ns) = calls_per_sample(&case.plain);
        let units = count_units(&case.make);
        let budget = (TARGET_CHUNK_NS * units / plain_ns.max(1.0))
            .round()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
        let chunks = count_steps(&case.make, budget);
        let (max_reps, _) = calls_per_sample(|| run_to_completion((case.make)()));
        let (chunked_reps, _) = calls_per_sample(|| drive((case.make)(), bb(budget)));
        let reps = [plain_reps, max_reps, chunked_reps];
        (case.reset)();
        case.check(drive((case.make)(), budget), &format!("budget {budget}"));
        case.calibration = Calibration {
            plain_ns,
            reps,
            units,
            budget,
            chunks,
        };
        self.case = Some(Box::new(case));
    }
}

/// Calls of `f` per sample so that a sample takes `MIN_SAMPLE_NS`, and the least time of
/// one call (of three samples).
fn calls_per_sample<O>(f: impl Fn() -> O) -> (u32, f64) {
    let mut reps = 1u32;
    loop {
        let ns = (0..3)
            .map(|_| sample(reps, &f).0)
            .min()
            .expect("three samples") as f64;
        if ns >= MIN_SAMPLE_NS || reps >= 1 << 24 {
            return (reps, ns / f64::from(reps));
        }
        let grow = (MIN_SAMPLE_NS / ns.max(1.0)).clamp(2.0, 100.0);
        reps = (f64::from(reps) * grow).ceil() as u32;
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
            k.run(move || $m::$f($(bb($arg)),*), move || $m::$t::new($(bb($arg)),*))
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
            move || reductions::dot(bb(a), bb(b)),
            move || reductions::Dot::new(bb(a), bb(b)),
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
            move || reductions::prefix_min(bb(v)),
            move || reductions::PrefixMin::new(bb(v)),
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
            move || arrays::squares_out(bb(out), bb(3)),
            move || arrays::SquaresOut::new(bb(out), bb(3)),
            move || out.to_vec(),
            move || out.fill(0),
        );
    });
    s.case("arrays::prefix_sum_out", |k| {
        let input = leak(data_f32(1 << 20, 6));
        let out = Out::leak_filled(1 << 20, 0.0f32);
        k.run_out(
            move || arrays::prefix_sum_out(bb(input), bb(out)),
            move || arrays::PrefixSumOut::new(bb(input), bb(out)),
            move || f32_bits(out),
            move || out.fill(0.0),
        );
    });
    kernel!(s, arrays, destructure, Destructure(4_000_000u32));
    kernel!(s, arrays, wide, Wide(2_000_000u32));
    kernel!(s, arrays, grid, Grid(4_000_000u32));
    kernel!(s, arrays, option_take, OptionTake(4_000_000u32));
    s.case("arrays::fill_out", |k| {
        let out = Out::leak_filled(1 << 20, 0i32);
        k.run_out(
            move || arrays::fill_out(bb(out), bb(5)),
            move || arrays::FillOut::new(bb(out), bb(5)),
            move || out.to_vec(),
            move || out.fill(0),
        );
    });
    kernel!(s, arrays, heap_in_iteration, HeapInIteration(20_000u32));
    kernel!(s, arrays, tuple_struct, TupleStruct(4_000_000u32));
    s.case("arrays::unit_return", |k| {
        let out = Out::leak_filled(1 << 20, 0u32);
        k.run_out(
            move || arrays::unit_return(bb(out), bb(1_000_000)),
            move || arrays::UnitReturn::new(bb(out), bb(1_000_000)),
            move || out.to_vec(),
            move || out.fill(0),
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
    kernel!(s, phases, wide_strides, WideStrides(1u128 << 70, 3u32));
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

fn loop_nests(s: &mut Suite) {
    kernel!(
        s,
        loop_nests,
        continue_rows,
        ContinueRows(1_000_000u32, 40u32)
    );
    kernel!(
        s,
        loop_nests,
        nested_whiles,
        NestedWhiles(30_000u32, u32::MAX)
    );
    kernel!(s, loop_nests, break_middle, BreakMiddle(800u32));
    kernel!(s, loop_nests, branchy_rows, BranchyRows(2_000u32, 2_000u32));
    kernel!(
        s,
        loop_nests,
        first_hits,
        FirstHits(300_000u32, 0x2545_f491u32)
    );
}

/// Kernels written for the newcomer idioms lowered since (labelled blocks, closures, inferred
/// types), at sizes that make them loop-dominated.
fn idioms(s: &mut Suite) {
    let a: [u32; 16] = std::array::from_fn(|i| (i as u32).wrapping_mul(2_654_435_761) % 40);
    kernel!(
        s,
        control,
        labelled_blocks,
        LabelledBlocks(a, 39u32, 3_000u32)
    );
    kernel!(
        s,
        control,
        labelled_block_shapes,
        LabelledBlockShapes(Some(7u32), 4_000_000u32)
    );
    kernel!(
        s,
        shadowing,
        closure_locals_named_like_carried,
        ClosureLocalsNamedLikeCarried(2_000_000u32)
    );
    kernel!(
        s,
        idioms,
        signal_machine,
        SignalMachine(4_000_000u32, 30u32)
    );
    kernel!(
        s,
        idioms,
        closure_reads_mut,
        ClosureReadsMut(4_000_000u32, [3u32, 5, 7, 11])
    );
    kernel!(
        s,
        idioms,
        static_labels,
        StaticLabels(4_000_000u32, ["alpha", "gamma ray", "de"])
    );
    kernel!(
        s,
        idioms,
        pattern_bindings_across_loops,
        PatternBindingsAcrossLoops(Some(9u32), (5u8, -77i64), 4_000_000u32)
    );
    kernel!(
        s,
        idioms,
        result_arms,
        ResultArms(Ok::<u32, u8>(9), 4_000_000u32)
    );
    kernel!(
        s,
        idioms,
        generic_enum_state,
        GenericEnumState(4_000_000u32, 0x9e37_79b9u32)
    );
    kernel!(
        s,
        idioms,
        interleaved_parts,
        InterleavedParts(4_000_000u32, 0x2545_f491u32)
    );
    kernel!(
        s,
        idioms,
        untyped_closure_params,
        UntypedClosureParams(4_000_000u32, 77u32)
    );
    kernel!(
        s,
        idioms,
        closures_passed_by_name,
        ClosuresPassedByName(4_000_000u32)
    );
    kernel!(
        s,
        idioms,
        literals_through_closures,
        LiteralsThroughClosures(4_000_000u32)
    );
    let data: [u32; 23] = std::array::from_fn(|i| (i as u32).wrapping_mul(2_654_435_761));
    kernel!(
        s,
        evaluated_once,
        growing_chunks,
        GrowingChunks(data, 3usize)
    );
}

fn bench_kernels(s: &mut Suite) {
    use bench_kernels::*;
    kernel!(s, bench_kernels, sum_sqrt, SumSqrt(2_000_000u32));
    s.case("bench_kernels::dot", |k| {
        let a = leak(data_f64(DOT_LEN, 1));
        let b = leak(data_f64(DOT_LEN, 2));
        k.run(move || dot(bb(a), bb(b)), move || Dot::new(bb(a), bb(b)));
    });
    s.case("bench_kernels::mandelbrot_rows", |k| {
        let (w, h, m) = (256u32, 128u32, 256u32);
        let out = Out::leak_filled((w * h) as usize, 0u32);
        k.run_out(
            move || mandelbrot_rows(bb(out), bb(w), bb(h), bb(m)),
            move || MandelbrotRows::new(bb(out), bb(w), bb(h), bb(m)),
            move || out.to_vec(),
            move || out.fill(0),
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
            move || matmul(bb(a), bb(b), bb(c), bb(n)),
            move || Matmul::new(bb(a), bb(b), bb(c), bb(n)),
            move || f32_bits(c),
            move || c.fill(0.0),
        );
    });
}

fn demo_kernels(s: &mut Suite) {
    use demo_kernels::*;
    s.case("demo_kernels::mandelbrot_band", |k| {
        let (w, h, m) = (256u32, 128u32, 256u32);
        let out = Out::leak_filled((w * h) as usize, 0u32);
        k.run_out(
            move || mandelbrot_band(bb(out), bb(w), bb(h), bb(0), bb(h), bb(m)),
            move || MandelbrotBand::new(bb(out), bb(w), bb(h), bb(0), bb(h), bb(m)),
            move || out.to_vec(),
            move || out.fill(0),
        );
    });
    kernel!(s, demo_kernels, checksum, Checksum(4_000_000u64, 99u64));
}

/// Hand-lowered variants (`--hand`, see `suite/hand.rs`): today's lowering copied, and each
/// proposal, against the same plain function.
fn hand_variants(s: &mut Suite) {
    use hand::*;
    let (a, b) = (10_000_000u64, 3u64);
    s.hand("hand::gcd_steps as lowered", |k| {
        k.run(
            move || control::gcd_steps(bb(a), bb(b)),
            move || GcdStepsHand::<false>::new(bb(a), bb(b), 0, 0, 0, 0),
        )
    });
    s.hand("hand::gcd_steps single exit (B)", |k| {
        k.run(
            move || control::gcd_steps(bb(a), bb(b)),
            move || GcdStepsHand::<true>::new(bb(a), bb(b), 0, 0, 0, 0),
        )
    });
    let n = 4_000_000u32;
    s.hand("hand::while_continue as lowered", |k| {
        k.run(
            move || control::while_continue(bb(n)),
            move || WhileContinueHand::<false>::new(bb(n), 0, 0, 0, 0),
        )
    });
    s.hand("hand::while_continue single exit (B)", |k| {
        k.run(
            move || control::while_continue(bb(n)),
            move || WhileContinueHand::<true>::new(bb(n), 0, 0, 0, 0),
        )
    });
    let n = 3_000u32;
    s.hand("hand::loop_outer as lowered", |k| {
        k.run(
            move || nested::loop_outer(bb(n)),
            move || LoopOuterHand::<false>::new(bb(n), 0, 0, 0, 0),
        )
    });
    s.hand("hand::loop_outer single exit (B)", |k| {
        k.run(
            move || nested::loop_outer(bb(n)),
            move || LoopOuterHand::<true>::new(bb(n), 0, 0, 0, 0),
        )
    });
    let (n, m) = (1_000u32, 2_000u32);
    s.hand("hand::resumable_inner as lowered", |k| {
        k.run(
            move || nested::resumable_inner(bb(n), bb(m)),
            move || ResumableInnerHand::<false>::new(bb(n), bb(m), 0, 0, 0, 0, 0),
        )
    });
    s.hand("hand::resumable_inner structured (E)", |k| {
        k.run(
            move || nested::resumable_inner(bb(n), bb(m)),
            move || ResumableInnerHand::<true>::new(bb(n), bb(m), 0, 0, 0, 0, 0),
        )
    });
    let n = 4_000_000u32;
    s.hand("hand::empty_body as lowered", |k| {
        k.run(
            move || phases::empty_body(bb(n)),
            move || EmptyBodyHand::<false>::new(bb(n), 0, 0, 0, 0),
        )
    });
    s.hand("hand::empty_body inline step (D)", |k| {
        k.run(
            move || phases::empty_body(bb(n)),
            move || EmptyBodyInline::<false>::new(bb(n), 0, 0, 0, 0),
        )
    });
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
        "| kernel | plain (one call) | calls per sample (plain/max/chunked) | units per run | chunk budget | chunks | task u32::MAX ÷ plain (min; med) | task chunked ÷ plain (min; med) |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {}/{}/{} | {:.0} | {} | {} | {:.3}; {:.3} | {:.3}; {:.3} |",
            r.name,
            fmt_ns(r.plain_ns),
            r.reps[0],
            r.reps[1],
            r.reps[2],
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
        cases: Vec::new(),
        rows: Vec::new(),
        hand_rows: Vec::new(),
    };
    reductions(&mut suite);
    arrays(&mut suite);
    control(&mut suite);
    nested(&mut suite);
    phases(&mut suite);
    newcomer(&mut suite);
    loop_nests(&mut suite);
    idioms(&mut suite);
    bench_kernels(&mut suite);
    demo_kernels(&mut suite);
    hand_variants(&mut suite);
    if suite.opts.list {
        return;
    }
    suite.run_rounds();
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
