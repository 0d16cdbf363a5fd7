// An associated function that names `Self` can't be moved out of its `impl` as is: the
// state struct can't live in an `impl`, so Penny asks for a free function.
#[derive(Clone, Copy)]
struct Total(u32);

impl Total {
    #[penny::task]
    fn sum(n: u32) -> Self {
        let mut s = 0u32;
        for i in 0..n {
            s += i;
        }
        Total(s)
    }
}

fn main() {}
