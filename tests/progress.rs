//! `progress()` under random budgets: `done` never goes down and a step that yields advances
//! it by at most its budget; `total`, once known, keeps its value; at `Done`, `done == total`.
//! For kernels whose ranges read only arguments, `total` is known before the first step.

use std::fmt::Debug;

use penny::{In, Out, Progress, Step, Task};
use penny_examples::kernels::arrays::*;
use penny_examples::kernels::control::*;
use penny_examples::kernels::evaluated_once::*;
use penny_examples::kernels::idioms::*;
use penny_examples::kernels::loop_nests::*;
use penny_examples::kernels::nested::*;
use penny_examples::kernels::phases::*;
use penny_examples::kernels::reductions::*;
use penny_examples::kernels::shadowing::*;
use proptest::prelude::*;

mod support;
use support::budgets;

/// Drives `task` with `budgets` (cycled) and checks every `progress()` reading. When
/// `known_total` is `Some`, the task must report exactly that total from the start. A step
/// advances `done` by at most `unit` per budget unit: 1, or `Progress::NESTED_UNITS` for
/// kernels whose phases hold resumable loops.
fn check_progress<T: Task>(mut task: T, budgets: &[u32], known_total: Option<u64>, unit: u64)
where
    T::Output: Debug,
{
    let start = task.progress();
    assert_eq!(start.done, 0, "a fresh task reports done work: {start:?}");
    if known_total.is_some() {
        assert_eq!(start.total, known_total, "total before the first step");
    }
    // The total once the task first reported one.
    let mut total: Option<u64> = start.total;
    let mut steps = 0usize;
    loop {
        let budget = budgets[steps % budgets.len()];
        steps += 1;
        assert!(steps <= 2_000_000, "task did not finish");
        let before = task.progress();
        let step = task.step(budget);
        let after = task.progress();
        assert!(
            after.done >= before.done,
            "done went down: {before:?} -> {after:?} (step {steps}, budget {budget})"
        );
        if let Some(known) = total {
            assert_eq!(
                after.total,
                Some(known),
                "total changed once known: {before:?} -> {after:?} (step {steps})"
            );
        }
        total = total.or(after.total);
        match step {
            Step::Yielded => {
                assert!(
                    after.done - before.done <= u64::from(budget) * unit,
                    "a step of budget {budget} advanced {before:?} -> {after:?}"
                );
                if let Some(total) = after.total {
                    assert!(after.done <= total, "done beyond total: {after:?}");
                }
            }
            Step::Done(_) => {
                assert_eq!(
                    after.total,
                    Some(after.done),
                    "at Done, done == total: {after:?}"
                );
                if let Some(known) = known_total {
                    assert_eq!(after.done, known, "done at the end");
                }
                // Stepping a finished task changes nothing.
                let _ = task.step(u32::MAX);
                assert_eq!(task.progress(), after, "progress changed after Done");
                return;
            }
        }
    }
}

fn leak<T>(items: Vec<T>) -> In<T> {
    In::new(Vec::leak(items))
}

fn count(iter: impl Iterator) -> Option<u64> {
    Some(iter.count() as u64)
}

/// One proptest per kernel: random arguments, random budgets, and the total the task must
/// report from the start (`None`: not required, e.g. `while` loops or ranges that read
/// variables the prologue computes).
macro_rules! progress_tests {
    ($($test:ident: $task:ident($($arg:ident in $strategy:expr),* $(,)?) total $total:expr $(, units $unit:expr)?;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            $(
                #[test]
                fn $test($($arg in $strategy,)* budgets in budgets()) {
                    let known_total: Option<u64> = $total;
                    let unit: u64 = 1 $(* $unit)?;
                    check_progress($task::new($($arg),*), &budgets, known_total, unit);
                }
            )*
        }
    };
}

progress_tests! {
    untyped_literals_progress: UntypedLiterals(
        a in prop::array::uniform8(-100.0f32..100.0),
        c in prop::array::uniform8(-100.0f32..100.0),
        seed in any::<u64>(),
        n in 0..2000usize,
    ) total Some(8 + n as u64);
    deferred_and_tuple_progress: DeferredAndTuple(n in 0..3000u32, odd in any::<bool>()) total None;
    array_iterators_progress: ArrayIterators(
        values in prop::array::uniform16(0..1000u32),
        weights in prop::array::uniform16(0..1000u32),
        data in prop::collection::vec(any::<u64>(), 0..100).prop_map(leak),
    ) total Some(16 * 4 + data.len().div_ceil(3) as u64);
    loop_with_value_progress: LoopWithValue(seed in any::<u32>(), limit in 0..3000u32) total None;
    continue_rows_progress: ContinueRows(n in 0..60u32, m in 0..40u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    nested_whiles_progress: NestedWhiles(limit in 0..300u32, cap in 0..20_000u32) total None, units Progress::NESTED_UNITS;
    break_middle_progress: BreakMiddle(n in 0..40u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    shadow_in_if_arm_progress: ShadowInIfArm(n in 0..300u32, double in any::<bool>()) total None;
    shadow_across_inner_loop_progress: ShadowAcrossInnerLoop(n in 0..30u64, m in 0..8u32) total Some(n * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    shadow_in_match_arm_progress: ShadowInMatchArm(n in 0..30u32, m in 0..8u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    shadow_by_tuple_progress: ShadowByTuple(n in 0..30u32, m in 0..8u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    shadow_other_type_progress: ShadowOtherType(n in 0..300u32) total None;
    branchy_rows_progress: BranchyRows(n in 0..50u32, width in 0..60u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    first_hits_progress: FirstHits(n in 0..500u32, seed in any::<u32>()) total None;
    tail_loop_progress: TailLoop(n in 0..3000u64) total None;
    loops_in_branches_progress: LoopsInBranches(n in 0..3000u32, mode in any::<u8>()) total None;
    tail_loops_in_arms_progress: TailLoopsInArms(mode in any::<u8>(), n in 0..3000u32) total None;
    tail_match_progress: TailMatch(n in 0..3000u32, mode in any::<u8>()) total None;
    let_else_prologue_progress: LetElsePrologue(values in prop::array::uniform4(any::<u32>()), n in 0..2000u32) total Some(n.into());
    shadow_changes_type_progress: ShadowChangesType(n in 0..3000u32) total Some(2 * u64::from(n));
    local_named_like_fn_progress: LocalNamedLikeFn(n in 0..3000u32) total Some(n.into());
    closure_before_loop_progress: ClosureBeforeLoop(n in 0..3000u32, scale in any::<u32>()) total Some(n.into());
    walk_points_progress: WalkPoints(
        start in (-100.0f32..100.0, -100.0f32..100.0).prop_map(|(x, y)| Point { x, y }),
        n in 0..2000u32,
    ) total Some(n.into());
    scale_sum_progress: ScaleSum(x in -10.0f64..10.0, zero in Just(0.0f64), n in 0..3000u32) total Some(n.into());
    char_ranges_progress: CharRanges(shift in any::<u32>()) total Some(
        26 + ('\u{D7F0}'..'\u{E010}').step_by(7).count() as u64
    );
    wide_histogram_progress: WideHistogram(n in 0..3000u32, seed in any::<u32>()) total Some(n.into());
    matmul8_progress: Matmul8(
        a in prop::array::uniform8(prop::array::uniform8(-10.0f32..10.0)),
        b in prop::array::uniform8(prop::array::uniform8(-10.0f32..10.0)),
    ) total Some(8);
    guarded_inner_progress: GuardedInner(n in 0..40u32, m in 0..40u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    side_effect_bound_progress: SideEffectBound(seed in any::<u32>(), rounds in 0..12u32) total None, units Progress::NESTED_UNITS;
    rng_bounded_loops_progress: RngBoundedLoops(seed in any::<u64>(), rounds in 0..12u32) total None, units Progress::NESTED_UNITS;
    range_reads_mutated_array_progress: RangeReadsMutatedArray(first in 0..300u32, second in 0..300u32) total None;
    bound_shadowed_in_body_progress: BoundShadowedInBody(n in 0..3000u32) total None;
    mut_argument_bound_progress: MutArgumentBound(n in 0..3000u32) total None;
    sum_squares_progress: SumSquares(n in 0..3000u32) total Some(n.into());
    sum_sqrt_progress: SumSqrt(n in 0..3000u32) total Some(n.into());
    harmonic_f32_progress: HarmonicF32(n in 0..2000u32, scale in -100.0f32..100.0) total Some(n.into());
    wrapping_product_progress: WrappingProduct(n in 0..2000u32, seed in any::<u64>()) total Some(n.into());
    min_max_progress: MinMax(n in 0..2000u32, seed in any::<u32>()) total Some(n.into());
    dot_progress: Dot(
        a in prop::collection::vec(-1e3f64..1e3, 0..300).prop_map(leak),
        b in prop::collection::vec(-1e3f64..1e3, 0..300).prop_map(leak),
    ) total Some(a.len().min(b.len()) as u64);
    prefix_min_progress: PrefixMin(
        values in prop::collection::vec(any::<i64>(), 0..300).prop_map(leak),
    ) total Some(values.len() as u64);
    row_checksum_progress: RowChecksum(n in 0..40u32, m in 0..40u32) total Some(n.into());
    matmul_sum_progress: MatmulSum(n in 0..12u32) total Some(n.into());
    triangular_progress: Triangular(n in 0..60u32) total Some(n.into());
    resumable_inner_progress: ResumableInner(n in 0..20u32, m in 0..30u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    resumable_middle_progress: ResumableMiddle(n in 0..20u32, m in 0..20u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    collatz_total_progress: CollatzTotal(n in 0..40u32) total count(1..n).map(|t| t * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    three_levels_progress: ThreeLevels(n in 0..16u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    mean_deviation_progress: MeanDeviation(n in 0..2000u32, seed in any::<u32>()) total Some(2 * u64::from(n));
    strided_progress: Strided(n in -300..300i64, k in 1..10usize) total Some(
        (0..n).rev().step_by(k).count() as u64
            + (-n..=n).step_by(k).count() as u64
            + (-n * 2..-n).count() as u64
    );
    range_shapes_progress: RangeShapes(a in -200..200i32, b in -200..200i32, k in 1..8usize) total Some(
        (a..b).step_by(k).count() as u64 + (a..=b).rev().step_by(k).count() as u64
    );
    u8_ranges_progress: U8Ranges(lo in any::<u8>(), hi in any::<u8>()) total Some(
        256 + (lo..=hi).count() as u64 + (lo..=255u8).rev().step_by(3).count() as u64
    );
    maybe_empty_progress: MaybeEmpty(n in 0..500u32, m in 0..500u32) total Some(
        (n..m).count() as u64 + u64::from(n) + (m..n).count() as u64
    );
    i8_full_progress: I8Full(k in 1..300usize) total Some(
        (-128..=127i8).step_by(k).count() as u64 + (i8::MIN..i8::MAX).step_by(k).count() as u64
    );
    mut_arg_progress: MutArg(x in any::<u64>(), n in 0..2000u32) total Some(n.into());
    histogram_progress: Histogram(n in 0..3000u32, seed in any::<u32>()) total Some(u64::from(n) + 16);
    four_lanes_progress: FourLanes(n in 0..2000u32, step in -10.0f64..10.0) total Some(u64::from(n) + 3);
    fibonacci_pair_progress: FibonacciPair(n in 0..2000u32) total Some(n.into());
    last_match_progress: LastMatch(n in 0..2000u32, modulus in 0..50u32) total Some(n.into());
    running_stats_progress: RunningStats(n in 0..2000u32, freq in -5.0f64..5.0) total Some(n.into());
    destructure_progress: Destructure(n in 0..2000u32) total Some(n.into());
    wide_progress: Wide(n in 0..2000u32) total Some(n.into());
    grid_progress: Grid(n in 0..2000u32) total Some(n.into());
    option_take_progress: OptionTake(n in 0..2000u32) total Some(n.into());
    state_machine_progress: StateMachine(n in 0..2000u32, seed in any::<u32>()) total Some(n.into());
    macros_in_body_progress: MacrosInBody(n in 0..2000u32) total Some(n.into());
    full_rev_step_progress: FullRevStep(k in any::<u32>()) total Some(
        (i64::MIN..=i64::MAX).rev().step_by((1usize << 62) + k as usize).count() as u64
    );
    closure_return_progress: ClosureReturn(n in 0..2000u32) total Some(n.into());
    inner_fn_progress: InnerFn(n in 0..2000u32) total Some(n.into());
    plain_breaks_progress: PlainBreaks(n in 0..40u32, m in 0..40u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    labeled_block_progress: LabeledBlock(n in 0..2000u32) total Some(n.into());
    inner_range_reads_outer_body_progress: InnerRangeReadsOuterBody(n in 0..60u32) total Some(u64::from(n) * Progress::NESTED_UNITS), units Progress::NESTED_UNITS;
    tuple_struct_progress: TupleStruct(n in 0..2000u32) total Some(n.into());
    heap_in_iteration_progress: HeapInIteration(n in 0..500u32) total None;
    shadow_in_iteration_progress: ShadowInIteration(n in 0..2000u32) total Some(n.into());
    closure_mutates_carried_progress: ClosureMutatesCarried(n in 0..2000u32) total Some(n.into());
    literals_progress: Literals(n in 0..2000u32) total Some(n.into());
    loop_var_named_like_carried_progress: LoopVarNamedLikeCarried(n in 0..2000u32) total None;
    match_guard_loop_progress: MatchGuardLoop(n in 0..2000u32) total None;
    shadow_arg_progress: ShadowArg(n in 0..3000u32) total None;
    squares_out_progress: SquaresOut(
        out in (0..500usize).prop_map(|len| Out::leak_filled(len, 0u64)),
        offset in 0..1u64 << 20,
    ) total Some(out.len() as u64);
    fill_out_progress: FillOut(
        out in (0..500usize).prop_map(|len| Out::leak_filled(len, 0i32)),
        k in -1000..1000i32,
    ) total Some(out.len() as u64);

    // Early exits from single-phase kernels: at `Done`, done == total.
    find_first_progress: FindFirst(n in 0..2000u32, seed in any::<u32>(), threshold in 0..10_000_000u32) total None;
    find_in_grid_progress: FindInGrid(n in 0..30u32, m in 0..30u32, needle in 0..1000u32) total None;
    first_pair_with_sum_progress: FirstPairWithSum(n in 0..40u32, target in 0..3200u32) total None;
    skip_rows_progress: SkipRows(n in 0..40u32, m in 0..20u32, modulus in 0..10u32) total Some(n.into());
    labeled_resumable_progress: LabeledResumable(n in 0..20u32, m in 0..20u32, stop in 0..20_000u64) total None, units Progress::NESTED_UNITS;
    return_inner_progress: ReturnInner(n in 0..12u32, m in 0..12u32, needle in 0..120u64) total None, units Progress::NESTED_UNITS;
    break_resumable_progress: BreakResumable(n in 0..16u32, m in 0..16u32) total None, units Progress::NESTED_UNITS;
    checked_sum_progress: CheckedSum(n in 0..2000u32, cap in prop_oneof![0..1000u32, Just(u32::MAX)]) total None;
    unit_return_progress: UnitReturn(
        out in (0..500usize).prop_map(|len| Out::leak_filled(len, 0u32)),
        stop in 0..600u32,
    ) total None;
    full_rev_progress: FullRev(limit in 0..3000u32) total None;

    // Early exits that skip a later phase, and a `while` phase between two `for` phases:
    // the total known up front (or once the `while` ends) must not change afterwards.
    three_phases_progress: ThreePhases(n in 0..500u32, seed in any::<u64>()) total None;
    early_prologue_progress: EarlyPrologue(n in 0..2000u32) total Some(n.into());
    two_phase_early_progress: TwoPhaseEarly(n in 0..2000u32, stop in 0..2500u32) total Some(2 * u64::from(n));
    epilogue_let_progress: EpilogueLet(n in 0..2000u32) total Some(n.into());

    // Ranges that read prologue variables, and while/loop phases: no total required up front.
    prologue_range_progress: PrologueRange(n in 0..2000u32) total None;
    prologue_epilogue_progress: PrologueEpilogue(n in 0..1000usize, bias in any::<i32>()) total None;
    empty_body_progress: EmptyBody(n in 0..2000u32) total None;
    collatz_steps_progress: CollatzSteps(start in 0..100_000u64, limit in 0..300u32) total None;
    gcd_steps_progress: GcdSteps(x in 0..5000u64, y in 0..5000u64) total None;
    cube_root_progress: CubeRoot(target in 0.0f64..1e6, max_iter in 0..200u32) total None;
    newton_sqrt_progress: NewtonSqrt(value in 0.0f64..1e9, max_steps in 0..100u32) total None;
    lcg_until_progress: LcgUntil(seed in any::<u32>(), limit in 0..3000u32) total None;
    while_continue_progress: WhileContinue(n in 0..3000u32) total None;
    while_outer_progress: WhileOuter(limit in 0..100_000u64) total None, units Progress::NESTED_UNITS;
    loop_outer_progress: LoopOuter(n in 0..40u32) total None, units Progress::NESTED_UNITS;
}

/// Single-phase range kernels over arguments know their total before the first step, and
/// report `0/total` then `total/total`.
#[test]
fn single_phase_totals_are_known_up_front() {
    let task = SumSqrt::new(1234);
    assert_eq!(
        task.progress(),
        Progress {
            done: 0,
            total: Some(1234)
        }
    );
    let mut task = task;
    assert!(task.step(1000).done().is_none());
    assert_eq!(
        task.progress(),
        Progress {
            done: 1000,
            total: Some(1234)
        }
    );
    assert!(task.step(1000).done().is_some());
    assert_eq!(
        task.progress(),
        Progress {
            done: 1234,
            total: Some(1234)
        }
    );
}

/// Calls of `step(budget)` until `Done`.
fn steps_to_finish<T: Task>(mut task: T, budget: u32) -> u64 {
    let mut steps = 1;
    while !task.step(budget).is_done() {
        steps += 1;
    }
    steps
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Each iteration boundary of a resumable loop costs exactly one unit of budget: a kernel
    /// with `B` boundaries finishes in `ceil(B / budget)` steps (at least one), so a step runs
    /// neither more nor fewer iterations than its budget allows.
    #[test]
    fn a_step_runs_exactly_its_budget(n in 0..200u32, m in 0..20u32, budget in 1..50u32) {
        let expected = |boundaries: u64| boundaries.div_ceil(u64::from(budget)).max(1);
        prop_assert_eq!(steps_to_finish(SumSqrt::new(n), budget), expected(n.into()));
        prop_assert_eq!(steps_to_finish(MeanDeviation::new(n, m), budget), expected(2 * u64::from(n)));
        // Plain inner loops run inside their outer iteration: only the outer loop counts.
        prop_assert_eq!(steps_to_finish(RowChecksum::new(n, m), budget), expected(n.into()));
        // A resumable inner loop adds one boundary per inner iteration.
        let inner: u64 = (0..n).map(|i| u64::from(m + i)).sum();
        prop_assert_eq!(
            steps_to_finish(ResumableInner::new(n, m), budget),
            expected(u64::from(n) + inner)
        );
    }
}

/// Progress moves while an inner loop made resumable by `yield_now!()` runs, before its outer
/// iteration ends: one outer iteration is `Progress::NESTED_UNITS` units, shared by the inner
/// loop's iterations.
#[test]
fn progress_moves_inside_a_resumable_inner_loop() {
    let mut task = ResumableInner::new(1, 100);
    let total = task.progress().total;
    assert_eq!(total, Some(Progress::NESTED_UNITS));
    let mut readings = vec![task.progress().done];
    while task.step(1) == Step::Yielded {
        readings.push(task.progress().done);
    }
    let moving = readings
        .windows(2)
        .filter(|w| w[1] > w[0] && w[1] < Progress::NESTED_UNITS)
        .count();
    assert!(
        moving >= 90,
        "progress moved in only {moving} of {} steps",
        readings.len()
    );
    assert!(readings.windows(2).all(|w| w[1] >= w[0]));
    assert_eq!(task.progress().done, Progress::NESTED_UNITS);
}
