//! Helpers the benchmarks share: the thread's CPU clock and a chunked driver.

use penny::{Step, Task};

/// CPU time this thread has used, in nanoseconds.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub fn thread_cpu_ns() -> u64 {
    const CLOCK_THREAD_CPUTIME_ID: i64 = 3;
    cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID).expect("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed")
}

/// `clock_gettime(clock)` in nanoseconds (a CPU clock: 2 is the process's, 3 the thread's), by
/// a raw syscall (no libc dependency for the benches).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub fn cpu_clock_ns(clock: i64) -> Option<u64> {
    const SYS_CLOCK_GETTIME: i64 = 228;
    let mut ts = [0i64; 2];
    let ret: i64;
    // SAFETY: `clock_gettime(clock, &mut ts)` writes one `struct timespec` (two `i64`s on
    // x86_64 Linux) to `ts`, which is valid and exclusively borrowed; the `syscall`
    // instruction clobbers only rax (the result), rcx and r11, all declared.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") SYS_CLOCK_GETTIME => ret,
            in("rdi") clock,
            in("rsi") ts.as_mut_ptr(),
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    (ret == 0).then(|| ts[0] as u64 * 1_000_000_000 + ts[1] as u64)
}

/// Elsewhere, a monotonic wall clock stands in for the CPU clock.
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub fn thread_cpu_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Steps `task` with `budget` until it finishes.
#[inline(never)]
pub fn drive<T: Task>(mut task: T, budget: u32) -> T::Output {
    loop {
        if let Step::Done(output) = task.step(budget) {
            return output;
        }
    }
}
