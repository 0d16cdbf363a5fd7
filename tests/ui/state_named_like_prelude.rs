// `fn option` would declare a state struct `Option`, hiding the prelude's for the whole
// module (rustc then reported E0107 and E0308 about `Option<u32>` at the attribute): Penny
// says to name the state, and nothing else errs.
#[penny::task]
fn option(n: u32) -> Option<u32> {
    let mut best = None;
    for i in 0..n {
        if i % 7 == 3 {
            best = Some(i);
        }
    }
    best
}

fn main() {
    let _: Option<u32> = None;
}
