//! End to end: lowered kernels from the equivalence suite run on a `penny::Pool` — small
//! pools, more tasks than slots, mixed priorities, cancellations — and every task that
//! finishes returns exactly what its plain function returns. The mix includes states
//! larger than a slot (`matmul8`, `wide_histogram`), user `Copy` types, a generic kernel,
//! branches and ranges evaluated once, all on pools built with default slot sizes.

use std::time::Duration;

use penny::{Pool, Priority, TaskError, TaskHandle, TaskStatus};
use penny_examples::kernels::arrays::*;
use penny_examples::kernels::control::*;
use penny_examples::kernels::evaluated_once::*;
use penny_examples::kernels::idioms::*;
use penny_examples::kernels::nested::*;
use penny_examples::kernels::phases::*;
use penny_examples::kernels::BitEq;
use support::xorshift;

mod support;

/// A spawned task with the plain function's output to compare against.
trait Pending {
    /// Joins the task: `Ok` when it returned the reference output (or was cancelled as asked).
    fn check(self: Box<Self>, cancelled: bool) -> Result<(), String>;
    fn cancel(&self);
}

struct Spawned<T: Copy + Send + 'static> {
    handle: TaskHandle<T>,
    reference: T,
    name: &'static str,
}

impl<T: Copy + Send + BitEq + std::fmt::Debug + 'static> Pending for Spawned<T> {
    fn check(self: Box<Self>, cancelled: bool) -> Result<(), String> {
        let name = self.name;
        match self.handle.join() {
            Ok(output) if output.bit_eq(&self.reference) => Ok(()),
            Ok(output) => Err(format!(
                "{name}: got {output:?}, plain fn gave {:?}",
                self.reference
            )),
            Err(TaskError::Cancelled) if cancelled => Ok(()),
            Err(error) => Err(format!("{name}: {error:?}")),
        }
    }

    fn cancel(&self) {
        self.handle.cancel();
    }
}

fn spawn<T>(
    pool: &Pool,
    task: impl penny::Task<Output = T>,
    reference: T,
    name: &'static str,
    priority: Priority,
) -> Box<dyn Pending>
where
    T: Copy + Send + BitEq + std::fmt::Debug + 'static,
{
    let handle = pool.task(task).priority(priority).spawn();
    Box::new(Spawned {
        handle,
        reference,
        name,
    })
}

/// A buffer for the kernels that read one (leaked: it lives as long as the test).
fn leaked() -> penny::In<u64> {
    use std::sync::OnceLock;
    static DATA: OnceLock<penny::In<u64>> = OnceLock::new();
    *DATA.get_or_init(|| penny::In::new(Vec::leak((0..300u64).map(|i| i * i).collect())))
}

fn run_mix(workers: usize, slots: usize, tasks: usize, seed: u64) {
    let pool = Pool::builder()
        .workers(workers)
        .slots(slots)
        .time_slice(Duration::from_micros(200))
        .build();
    let mut rng = seed;
    let mut pending: Vec<(Box<dyn Pending>, bool)> = Vec::new();
    for i in 0..tasks {
        let r = xorshift(&mut rng);
        let priority = match r % 3 {
            0 => Priority::UserBlocking,
            1 => Priority::UserVisible,
            _ => Priority::Background,
        };
        let a = (r >> 8) as u32;
        // The task and the plain function's reference get the same arguments.
        macro_rules! job {
            ($task:ident / $plain:ident($($arg:expr),*)) => {
                spawn(&pool, $task::new($($arg),*), $plain($($arg),*), stringify!($plain), priority)
            };
        }
        let job = match i % 16 {
            8 => job!(Matmul8 / matmul8([[a as f32 * 1e-9; 8]; 8], [[1.5; 8]; 8])),
            9 => job!(WideHistogram / wide_histogram(a % 4000, a)),
            10 => job!(
                WalkPoints
                    / walk_points(
                        Point {
                            x: 1.0,
                            y: a as f32 * 1e-6
                        },
                        a % 3000
                    )
            ),
            11 => job!(ScaleSum / scale_sum(u64::from(a % 1000), 0, a % 5000)),
            12 => job!(LoopsInBranches / loops_in_branches(a % 5000, (a >> 3) as u8)),
            13 => job!(RngBoundedLoops / rng_bounded_loops(u64::from(a), a % 20)),
            14 => job!(ArrayIterators / array_iterators([a % 97; 16], [a % 13; 16], leaked())),
            15 => job!(CharRanges / char_ranges(a)),
            0 => job!(CollatzSteps / collatz_steps(u64::from(a % 10_000) + 1, 500)),
            1 => job!(MeanDeviation / mean_deviation(a % 3000, a)),
            2 => job!(Histogram / histogram(a % 5000, a | 1)),
            3 => job!(FirstPairWithSum / first_pair_with_sum(a % 60, a % 5000)),
            4 => job!(Strided / strided(i64::from(a % 2000) - 1000, (a % 7 + 1) as usize)),
            5 => job!(ResumableInner / resumable_inner(a % 40, a % 50)),
            6 => job!(LabeledResumable / labeled_resumable(a % 30, a % 30, u64::from(a % 20_000))),
            _ => job!(NewtonSqrt / newton_sqrt(f64::from(a % 1_000_000), a % 80)),
        };
        let cancel = r % 11 == 0;
        if cancel {
            job.cancel();
        }
        pending.push((job, cancel));
    }
    let failures: Vec<String> = pending
        .into_iter()
        .filter_map(|(job, cancelled)| job.check(cancelled).err())
        .collect();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} tasks wrong, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

#[test]
fn lowered_kernels_on_small_pools_match_their_plain_functions() {
    run_mix(1, 4, 400, 0x9e37_79b9_7f4a_7c15);
    run_mix(2, 8, 800, 0x1234_5678_9abc_def1);
    run_mix(3, 16, 800, 0x0f0f_f0f0_1357_9bdf);
}

#[test]
fn progress_through_the_handle_reaches_the_total() {
    let pool = Pool::builder().workers(2).build();
    let handle = pool
        .task(MeanDeviation::new(200_000, 7))
        .priority(Priority::Background)
        .spawn();
    let mut last = 0;
    while !handle.status().is_finished() {
        let progress = handle.progress();
        assert!(
            progress.done >= last,
            "progress went back: {last} -> {}",
            progress.done
        );
        last = progress.done;
        std::thread::sleep(Duration::from_micros(200));
    }
    assert_eq!(handle.status(), TaskStatus::Done);
    let end = handle.progress();
    assert_eq!(Some(end.done), end.total);
    assert_eq!(end.total, Some(400_000));
    assert!(handle
        .join()
        .expect("finishes")
        .bit_eq(&mean_deviation(200_000, 7)));
}

/// A task that drops the last `Arc<Pool>` of its own pool: `Pool::drop` runs on that pool's
/// worker, which can't wait for itself. It used to try ("failed to join thread: Resource
/// deadlock avoided", the task's result); now the task finishes, and what the pool had left
/// is cancelled once that worker leaves its loop.
#[test]
fn a_task_may_drop_the_last_reference_to_its_own_pool() {
    use penny::{Progress, Step, Task};
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::{Arc, Mutex};
    static LAST: Mutex<Option<Arc<Pool>>> = Mutex::new(None);
    static GO: AtomicBool = AtomicBool::new(false);
    #[derive(Clone, Copy)]
    struct DropsItsPool;
    impl Task for DropsItsPool {
        type Output = u8;
        fn step(&mut self, _budget: u32) -> Step<u8> {
            if !GO.load(SeqCst) {
                std::thread::sleep(Duration::from_micros(100));
                return Step::Yielded;
            }
            let pool = LAST.lock().unwrap().take().expect("the pool");
            assert_eq!(Arc::strong_count(&pool), 1, "the last reference");
            drop(pool);
            Step::Done(1)
        }
        fn progress(&self) -> Progress {
            Progress::default()
        }
    }
    /// Never finishes on its own.
    #[derive(Clone, Copy)]
    struct Forever;
    impl Task for Forever {
        type Output = ();
        fn step(&mut self, _budget: u32) -> Step<()> {
            std::thread::sleep(Duration::from_micros(100));
            Step::Yielded
        }
        fn progress(&self) -> Progress {
            Progress::default()
        }
    }
    let pool = Arc::new(Pool::builder().workers(2).build());
    *LAST.lock().unwrap() = Some(pool.clone());
    let dropper = pool.spawn(DropsItsPool);
    let others: Vec<_> = (0..4).map(|_| pool.spawn(Forever)).collect();
    drop(pool);
    GO.store(true, SeqCst);
    assert_eq!(dropper.join(), Ok(1));
    for other in others {
        assert_eq!(other.join(), Err(TaskError::Cancelled));
    }
}

/// `queue(0)`: no task waits for a slot, so `spawn` blocks while every slot is taken (it
/// used to queue one task anyway, as `queue(1)` does).
#[test]
fn queue_zero_makes_spawn_wait_for_a_slot() {
    use penny::{Progress, Step, Task};
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::{mpsc, Arc};
    static RELEASE: AtomicBool = AtomicBool::new(false);
    #[derive(Clone, Copy)]
    struct HoldsTheSlot;
    impl Task for HoldsTheSlot {
        type Output = u8;
        fn step(&mut self, _budget: u32) -> Step<u8> {
            if RELEASE.load(SeqCst) {
                Step::Done(1)
            } else {
                std::thread::sleep(Duration::from_micros(100));
                Step::Yielded
            }
        }
        fn progress(&self) -> Progress {
            Progress::default()
        }
    }
    let pool = Arc::new(Pool::builder().workers(1).slots(1).queue(0).build());
    let holder = pool.spawn(HoldsTheSlot);
    let (spawned, returned) = mpsc::channel();
    let spawner = {
        let pool = pool.clone();
        std::thread::spawn(move || {
            let handle = pool.spawn(GcdSteps::new(1071, 462));
            spawned.send(()).unwrap();
            handle.join()
        })
    };
    assert!(
        returned.recv_timeout(Duration::from_millis(200)).is_err(),
        "spawn returned while the only slot was taken and no task may wait"
    );
    RELEASE.store(true, SeqCst);
    assert_eq!(holder.join(), Ok(1));
    assert_eq!(spawner.join().unwrap(), Ok(gcd_steps(1071, 462)));
}
