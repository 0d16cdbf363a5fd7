//! Equivalence suite: every kernel in `penny_examples::kernels`, lowered by `#[penny::task]`
//! and driven with random budget sequences, must return exactly the bits its plain function
//! returns (and write exactly the same `Out` buffer).
//!
//! Besides the output, each run checks the parts of the `Task` contract a driver can observe:
//! `step(0)` does no work (it returns `Yielded` and leaves `progress()` unchanged), and once a
//! task returned `Done(v)`, every later `step` returns `Done(v)` again.

use std::fmt::Debug;

use penny::{In, Out, Step, Task};
use penny_examples::kernels::arrays::*;
use penny_examples::kernels::control::*;
use penny_examples::kernels::evaluated_once::*;
use penny_examples::kernels::idioms::*;
use penny_examples::kernels::loop_nests::*;
use penny_examples::kernels::nested::*;
use penny_examples::kernels::newcomer::*;
use penny_examples::kernels::phases::*;
use penny_examples::kernels::reductions::*;
use penny_examples::kernels::shadowing::*;
use penny_examples::kernels::BitEq;
use proptest::prelude::*;

mod support;
use support::budgets;

/// More `step` calls than any bounded input here needs: a task that takes more is stuck.
const MAX_STEPS: usize = 2_000_000;

/// Drives `make()` with `budgets` (cycled) until it returns `Done`, and checks the output is
/// bit-identical to `reference`. Before every step it checks that `step(0)` is a no-op; after
/// `Done` it checks that further steps keep returning the same output.
fn check<T: Task>(make: impl Fn() -> T, reference: T::Output, budgets: &[u32])
where
    T::Output: BitEq + Debug,
{
    assert!(!budgets.is_empty());
    let mut task = make();
    let mut steps = 0usize;
    let output = loop {
        let before = task.progress();
        assert!(
            matches!(task.step(0), Step::Yielded),
            "step(0) finished the task after {steps} steps"
        );
        assert_eq!(
            task.progress(),
            before,
            "step(0) changed progress after {steps} steps"
        );

        let budget = budgets[steps % budgets.len()];
        steps += 1;
        assert!(
            steps <= MAX_STEPS,
            "task did not finish in {MAX_STEPS} steps ({budgets:?})"
        );
        if let Step::Done(output) = task.step(budget) {
            break output;
        }
    };
    assert!(
        output.bit_eq(&reference),
        "lowered task returned {output:?}, plain function {reference:?} (budgets {budgets:?}, {steps} steps)"
    );
    for again in [0, 1, 7, u32::MAX] {
        match task.step(again) {
            Step::Done(repeat) => assert!(
                repeat.bit_eq(&output),
                "step({again}) after Done returned Done({repeat:?}), first Done({output:?})"
            ),
            Step::Yielded => panic!("step({again}) after Done returned Yielded"),
        }
    }
}

/// `check`, then `check` again with a budget of 1 everywhere and with an unlimited budget.
fn check_extremes<T: Task>(make: impl Fn() -> T, reference: T::Output, budgets: &[u32])
where
    T::Output: BitEq + Debug,
{
    check(&make, reference, budgets);
    check(&make, reference, &[1]);
    check(&make, reference, &[u32::MAX]);
}

fn leak<T>(items: Vec<T>) -> In<T> {
    In::new(Vec::leak(items))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    // ---- reductions -------------------------------------------------------------------

    #[test]
    fn sum_squares_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| SumSquares::new(n), sum_squares(n), &b);
    }

    #[test]
    fn sum_sqrt_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| SumSqrt::new(n), sum_sqrt(n), &b);
    }

    #[test]
    fn harmonic_f32_matches(n in 0..2000u32, scale in -100.0f32..100.0, b in budgets()) {
        check_extremes(|| HarmonicF32::new(n, scale), harmonic_f32(n, scale), &b);
    }

    #[test]
    fn wrapping_product_matches(n in 0..2000u32, seed in any::<u64>(), b in budgets()) {
        check_extremes(|| WrappingProduct::new(n, seed), wrapping_product(n, seed), &b);
    }

    #[test]
    fn min_max_matches(n in 0..2000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| MinMax::new(n, seed), min_max(n, seed), &b);
    }

    #[test]
    fn dot_matches(
        a in prop::collection::vec(-1e3f64..1e3, 0..300),
        c in prop::collection::vec(-1e3f64..1e3, 0..300),
        b in budgets(),
    ) {
        let (a, c) = (leak(a), leak(c));
        check_extremes(|| Dot::new(a, c), dot(a, c), &b);
    }

    #[test]
    fn prefix_min_matches(values in prop::collection::vec(any::<i64>(), 0..300), b in budgets()) {
        let values = leak(values);
        check_extremes(|| PrefixMin::new(values), prefix_min(values), &b);
    }

    // ---- ranges evaluated once ---------------------------------------------------------

    #[test]
    fn side_effect_bound_matches(seed in any::<u32>(), rounds in 0..12u32, b in budgets()) {
        check_extremes(|| SideEffectBound::new(seed, rounds), side_effect_bound(seed, rounds), &b);
    }

    #[test]
    fn rng_bounded_loops_matches(seed in any::<u64>(), rounds in 0..12u32, b in budgets()) {
        check_extremes(|| RngBoundedLoops::new(seed, rounds), rng_bounded_loops(seed, rounds), &b);
    }

    #[test]
    fn range_reads_mutated_array_matches(first in 0..300u32, second in 0..300u32, b in budgets()) {
        check_extremes(
            || RangeReadsMutatedArray::new(first, second),
            range_reads_mutated_array(first, second),
            &b,
        );
    }

    #[test]
    fn bound_shadowed_in_body_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| BoundShadowedInBody::new(n), bound_shadowed_in_body(n), &b);
    }

    #[test]
    fn mut_argument_bound_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| MutArgumentBound::new(n), mut_argument_bound(n), &b);
    }

    #[test]
    fn mut_loop_patterns_matches(
        n in 0..300u32,
        pairs in prop::array::uniform4((any::<u32>(), 0..9u32)),
        walkers in prop::array::uniform3((0..1000u32, 0..9u32)),
        b in budgets(),
    ) {
        let walkers = walkers.map(|(at, stride)| Walker { at, stride });
        check_extremes(
            || MutLoopPatterns::new(n, pairs, walkers),
            mut_loop_patterns(n, pairs, walkers),
            &b,
        );
    }

    #[test]
    fn closure_param_named_like_carried_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(
            || ClosureParamNamedLikeCarried::new(n),
            closure_param_named_like_carried(n),
            &b,
        );
    }

    #[test]
    fn items_in_nested_blocks_matches(n in 0..300u32, scaled in any::<bool>(), b in budgets()) {
        check_extremes(
            || ItemsInNestedBlocks::new(n, scaled),
            items_in_nested_blocks(n, scaled),
            &b,
        );
    }

    #[test]
    fn ends_in_return_matches(n in 0..3000u32, twice in any::<bool>(), b in budgets()) {
        check_extremes(|| EndsInReturn::new(n, twice), ends_in_return(n, twice), &b);
    }

    #[test]
    fn items_by_reference_matches(
        grid in prop::array::uniform4(prop::array::uniform3(any::<u32>())),
        a in prop::array::uniform10(any::<u32>()),
        n in 0..5u32,
        b in budgets(),
    ) {
        check_extremes(
            || ItemsByReference::new(grid, a, n),
            items_by_reference(grid, a, n),
            &b,
        );
    }

    #[test]
    fn checks_let_through_matches(
        n in 0..300u32,
        grid in prop::array::uniform4(prop::array::uniform3(any::<u32>())),
        b in budgets(),
    ) {
        check_extremes(|| ChecksLetThrough::new(n, grid), checks_let_through(n, grid), &b);
    }

    #[test]
    fn labelled_blocks_match(
        a in prop::array::uniform16(0..40u32),
        key in 0..40u32,
        n in 0..80u32,
        b in budgets(),
    ) {
        check_extremes(|| LabelledBlocks::new(a, key, n), labelled_blocks(a, key, n), &b);
    }

    #[test]
    fn closure_locals_named_like_carried_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(
            || ClosureLocalsNamedLikeCarried::new(n),
            closure_locals_named_like_carried(n),
            &b,
        );
    }

    #[test]
    fn signal_machine_matches(n in 0..3000u32, limit in 0..40u32, b in budgets()) {
        check_extremes(|| SignalMachine::new(n, limit), signal_machine(n, limit), &b);
    }

    #[test]
    fn closure_reads_mut_matches(n in 0..2000u32, table in any::<[u32; 4]>(), b in budgets()) {
        check_extremes(|| ClosureReadsMut::new(n, table), closure_reads_mut(n, table), &b);
    }

    #[test]
    fn growing_chunks_matches(data in any::<[u32; 23]>(), start in 0..8usize, b in budgets()) {
        check_extremes(|| GrowingChunks::new(data, start), growing_chunks(data, start), &b);
    }

    #[test]
    fn static_labels_match(n in 0..300u32, pick in any::<[bool; 3]>(), b in budgets()) {
        let words = [
            if pick[0] { "alpha" } else { "b" },
            if pick[1] { "gamma ray" } else { "" },
            if pick[2] { "de" } else { "epsilon" },
        ];
        check_extremes(|| StaticLabels::new(n, words), static_labels(n, words), &b);
    }

    #[test]
    fn pattern_bindings_across_loops_match(
        opt in any::<Option<u32>>(),
        pair in any::<(u8, i64)>(),
        n in 0..2000u32,
        b in budgets(),
    ) {
        check_extremes(
            || PatternBindingsAcrossLoops::new(opt, pair, n),
            pattern_bindings_across_loops(opt, pair, n),
            &b,
        );
    }

    #[test]
    fn result_arms_match(r in any::<Result<u32, u8>>(), n in 0..2000u32, b in budgets()) {
        check_extremes(|| ResultArms::new(r, n), result_arms(r, n), &b);
    }

    #[test]
    fn generic_enum_state_matches(n in 0..2000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| GenericEnumState::new(n, seed), generic_enum_state(n, seed), &b);
    }

    #[test]
    fn interleaved_parts_match(n in 0..5000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| InterleavedParts::new(n, seed), interleaved_parts(n, seed), &b);
    }

    #[test]
    fn wide_strides_match(
        hi in prop_oneof![
            Just(1u128 << 64),
            Just((1u128 << 64) + 1),
            Just(1u128 << 66),
            Just(1u128 << 70),
            (1u128 << 60)..(1u128 << 72),
        ],
        shift in 0..8u32,
        b in budgets(),
    ) {
        check_extremes(|| WideStrides::new(hi, shift), wide_strides(hi, shift), &b);
    }

    #[test]
    fn untyped_closure_params_match(n in 0..3000u32, k in any::<u32>(), b in budgets()) {
        check_extremes(
            || UntypedClosureParams::new(n, k),
            untyped_closure_params(n, k),
            &b,
        );
    }

    #[test]
    fn closures_passed_by_name_match(n in 0..3000u32, b in budgets()) {
        check_extremes(|| ClosuresPassedByName::new(n), closures_passed_by_name(n), &b);
    }

    #[test]
    fn literals_through_closures_match(n in 0..3000u32, b in budgets()) {
        check_extremes(|| LiteralsThroughClosures::new(n), literals_through_closures(n), &b);
    }

    #[test]
    fn labelled_block_shapes_match(opt in any::<Option<u32>>(), n in 0..120u32, b in budgets()) {
        check_extremes(|| LabelledBlockShapes::new(opt, n), labelled_block_shapes(opt, n), &b);
    }

    #[test]
    fn writes_in_conditions_matches(n in 0..300u32, b in budgets()) {
        check_extremes(|| WritesInConditions::new(n), writes_in_conditions(n), &b);
    }

    #[test]
    fn constant_named_bound_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| ConstantNamedBound::new(n), constant_named_bound(n), &b);
    }

    // ---- idioms: what newcomers write -------------------------------------------------

    #[test]
    fn untyped_literals_matches(
        a in prop::array::uniform8(-100.0f32..100.0),
        c in prop::array::uniform8(-100.0f32..100.0),
        seed in any::<u64>(),
        n in 0..2000usize,
        b in budgets(),
    ) {
        check_extremes(|| UntypedLiterals::new(a, c, seed, n), untyped_literals(a, c, seed, n), &b);
    }

    #[test]
    fn deferred_and_tuple_matches(n in 0..3000u32, odd in any::<bool>(), b in budgets()) {
        check_extremes(|| DeferredAndTuple::new(n, odd), deferred_and_tuple(n, odd), &b);
    }

    #[test]
    fn continue_rows_matches(n in 0..60u32, m in 0..40u32, b in budgets()) {
        check_extremes(|| ContinueRows::new(n, m), continue_rows(n, m), &b);
    }

    #[test]
    fn nested_whiles_matches(limit in 0..300u32, cap in 0..20_000u32, b in budgets()) {
        check_extremes(|| NestedWhiles::new(limit, cap), nested_whiles(limit, cap), &b);
    }

    #[test]
    fn break_middle_matches(n in 0..40u32, b in budgets()) {
        check_extremes(|| BreakMiddle::new(n), break_middle(n), &b);
    }

    // ---- shadowing: a shadow of a carried variable across a resumable loop ----------------

    #[test]
    fn shadow_in_if_arm_matches(n in 0..300u32, double in any::<bool>(), b in budgets()) {
        check_extremes(|| ShadowInIfArm::new(n, double), shadow_in_if_arm(n, double), &b);
    }

    #[test]
    fn shadow_across_inner_loop_matches(n in 0..30u64, m in 0..8u32, b in budgets()) {
        check_extremes(|| ShadowAcrossInnerLoop::new(n, m), shadow_across_inner_loop(n, m), &b);
    }

    #[test]
    fn shadow_in_match_arm_matches(n in 0..30u32, m in 0..8u32, b in budgets()) {
        check_extremes(|| ShadowInMatchArm::new(n, m), shadow_in_match_arm(n, m), &b);
    }

    #[test]
    fn shadow_by_tuple_matches(n in 0..30u32, m in 0..8u32, b in budgets()) {
        check_extremes(|| ShadowByTuple::new(n, m), shadow_by_tuple(n, m), &b);
    }

    #[test]
    fn shadow_other_type_matches(n in 0..300u32, b in budgets()) {
        check_extremes(|| ShadowOtherType::new(n), shadow_other_type(n), &b);
    }

    #[test]
    fn branchy_rows_matches(n in 0..50u32, width in 0..60u32, b in budgets()) {
        check_extremes(|| BranchyRows::new(n, width), branchy_rows(n, width), &b);
    }

    #[test]
    fn first_hits_matches(n in 0..500u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| FirstHits::new(n, seed), first_hits(n, seed), &b);
    }

    #[test]
    fn computed_chunks_matches(
        data in prop::collection::vec(any::<u64>(), 0..200),
        k in 0..9usize,
        b in budgets(),
    ) {
        let data = leak(data);
        check_extremes(|| ComputedChunks::new(data, k), computed_chunks(data, k), &b);
    }

    #[test]
    fn tail_loops_in_arms_matches(mode in any::<u8>(), n in 0..3000u32, b in budgets()) {
        check_extremes(|| TailLoopsInArms::new(mode, n), tail_loops_in_arms(mode, n), &b);
    }

    #[test]
    fn iterate_a_copy_matches(arr in prop::array::uniform8(any::<u32>()), n in 0..100u32, b in budgets()) {
        check_extremes(|| IterateACopy::new(arr, n), iterate_a_copy(arr, n), &b);
    }

    #[test]
    fn array_iterators_matches(
        values in prop::array::uniform16(0..1000u32),
        weights in prop::array::uniform16(0..1000u32),
        data in prop::collection::vec(any::<u64>(), 0..100),
        b in budgets(),
    ) {
        let data = leak(data);
        check_extremes(
            || ArrayIterators::new(values, weights, data),
            array_iterators(values, weights, data),
            &b,
        );
    }

    #[test]
    fn loop_with_value_matches(seed in any::<u32>(), limit in 0..3000u32, b in budgets()) {
        check_extremes(|| LoopWithValue::new(seed, limit), loop_with_value(seed, limit), &b);
    }

    #[test]
    fn tail_loop_matches(n in 0..3000u64, b in budgets()) {
        check_extremes(|| TailLoop::new(n), tail_loop(n), &b);
    }

    #[test]
    fn loops_in_branches_matches(n in 0..3000u32, mode in any::<u8>(), b in budgets()) {
        check_extremes(|| LoopsInBranches::new(n, mode), loops_in_branches(n, mode), &b);
    }

    #[test]
    fn tail_match_matches(n in 0..3000u32, mode in any::<u8>(), b in budgets()) {
        check_extremes(|| TailMatch::new(n, mode), tail_match(n, mode), &b);
    }

    #[test]
    fn let_else_prologue_matches(values in prop::array::uniform4(any::<u32>()), n in 0..2000u32, b in budgets()) {
        check_extremes(|| LetElsePrologue::new(values, n), let_else_prologue(values, n), &b);
    }

    #[test]
    fn shadow_changes_type_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| ShadowChangesType::new(n), shadow_changes_type(n), &b);
    }

    #[test]
    fn local_named_like_fn_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| LocalNamedLikeFn::new(n), local_named_like_fn(n), &b);
    }

    #[test]
    fn closure_before_loop_matches(n in 0..3000u32, scale in any::<u32>(), b in budgets()) {
        check_extremes(|| ClosureBeforeLoop::new(n, scale), closure_before_loop(n, scale), &b);
    }

    #[test]
    fn walk_points_matches(x in -100.0f32..100.0, y in -100.0f32..100.0, n in 0..2000u32, b in budgets()) {
        let start = Point { x, y };
        check_extremes(|| WalkPoints::new(start, n), walk_points(start, n), &b);
    }

    #[test]
    fn sum_array_matches(a in prop::array::uniform32(any::<u32>()), b in budgets()) {
        check_extremes(|| SumArray::new(a), sum_array(a), &b);
    }

    #[test]
    fn scale_sum_matches(x in -10.0f64..10.0, n in 0..3000u32, b in budgets()) {
        check_extremes(|| ScaleSum::new(x, 0.0, n), scale_sum(x, 0.0, n), &b);
        let k = (n % 1000) as u64;
        check_extremes(|| ScaleSum::new(k, 0, n), scale_sum(k, 0, n), &b);
    }

    #[test]
    fn char_ranges_matches(shift in any::<u32>(), b in budgets()) {
        check_extremes(|| CharRanges::new(shift), char_ranges(shift), &b);
    }

    #[test]
    fn wide_histogram_matches(n in 0..3000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| WideHistogram::new(n, seed), wide_histogram(n, seed), &b);
    }

    #[test]
    fn matmul8_matches(
        a in prop::array::uniform8(prop::array::uniform8(-10.0f32..10.0)),
        c in prop::array::uniform8(prop::array::uniform8(-10.0f32..10.0)),
        b in budgets(),
    ) {
        check_extremes(|| Matmul8::new(a, c), matmul8(a, c), &b);
    }

    #[test]
    fn guarded_inner_matches(n in 0..40u32, m in 0..40u32, b in budgets()) {
        check_extremes(|| GuardedInner::new(n, m), guarded_inner(n, m), &b);
    }

    #[test]
    fn foreign_copy_types_matches(n in 0..3000u32, nanos in 0..1_000_000u64, b in budgets()) {
        let step = std::time::Duration::from_nanos(nanos);
        check_extremes(|| ForeignCopyTypes::new(n, step), foreign_copy_types(n, step), &b);
    }

    #[test]
    #[allow(deprecated)]
    fn iterator_chain_matches(n in 0..3000u64, b in budgets()) {
        check_extremes(|| IteratorChain::new(n), iterator_chain(n), &b);
    }

    // ---- newcomer shapes (the benchmark's, at test sizes) --------------------------------

    #[test]
    fn rev_step_madd_matches(n in -100..30_000i64, b in budgets()) {
        check_extremes(|| RevStepMadd::new(n), rev_step_madd(n), &b);
    }

    #[test]
    fn lcg_histogram_matches(n in 0..20_000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| LcgHistogram::new(n, seed), lcg_histogram(n, seed), &b);
    }

    #[test]
    fn xorshift_pi_matches(n in 0..10_000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| XorshiftPi::new(n, seed), xorshift_pi(n, seed), &b);
    }

    #[test]
    fn generated_dot_matches(n in 0..20_000u32, b in budgets()) {
        check_extremes(|| GeneratedDot::new(n), generated_dot(n), &b);
    }

    #[test]
    fn grid_sum_matches(side in 0..120u32, b in budgets()) {
        check_extremes(|| GridSum::new(side), grid_sum(side), &b);
    }

    #[test]
    fn popcount_sum_matches(n in 0..20_000u64, b in budgets()) {
        check_extremes(|| PopcountSum::new(n), popcount_sum(n), &b);
    }

    #[test]
    fn odd_harmonic_matches(n in 0..20_000u32, b in budgets()) {
        check_extremes(|| OddHarmonic::new(n), odd_harmonic(n), &b);
    }

    #[test]
    fn count_primes_matches(n in 0..3_000u32, b in budgets()) {
        check_extremes(|| CountPrimes::new(n), count_primes(n), &b);
    }

    // ---- nested loops -----------------------------------------------------------------

    #[test]
    fn row_checksum_matches(n in 0..40u32, m in 0..40u32, b in budgets()) {
        check_extremes(|| RowChecksum::new(n, m), row_checksum(n, m), &b);
    }

    #[test]
    fn matmul_sum_matches(n in 0..12u32, b in budgets()) {
        check_extremes(|| MatmulSum::new(n), matmul_sum(n), &b);
    }

    #[test]
    fn triangular_matches(n in 0..60u32, b in budgets()) {
        check_extremes(|| Triangular::new(n), triangular(n), &b);
    }

    #[test]
    fn resumable_inner_matches(n in 0..20u32, m in 0..30u32, b in budgets()) {
        check_extremes(|| ResumableInner::new(n, m), resumable_inner(n, m), &b);
    }

    #[test]
    fn resumable_middle_matches(n in 0..20u32, m in 0..20u32, b in budgets()) {
        check_extremes(|| ResumableMiddle::new(n, m), resumable_middle(n, m), &b);
    }

    #[test]
    fn collatz_total_matches(n in 0..40u32, b in budgets()) {
        check_extremes(|| CollatzTotal::new(n), collatz_total(n), &b);
    }

    // ---- control flow -----------------------------------------------------------------

    #[test]
    fn collatz_steps_matches(start in 0..100_000u64, limit in 0..300u32, b in budgets()) {
        check_extremes(|| CollatzSteps::new(start, limit), collatz_steps(start, limit), &b);
    }

    #[test]
    fn gcd_steps_matches(x in 0..5000u64, y in 0..5000u64, b in budgets()) {
        check_extremes(|| GcdSteps::new(x, y), gcd_steps(x, y), &b);
    }

    #[test]
    fn cube_root_matches(target in 0.0f64..1e6, max_iter in 0..200u32, b in budgets()) {
        check_extremes(|| CubeRoot::new(target, max_iter), cube_root(target, max_iter), &b);
    }

    #[test]
    fn find_first_matches(
        n in 0..2000u32,
        seed in any::<u32>(),
        threshold in prop_oneof![Just(0u32), 0..1_000_000u32, any::<u32>()],
        b in budgets(),
    ) {
        check_extremes(|| FindFirst::new(n, seed, threshold), find_first(n, seed, threshold), &b);
    }

    #[test]
    fn find_in_grid_matches(n in 0..30u32, m in 0..30u32, needle in 0..1000u32, b in budgets()) {
        check_extremes(|| FindInGrid::new(n, m, needle), find_in_grid(n, m, needle), &b);
    }

    #[test]
    fn first_pair_with_sum_matches(n in 0..40u32, target in 0..3200u32, b in budgets()) {
        check_extremes(
            || FirstPairWithSum::new(n, target),
            first_pair_with_sum(n, target),
            &b,
        );
    }

    #[test]
    fn skip_rows_matches(n in 0..40u32, m in 0..20u32, modulus in 0..10u32, b in budgets()) {
        check_extremes(|| SkipRows::new(n, m, modulus), skip_rows(n, m, modulus), &b);
    }

    #[test]
    fn labeled_resumable_matches(
        n in 0..20u32,
        m in 0..20u32,
        stop in 0..20_000u64,
        b in budgets(),
    ) {
        check_extremes(|| LabeledResumable::new(n, m, stop), labeled_resumable(n, m, stop), &b);
    }

    #[test]
    fn newton_sqrt_matches(value in 0.0f64..1e9, max_steps in 0..100u32, b in budgets()) {
        check_extremes(|| NewtonSqrt::new(value, max_steps), newton_sqrt(value, max_steps), &b);
    }

    #[test]
    fn lcg_until_matches(seed in any::<u32>(), limit in 0..3000u32, b in budgets()) {
        check_extremes(|| LcgUntil::new(seed, limit), lcg_until(seed, limit), &b);
    }

    #[test]
    fn while_continue_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| WhileContinue::new(n), while_continue(n), &b);
    }

    #[test]
    fn state_machine_matches(n in 0..2000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| StateMachine::new(n, seed), state_machine(n, seed), &b);
    }

    // ---- phases and range shapes ------------------------------------------------------

    #[test]
    fn mean_deviation_matches(n in 0..2000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| MeanDeviation::new(n, seed), mean_deviation(n, seed), &b);
    }

    #[test]
    fn epilogue_let_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| EpilogueLet::new(n), epilogue_let(n), &b);
    }

    #[test]
    fn three_phases_matches(n in 0..500u32, seed in any::<u64>(), b in budgets()) {
        check_extremes(|| ThreePhases::new(n, seed), three_phases(n, seed), &b);
    }

    #[test]
    fn strided_matches(n in -300..300i64, k in 1..10usize, b in budgets()) {
        check_extremes(|| Strided::new(n, k), strided(n, k), &b);
    }

    #[test]
    fn range_shapes_matches(lo in -200..200i32, hi in -200..200i32, k in 1..8usize, b in budgets()) {
        check_extremes(|| RangeShapes::new(lo, hi, k), range_shapes(lo, hi, k), &b);
    }

    #[test]
    fn u8_ranges_matches(lo in any::<u8>(), hi in any::<u8>(), b in budgets()) {
        check_extremes(|| U8Ranges::new(lo, hi), u8_ranges(lo, hi), &b);
    }

    #[test]
    fn maybe_empty_matches(
        n in prop_oneof![Just(0u32), 0..500u32],
        m in prop_oneof![Just(0u32), 0..500u32],
        b in budgets(),
    ) {
        check_extremes(|| MaybeEmpty::new(n, m), maybe_empty(n, m), &b);
    }

    #[test]
    fn prologue_epilogue_matches(n in 0..1000usize, bias in any::<i32>(), b in budgets()) {
        check_extremes(|| PrologueEpilogue::new(n, bias), prologue_epilogue(n, bias), &b);
    }

    // ---- array, tuple, Option and struct state; In/Out buffers --------------------------

    #[test]
    fn histogram_matches(n in 0..3000u32, seed in any::<u32>(), b in budgets()) {
        check_extremes(|| Histogram::new(n, seed), histogram(n, seed), &b);
    }

    #[test]
    fn four_lanes_matches(n in 0..2000u32, step in -10.0f64..10.0, b in budgets()) {
        check_extremes(|| FourLanes::new(n, step), four_lanes(n, step), &b);
    }

    #[test]
    fn fibonacci_pair_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| FibonacciPair::new(n), fibonacci_pair(n), &b);
    }

    #[test]
    fn last_match_matches(n in 0..2000u32, modulus in 0..50u32, b in budgets()) {
        check_extremes(|| LastMatch::new(n, modulus), last_match(n, modulus), &b);
    }

    #[test]
    fn running_stats_matches(n in 0..2000u32, freq in -5.0f64..5.0, b in budgets()) {
        check_extremes(|| RunningStats::new(n, freq), running_stats(n, freq), &b);
    }

    #[test]
    fn squares_out_matches(len in 0..500usize, offset in 0..1u64 << 20, b in budgets()) {
        let expected_out = Out::leak_filled(len, u64::MAX);
        let expected = squares_out(expected_out, offset);
        for budgets in [&b[..], &[1], &[u32::MAX]] {
            let out = Out::leak_filled(len, u64::MAX);
            check(|| SquaresOut::new(out, offset), expected, budgets);
            prop_assert_eq!(out.to_vec(), expected_out.to_vec());
        }
    }

    #[test]
    fn prefix_sum_out_matches(
        input in prop::collection::vec(-1e3f32..1e3, 0..300),
        len in 0..300usize,
        b in budgets(),
    ) {
        let input = leak(input);
        let expected_out = Out::leak_filled(len, f32::NAN);
        let expected = prefix_sum_out(input, expected_out);
        for budgets in [&b[..], &[1], &[u32::MAX]] {
            let out = Out::leak_filled(len, f32::NAN);
            check(|| PrefixSumOut::new(input, out), expected, budgets);
            prop_assert!(out.to_vec().bit_eq(&expected_out.to_vec()));
        }
    }

    // ---- more shapes: resumable inner loops with return/labels, full-width ranges, ... ---

    #[test]
    fn return_inner_matches(n in 0..12u32, m in 0..12u32, needle in 0..120u64, b in budgets()) {
        check_extremes(|| ReturnInner::new(n, m, needle), return_inner(n, m, needle), &b);
    }

    #[test]
    fn break_resumable_matches(n in 0..16u32, m in 0..16u32, b in budgets()) {
        check_extremes(|| BreakResumable::new(n, m), break_resumable(n, m), &b);
    }

    #[test]
    fn three_levels_matches(n in 0..16u32, b in budgets()) {
        check_extremes(|| ThreeLevels::new(n), three_levels(n), &b);
    }

    #[test]
    fn while_outer_matches(limit in prop_oneof![0..4u64, 0..100_000u64], b in budgets()) {
        check_extremes(|| WhileOuter::new(limit), while_outer(limit), &b);
    }

    #[test]
    fn loop_outer_matches(n in 0..40u32, b in budgets()) {
        check_extremes(|| LoopOuter::new(n), loop_outer(n), &b);
    }

    #[test]
    fn i8_full_matches(k in 1..300usize, b in budgets()) {
        check_extremes(|| I8Full::new(k), i8_full(k), &b);
    }

    #[test]
    fn early_prologue_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| EarlyPrologue::new(n), early_prologue(n), &b);
    }

    #[test]
    fn prologue_range_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| PrologueRange::new(n), prologue_range(n), &b);
    }

    #[test]
    fn empty_body_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| EmptyBody::new(n), empty_body(n), &b);
    }

    #[test]
    fn mut_arg_matches(x in any::<u64>(), n in 0..2000u32, b in budgets()) {
        check_extremes(|| MutArg::new(x, n), mut_arg(x, n), &b);
    }

    #[test]
    fn macros_in_body_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| MacrosInBody::new(n), macros_in_body(n), &b);
    }

    #[test]
    fn destructure_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| Destructure::new(n), destructure(n), &b);
    }

    #[test]
    fn wide_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| Wide::new(n), wide(n), &b);
    }

    #[test]
    fn grid_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| Grid::new(n), grid(n), &b);
    }

    #[test]
    fn option_take_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| OptionTake::new(n), option_take(n), &b);
    }

    #[test]
    fn fill_out_matches(len in 0..500usize, k in -1000..1000i32, b in budgets()) {
        let expected_out = Out::leak_filled(len, i32::MIN);
        fill_out(expected_out, k);
        for budgets in [&b[..], &[1], &[u32::MAX]] {
            let out = Out::leak_filled(len, i32::MIN);
            check(|| FillOut::new(out, k), (), budgets);
            prop_assert_eq!(out.to_vec(), expected_out.to_vec());
        }
    }
    #[test]
    fn full_rev_matches(limit in 0..3000u32, b in budgets()) {
        check_extremes(|| FullRev::new(limit), full_rev(limit), &b);
    }

    #[test]
    fn full_rev_step_matches(k in any::<u32>(), b in budgets()) {
        check_extremes(|| FullRevStep::new(k), full_rev_step(k), &b);
    }

    #[test]
    fn shadow_arg_matches(n in 0..3000u32, b in budgets()) {
        check_extremes(|| ShadowArg::new(n), shadow_arg(n), &b);
    }

    #[test]
    fn two_phase_early_matches(n in 0..2000u32, stop in 0..2500u32, b in budgets()) {
        check_extremes(|| TwoPhaseEarly::new(n, stop), two_phase_early(n, stop), &b);
    }
    #[test]
    fn closure_return_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| ClosureReturn::new(n), closure_return(n), &b);
    }

    #[test]
    fn inner_fn_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| InnerFn::new(n), inner_fn(n), &b);
    }

    #[test]
    fn plain_breaks_matches(n in 0..40u32, m in 0..40u32, b in budgets()) {
        check_extremes(|| PlainBreaks::new(n, m), plain_breaks(n, m), &b);
    }

    #[test]
    fn checked_sum_matches(
        n in 0..2000u32,
        cap in prop_oneof![0..1000u32, Just(u32::MAX)],
        b in budgets(),
    ) {
        check_extremes(|| CheckedSum::new(n, cap), checked_sum(n, cap), &b);
    }

    #[test]
    fn labeled_block_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| LabeledBlock::new(n), labeled_block(n), &b);
    }

    #[test]
    fn inner_range_reads_outer_body_matches(n in 0..60u32, b in budgets()) {
        check_extremes(
            || InnerRangeReadsOuterBody::new(n),
            inner_range_reads_outer_body(n),
            &b,
        );
    }

    #[test]
    fn heap_in_iteration_matches(n in 0..500u32, b in budgets()) {
        check_extremes(|| HeapInIteration::new(n), heap_in_iteration(n), &b);
    }

    #[test]
    fn tuple_struct_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| TupleStruct::new(n), tuple_struct(n), &b);
    }

    #[test]
    fn unit_return_matches(len in 0..500usize, stop in 0..600u32, b in budgets()) {
        let expected_out = Out::leak_filled(len, 0u32);
        unit_return(expected_out, stop);
        for budgets in [&b[..], &[1], &[u32::MAX]] {
            let out = Out::leak_filled(len, 0u32);
            check(|| UnitReturn::new(out, stop), (), budgets);
            prop_assert_eq!(out.to_vec(), expected_out.to_vec());
        }
    }
    #[test]
    fn shadow_in_iteration_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| ShadowInIteration::new(n), shadow_in_iteration(n), &b);
    }

    #[test]
    fn loop_var_named_like_carried_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(
            || LoopVarNamedLikeCarried::new(n),
            loop_var_named_like_carried(n),
            &b,
        );
    }

    #[test]
    fn closure_mutates_carried_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| ClosureMutatesCarried::new(n), closure_mutates_carried(n), &b);
    }

    #[test]
    fn match_guard_loop_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| MatchGuardLoop::new(n), match_guard_loop(n), &b);
    }

    #[test]
    fn literals_matches(n in 0..2000u32, b in budgets()) {
        check_extremes(|| Literals::new(n), literals(n), &b);
    }
}

/// The loops of a labelled block at function level are phases: with budget 1 a task yields
/// after each of their iterations (the block's two 16-item scans here, no key found: 32
/// steps, the last one returning), where the block as one iteration of a loop would have
/// run each scan in one step (4 steps).
#[test]
fn labelled_blocks_yield_inside_their_loops() {
    let mut task = LabelledBlocks::new([7; 16], 3, 0);
    let mut steps = 0;
    let output = loop {
        steps += 1;
        if let Step::Done(output) = task.step(1) {
            break output;
        }
    };
    assert_eq!(output, labelled_blocks([7; 16], 3, 0));
    assert!(steps >= 32, "{steps} steps at budget 1");
}

/// A loop in an `if` inside a function-level labelled block, with its last expression
/// without `;`.
#[penny::task]
fn scan_in_if(n: u32) -> u32 {
    let mut s = 0u32;
    'b: {
        if n > 1 {
            for i in 0..n {
                s = s.wrapping_add(i)
            }
            break 'b;
        }
        s = 1;
    }
    s
}

/// The loop inside an `if` in a function-level labelled block is a phase too: at budget 1
/// the task yields after each of its iterations (it ran in one step before).
#[test]
fn a_loop_in_an_if_in_a_labelled_block_yields() {
    let mut task = ScanInIf::new(100);
    let mut steps = 0;
    let output = loop {
        steps += 1;
        if let Step::Done(output) = task.step(1) {
            break output;
        }
    };
    assert_eq!(output, scan_in_if(100));
    assert!(steps >= 100, "{steps} steps at budget 1");
}

/// A labelled block whose tail is a `loop` with a value, after a `for` loop.
#[penny::task]
fn tail_loop_in_block(n: u32) -> u32 {
    let mut s = 0u32;
    let v = 'a: {
        for i in 0..n {
            s = s.wrapping_add(i);
        }
        if n == 3 {
            break 'a 7;
        }
        let mut j = 0u32;
        loop {
            j += 1;
            s ^= j;
            if j >= n {
                break j * 2;
            }
        }
    };
    v + s
}

/// Both loops of the block are phases: at budget 1 the task yields in each (the tail `loop`
/// ran in one step, inside the `break` that gives the block its value).
#[test]
fn a_tail_loop_of_a_labelled_block_yields() {
    for n in [0, 1, 5, 40] {
        for budgets in [&[1u32][..], &[2, 7], &[u32::MAX]] {
            check(|| TailLoopInBlock::new(n), tail_loop_in_block(n), budgets);
        }
    }
    let mut task = TailLoopInBlock::new(1000);
    let mut steps = 0;
    while task.step(1).done().is_none() {
        steps += 1;
    }
    assert!(steps >= 1999, "{steps} steps at budget 1");
}

/// A labelled block as the tail of another, at function level and inside a loop: the inner
/// block was a loop inside the outer one's `break` ("this loop can't get yield points").
#[penny::task]
fn nested_tail_blocks(n: u32) -> u32 {
    let mut acc = 0u32;
    'a: {
        if n == 2 {
            break 'a;
        }
        'b: {
            for c in 0..n {
                if c == 5 {
                    break 'b;
                }
                acc += 1;
            }
        }
    }
    for r in 0..n {
        'x: {
            if r == 7 {
                break 'x;
            }
            'y: {
                for c in 0..n {
                    if c == 3 {
                        break 'y;
                    }
                    acc += r;
                    penny::yield_now!();
                }
            }
        }
    }
    acc
}

#[test]
fn nested_tail_blocks_match() {
    for n in [0, 1, 2, 5, 9, 40] {
        for budgets in [&[1u32][..], &[2, 7], &[3], &[u32::MAX]] {
            check(|| NestedTailBlocks::new(n), nested_tail_blocks(n), budgets);
        }
    }
}

/// `mut` bindings of an `if let` and a `match` arm, changed across a loop in the arm: typed
/// from the matched values, as `let mut k: u32 = k;` (they needed that written).
#[penny::task]
fn mut_pattern_bindings(opt: Option<u32>, n: u32) -> u32 {
    let mut s = 0u32;
    if let Some(mut k) = opt {
        for i in 0..n {
            k = k.wrapping_mul(3) ^ i;
            s = s.wrapping_add(k);
        }
        s ^= k;
    }
    if let (Some(mut a), mut b) = (opt, n) {
        for i in 0..n {
            a = a.wrapping_add(i);
            b ^= a;
        }
        s = s.wrapping_add(a ^ b);
    }
    s
}

proptest! {
    #[test]
    fn mut_pattern_bindings_match(opt in any::<Option<u32>>(), n in 0..500u32, b in budgets()) {
        check_extremes(|| MutPatternBindings::new(opt, n), mut_pattern_bindings(opt, n), &b);
    }
}

/// A labelled block assigned to a variable (`s += 'g: { .. };`) and to a field
/// (`t.0 = 'h: { .. };`), at function level and in a loop: it was refused as a loop inside
/// an expression.
#[penny::task]
fn assigned_blocks(n: u32) -> (u32, u32) {
    let mut s = n;
    let mut t = (0u32, 1u32);
    s += 'g: {
        for i in 0..n {
            if i * i > 50 {
                break 'g i;
            }
        }
        n + 100
    };
    for r in 0..n {
        t.0 = 'h: {
            for c in 0..n {
                if (r + c + t.0) % 7 == 3 {
                    break 'h c;
                }
                penny::yield_now!();
            }
            1
        };
        t.1 ^= t.0;
    }
    (s, t.0 ^ t.1)
}

proptest! {
    #[test]
    fn assigned_blocks_match(n in 0..300u32, b in budgets()) {
        check_extremes(|| AssignedBlocks::new(n), assigned_blocks(n), &b);
    }
}

/// Progress moves while a function-level labelled block's loops run (the block counts as a
/// phase whose inner loops share its units), and never goes back.
#[test]
fn progress_moves_inside_a_labelled_block() {
    let mut task = TailLoopInBlock::new(1000);
    let mut seen = Vec::new();
    for _ in 0..1500 {
        assert!(task.step(1).done().is_none());
        seen.push(task.progress().done);
    }
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress went back");
    assert!(
        seen[100] > seen[0],
        "no progress in the block's first loop: {:?}",
        &seen[..3]
    );
    assert!(
        seen[1400] > seen[900],
        "no progress in the block's tail loop"
    );
}

/// Rows, each a labelled block around a long inner scan.
#[penny::task]
fn blocks_in_rows(n: u32, m: u32) -> u64 {
    let mut acc = 0u64;
    for r in 0..n {
        'row: {
            for c in 0..m {
                if c == m - 1 && r % 2 == 0 {
                    break 'row;
                }
                acc += u64::from(c ^ r);
                penny::yield_now!();
            }
            acc += 1;
        }
    }
    acc
}

/// Progress moves with the cursor of a loop inside a labelled block inside a loop (the
/// block shares out the row's units to its loops), and never goes back.
#[test]
fn progress_moves_inside_a_block_in_a_loop() {
    let mut task = BlocksInRows::new(3, 1000);
    let mut seen = Vec::new();
    let output = loop {
        match task.step(10) {
            Step::Done(output) => break output,
            Step::Yielded => seen.push(task.progress()),
        }
    };
    assert_eq!(output, blocks_in_rows(3, 1000));
    assert!(
        seen.windows(2).all(|w| w[0].done <= w[1].done),
        "progress went back"
    );
    assert!(seen.iter().all(|p| p.total.is_some_and(|t| p.done <= t)));
    // Within the first row (100 steps of 10), progress moves at every step.
    assert!(
        seen[..90].windows(2).all(|w| w[0].done < w[1].done),
        "{:?}",
        &seen[..4]
    );
}
