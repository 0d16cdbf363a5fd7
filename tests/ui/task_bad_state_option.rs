// `state = ..` must be one identifier: the name the state struct is declared with.
#[penny::task(state = "ParticleTask")]
fn quoted(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

#[penny::task(state = tasks::Particle)]
fn path(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

#[penny::task(slot = 512, state)]
fn missing(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

#[penny::task(name = Particle)]
fn unknown(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

fn main() {}
