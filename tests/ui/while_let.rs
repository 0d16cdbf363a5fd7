// `while let` binds from a value the state can't resume: write `loop` with a `match`, or an
// index loop.
#[penny::task]
fn count_down(start: u32) -> u32 {
    let mut next = Some(start);
    let mut steps = 0u32;
    while let Some(v) = next {
        steps += 1;
        next = v.checked_sub(1);
    }
    steps
}

fn main() {}
