// A carried variable started from a one-letter variant (`Dir::N`): it spells like an
// associated constant (`Grid::W`), whose type is not the type it belongs to, so Penny asks for
// the type instead of guessing.
#[derive(Clone, Copy)]
enum Dir {
    N,
    E,
}

#[penny::task]
fn turns(n: u32) -> u32 {
    let mut d = Dir::N;
    let mut out = 0u32;
    for i in 0..n {
        d = match d {
            Dir::N => Dir::E,
            Dir::E => {
                out += i;
                Dir::N
            }
        };
    }
    out
}

fn main() {}
