// A float `+` reduction keeps its partial sums in a fixed tree, so its result doesn't depend
// on where the loop split. Behind a type alias Penny can't see the type is a float: it would
// keep no tree, and the sum would change from run to run. Write the type out.
type Real = f64;

#[penny::task]
fn total(n: u32) -> f64 {
    let mut acc: Real = 0.0;
    #[penny::split(reduce(acc = +))]
    for i in 0..n {
        acc += (i as f64).sqrt();
    }
    acc
}

fn main() {}
