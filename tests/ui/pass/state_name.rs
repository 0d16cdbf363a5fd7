// `#[penny::task(state = Name)]` names the generated state struct: a crate with its own
// `struct Particle` can still have a kernel `fn particle` (its state would be `Particle`).
#![forbid(unsafe_code)]
#![deny(warnings, missing_debug_implementations)]

/// The user's own type, named like the kernel's default state struct.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Particle {
    pub x: f32,
    pub v: f32,
}

/// Steps a particle `n` times.
#[penny::task(state = ParticleTask)]
pub fn particle(p: Particle, n: u32, dt: f32) -> Particle {
    let mut p = p;
    for _ in 0..n {
        p.v -= 9.81 * dt;
        p.x += p.v * dt;
    }
    p
}

/// The option beside the others, in any order.
#[penny::task(slot = 512, state = Counting)]
pub fn count(n: u64) -> u64 {
    let mut c = 0;
    for i in 0..n {
        c += i % 3;
    }
    c
}

fn main() {
    let start = Particle { x: 100.0, v: 0.0 };
    let task = ParticleTask::new(start, 500, 0.01);
    assert!(format!("{task:?}").starts_with("ParticleTask {"));
    assert_eq!(penny::run_to_completion(task), particle(start, 500, 0.01));
    assert_eq!(penny::run_to_completion(Counting::new(1000)), count(1000));
}
