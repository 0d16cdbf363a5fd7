//! Relocation: a suspended task is nothing but its bytes. These tests suspend a task at random
//! iteration boundaries, copy its bytes into a fresh buffer (as a scheduler does when it moves
//! a task between slots or workers), keep running the original to show the copy shares
//! nothing with it, and resume from a task rebuilt from those bytes — sometimes on another
//! thread. The final output must be bit-identical to the plain function's.

use std::fmt::Debug;
use std::mem::{size_of, MaybeUninit};
use std::ptr;
use std::thread;

use penny::{In, Out, Step, Task};
use penny_examples::kernels::arrays::*;
use penny_examples::kernels::control::*;
use penny_examples::kernels::evaluated_once::*;
use penny_examples::kernels::idioms::*;
use penny_examples::kernels::loop_nests::*;
use penny_examples::kernels::nested::*;
use penny_examples::kernels::phases::*;
use penny_examples::kernels::reductions::*;
use penny_examples::kernels::shadowing::*;
use penny_examples::kernels::BitEq;
use proptest::prelude::*;

/// The state's bytes, padding included. `MaybeUninit<u8>` because padding bytes are
/// uninitialized: this is what a byte-level copy of the state honestly holds.
type Bytes = Vec<MaybeUninit<u8>>;

/// Copies the bytes of `task` out into a fresh heap buffer.
fn save<T: Task>(task: &T) -> Bytes {
    let mut bytes: Bytes = vec![MaybeUninit::uninit(); size_of::<T>()];
    // SAFETY: `task` is valid for reads of `size_of::<T>()` bytes, `bytes` is valid for writes
    // of as many, and they don't overlap; `MaybeUninit<u8>` may hold any byte, padding too.
    unsafe {
        ptr::copy_nonoverlapping(
            (task as *const T).cast::<MaybeUninit<u8>>(),
            bytes.as_mut_ptr(),
            bytes.len(),
        );
    }
    bytes
}

/// Rebuilds a task from bytes that `save::<T>` produced.
fn restore<T: Task>(bytes: &[MaybeUninit<u8>]) -> T {
    assert_eq!(bytes.len(), size_of::<T>(), "bytes of another type");
    let mut task = MaybeUninit::<T>::uninit();
    // SAFETY: `bytes` is an exact copy of a valid `T` (see `save`), written into storage of
    // `T`'s size and alignment. `T: Copy`, so a bitwise copy of a `T` is a valid `T` that owns
    // nothing the original owned: this is the contract `Task` states.
    unsafe {
        ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            task.as_mut_ptr().cast::<MaybeUninit<u8>>(),
            bytes.len(),
        );
        task.assume_init()
    }
}

/// One leg of a task's journey: `steps` (at least 1) calls of `step(budget)`, then a
/// relocation (on another thread when `other_thread`).
#[derive(Debug, Clone, Copy)]
struct Leg {
    budget: u32,
    steps: u8,
    other_thread: bool,
}

fn leg() -> impl Strategy<Value = Leg> {
    let budget = prop_oneof![3 => Just(1u32), 2 => Just(2u32), 4 => 1..64u32, 1 => 64..5000u32];
    (budget, 1..6u8, prop::bool::weighted(0.2)).prop_map(|(budget, steps, other_thread)| Leg {
        budget,
        steps,
        other_thread,
    })
}

fn journey() -> impl Strategy<Value = Vec<Leg>> {
    prop::collection::vec(leg(), 1..6)
}

/// Runs `task` to completion without relocating it.
fn finish<T: Task>(mut task: T) -> T::Output {
    loop {
        if let Step::Done(output) = task.step(u32::MAX) {
            return output;
        }
    }
}

/// Drives `make()` along `journey` (cycled), relocating between legs, and checks the output
/// is bit-identical to `reference`. At the first few relocations the original also runs to
/// completion on its own, and must reach the same output. Returns how many relocations
/// happened.
fn check_relocation<T: Task>(make: impl Fn() -> T, reference: T::Output, journey: &[Leg]) -> usize
where
    T::Output: BitEq + Debug,
{
    let mut task = make();
    // Every leg that doesn't finish the task ends with a relocation.
    for (relocations, leg) in journey.iter().cycle().enumerate() {
        assert!(
            relocations < 1_000_000,
            "task did not finish in a million legs"
        );
        for _ in 0..leg.steps {
            if let Step::Done(output) = task.step(leg.budget) {
                assert!(
                    output.bit_eq(&reference),
                    "after {relocations} relocations the task returned {output:?}, the plain function {reference:?}"
                );
                return relocations;
            }
        }
        let bytes = save(&task);
        if relocations < 3 {
            let original = finish(task);
            assert!(
                original.bit_eq(&reference),
                "the original returned {original:?}, expected {reference:?}"
            );
        }
        task = if leg.other_thread {
            // The bytes travel to another thread, which resumes the task for one step there
            // and sends its bytes back.
            let budget = leg.budget;
            let back = thread::spawn(move || {
                let mut task: T = restore(&bytes);
                let _ = task.step(budget);
                save(&task)
            })
            .join()
            .expect("the task panicked on the other thread");
            restore(&back)
        } else {
            restore(&bytes)
        };
    }
    unreachable!()
}

fn leak<T>(items: Vec<T>) -> In<T> {
    In::new(Vec::leak(items))
}

/// One proptest per kernel: random arguments and a random journey.
macro_rules! relocation_tests {
    ($($test:ident: $task:ident / $plain:ident ($($arg:ident in $strategy:expr),* $(,)?);)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            $(
                #[test]
                fn $test($($arg in $strategy,)* journey in journey()) {
                    check_relocation(|| $task::new($($arg),*), $plain($($arg),*), &journey);
                }
            )*
        }
    };
}

relocation_tests! {
    untyped_literals_relocates: UntypedLiterals / untyped_literals(
        a in prop::array::uniform8(-100.0f32..100.0),
        c in prop::array::uniform8(-100.0f32..100.0),
        seed in any::<u64>(),
        n in 0..2000usize,
    );
    deferred_and_tuple_relocates: DeferredAndTuple / deferred_and_tuple(n in 0..3000u32, odd in any::<bool>());
    array_iterators_relocates: ArrayIterators / array_iterators(
        values in prop::array::uniform16(0..1000u32),
        weights in prop::array::uniform16(0..1000u32),
        data in prop::collection::vec(any::<u64>(), 0..100).prop_map(leak),
    );
    loop_with_value_relocates: LoopWithValue / loop_with_value(seed in any::<u32>(), limit in 0..3000u32);
    continue_rows_relocates: ContinueRows / continue_rows(n in 0..60u32, m in 0..40u32);
    nested_whiles_relocates: NestedWhiles / nested_whiles(limit in 0..300u32, cap in 0..20_000u32);
    break_middle_relocates: BreakMiddle / break_middle(n in 0..40u32);
    shadow_in_if_arm_relocates: ShadowInIfArm / shadow_in_if_arm(n in 0..300u32, double in any::<bool>());
    shadow_across_inner_loop_relocates: ShadowAcrossInnerLoop / shadow_across_inner_loop(n in 0..30u64, m in 0..8u32);
    shadow_in_match_arm_relocates: ShadowInMatchArm / shadow_in_match_arm(n in 0..30u32, m in 0..8u32);
    shadow_by_tuple_relocates: ShadowByTuple / shadow_by_tuple(n in 0..30u32, m in 0..8u32);
    shadow_other_type_relocates: ShadowOtherType / shadow_other_type(n in 0..300u32);
    branchy_rows_relocates: BranchyRows / branchy_rows(n in 0..50u32, width in 0..60u32);
    first_hits_relocates: FirstHits / first_hits(n in 0..500u32, seed in any::<u32>());
    tail_loop_relocates: TailLoop / tail_loop(n in 0..3000u64);
    loops_in_branches_relocates: LoopsInBranches / loops_in_branches(n in 0..3000u32, mode in any::<u8>());
    tail_loops_in_arms_relocates: TailLoopsInArms / tail_loops_in_arms(mode in any::<u8>(), n in 0..3000u32);
    tail_match_relocates: TailMatch / tail_match(n in 0..3000u32, mode in any::<u8>());
    let_else_prologue_relocates: LetElsePrologue / let_else_prologue(values in prop::array::uniform4(any::<u32>()), n in 0..2000u32);
    shadow_changes_type_relocates: ShadowChangesType / shadow_changes_type(n in 0..3000u32);
    local_named_like_fn_relocates: LocalNamedLikeFn / local_named_like_fn(n in 0..3000u32);
    closure_before_loop_relocates: ClosureBeforeLoop / closure_before_loop(n in 0..3000u32, scale in any::<u32>());
    walk_points_relocates: WalkPoints / walk_points(
        start in (-100.0f32..100.0, -100.0f32..100.0).prop_map(|(x, y)| Point { x, y }),
        n in 0..2000u32,
    );
    sum_array_relocates: SumArray / sum_array(a in prop::array::uniform32(any::<u32>()));
    scale_sum_relocates: ScaleSum / scale_sum(x in -10.0f64..10.0, zero in Just(0.0f64), n in 0..3000u32);
    char_ranges_relocates: CharRanges / char_ranges(shift in any::<u32>());
    wide_histogram_relocates: WideHistogram / wide_histogram(n in 0..3000u32, seed in any::<u32>());
    matmul8_relocates: Matmul8 / matmul8(
        a in prop::array::uniform8(prop::array::uniform8(-10.0f32..10.0)),
        b in prop::array::uniform8(prop::array::uniform8(-10.0f32..10.0)),
    );
    guarded_inner_relocates: GuardedInner / guarded_inner(n in 0..40u32, m in 0..40u32);
    foreign_copy_types_relocates: ForeignCopyTypes / foreign_copy_types(
        n in 0..3000u32,
        step in (0..1_000_000u64).prop_map(std::time::Duration::from_nanos),
    );
    side_effect_bound_relocates: SideEffectBound / side_effect_bound(seed in any::<u32>(), rounds in 0..12u32);
    rng_bounded_loops_relocates: RngBoundedLoops / rng_bounded_loops(seed in any::<u64>(), rounds in 0..12u32);
    range_reads_mutated_array_relocates: RangeReadsMutatedArray / range_reads_mutated_array(first in 0..300u32, second in 0..300u32);
    bound_shadowed_in_body_relocates: BoundShadowedInBody / bound_shadowed_in_body(n in 0..3000u32);
    mut_argument_bound_relocates: MutArgumentBound / mut_argument_bound(n in 0..3000u32);
    sum_squares_relocates: SumSquares / sum_squares(n in 0..3000u32);
    sum_sqrt_relocates: SumSqrt / sum_sqrt(n in 0..3000u32);
    harmonic_f32_relocates: HarmonicF32 / harmonic_f32(n in 0..2000u32, scale in -100.0f32..100.0);
    wrapping_product_relocates: WrappingProduct / wrapping_product(n in 0..2000u32, seed in any::<u64>());
    min_max_relocates: MinMax / min_max(n in 0..2000u32, seed in any::<u32>());
    dot_relocates: Dot / dot(
        a in prop::collection::vec(-1e3f64..1e3, 0..300).prop_map(leak),
        b in prop::collection::vec(-1e3f64..1e3, 0..300).prop_map(leak),
    );
    prefix_min_relocates: PrefixMin / prefix_min(
        values in prop::collection::vec(any::<i64>(), 0..300).prop_map(leak),
    );
    row_checksum_relocates: RowChecksum / row_checksum(n in 0..40u32, m in 0..40u32);
    matmul_sum_relocates: MatmulSum / matmul_sum(n in 0..12u32);
    triangular_relocates: Triangular / triangular(n in 0..60u32);
    resumable_inner_relocates: ResumableInner / resumable_inner(n in 0..20u32, m in 0..30u32);
    resumable_middle_relocates: ResumableMiddle / resumable_middle(n in 0..20u32, m in 0..20u32);
    collatz_total_relocates: CollatzTotal / collatz_total(n in 0..40u32);
    return_inner_relocates: ReturnInner / return_inner(n in 0..12u32, m in 0..12u32, needle in 0..120u64);
    break_resumable_relocates: BreakResumable / break_resumable(n in 0..16u32, m in 0..16u32);
    three_levels_relocates: ThreeLevels / three_levels(n in 0..16u32);
    while_outer_relocates: WhileOuter / while_outer(limit in 0..100_000u64);
    loop_outer_relocates: LoopOuter / loop_outer(n in 0..40u32);
    collatz_steps_relocates: CollatzSteps / collatz_steps(start in 0..100_000u64, limit in 0..300u32);
    gcd_steps_relocates: GcdSteps / gcd_steps(x in 0..5000u64, y in 0..5000u64);
    cube_root_relocates: CubeRoot / cube_root(target in 0.0f64..1e6, max_iter in 0..200u32);
    find_first_relocates: FindFirst / find_first(n in 0..2000u32, seed in any::<u32>(), threshold in 0..10_000_000u32);
    find_in_grid_relocates: FindInGrid / find_in_grid(n in 0..30u32, m in 0..30u32, needle in 0..1000u32);
    first_pair_with_sum_relocates: FirstPairWithSum / first_pair_with_sum(n in 0..40u32, target in 0..3200u32);
    skip_rows_relocates: SkipRows / skip_rows(n in 0..40u32, m in 0..20u32, modulus in 0..10u32);
    labeled_resumable_relocates: LabeledResumable / labeled_resumable(n in 0..20u32, m in 0..20u32, stop in 0..20_000u64);
    newton_sqrt_relocates: NewtonSqrt / newton_sqrt(value in 0.0f64..1e9, max_steps in 0..100u32);
    lcg_until_relocates: LcgUntil / lcg_until(seed in any::<u32>(), limit in 0..3000u32);
    while_continue_relocates: WhileContinue / while_continue(n in 0..3000u32);
    state_machine_relocates: StateMachine / state_machine(n in 0..2000u32, seed in any::<u32>());
    macros_in_body_relocates: MacrosInBody / macros_in_body(n in 0..2000u32);
    mean_deviation_relocates: MeanDeviation / mean_deviation(n in 0..2000u32, seed in any::<u32>());
    three_phases_relocates: ThreePhases / three_phases(n in 0..500u32, seed in any::<u64>());
    epilogue_let_relocates: EpilogueLet / epilogue_let(n in 0..2000u32);
    strided_relocates: Strided / strided(n in -300..300i64, k in 1..10usize);
    range_shapes_relocates: RangeShapes / range_shapes(a in -200..200i32, b in -200..200i32, k in 1..8usize);
    u8_ranges_relocates: U8Ranges / u8_ranges(lo in any::<u8>(), hi in any::<u8>());
    maybe_empty_relocates: MaybeEmpty / maybe_empty(n in 0..500u32, m in 0..500u32);
    prologue_epilogue_relocates: PrologueEpilogue / prologue_epilogue(n in 0..1000usize, bias in any::<i32>());
    i8_full_relocates: I8Full / i8_full(k in 1..300usize);
    early_prologue_relocates: EarlyPrologue / early_prologue(n in 0..2000u32);
    prologue_range_relocates: PrologueRange / prologue_range(n in 0..2000u32);
    empty_body_relocates: EmptyBody / empty_body(n in 0..2000u32);
    mut_arg_relocates: MutArg / mut_arg(x in any::<u64>(), n in 0..2000u32);
    histogram_relocates: Histogram / histogram(n in 0..3000u32, seed in any::<u32>());
    four_lanes_relocates: FourLanes / four_lanes(n in 0..2000u32, step in -10.0f64..10.0);
    fibonacci_pair_relocates: FibonacciPair / fibonacci_pair(n in 0..2000u32);
    last_match_relocates: LastMatch / last_match(n in 0..2000u32, modulus in 0..50u32);
    running_stats_relocates: RunningStats / running_stats(n in 0..2000u32, freq in -5.0f64..5.0);
    destructure_relocates: Destructure / destructure(n in 0..2000u32);
    wide_relocates: Wide / wide(n in 0..2000u32);
    grid_relocates: Grid / grid(n in 0..2000u32);
    option_take_relocates: OptionTake / option_take(n in 0..2000u32);
    full_rev_relocates: FullRev / full_rev(limit in 0..3000u32);
    full_rev_step_relocates: FullRevStep / full_rev_step(k in any::<u32>());
    shadow_arg_relocates: ShadowArg / shadow_arg(n in 0..3000u32);
    closure_return_relocates: ClosureReturn / closure_return(n in 0..2000u32);
    inner_fn_relocates: InnerFn / inner_fn(n in 0..2000u32);
    plain_breaks_relocates: PlainBreaks / plain_breaks(n in 0..40u32, m in 0..40u32);
    checked_sum_relocates: CheckedSum / checked_sum(n in 0..2000u32, cap in prop_oneof![0..1000u32, Just(u32::MAX)]);
    labeled_block_relocates: LabeledBlock / labeled_block(n in 0..2000u32);
    inner_range_reads_outer_body_relocates: InnerRangeReadsOuterBody / inner_range_reads_outer_body(n in 0..60u32);
    heap_in_iteration_relocates: HeapInIteration / heap_in_iteration(n in 0..500u32);
    tuple_struct_relocates: TupleStruct / tuple_struct(n in 0..2000u32);
    shadow_in_iteration_relocates: ShadowInIteration / shadow_in_iteration(n in 0..2000u32);
    loop_var_named_like_carried_relocates: LoopVarNamedLikeCarried / loop_var_named_like_carried(n in 0..2000u32);
    closure_mutates_carried_relocates: ClosureMutatesCarried / closure_mutates_carried(n in 0..2000u32);
    match_guard_loop_relocates: MatchGuardLoop / match_guard_loop(n in 0..2000u32);
    literals_relocates: Literals / literals(n in 0..2000u32);
    two_phase_early_relocates: TwoPhaseEarly / two_phase_early(n in 0..2000u32, stop in 0..2500u32);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A relocated task keeps writing into the same shared `Out` buffer.
    #[test]
    fn squares_out_relocates(len in 0..500usize, offset in 0..1u64 << 20, journey in journey()) {
        let expected_out = Out::leak_filled(len, u64::MAX);
        let expected = squares_out(expected_out, offset);
        let out = Out::leak_filled(len, u64::MAX);
        check_relocation(|| SquaresOut::new(out, offset), expected, &journey);
        prop_assert_eq!(out.to_vec(), expected_out.to_vec());
    }

    #[test]
    fn prefix_sum_out_relocates(
        input in prop::collection::vec(-1e3f32..1e3, 0..300).prop_map(leak),
        len in 0..300usize,
        journey in journey(),
    ) {
        let expected_out = Out::leak_filled(len, f32::NAN);
        let expected = prefix_sum_out(input, expected_out);
        let out = Out::leak_filled(len, f32::NAN);
        check_relocation(|| PrefixSumOut::new(input, out), expected, &journey);
        prop_assert!(out.to_vec().bit_eq(&expected_out.to_vec()));
    }
}

/// Every iteration boundary of a nested kernel is a valid place to relocate: suspend after
/// each single-iteration step, move the bytes to a new thread, and finish there.
#[test]
fn every_boundary_of_a_nested_kernel_relocates() {
    let reference = three_levels(9);
    let mut task = ThreeLevels::new(9);
    let mut boundaries = 0;
    while task.step(1) == Step::Yielded {
        boundaries += 1;
        let bytes = save(&task);
        let output = thread::spawn(move || finish(restore::<ThreeLevels>(&bytes)))
            .join()
            .unwrap();
        assert_eq!(output, reference, "relocated at boundary {boundaries}");
    }
    assert!(boundaries > 100, "only {boundaries} boundaries");
}

/// A task hops between threads after every chunk until it finishes: each hop is a fresh
/// thread that only ever sees the bytes.
#[test]
fn a_task_migrates_across_many_threads() {
    let reference = resumable_middle(12, 12);
    let mut bytes = save(&ResumableMiddle::new(12, 12));
    let mut hops = 0;
    let output = loop {
        let (next, step) = thread::spawn(move || {
            let mut task: ResumableMiddle = restore(&bytes);
            let step = task.step(3);
            (save(&task), step)
        })
        .join()
        .unwrap();
        hops += 1;
        if let Step::Done(output) = step {
            break output;
        }
        bytes = next;
    };
    assert_eq!(output.to_bits(), reference.to_bits());
    assert!(hops > 10, "only {hops} hops");
}
