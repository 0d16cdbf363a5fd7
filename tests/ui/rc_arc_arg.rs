// Shared ownership can't be task state: `Rc` and `Arc` point at memory outside the state.
use std::rc::Rc;
use std::sync::Arc;

#[penny::task]
fn shared_rc(value: Rc<u64>, n: u32) -> u64 {
    let mut total = 0u64;
    for _ in 0..n {
        total += *value;
    }
    total
}

#[penny::task]
fn shared_arc(value: Arc<u64>, n: u32) -> u64 {
    let mut total = 0u64;
    for _ in 0..n {
        total += *value;
    }
    total
}

fn main() {}
